"""Advisory policies: set-ups that work but deserve a second look."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from .aws import check_dns_internal_in_public_zone
from .discovery import Views, stack_validator
from .graph import token_matcher
from .props import API_PORTS_SCHEMA, as_port, covers, get, is_unknown, items
from .verdict import Reporter
from .view_gcp import record_views

_CONFIG = PolicyConfigSchema(properties=API_PORTS_SCHEMA)
ANYWHERE = {"0.0.0.0/0", "::/0", "*", "Internet", "Any", "any", "internet"}

AWS_SG_INGRESS_RULE = token_matcher("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
AWS_SG_RULE = token_matcher("aws:ec2/securityGroupRule:SecurityGroupRule")
AWS_SG = token_matcher("aws:ec2/securityGroup:SecurityGroup")
AZURE_SECURITY_RULE = token_matcher(
    "azure-native:network:SecurityRule", "azure:network/networkSecurityRule:NetworkSecurityRule"
)
AZURE_NSG = token_matcher("azure-native:network:NetworkSecurityGroup")
GCP_FIREWALL = token_matcher("gcp:compute/firewall:Firewall")
GCP_TARGET_POOL = token_matcher("gcp:compute/targetPool:TargetPool")
OPENINGS = token_matcher(
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:ec2/securityGroup:SecurityGroup",
    "azure-native:network:SecurityRule",
    "azure:network/networkSecurityRule:NetworkSecurityRule",
    "azure-native:network:NetworkSecurityGroup",
    "gcp:compute/firewall:Firewall",
)


def _aws_range_covers(rule: Any, ports: set[int]) -> bool:
    protocol = str(get(rule, "ipProtocol") or get(rule, "protocol") or "")
    if protocol in ("-1", "all"):
        return True
    low, high = as_port(get(rule, "fromPort")), as_port(get(rule, "toPort"))
    return (
        protocol.lower() in ("tcp", "6")
        and isinstance(low, int)
        and isinstance(high, int)
        and any(low <= p <= high for p in ports)
    )


def _open_aws(resource: PolicyResource, ports: set[int]) -> bool:
    props = resource.props
    if AWS_SG_INGRESS_RULE.match(resource.resource_type):
        sources = {get(props, "cidrIpv4"), get(props, "cidrIpv6")}
        return bool(sources & ANYWHERE) and _aws_range_covers(props, ports)
    if AWS_SG_RULE.match(resource.resource_type):
        sources = set(items(props, "cidrBlocks")) | set(items(props, "ipv6CidrBlocks"))
        return (
            get(props, "type") == "ingress"
            and bool(sources & ANYWHERE)
            and _aws_range_covers(props, ports)
        )
    if AWS_SG.match(resource.resource_type):
        return any(
            bool((set(items(r, "cidrBlocks")) | set(items(r, "ipv6CidrBlocks"))) & ANYWHERE)
            and _aws_range_covers(r, ports)
            for r in items(props, "ingress")
        )
    return False


def _open_azure_rule(rule: Any, ports: set[int]) -> bool:
    if str(get(rule, "direction") or "").lower() != "inbound":
        return False
    if str(get(rule, "access") or "").lower() != "allow":
        return False
    sources = {get(rule, "sourceAddressPrefix")} | set(items(rule, "sourceAddressPrefixes"))
    port_specs = [get(rule, "destinationPortRange"), *items(rule, "destinationPortRanges")]
    return bool(sources & ANYWHERE) and any(
        s == "*" or covers(s, ports) is True for s in port_specs
    )


def _open_gcp(props: Any, ports: set[int]) -> bool:
    if str(get(props, "direction") or "INGRESS").upper() != "INGRESS":
        return False
    if not set(items(props, "sourceRanges")) & ANYWHERE:
        return False
    for allow in items(props, "allows"):
        protocol = str(get(allow, "protocol") or "").lower()
        port_specs = items(allow, "ports")
        if protocol in ("all", "tcp", "6") and (
            not port_specs or any(covers(s, ports) is True for s in port_specs)
        ):
            return True
    return False


def _is_open(resource: PolicyResource, ports: set[int]) -> bool:
    kind = resource.resource_type
    if AZURE_SECURITY_RULE.match(kind):
        return _open_azure_rule(resource.props, ports)
    if AZURE_NSG.match(kind):
        return any(_open_azure_rule(r, ports) for r in items(resource.props, "securityRules"))
    if GCP_FIREWALL.match(kind):
        return _open_gcp(resource.props, ports)
    return _open_aws(resource, ports)


def check_open_to_internet(views: Views, report: Reporter) -> None:
    if not views.any_api:
        return  # no load balancer serves the API: the port is someone else's
    ports = views.ports
    for resource in views.index.of_type(OPENINGS):
        if _is_open(resource, ports):
            report(
                f"'{resource.name}' admits the Kubernetes API port(s) {sorted(ports)} from "
                "anywhere (0.0.0.0/0). List the clients that need the API (workers, admins, CI, "
                "the nodes' egress IPs) instead, unless the API is meant to be public.",
                resource.urn,
            )


# --- GCP (#21): a public DNS name for an internal API address ------------------------------------


def check_public_record_of_internal_lb(views: Views, report: Reporter) -> None:
    """A Cloud DNS A record in a public managed zone (in the stack; visibility omitted is
    public) naming an internal load balancer's IP: the internal address is published to the
    world, and resolves for clients that cannot reach it. A zone outside the stack is not known
    here (kurl-lb warns at deploy when it looks the zone up)."""
    for view in record_views(views.index):
        if view.public.value is not True or view.zone is None:
            continue
        targets = ", ".join(f"'{t.name}'" for t in view.internal_targets)
        report(
            f"DNS record '{view.record.name}' in the public managed zone '{view.zone.name}' points "
            f"at the internal load balancer address of {targets}: the internal API address is "
            "published on the Internet and resolves for clients that cannot reach it. Use a "
            "private managed zone (visibility: private) for an internal load balancer.",
            view.record.urn,
        )


def _check_exposure(views: Views, report: Reporter) -> None:
    check_open_to_internet(views, report)
    check_public_record_of_internal_lb(views, report)
    check_dns_internal_in_public_zone(views, report)  # AWS (#21): Route 53, kurl_policies/aws.py


api_open_to_internet = StackValidationPolicy(
    name="api-open-to-internet",
    description=(
        "The Kubernetes API port is reachable from 0.0.0.0/0 (security group, NSG or firewall "
        "rule) in a stack where a load balancer serves the API. Narrow the sources to the "
        "clients that need the API. GCP: a Cloud DNS record in a public zone names an internal "
        "load balancer's address. AWS: a Route 53 alias record in a public hosted zone points "
        "at an internal load balancer."
    ),
    validate=stack_validator(_check_exposure),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=_CONFIG,
)


def check_deletion_protection(views: Views, report: Reporter) -> None:
    for front in views.aws:
        lb = front.load_balancer
        if lb.resource is not None and lb.deletion_protection in (None, False):
            report(
                f"{lb.label} serves the Kubernetes API without deletion protection: a "
                "replacement changes the API address every node uses. Set "
                "enableDeletionProtection: true (aws-native: the deletion_protection.enabled "
                "attribute).",
                lb.urn,
            )
    protectable = [f.load_balancer for f in views.azure] + [f.rule for f in views.gcp]
    for resource in protectable:
        if not resource.opts.protect:
            report(
                f"'{resource.name}' fronts the Kubernetes API without Pulumi protect: a "
                "replacement changes the API address every node uses. Set the resource option "
                "protect=True.",
                resource.urn,
            )


api_lb_deletion_protection = StackValidationPolicy(
    name="api-lb-deletion-protection",
    description=(
        "The load balancer in front of the Kubernetes API can be deleted or replaced: enable AWS "
        "deletion protection, or Pulumi protect on the Azure LB / GCP forwarding rule."
    ),
    validate=stack_validator(check_deletion_protection),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=_CONFIG,
)


def check_multi_zone(views: Views, report: Reporter) -> None:
    for front in views.aws:
        lb = front.load_balancer
        if not is_unknown(lb.subnets) and len(lb.subnets) == 1:
            report(
                f"{lb.label} lives in a single subnet (one availability zone): the API goes down "
                "with that zone. Give it one subnet per zone of the primaries.",
                lb.urn,
            )
    backends = {b.resource.urn: b for f in views.gcp for b in f.backends}
    for backend in backends.values():
        if len(backend.groups) == 1 and not is_unknown(backend.groups[0]):
            report(
                f"backend '{backend.resource.name}' has a single backend group (one zone): "
                "spread the primaries over zones, one instance group per zone.",
                backend.resource.urn,
            )


api_lb_multi_zone = StackValidationPolicy(
    name="api-lb-multi-zone",
    description=(
        "The load balancer in front of the Kubernetes API spans a single subnet or zone, so the "
        "HA control plane is not highly available across zones."
    ),
    validate=stack_validator(check_multi_zone),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=_CONFIG,
)


def _validate_no_target_pools(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if GCP_TARGET_POOL.match(args.resource_type):
        report(
            f"target pool '{args.name}' needs legacy HTTP health checks, which cannot check the "
            "TLS-only Kubernetes API. Use a backend-service-based passthrough NLB "
            "(RegionBackendService with a TCP health check).",
            None,
        )


gcp_no_target_pools = ResourceValidationPolicy(
    name="gcp-no-target-pools",
    description=(
        "GCP target-pool load balancers use legacy health checks; use a backend-service-based "
        "passthrough Network Load Balancer instead."
    ),
    validate=_validate_no_target_pools,
    enforcement_level=EnforcementLevel.ADVISORY,
)
