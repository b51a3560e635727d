"""AWS: internal NLBs in front of the API must be able to hairpin (rules over AwsFront views)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    StackValidationPolicy,
)

from .discovery import Views, stack_validator
from .props import API_PORTS_SCHEMA, MISSING, as_port, is_unknown
from .verdict import TRUE, Reporter, Tri, test, unknown
from .view_aws import (
    ALWAYS_PRESERVING,
    AwsFront,
    AwsOrphans,
    AwsTargetGroup,
    aws_dns_aliases,
    aws_subnet_mappings,
)

INSTANCE_ID = "i-"
IP_TARGETS = "aws-internal-nlb-ip-targets"
NO_PRESERVATION = "aws-internal-nlb-no-client-ip-preservation"


def _hairpinning(front: AwsFront) -> Tri:
    """An internal NLB: the load balancer that cannot hairpin with instance targets."""
    return front.load_balancer.network & front.load_balancer.internal


def _hairpin_paths(front: AwsFront) -> Iterator[tuple[AwsTargetGroup, Tri]]:
    """Each target group on the front's paths, with whether its path serves the API through an
    internal NLB (the paths both hairpin rules judge)."""
    internal_nlb = _hairpinning(front)
    for path in front.paths:
        if path.target_group is not None:
            yield path.target_group, path.serves_api & internal_nlb


def _unlinked(front: AwsFront, report: Reporter, policy: str) -> None:
    lb = front.load_balancer
    report.judge(
        _hairpinning(front) & front.unresolved_targets,
        lb.urn,
        "",
        f"{policy}: the target groups behind {lb.label}",
    )


def _port_shown(tg: AwsTargetGroup) -> str:
    return "unknown" if is_unknown(tg.port) else str(as_port(tg.port))


def check_orphans(
    orphans: AwsOrphans, report: Reporter, policy: str, breaks: Callable[[AwsTargetGroup], Tri]
) -> None:
    """Fail closed on pieces a missing listener would complete (a listener created inside an
    `.apply` exists only at `pulumi up`): a target group on an API port on no listener path,
    and an internal NLB without any listener, unless nothing on them could break the check."""
    waiting = [lb for lb in orphans.load_balancers if lb.network.value is not False]
    if orphans.all_public and waiting:
        return  # the missing listener is on an internet-facing NLB: nothing can break hairpinning
    candidates = [tg for tg, on_api in orphans.target_groups if on_api.value is not False]
    risky = [tg for tg in candidates if breaks(tg).value is not False]
    for tg in risky:
        if orphans.could_complete(tg):
            behind = (
                f"; load balancer(s) without a listener: {', '.join(lb.label for lb in waiting)}"
                if waiting
                else ""
            )
            report.missing(
                tg.resource.urn,
                policy,
                (
                    f"target group '{tg.resource.name}' (port {_port_shown(tg)}) "
                    + ("has targets registered but " if tg.registered else "")
                    + "is on no listener path at preview: the listener that forwards to it is "
                    f"missing{behind}"
                ),
            )
    others = [tg for tg, _ in orphans.target_groups]
    for lb in waiting:
        if (lb.network & lb.internal).value is False or risky or others:
            continue  # the target groups that could be behind it are judged (or are safe)
        report.missing(
            lb.urn,
            policy,
            (
                f"{lb.label} (internal: {_shown_tri(lb.internal)}) has no listener and no target "
                "group at preview: the listener and what it forwards to are missing"
            ),
        )


def _shown_tri(value: Tri) -> str:
    return "unknown" if value.value is None else str(value.value).lower()


def _instance_targets(tg: AwsTargetGroup) -> Tri:
    """Whether the target group registers instances (by type, instance IDs or Auto Scaling)."""
    if tg.auto_scaling or any(
        isinstance(a.target_id, str) and a.target_id.startswith(INSTANCE_ID) for a in tg.attachments
    ):
        return TRUE
    return test(tg.target_type, lambda t: t in (MISSING, "instance"), tg.resource, "targetType")


def check_ip_targets(views: Views, report: Reporter) -> None:
    for front in views.aws:
        lb = front.load_balancer
        for tg, on_path in _hairpin_paths(front):
            instance = test(
                tg.target_type, lambda t: t in (MISSING, "instance"), tg.resource, "targetType"
            )
            shown = (
                "omitted (provider default: instance)"
                if tg.target_type is MISSING
                else str(tg.target_type)
            )
            report.judge(
                on_path & instance,
                tg.resource.urn,
                (
                    f"target group '{tg.resource.name}' behind internal NLB ({lb.label}) has "
                    f"targetType {shown}: internal NLBs do not support hairpinning with instance "
                    "targets, so a kURL primary cannot reach the API through the NLB. Set "
                    'targetType to "ip" and register the primaries\' private IPs.'
                ),
                f"{IP_TARGETS}: target group '{tg.resource.name}' behind {lb.label}",
            )
            for attachment in tg.attachments:
                target = attachment.target_id
                if isinstance(target, str) and target.startswith(INSTANCE_ID):
                    report.judge(
                        on_path,
                        attachment.resource.urn,
                        (
                            f"'{attachment.resource.name}' registers instance ID {target} with "
                            f"internal NLB ({lb.label}, target group '{tg.resource.name}'): "
                            "register the instance's private IP instead (target group targetType "
                            '"ip"), or hairpinning fails.'
                        ),
                        f"{IP_TARGETS}: instance target {target} behind {lb.label}",
                    )
            for group in tg.auto_scaling:
                report.judge(
                    on_path,
                    group.urn,
                    (
                        f"Auto Scaling ({group.resource_type.rsplit(':', 1)[-1]} '{group.name}') "
                        f"registers with target group '{tg.resource.name}' behind internal NLB "
                        f"({lb.label}): Auto Scaling registers instances by instance ID "
                        "(instance target groups only), which internal NLBs cannot hairpin. "
                        'Register the primaries\' private IPs in an "ip" target group instead.'
                    ),
                    f"{IP_TARGETS}: Auto Scaling '{group.name}' behind {lb.label}",
                )
        _unlinked(front, report, IP_TARGETS)
    check_orphans(views.aws_orphans, report, IP_TARGETS, _instance_targets)


def _preserving(tg: AwsTargetGroup) -> tuple[Tri, str]:
    """Whether the target group preserves client IPs, as AWS will apply it, and how to say so."""
    always = test(tg.protocol, lambda p: p in ALWAYS_PRESERVING, tg.resource, "protocol")
    if always.value is True:
        return TRUE, f"protocol {str(tg.protocol).upper()} (client IP preservation always on)"
    if is_unknown(tg.preserve):
        return always | unknown(tg.resource, tg.preserve_prop), ""
    if tg.preserve is True:
        return TRUE, f'{tg.preserve_prop} "true"'
    if tg.preserve is False:
        return always, ""
    by_default = test(
        tg.target_type, lambda t: t in (MISSING, "instance"), tg.resource, "targetType"
    )
    return always | by_default, f"{tg.preserve_prop} omitted (on by default for instance targets)"


def check_no_client_ip_preservation(views: Views, report: Reporter) -> None:
    for front in views.aws:
        lb = front.load_balancer
        for tg, on_path in _hairpin_paths(front):
            preserving, shown = _preserving(tg)
            report.judge(
                on_path & preserving,
                tg.resource.urn,
                (
                    f"target group '{tg.resource.name}' behind internal NLB ({lb.label}) has "
                    f"{shown}: NLBs with client IP preservation do not support hairpinning. Use "
                    'a TCP target group with targetType "ip" and preserveClientIp "false".'
                ),
                f"{NO_PRESERVATION}: target group '{tg.resource.name}' behind {lb.label}",
            )
        _unlinked(front, report, NO_PRESERVATION)
    check_orphans(views.aws_orphans, report, NO_PRESERVATION, lambda tg: _preserving(tg)[0])


_CONFIG = PolicyConfigSchema(properties=API_PORTS_SCHEMA)

aws_internal_nlb_ip_targets = StackValidationPolicy(
    name=IP_TARGETS,
    description=(
        "An internal AWS NLB serving the Kubernetes API registers targets by IP: target groups "
        'use targetType "ip" (omitted means "instance") and no attachment targets an '
        "instance ID. Internal NLBs cannot hairpin with instance targets."
    ),
    validate=stack_validator(check_ip_targets),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_CONFIG,
)

aws_internal_nlb_no_client_ip_preservation = StackValidationPolicy(
    name=NO_PRESERVATION,
    description=(
        "An internal AWS NLB serving the Kubernetes API does not preserve client IPs: set the "
        'target groups\' preserveClientIp to "false" (it defaults to on for instance targets, '
        "and is always on for UDP, TCP_UDP and QUIC). Client IP preservation breaks hairpinning."
    ),
    validate=stack_validator(check_no_client_ip_preservation),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_CONFIG,
)


# --- static addresses and the API's DNS record (issue 21) ----------------------------------------

ADDRESSES = "aws-nlb-addresses-match-scheme"
# Reported under api-open-to-internet (advisory.py), as GCP's public record of an internal LB.
DNS_PUBLIC_ZONE = "api-open-to-internet"


def check_addresses_match_scheme(views: Views, report: Reporter) -> None:
    """Elastic IPs are public addresses, private IPv4 mappings are an internal load balancer's:
    AWS refuses the other combinations at `pulumi up`, after the plan was approved."""
    for m in aws_subnet_mappings(views.index):
        lb = m.load_balancer
        report.judge(
            lb.internal & m.allocation,
            lb.urn,
            (
                f"{lb.label} is internal but its {m.where} has an Elastic IP allocation "
                "(allocationId): an Elastic IP is a public address, which an internal load "
                "balancer cannot have. Remove the allocation, or fix the private address with "
                "privateIpv4Address."
            ),
            f"{ADDRESSES}: {m.where}.allocationId of {lb.label}",
        )
        report.judge(
            ~lb.internal & m.private,
            lb.urn,
            (
                f"{lb.label} is internet-facing but its {m.where} has a privateIpv4Address: only "
                "an internal load balancer takes a private address per subnet. Fix an "
                "internet-facing NLB's addresses with Elastic IPs (allocationId)."
            ),
            f"{ADDRESSES}: {m.where}.privateIpv4Address of {lb.label}",
        )


def check_dns_internal_in_public_zone(views: Views, report: Reporter) -> None:
    """Advisory, under api-open-to-internet (advisory.py): only what is known is reported (a
    zone outside the stack is not judged here; AwsKurlNlb warns about it at deploy, when it has
    looked the zone up)."""
    for alias in aws_dns_aliases(views.index):
        lb = alias.load_balancer
        if (lb.internal & alias.public).value is True and alias.zone is not None:
            report(
                f"Route 53 record '{alias.record.name}' in the public hosted zone "
                f"'{alias.zone.name}' (no vpcs) points at internal {lb.label}: anyone can "
                "resolve the load balancer's private addresses. Use a private hosted zone "
                "associated with the VPC, unless publishing them is intended.",
                alias.record.urn,
            )


aws_nlb_addresses_match_scheme = StackValidationPolicy(
    name=ADDRESSES,
    description=(
        "An AWS load balancer's subnet mappings match its scheme: an Elastic IP allocation "
        "(allocationId) only on an internet-facing one, a privateIpv4Address only on an "
        "internal one."
    ),
    validate=stack_validator(check_addresses_match_scheme),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_CONFIG,
)
