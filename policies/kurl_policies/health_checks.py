"""Health checks on API paths are TCP (TLS/HTTPS accepted), never HTTP, HTTP/2 or gRPC: the API
serves TLS only. Only health checks on an API path are judged, never because of their own port."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationPolicy

from .azure import candidates_verdict
from .discovery import Views, stack_validator
from .props import API_PORTS_SCHEMA, MISSING, enum
from .verdict import Reporter, test

POLICY = "api-health-check-tcp"
FIX = "Use a TCP health check on the API port (HTTPS is accepted)."
AWS_OK = ("tcp", "https")
GCP_OK = ("tcp", "ssl", "https", "legacy https")


def _aws(views: Views, report: Reporter) -> None:
    for front in views.aws:
        for path in front.paths:
            tg = path.target_group
            if tg is None or tg.health_protocol is None:
                continue  # no healthCheck block: AWS checks TCP target groups over TCP
            bad = test(tg.health_protocol, lambda p: p not in AWS_OK, tg.resource, "healthCheck")
            report.judge(
                path.serves_api & bad,
                tg.resource.urn,
                (
                    f"target group '{tg.resource.name}' serves the Kubernetes API with "
                    f'{tg.health_shown}. Set the health check protocol to "TCP" (and port '
                    '"traffic-port").'
                ),
                f"{POLICY}: the health check of target group '{tg.resource.name}'",
            )
    orphans = views.aws_orphans
    for tg, on_api in orphans.target_groups:
        if on_api.value is False or tg.health_protocol is None or not orphans.could_complete(tg):
            continue
        bad = test(tg.health_protocol, lambda p: p not in AWS_OK, tg.resource, "healthCheck")
        if bad.value is not False:
            report.missing(
                tg.resource.urn,
                POLICY,
                (
                    f"target group '{tg.resource.name}' ({tg.health_shown or 'unknown'}"
                    ") is on an API port but on no listener path at preview: "
                    "the listener that forwards to it is missing"
                ),
            )
    for elb in views.elb:
        target = elb.health_target
        bad = test(
            enum(target),
            lambda t: t is not None and str(t).split(":")[0] == "http",
            elb.resource,
            "healthCheck.target",
        )
        serves = elb.listeners[0].serves_api
        for listener in elb.listeners[1:]:
            serves = serves | listener.serves_api
        report.judge(
            serves & bad,
            elb.resource.urn,
            (
                f"classic ELB '{elb.resource.name}' serves the Kubernetes API with health check "
                f'target "{target}". Use "TCP:<api port>" or "SSL:<api port>".'
            ),
            f"{POLICY}: the health check of classic ELB '{elb.resource.name}'",
        )


def _azure(views: Views, report: Reporter) -> None:
    for front in views.azure:
        lb = front.load_balancer
        for rule in front.rules:
            probes, link = front.probes_of(rule)
            verdicts = [
                test(p.protocol, lambda x: x == "http", p.owner, "protocol") for p in probes
            ]
            bad = candidates_verdict(verdicts, link)
            owner = probes[0].owner if len(probes) == 1 else lb
            names = ", ".join(str(p.name) for p in probes if p.protocol == "http")
            report.judge(
                rule.serves_api & bad,
                owner.urn,
                (
                    f"load balancer '{lb.name}' serves the Kubernetes API with HTTP probe "
                    f"'{names}'. {FIX}"
                ),
                f"{POLICY}: the probe of an API rule of load balancer '{lb.name}'",
            )
    for front in views.azure_ruleless:
        lb = front.load_balancer
        for api_probe in front.api_probes(views.ports):
            bad = test(api_probe.protocol, lambda x: x == "http", api_probe.owner, "protocol")
            if bad.value is not False:
                report.missing(
                    api_probe.owner.urn,
                    POLICY,
                    (
                        f"probe '{api_probe.name}' ({str(api_probe.protocol).upper()}) of load "
                        f"balancer '{lb.name}' checks the API port, but the load balancer has "
                        "no rule at preview: the rules are missing"
                    ),
                )
    for piece in views.azure_unlinked:
        if piece.probe is None:
            continue
        probe = piece.probe
        on_api = test(probe.port, lambda p: p in views.ports, probe.owner, "port")
        bad = test(probe.protocol, lambda x: x == "http", probe.owner, "protocol")
        report.judge(
            on_api & bad & piece.link,
            probe.owner.urn,
            "",
            f"{POLICY}: the load balancer of probe '{probe.name}'",
        )


def _gcp(views: Views, report: Reporter) -> None:
    for front in views.gcp:
        for backend in front.backends:
            for hc in backend.health_checks:
                bad = test(
                    hc.kind, lambda k: k is not None and k not in GCP_OK, hc.resource, hc.block
                )
                report.judge(
                    front.serves_through(backend) & bad,
                    hc.resource.urn,
                    (
                        f"health check '{hc.resource.name}' of '{backend.resource.name}' (behind "
                        f"API forwarding rule '{front.rule.name}') is "
                        + (
                            "a legacy HTTP health check"
                            if hc.kind == "legacy http"
                            else f"an {hc.block} block ({str(hc.kind).upper()})"
                        )
                        + f". {FIX}"
                    ),
                    f"{POLICY}: health check '{hc.resource.name}'",
                )
            report.judge(
                front.serves_through(backend) & backend.unresolved_health_checks,
                backend.resource.urn,
                "",
                f"{POLICY}: the health checks of '{backend.resource.name}'",
            )
    for orphan in views.gcp_orphans:
        backend = orphan.backend
        for hc in backend.health_checks:
            if hc.kind is MISSING or hc.kind in GCP_OK:
                continue
            report.missing(
                hc.resource.urn,
                POLICY,
                (
                    f"health check '{hc.resource.name}' ({hc.block or 'kind'}: "
                    f"{str(hc.kind).upper()}) of '{backend.resource.name}', which may serve the "
                    "API, but no forwarding rule reaches it at preview: the forwarding rule is "
                    "missing"
                ),
            )
        report.judge(
            backend.unresolved_health_checks,
            backend.resource.urn,
            "",
            f"{POLICY}: the health checks of '{backend.resource.name}'",
        )


def check_health_checks(views: Views, report: Reporter) -> None:
    _aws(views, report)
    _azure(views, report)
    _gcp(views, report)


api_health_check_tcp = StackValidationPolicy(
    name=POLICY,
    description=(
        "Health checks on Kubernetes API paths are TCP (TLS/HTTPS accepted), never HTTP, HTTP/2 "
        "or gRPC: AWS target groups (an omitted protocol in a healthCheck block becomes HTTP) "
        "and classic ELBs, Azure probes, GCP health checks."
    ),
    validate=stack_validator(check_health_checks),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
