"""Only Layer 4 in front of the API: kURL needs TCP passthrough (client certificates, hairpin)."""

from __future__ import annotations

from functools import partial
from operator import ne

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationPolicy

from .discovery import Views, stack_validator
from .graph import token_matcher
from .props import API_PORTS_SCHEMA, as_port, get, items
from .verdict import TRUE, Reporter, Tri, any_of, test
from .view_gcp import GLOBAL_BACKEND, front_addresses, proxied

POLICY = "api-layer4-only"
TERMINATING = ("tls", "http", "https", "ssl")  # protocols the load balancer terminates

AZURE_APP_GATEWAY = token_matcher(
    "azure-native:network:ApplicationGateway",
    "azure:network/applicationGateway:ApplicationGateway",
)


def _aws(views: Views, report: Reporter) -> None:
    for front in views.aws:
        lb = front.load_balancer
        serves = any_of(p.serves_api for p in front.paths)
        port = next((p.listener_port for p in front.paths), None)
        kind = "omitted (provider default: application)" if lb.kind_omitted else f'"{lb.kind}"'
        report.judge(
            serves & ~lb.network,
            lb.urn,
            (
                f"{lb.label} has loadBalancerType {kind} and a listener on the API path (port "
                f"{port}): kURL needs a Layer-4 TCP load balancer. Use loadBalancerType "
                '"network" with a TCP listener.'
            ),
            f"{POLICY}: the type of {lb.label}",
        )
        for path in front.paths:
            terminating = test(path.protocol, lambda p: p in TERMINATING, path.listener, "protocol")
            report.judge(
                path.serves_api & lb.network & terminating,
                path.listener.urn,
                (
                    f"listener '{path.listener.name}' of {lb.label} uses protocol "
                    f"{str(path.protocol).upper()} on the API path: the NLB terminates TLS, so "
                    "kube-apiserver never sees client certificates (kubelets, admins). Use a TCP "
                    "listener (TLS passthrough)."
                ),
                f"{POLICY}: the protocol of listener '{path.listener.name}'",
            )
    for elb in views.elb:
        for listener in elb.listeners:
            terminating = test(
                listener.lb_protocol,
                lambda p: p in TERMINATING,
                elb.resource,
                "listeners.lbProtocol",
            ) | test(
                listener.instance_protocol,
                lambda p: p in TERMINATING,
                elb.resource,
                "listeners.instanceProtocol",
            )
            report.judge(
                listener.serves_api & terminating,
                elb.resource.urn,
                (
                    f"classic ELB '{elb.resource.name}' has a {str(listener.lb_protocol).upper()}"
                    f" -> {str(listener.instance_protocol).upper()} listener on the API path "
                    f"({listener.lb_port} -> {listener.instance_port}): it terminates TLS. Use "
                    "TCP listeners, or better an NLB."
                ),
                f"{POLICY}: the listeners of classic ELB '{elb.resource.name}'",
            )
    _aws_orphans(views, report)


def _aws_orphans(views: Views, report: Reporter) -> None:
    """Target groups on an API port that no listener reaches at preview: an HTTP(S) or TLS one
    terminates whatever listener is added; a load balancer without a listener that may not be an
    NLB could become the API's front end."""
    orphans = views.aws_orphans
    candidates = [tg for tg, on_api in orphans.target_groups if on_api.value is not False]
    for tg in candidates:
        layer7 = test(tg.protocol, lambda p: p in TERMINATING, tg.resource, "protocol")
        if layer7.value is not False and orphans.could_complete(tg):
            report.missing(
                tg.resource.urn,
                POLICY,
                (
                    f"target group '{tg.resource.name}' (protocol {str(tg.protocol).upper()}, "
                    "port on the API) is on no listener path at preview: the listener and load "
                    "balancer in front of it are missing"
                ),
            )
    if not candidates:
        return
    for lb in orphans.load_balancers:
        if lb.network.value is not True:
            report.missing(
                lb.urn,
                POLICY,
                (
                    f"{lb.label} (loadBalancerType "
                    f"{'unknown' if lb.network.value is None else lb.kind}) has no listener at "
                    "preview, and target group(s) on the API port ("
                    + ", ".join(f"'{tg.resource.name}'" for tg in candidates)
                    + ") are on no listener path: the listener is missing"
                ),
            )


