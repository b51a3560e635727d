"""Advisory policies: set-ups that work but deserve a second look."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .discovery import (
    AZURE_NATIVE_LB,
    GCP_BACKEND_SERVICE,
    aws_api_load_balancers,
    azure_api_load_balancers,
    gcp_api_forwarding_rules,
)
from .graph import StackIndex, token_matcher
from .props import API_PORTS_SCHEMA, MISSING, api_ports, as_port, covers, get, items

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


def _aws_range_covers(rule: Any, ports: set[int]) -> bool:
    protocol = str(get(rule, "ipProtocol") or get(rule, "protocol") or "")
    if protocol in ("-1", "all"):
        return True
    low, high = as_port(get(rule, "fromPort")), as_port(get(rule, "toPort"))
    return (
        protocol.lower() in ("tcp", "6")
        and low is not None
        and high is not None
        and any(low <= p <= high for p in ports)
    )


def _open_aws(args: ResourceValidationArgs, ports: set[int]) -> bool:
    props = args.props
    if AWS_SG_INGRESS_RULE.match(args.resource_type):
        sources = {get(props, "cidrIpv4"), get(props, "cidrIpv6")}
        return bool(sources & ANYWHERE) and _aws_range_covers(props, ports)
    if AWS_SG_RULE.match(args.resource_type):
        sources = set(items(props, "cidrBlocks")) | set(items(props, "ipv6CidrBlocks"))
        return (
            get(props, "type") == "ingress"
            and bool(sources & ANYWHERE)
            and _aws_range_covers(props, ports)
        )
    if AWS_SG.match(args.resource_type):
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
    return bool(sources & ANYWHERE) and any(s == "*" or covers(s, ports) for s in port_specs)


def _open_gcp(props: Any, ports: set[int]) -> bool:
    if str(get(props, "direction") or "INGRESS").upper() != "INGRESS":
        return False
    if not set(items(props, "sourceRanges")) & ANYWHERE:
        return False
    for allow in items(props, "allows"):
        protocol = str(get(allow, "protocol") or "").lower()
        port_specs = items(allow, "ports")
        if protocol in ("all", "tcp", "6") and (
            not port_specs or any(covers(s, ports) for s in port_specs)
        ):
            return True
    return False


def _validate_open(args: ResourceValidationArgs, report: ReportViolation) -> None:
    ports = api_ports(args)
    kind = args.resource_type
    if AZURE_SECURITY_RULE.match(kind):
        is_open = _open_azure_rule(args.props, ports)
    elif AZURE_NSG.match(kind):
        is_open = any(_open_azure_rule(r, ports) for r in items(args.props, "securityRules"))
    elif GCP_FIREWALL.match(kind):
        is_open = _open_gcp(args.props, ports)
    else:
        is_open = _open_aws(args, ports)
    if is_open:
        report(
            f"'{args.name}' admits the Kubernetes API port(s) {sorted(ports)} from anywhere "
            "(0.0.0.0/0). List the clients that need the API (workers, admins, CI, the nodes' "
            "egress IPs) instead, unless the API is meant to be public.",
            None,
        )


api_open_to_internet = ResourceValidationPolicy(
    name="api-open-to-internet",
    description=(
        "The Kubernetes API port is reachable from 0.0.0.0/0 (security group, NSG or firewall "
        "rule). Narrow the sources to the clients that need the API."
    ),
    validate=_validate_open,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=_CONFIG,
)


def _validate_deletion_protection(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    ports = api_ports(args)
    for path in aws_api_load_balancers(index, ports):
        lb = path.load_balancer
        if get(lb.props, "enableDeletionProtection") in (MISSING, False):
            report(
                f"load balancer '{lb.name}' serves the Kubernetes API without deletion protection: "
                "a replacement changes the API address every node uses. Set "
                "enableDeletionProtection: true.",
                lb.urn,
            )
    fronts = [
        lb
        for lb in azure_api_load_balancers(index, ports)
        if AZURE_NATIVE_LB.match(lb.resource_type)
    ]
    fronts += gcp_api_forwarding_rules(index, ports)
    for front in fronts:
        if not front.opts.protect:
            report(
                f"'{front.name}' fronts the Kubernetes API without Pulumi protect: a replacement "
                "changes the API address every node uses. Set the resource option protect=True.",
                front.urn,
            )


api_lb_deletion_protection = StackValidationPolicy(
    name="api-lb-deletion-protection",
    description=(
        "The load balancer in front of the Kubernetes API can be deleted or replaced: enable AWS "
        "deletion protection, or Pulumi protect on the Azure LB / GCP forwarding rule."
    ),
    validate=_validate_deletion_protection,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=_CONFIG,
)


def _validate_multi_zone(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    ports = api_ports(args)
    for path in aws_api_load_balancers(index, ports):
        lb = path.load_balancer
        subnets = items(lb.props, "subnets") or items(lb.props, "subnetMappings")
        if len(subnets) == 1:
            report(
                f"load balancer '{lb.name}' lives in a single subnet (one availability zone): the "
                "API goes down with that zone. Give it one subnet per zone of the primaries.",
                lb.urn,
            )
    backends = {
        backend.urn: backend
        for rule in gcp_api_forwarding_rules(index, ports)
        for backend in index.referenced(rule, GCP_BACKEND_SERVICE, "backendService")
    }
    for backend in backends.values():
        if len(items(backend.props, "backends")) == 1:
            report(
                f"backend service '{backend.name}' has a single backend group (one zone): "
                "spread the primaries over zones, one instance group per zone.",
                backend.urn,
            )


api_lb_multi_zone = StackValidationPolicy(
    name="api-lb-multi-zone",
    description=(
        "The load balancer in front of the Kubernetes API spans a single subnet or zone, so the "
        "HA control plane is not highly available across zones."
    ),
    validate=_validate_multi_zone,
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
