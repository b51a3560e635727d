"""Only Layer 4 in front of the API: kURL needs TCP passthrough (client certificates, hairpin)."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .discovery import aws_api_load_balancers, gcp_api_forwarding_rules
from .graph import StackIndex, token_matcher
from .props import API_PORTS_SCHEMA, MISSING, api_ports, as_port, get, is_unknown, items

AZURE_APP_GATEWAY = token_matcher(
    "azure-native:network:ApplicationGateway",
    "azure:network/applicationGateway:ApplicationGateway",
)
GCP_PROXY = token_matcher(
    "gcp:compute/targetHttpProxy:TargetHttpProxy",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    "gcp:compute/targetSSLProxy:TargetSSLProxy",
    "gcp:compute/targetTCPProxy:TargetTCPProxy",
    "gcp:compute/targetGrpcProxy:TargetGrpcProxy",
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy",
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
    "gcp:compute/regionTargetTcpProxy:RegionTargetTcpProxy",
)


def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    ports = api_ports(args)
    for path in aws_api_load_balancers(index, ports):
        lb = path.load_balancer
        kind = get(lb.props, "loadBalancerType")
        if is_unknown(kind) or kind == "network":
            continue
        shown = "omitted (provider default: application)" if kind is MISSING else f'"{kind}"'
        report(
            f"load balancer '{lb.name}' has loadBalancerType {shown} and a listener on API port "
            f"{get(path.listener.props, 'port')}: kURL needs a Layer-4 TCP load balancer. Use "
            'loadBalancerType "network" with a TCP listener.',
            lb.urn,
        )
    for gateway in index.of_type(AZURE_APP_GATEWAY):
        served = sorted(
            {
                p
                for p in (as_port(get(fp, "port")) for fp in items(gateway.props, "frontendPorts"))
                if p in ports
            }
        )
        if served:
            report(
                f"application gateway '{gateway.name}' listens on API port(s) {served}: an "
                "Application Gateway is a Layer-7 proxy. Put a public Standard Azure Load Balancer "
                "in front of the Kubernetes API instead.",
                gateway.urn,
            )
    for rule in gcp_api_forwarding_rules(index, ports):
        for proxy in index.referenced(rule, GCP_PROXY, "target"):
            report(
                f"forwarding rule '{rule.name}' sends the API port to proxy '{proxy.name}' "
                f"({proxy.resource_type.rsplit(':', 1)[-1]}): proxies terminate connections. Use a "
                "backend-service-based passthrough Network Load Balancer (forwarding rule with "
                "backendService).",
                proxy.urn,
            )


api_layer4_only = StackValidationPolicy(
    name="api-layer4-only",
    description=(
        "Only Layer-4 load balancers front the Kubernetes API: AWS application (and gateway) "
        "load balancers, Azure Application Gateways and GCP HTTP(S)/SSL/TCP proxies are "
        "rejected on API ports. Use an AWS NLB, a public Standard Azure LB or a GCP passthrough "
        "NLB."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
