"""AWS: internal NLBs in front of the API must be able to hairpin."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .discovery import AWS_ATTACHMENT, aws_api_paths
from .graph import StackIndex
from .props import API_PORTS_SCHEMA, MISSING, api_ports, get, is_unknown

INSTANCE_ID = "i-"


def _internal_nlb_target_groups(
    args: StackValidationArgs,
) -> Iterator[tuple[StackIndex, PolicyResource, PolicyResource]]:
    """(index, load balancer, target group) for internal NLBs serving an API port."""
    index = StackIndex(args.resources)
    ports = api_ports(args)
    for path in aws_api_paths(index, ports):
        props = path.load_balancer.props
        # Omitted loadBalancerType is "application"; omitted internal is false.
        if get(props, "loadBalancerType") != "network" or get(props, "internal") is not True:
            continue
        for tg in path.target_groups:
            yield index, path.load_balancer, tg


def _validate_ip_targets(args: StackValidationArgs, report: ReportViolation) -> None:
    for index, lb, tg in _internal_nlb_target_groups(args):
        target_type = get(tg.props, "targetType")
        if not is_unknown(target_type) and target_type in (MISSING, "instance"):
            shown = (
                "instance" if target_type == "instance" else "omitted (provider default: instance)"
            )
            report(
                f"target group '{tg.name}' behind internal NLB '{lb.name}' has targetType "
                f"{shown}: internal NLBs do not support hairpinning with instance targets, so a "
                'kURL primary cannot reach the API through the NLB. Set targetType to "ip" and '
                "register the primaries' private IPs.",
                tg.urn,
            )
        for attachment in index.referrers(tg, AWS_ATTACHMENT, "targetGroupArn"):
            target = get(attachment.props, "targetId")
            if isinstance(target, str) and target.startswith(INSTANCE_ID):
                report(
                    f"attachment '{attachment.name}' registers instance ID {target} with internal "
                    f"NLB '{lb.name}' (target group '{tg.name}'): register the instance's private "
                    'IP instead (target group targetType "ip"), or hairpinning fails.',
                    attachment.urn,
                )


def _validate_no_client_ip_preservation(args: StackValidationArgs, report: ReportViolation) -> None:
    for _index, lb, tg in _internal_nlb_target_groups(args):
        preserve = get(tg.props, "preserveClientIp")
        target_type = get(tg.props, "targetType")
        if is_unknown(preserve):
            continue
        if preserve is MISSING:
            # Provider default: on for instance targets, off for IP targets (TCP/TLS).
            if is_unknown(target_type) or target_type == "ip":
                continue
            shown = "omitted (on by default for instance targets)"
        elif str(preserve).lower() == "true":
            shown = '"true"'
        else:
            continue
        report(
            f"target group '{tg.name}' behind internal NLB '{lb.name}' has preserveClientIp "
            f"{shown}: NLBs with client IP preservation do not support hairpinning. Set "
            'preserveClientIp to "false" (with targetType "ip").',
            tg.urn,
        )


_CONFIG = PolicyConfigSchema(properties=API_PORTS_SCHEMA)

aws_internal_nlb_ip_targets = StackValidationPolicy(
    name="aws-internal-nlb-ip-targets",
    description=(
        "An internal AWS NLB serving the Kubernetes API registers targets by IP: target groups "
        'use targetType "ip" (omitted means "instance") and no attachment targets an '
        "instance ID. Internal NLBs cannot hairpin with instance targets."
    ),
    validate=_validate_ip_targets,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_CONFIG,
)

aws_internal_nlb_no_client_ip_preservation = StackValidationPolicy(
    name="aws-internal-nlb-no-client-ip-preservation",
    description=(
        "An internal AWS NLB serving the Kubernetes API does not preserve client IPs: set the "
        'target groups\' preserveClientIp to "false" (it defaults to on for instance targets). '
        "Client IP preservation breaks hairpinning."
    ),
    validate=_validate_no_client_ip_preservation,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_CONFIG,
)
