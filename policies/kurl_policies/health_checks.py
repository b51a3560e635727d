"""Health checks of API backends are TCP (HTTPS accepted), never HTTP: the API serves TLS only."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .discovery import (
    AZURE_CLASSIC_PROBE,
    AZURE_NATIVE_LB,
    GCP_BACKEND_SERVICE,
    GCP_TARGET_POOL,
    aws_api_target_groups,
    azure_api_load_balancers,
    gcp_api_forwarding_rules,
)
from .graph import StackIndex, token_matcher
from .props import API_PORTS_SCHEMA, MISSING, api_ports, get, is_unknown, items

GCP_HEALTH_CHECK = token_matcher(
    "gcp:compute/healthCheck:HealthCheck",
    "gcp:compute/regionHealthCheck:RegionHealthCheck",
    "gcp:compute/httpHealthCheck:HttpHealthCheck",
    "gcp:compute/httpsHealthCheck:HttpsHealthCheck",
)
GCP_LEGACY_HTTP = token_matcher("gcp:compute/httpHealthCheck:HttpHealthCheck")
GCP_HTTP_KINDS = ("httpHealthCheck", "http2HealthCheck", "grpcHealthCheck")
FIX = "Use a TCP health check on the API port (HTTPS is accepted)."


def _aws(index: StackIndex, ports: set[int], report: ReportViolation) -> None:
    for tg in aws_api_target_groups(index, ports):
        check = get(tg.props, "healthCheck")
        if check is MISSING or is_unknown(check) or get(check, "enabled") is False:
            continue  # no block: AWS uses TCP for TCP target groups
        protocol = get(check, "protocol")
        if is_unknown(protocol) or str(protocol).upper() in ("TCP", "HTTPS"):
            continue
        shown = (
            "omitted, which the provider turns into HTTP when a healthCheck block is given"
            if protocol is MISSING
            else f'"{protocol}"'
        )
        report(
            f"target group '{tg.name}' serves the Kubernetes API with health check protocol "
            f'{shown}. Set healthCheck.protocol to "TCP" (and port "traffic-port").',
            tg.urn,
        )


def _azure(index: StackIndex, ports: set[int], report: ReportViolation) -> None:
    for lb in azure_api_load_balancers(index, ports):
        if AZURE_NATIVE_LB.match(lb.resource_type):
            probes = [(lb, probe) for probe in items(lb.props, "probes")]
        else:
            probes = [
                (p, p.props) for p in index.referrers(lb, AZURE_CLASSIC_PROBE, "loadbalancerId")
            ]
        for owner, probe in probes:
            protocol = get(probe, "protocol")
            if isinstance(protocol, str) and protocol.lower() == "http":
                report(
                    f"load balancer '{lb.name}' serves the Kubernetes API with HTTP probe "
                    f"'{get(probe, 'name') or owner.name}'. {FIX}",
                    owner.urn,
                )


def _gcp_check(hc: PolicyResource) -> str | None:
    if GCP_LEGACY_HTTP.match(hc.resource_type):
        return "a legacy HTTP health check"
    http = [kind for kind in GCP_HTTP_KINDS if get(hc.props, kind) is not MISSING]
    return f"an {http[0]} block" if http else None


def _gcp(index: StackIndex, ports: set[int], report: ReportViolation) -> None:
    seen: set[str] = set()
    for rule in gcp_api_forwarding_rules(index, ports):
        backends = index.referenced(rule, GCP_BACKEND_SERVICE, "backendService")
        backends += index.referenced(rule, GCP_TARGET_POOL, "target")
        for backend in backends:
            for hc in index.referenced(backend, GCP_HEALTH_CHECK, "healthChecks"):
                problem = _gcp_check(hc)
                if problem and hc.urn not in seen:
                    seen.add(hc.urn)
                    report(
                        f"health check '{hc.name}' of '{backend.name}' (behind API forwarding "
                        f"rule '{rule.name}') is {problem}. {FIX}",
                        hc.urn,
                    )


def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    ports = api_ports(args)
    _aws(index, ports, report)
    _azure(index, ports, report)
    _gcp(index, ports, report)


api_health_check_tcp = StackValidationPolicy(
    name="api-health-check-tcp",
    description=(
        "Health checks of Kubernetes API backends are TCP (HTTPS accepted), never HTTP: AWS "
        "target groups (an omitted protocol in a healthCheck block becomes HTTP), Azure probes "
        "and GCP health checks."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