def _azure(views: Views, report: Reporter, ports: set[int]) -> None:
    for gateway in views.index.of_type(AZURE_APP_GATEWAY):
        props = gateway.props
        front = [as_port(get(p, "port")) for p in items(props, "frontendPorts")]
        back = [
            as_port(get(s, "port"))
            for key in ("backendHttpSettingsCollection", "backendHttpSettings")
            for s in items(props, key)
        ]
        served = sorted({p for p in front + back if p in ports})
        if served:
            report(
                f"application gateway '{gateway.name}' has API port(s) {served} on a path: an "
                "Application Gateway is a Layer-7 proxy. Put a public Standard Azure Load "
                "Balancer in front of the Kubernetes API instead.",
                gateway.urn,
            )


def _gcp(views: Views, report: Reporter) -> None:
    for front in views.gcp:
        rule = front.rule
        for proxy in front.proxies:
            report.judge(
                front.serves_api,
                proxy.urn,
                (
                    f"forwarding rule '{rule.name}' sends the API to proxy '{proxy.name}' "
                    f"({proxy.resource_type.rsplit(':', 1)[-1]}): proxies terminate connections. "
                    "Use a backend-service-based passthrough Network Load Balancer (forwarding "
                    "rule with backendService)."
                ),
                f"{POLICY}: proxy '{proxy.name}'",
            )
        report.judge(
            front.serves_api & front.unresolved,
            rule.urn,
            "",
            f"{POLICY}: what forwarding rule '{rule.name}' forwards to",
        )


def _gcp_addresses(views: Views, report: Reporter) -> None:
    """GCP (#21): a passthrough front end's address is of its forwarding rule's kind: an
    EXTERNAL address on an internal forwarding rule (or the other way round) is no load
    balancer GCP builds, and never the API the nodes were told."""
    for front in views.gcp:
        rule = front.rule
        wanted = "internal" if front.internal else "external"
        for use in front_addresses(views.index, rule):
            kind = use.kind
            mismatch: Tri = test(kind, partial(ne, wanted), use.address, "addressType")
            report.judge(
                front.serves_api & mismatch,
                rule.urn,
                (
                    f"forwarding rule '{rule.name}' ({wanted.upper()} load balancing scheme) "
                    f"serves the API at address '{use.address.name}', which is "
                    f"{str(kind).upper()}: a passthrough load balancer's address is of its "
                    f"scheme. Give it an {wanted.upper()} address"
                    + (" in its subnetwork." if front.internal else ".")
                ),
                f"{POLICY}: the address type of '{use.address.name}'",
            )


def _gcp_orphans(views: Views, report: Reporter) -> None:
    for orphan in views.gcp_orphans:
        backend = orphan.backend
        only_proxy = TRUE if orphan.proxies else proxied(backend.resource)
        if only_proxy.value is False:
            continue
        if orphan.proxies:
            behind = f"proxy {', '.join(repr(p.name) for p in orphan.proxies)} in front of it"
        elif backend.resource.resource_type == GLOBAL_BACKEND:
            behind = "a global backend service: only a proxy can front it"
        else:
            behind = (
                f"protocol {str(backend.protocol or 'omitted (HTTP)').upper()}, scheme "
                f"{str(backend.scheme or 'omitted').upper()}: only a proxy can front it"
            )
        report.missing(
            backend.resource.urn,
            POLICY,
            (
                f"'{backend.resource.name}' may serve the API ({behind}), but no forwarding "
                "rule reaches it at preview: the forwarding rule is missing"
            ),
        )


def check_layer4(views: Views, report: Reporter) -> None:
    _aws(views, report)
    _azure(views, report, views.ports)
    _gcp(views, report)
    _gcp_addresses(views, report)
    _gcp_orphans(views, report)


api_layer4_only = StackValidationPolicy(
    name=POLICY,
    description=(
        "Only Layer-4 passthrough load balancers front the Kubernetes API: AWS application (and "
        "gateway) load balancers, TLS listeners on NLBs, classic ELB HTTP/HTTPS/SSL listeners, "
        "Azure Application Gateways and GCP HTTP(S)/SSL/TCP/gRPC proxies are rejected on API "
        "paths. Use an AWS NLB with TCP listeners, a public Standard Azure LB or a GCP "
        "passthrough NLB."
    ),
    validate=stack_validator(check_layer4),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
