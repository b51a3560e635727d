"""Every mandatory rule in-process, as pulumi-policy's own tests run policies:
`policy.validate(args, report)` on StackValidationArgs built from a recorded program (see
tests/policy_harness.py). Each rule in both directions (violated, passing), with values known
and unknown at preview: a rule whose verdict depends on an unknown value reports "cannot verify at
preview" naming the resource and property; one whose verdict does not, stays silent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pulumi_aws_native as aws_native
import pulumi_azure as azure_classic
import pulumi_azure_native as azure_native
import pulumi_gcp as gcp
import pytest

from offline.analyzer import UNVERIFIED_MARKER
from tests.policy_harness import Finding, run_policy

from kurl_policies.aws import (  # isort: skip
    aws_internal_nlb_ip_targets,
    aws_internal_nlb_no_client_ip_preservation,
)
from kurl_policies.azure import azure_lb_public_standard  # isort: skip
from kurl_policies.health_checks import api_health_check_tcp  # isort: skip
from kurl_policies.layer4 import api_layer4_only  # isort: skip
from kurl_policies.props import UNKNOWN, as_bool, as_port, covers, enum, get  # isort: skip
from kurl_policies.verdict import FALSE, TRUE, UNVERIFIED, Tri  # isort: skip

Program = Callable[[], None]


class computed:
    """A value computed from a new resource's output: unknown during preview. Made inside the
    program (`live`), since resources can only be registered while a program runs."""

    def __init__(self, value: Any) -> None:
        self.value = value


def live(value: Any) -> Any:
    if isinstance(value, computed):
        source = aws.ssm.Parameter(f"src-{id(value)}", type="String", value="x")
        return source.arn.apply(lambda _: value.value)
    if isinstance(value, dict):
        return {k: live(v) for k, v in value.items()}
    if isinstance(value, list):
        return [live(v) for v in value]
    return value


def nlb(
    *,
    internal: Any = True,
    lb_type: Any = "network",
    listener_port: Any = 6443,
    listener_protocol: Any = "TCP",
    **tg: Any,
) -> Program:
    def program() -> None:
        lb = aws.lb.LoadBalancer(
            "api", load_balancer_type=live(lb_type), internal=live(internal), subnets=["s-1"]
        )
        args = {"port": 6443, "protocol": "TCP", "vpc_id": "vpc-1", **live(tg)}
        group = aws.lb.TargetGroup("api", **args)
        aws.lb.Listener(
            "api",
            load_balancer_arn=lb.arn,
            port=live(listener_port),
            protocol=listener_protocol,
            default_actions=[{"type": "forward", "target_group_arn": group.arn}],
        )

    return program


def summary(findings: list[Finding]) -> list[tuple[str, bool]]:
    return sorted((f.name, f.unverified) for f in findings)


V, U = False, True  # a violation, an unverified result

CASES: list[tuple[str, Any, Program, list[tuple[str, bool]]]] = [
    # aws-internal-nlb-ip-targets
    ("ip: default instance", aws_internal_nlb_ip_targets, nlb(), [("api", V)]),
    ("ip: ip targets", aws_internal_nlb_ip_targets, nlb(target_type="ip"), []),
    ("ip: public", aws_internal_nlb_ip_targets, nlb(internal=False), []),
    ("ip: internal 'true'", aws_internal_nlb_ip_targets, nlb(internal="true"), [("api", V)]),
    (
        "ip: internal unknown",
        aws_internal_nlb_ip_targets,
        nlb(internal=computed(True)),
        [("api", U)],
    ),
    (
        "ip: internal unknown, ip targets",
        aws_internal_nlb_ip_targets,
        nlb(internal=computed(True), target_type="ip"),
        [],
    ),
    (
        "ip: type unknown",
        aws_internal_nlb_ip_targets,
        nlb(target_type=computed("ip")),
        [("api", U)],
    ),
    ("ip: 443 -> 6443", aws_internal_nlb_ip_targets, nlb(listener_port=443), [("api", V)]),
    ("ip: 443 -> 8443", aws_internal_nlb_ip_targets, nlb(listener_port=443, port=8443), []),
    (
        "ip: port unknown",
        aws_internal_nlb_ip_targets,
        nlb(listener_port=computed(6443), port=8443),
        [("api", U)],
    ),
    (
        "ip: port '6443'",
        aws_internal_nlb_ip_targets,
        nlb(listener_port="6443", port="8443"),
        [("api", V)],
    ),
    # aws-internal-nlb-no-client-ip-preservation
    (
        "preserve: 'true'",
        aws_internal_nlb_no_client_ip_preservation,
        nlb(target_type="ip", preserve_client_ip="true"),
        [("api", V)],
    ),
    (
        "preserve: 'False'",
        aws_internal_nlb_no_client_ip_preservation,
        nlb(target_type="ip", preserve_client_ip="False"),
        [],
    ),
    (
        "preserve: UDP",
        aws_internal_nlb_no_client_ip_preservation,
        nlb(target_type="ip", protocol="UDP", preserve_client_ip="false"),
        [("api", V)],
    ),
    (
        "preserve: unknown",
        aws_internal_nlb_no_client_ip_preservation,
        nlb(target_type="ip", preserve_client_ip=computed("false")),
        [("api", U)],
    ),
    (
        "preserve: unknown, public",
        aws_internal_nlb_no_client_ip_preservation,
        nlb(internal=False, preserve_client_ip=computed("true")),
        [],
    ),
    # api-layer4-only
    ("l4: ALB", api_layer4_only, nlb(lb_type="application"), [("api", V)]),
    ("l4: omitted type", api_layer4_only, nlb(lb_type=None), [("api", V)]),
    ("l4: NLB TCP", api_layer4_only, nlb(), []),
    ("l4: NLB TLS", api_layer4_only, nlb(listener_protocol="tls"), [("api", V)]),
    ("l4: type unknown", api_layer4_only, nlb(lb_type=computed("network")), [("api", U)]),
    (
        "l4: ALB on another port",
        api_layer4_only,
        nlb(lb_type="application", listener_port=443, port=8080),
        [],
    ),
    # api-health-check-tcp
    ("hc: HTTP", api_health_check_tcp, nlb(health_check={"protocol": "HTTP"}), [("api", V)]),
    (
        "hc: omitted in block",
        api_health_check_tcp,
        nlb(health_check={"port": "traffic-port"}),
        [("api", V)],
    ),
    ("hc: tcp", api_health_check_tcp, nlb(health_check={"protocol": "tcp"}), []),
    (
        "hc: unknown",
        api_health_check_tcp,
        nlb(health_check={"protocol": computed("HTTP")}),
        [("api", U)],
    ),
    (
        "hc: HTTP off the API path",
        api_health_check_tcp,
        nlb(listener_port=443, port=8080, health_check={"protocol": "HTTP"}),
        [],
    ),
]


def azure(frontend: Any, *, sku: Any = "Standard", probe: Any = "Tcp", port: Any = 6443) -> Program:
    lb_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/api"

    def program() -> None:
        network = azure_native.network
        subnet = {"id": "/subscriptions/s/subnets/primaries"}
        frontends: Any = (
            {
                "private": [{"name": "fe", "subnet": subnet}],
                "public": [{"name": "fe", "public_ip_address": {"id": "/subscriptions/s/pip"}}],
            }[frontend]
            if isinstance(frontend, str)
            else live(frontend)
        )
        network.LoadBalancer(
            "api",
            resource_group_name="rg",
            sku={"name": live(sku)},
            frontend_ip_configurations=frontends,
            probes=[{"name": "p", "protocol": live(probe), "port": 6443}],
            load_balancing_rules=[
                {
                    "name": "api",
                    "protocol": "Tcp",
                    "frontend_port": live(port),
                    "backend_port": live(port),
                    "frontend_ip_configuration": {"id": f"{lb_id}/frontendIPConfigurations/fe"},
                    "probe": {"id": f"{lb_id}/probes/p"},
                }
            ],
        )

    return program


def gcp_lb(hc_block: str, *, ports: Any = ("6443",), scheme: str = "EXTERNAL") -> Program:
    def program() -> None:
        checks: dict[str, Any] = {hc_block: {"port": 6443}}
        hc = gcp.compute.RegionHealthCheck("hc", **checks)
        backend = gcp.compute.RegionBackendService(
            "api", protocol="TCP", load_balancing_scheme=scheme, health_checks=hc.id
        )
        gcp.compute.ForwardingRule(
            "api", backend_service=backend.id, ports=list(ports), load_balancing_scheme=scheme
        )

    return program


CASES += [
    ("az: private", azure_lb_public_standard, azure("private"), [("api", V)]),
    ("az: public", azure_lb_public_standard, azure("public"), []),
    ("az: basic", azure_lb_public_standard, azure("public", sku="Basic"), [("api", V)]),
    ("az: 'standard'", azure_lb_public_standard, azure("public", sku="standard"), []),
    (
        "az: sku unknown",
        azure_lb_public_standard,
        azure("public", sku=computed("Standard")),
        [("api", U)],
    ),
    (
        "az: frontends unknown",
        azure_lb_public_standard,
        azure(computed([{"name": "fe"}])),
        [("api", U)],
    ),
    ("az: private, other port", azure_lb_public_standard, azure("private", port=443), []),
    (
        "az: private, port unknown",
        azure_lb_public_standard,
        azure("private", port=computed(6443)),
        [("api", U)],
    ),
    ("az probe: Http", api_health_check_tcp, azure("public", probe="Http"), [("api", V)]),
    ("az probe: HTTP upper", api_health_check_tcp, azure("public", probe="HTTP"), [("api", V)]),
    ("az probe: Tcp", api_health_check_tcp, azure("public"), []),
    (
        "az probe: unknown",
        api_health_check_tcp,
        azure("public", probe=computed("Http")),
        [("api", U)],
    ),
    ("gcp hc: grpc", api_health_check_tcp, gcp_lb("grpc_health_check"), [("hc", V)]),
    ("gcp hc: http2", api_health_check_tcp, gcp_lb("http2_health_check"), [("hc", V)]),
    ("gcp hc: tcp", api_health_check_tcp, gcp_lb("tcp_health_check"), []),
    (
        "gcp hc: http, other port",
        api_health_check_tcp,
        gcp_lb("http_health_check", ports=("80",)),
        [],
    ),
    (
        "gcp hc: http, no ports",
        api_health_check_tcp,
        gcp_lb("http_health_check", ports=()),
        [("hc", V)],
    ),
    (
        "gcp hc: http, internal no ports",
        api_health_check_tcp,
        gcp_lb("http_health_check", ports=(), scheme="INTERNAL"),
        [("hc", V)],
    ),
]


def test_the_gate_and_the_pack_share_the_marker() -> None:
    assert UNVERIFIED_MARKER == UNVERIFIED


def test_values_are_read_as_the_provider_reads_them() -> None:
    assert as_bool("TRUE") is True and as_bool("false") is False and as_bool(UNKNOWN) is UNKNOWN
    assert as_port("6443") == 6443 and as_port(6443.0) == 6443 and as_port("http") is None
    assert enum("Tcp") == "tcp" and covers("6000-7000", {6443}) is True
    assert covers(UNKNOWN, {6443}) is UNKNOWN and get({"a": {"b": 1}}, "a", "c") is None


def test_three_valued_logic() -> None:
    unknown = Tri(None, ("x",))
    assert (FALSE & unknown) is FALSE and (TRUE | unknown) is TRUE
    assert (TRUE & unknown).unknown == ("x",) and (~unknown).value is None
    with pytest.raises(TypeError):
        bool(unknown)


# --- issue 24: every category on every API shape ----------------------------------------------
# A front-end piece created inside an `.apply` over an unknown (`in_apply`) does not exist at
# preview: what it would complete is "cannot verify"; at `pulumi up` the apply runs and the real
# verdict comes (test_unverified_becomes_a_verdict_when_known runs every U case as an update).


def in_apply(source: Any, make: Callable[[Any], Any]) -> None:
    """Create a resource inside an apply over `source` (unknown at preview)."""
    source.apply(make)


def aws_missing_listener(
    *,
    internal: Any = True,
    native: bool = False,
    targets: Any = ("i-0123456789abcdef0",),
    listener: bool = False,
    port: int = 6443,
    **tg: Any,
) -> Program:
    """An NLB whose listener is created in lb.arn.apply (or, `listener`, not at all); a target
    group on 6443 with attachments (aws-native: inline targets)."""

    def program() -> None:
        if native:
            lb: Any = aws_native.elasticloadbalancingv2.LoadBalancer(
                "api", type="network", scheme="internal" if internal else "internet-facing"
            )
            group: Any = aws_native.elasticloadbalancingv2.TargetGroup(
                "api",
                port=6443,
                protocol="TCP",
                vpc_id="vpc-1",
                targets=[{"id": t} for t in targets],
                **tg,
            )
        else:
            lb = aws.lb.LoadBalancer(
                "api", load_balancer_type="network", internal=live(internal), subnets=["s-1"]
            )
            group = aws.lb.TargetGroup("api", port=port, protocol="TCP", vpc_id="vpc-1", **tg)
            for i, target in enumerate(targets):
                aws.lb.TargetGroupAttachment(
                    f"primary-{i}", target_group_arn=group.arn, target_id=target
                )
        make = aws_native.elasticloadbalancingv2.Listener if native else aws.lb.Listener
        if not listener:
            in_apply(
                lb.id,
                lambda _: make(
                    "api",
                    load_balancer_arn=lb.id if native else lb.arn,
                    port=6443,
                    protocol="TCP",
                    default_actions=[
                        {"type": "forward", "target_group_arn": group.id if native else group.arn}
                    ],
                ),
            )

    return program


def aws_auto_scaling(how: str, *, internal: Any = True, target_type: Any = None) -> Program:
    """An internal NLB on 6443 whose target group Auto Scaling registers with."""

    def program() -> None:
        if how == "native":
            lb: Any = aws_native.elasticloadbalancingv2.LoadBalancer(
                "api", type="network", scheme="internal" if internal else "internet-facing"
            )
            group: Any = aws_native.elasticloadbalancingv2.TargetGroup(
                "api",
                port=6443,
                protocol="TCP",
                vpc_id="vpc-1",
                target_type=target_type,
                target_group_attributes=[{"key": "preserve_client_ip.enabled", "value": "false"}],
            )
            aws_native.elasticloadbalancingv2.Listener(
                "api",
                load_balancer_arn=lb.id,
                port=6443,
                protocol="TCP",
                default_actions=[{"type": "forward", "target_group_arn": group.id}],
            )
            aws_native.autoscaling.AutoScalingGroup(
                "primaries", max_size="3", min_size="3", target_group_arns=[group.id]
            )
            return
        lb = aws.lb.LoadBalancer(
            "api", load_balancer_type="network", internal=live(internal), subnets=["s-1"]
        )
        group = aws.lb.TargetGroup(
            "api",
            port=6443,
            protocol="TCP",
            vpc_id="vpc-1",
            target_type=target_type,
            preserve_client_ip="false",
        )
        aws.lb.Listener(
            "api",
            load_balancer_arn=lb.arn,
            port=6443,
            protocol="TCP",
            default_actions=[{"type": "forward", "target_group_arn": group.arn}],
        )
        if how == "group":
            aws.autoscaling.Group(
                "primaries", max_size=3, min_size=3, target_group_arns=[group.arn]
            )
            return
        asg = aws.autoscaling.Group("primaries", max_size=3, min_size=3)
        if how == "attachment":
            aws.autoscaling.Attachment(
                "join", autoscaling_group_name=asg.name, lb_target_group_arn=group.arn
            )
        else:
            aws.autoscaling.TrafficSourceAttachment(
                "join",
                autoscaling_group_name=asg.name,
                traffic_source={"identifier": group.arn, "type": "elbv2"},
            )

    return program


def alb_missing_listener(protocol: str = "HTTP") -> Program:
    def program() -> None:
        lb: Any = aws.lb.LoadBalancer("web", load_balancer_type="application", subnets=["s-1"])
        group: Any = aws.lb.TargetGroup("api", port=6443, protocol=protocol, vpc_id="vpc-1")
        aws.lb.TargetGroupAttachment("primary", target_group_arn=group.arn, target_id="10.0.1.1")
        in_apply(
            lb.arn,
            lambda _: aws.lb.Listener(
                "web",
                load_balancer_arn=lb.arn,
                port=443,
                protocol="HTTPS",
                default_actions=[{"type": "forward", "target_group_arn": group.arn}],
            ),
        )

    return program


CASES += [
    # aws: a listener created inside an apply
    (
        "missing listener: instance TG",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(),
        [("api", U)],
    ),
    (
        "missing listener: preserving",
        aws_internal_nlb_no_client_ip_preservation,
        aws_missing_listener(target_type="ip", targets=["10.0.1.1"], preserve_client_ip="true"),
        [("api", U)],
    ),
    (
        "missing listener: safe TG",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(target_type="ip", preserve_client_ip="false", targets=["10.0.1.1"]),
        [],
    ),
    (
        "missing listener: public NLB",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(internal=False),
        [],
    ),
    (
        "missing listener: scheme unknown",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(internal=computed(True)),
        [("api", U)],
    ),
    (
        "missing listener: nothing behind the internal NLB",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(targets=(), listener=True, port=8443),
        [],
    ),
    (
        "missing listener: aws-native",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(native=True),
        [("api", U)],
    ),
    (
        "missing listener: aws-native, ip",
        aws_internal_nlb_ip_targets,
        aws_missing_listener(native=True, target_type="ip", targets=["10.0.1.1"]),
        [],
    ),
    (
        "missing listener: HTTP health check",
        api_health_check_tcp,
        aws_missing_listener(health_check={"protocol": "HTTP"}),
        [("api", U)],
    ),
    (
        "missing listener: TCP health check",
        api_health_check_tcp,
        aws_missing_listener(health_check={"protocol": "TCP"}),
        [],
    ),
    ("missing listener: ALB", api_layer4_only, alb_missing_listener(), [("api", U), ("web", U)]),
    ("missing listener: ALB, TCP TG", api_layer4_only, alb_missing_listener("TCP"), [("web", U)]),
    # aws: Auto Scaling registers instance IDs
    (
        "asg: Attachment",
        aws_internal_nlb_ip_targets,
        aws_auto_scaling("attachment"),
        [("api", V), ("join", V)],
    ),
    (
        "asg: target_group_arns",
        aws_internal_nlb_ip_targets,
        aws_auto_scaling("group", target_type="ip"),
        [("primaries", V)],
    ),
    (
        "asg: traffic source",
        aws_internal_nlb_ip_targets,
        aws_auto_scaling("traffic", target_type="ip"),
        [("join", V)],
    ),
    (
        "asg: aws-native",
        aws_internal_nlb_ip_targets,
        aws_auto_scaling("native", target_type="ip"),
        [("primaries", V)],
    ),
    (
        "asg: public",
        aws_internal_nlb_ip_targets,
        aws_auto_scaling("attachment", internal=False),
        [],
    ),
    (
        "asg: scheme unknown",
        aws_internal_nlb_ip_targets,
        aws_auto_scaling("group", internal=computed(True), target_type="ip"),
        [("primaries", U)],
    ),
]


LB_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/api"
SUBNET = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/p"
)


def azure_nat(
    shape: str,
    *,
    private: bool = True,
    backend_port: Any = 6443,
    frontend: Any = None,
) -> Program:
    """An Azure LB with no load-balancing rule, only an inbound NAT rule or pool to the primaries.

    shape: "inline" (azure-native inboundNatRules, a NIC joining it), "inline-pool"
    (inboundNatPools), "resource" (azure-native InboundNatRule, a frontend port range over a
    pool), "classic" (lb.NatRule with NetworkInterfaceNatRuleAssociation), "classic-pool"
    (lb.NatPool)."""

    def program() -> None:
        port = live(backend_port)
        if shape.startswith("classic"):
            fe: Any = {"name": "fe", "subnet_id": live(frontend) if frontend else SUBNET}
            if not private:
                fe = {"name": "fe", "public_ip_address_id": "/subscriptions/s/pip"}
            lb: Any = azure_classic.lb.LoadBalancer(
                "api", resource_group_name="rg", sku="Standard", frontend_ip_configurations=[fe]
            )
            common: dict[str, Any] = {
                "resource_group_name": "rg",
                "loadbalancer_id": lb.id,
                "protocol": "Tcp",
                "backend_port": port,
                "frontend_ip_configuration_name": "fe",
            }
            if shape == "classic-pool":
                azure_classic.lb.NatPool(
                    "api", frontend_port_start=50000, frontend_port_end=50099, **common
                )
                return
            nat_rule = azure_classic.lb.NatRule("api", frontend_port=50001, **common)
            azure_classic.network.NetworkInterfaceNatRuleAssociation(
                "primary",
                network_interface_id="/nic",
                ip_configuration_name="ip",
                nat_rule_id=nat_rule.id,
            )
            return
        fe = {"name": "fe", "subnet": {"id": live(frontend) if frontend else SUBNET}}
        if not private:
            fe = {"name": "fe", "public_ip_address": {"id": "/subscriptions/s/pip"}}
        fe_ref = {"id": f"{LB_ID}/frontendIPConfigurations/fe"}
        nat: dict[str, Any] = {
            "name": "api",
            "protocol": "Tcp",
            "backend_port": port,
            "frontend_ip_configuration": fe_ref,
        }
        inline: dict[str, Any] = {}
        if shape == "inline":
            inline["inbound_nat_rules"] = [{**nat, "frontend_port": 50001}]
        if shape == "inline-pool":
            del nat["name"]
            inline["inbound_nat_pools"] = [
                {
                    **nat,
                    "name": "api",
                    "frontend_port_range_start": 50000,
                    "frontend_port_range_end": 50099,
                }
            ]
        lb = azure_native.network.LoadBalancer(
            "api",
            load_balancer_name="api",
            resource_group_name="rg",
            sku={"name": "Standard"},
            frontend_ip_configurations=[fe],
            backend_address_pools=[{"name": "primaries"}],
            **inline,
        )
        if shape == "inline":
            azure_native.network.NetworkInterface(
                "primary",
                resource_group_name="rg",
                ip_configurations=[
                    {
                        "name": "ip",
                        "load_balancer_inbound_nat_rules": [
                            {"id": lb.id.apply(lambda i: f"{i}/inboundNatRules/api")}
                        ],
                    }
                ],
            )
        if shape == "resource":
            azure_native.network.InboundNatRule(
                "api",
                resource_group_name="rg",
                load_balancer_name=lb.name,
                frontend_port_range_start=50000,
                frontend_port_range_end=50099,
                backend_address_pool={"id": f"{LB_ID}/backendAddressPools/primaries"},
                **{k: v for k, v in nat.items() if k != "name"},
            )

    return program


def azure_missing_rule(
    *, classic: bool = False, private: bool = True, probe: str = "Tcp", probe_port: int = 6443
) -> Program:
    """An Azure LB whose load-balancing rule is created in lb.id.apply: it has a probe, no rule."""

    def program() -> None:
        if classic:
            fe: Any = {"name": "fe", "subnet_id": SUBNET}
            if not private:
                fe = {"name": "fe", "public_ip_address_id": "/subscriptions/s/pip"}
            lb: Any = azure_classic.lb.LoadBalancer(
                "api", resource_group_name="rg", sku="Standard", frontend_ip_configurations=[fe]
            )
            azure_classic.lb.Probe("probe", loadbalancer_id=lb.id, protocol=probe, port=probe_port)
        else:
            fe = {"name": "fe", "subnet": {"id": SUBNET}}
            if not private:
                fe = {"name": "fe", "public_ip_address": {"id": "/subscriptions/s/pip"}}
            lb = azure_native.network.LoadBalancer(
                "api",
                resource_group_name="rg",
                sku={"name": "Standard"},
                frontend_ip_configurations=[fe],
                probes=[{"name": "probe", "protocol": probe, "port": probe_port}],
            )
        in_apply(
            lb.id,
            lambda _: azure_classic.lb.Rule(
                "api",
                loadbalancer_id=lb.id,
                protocol="Tcp",
                frontend_port=6443,
                backend_port=6443,
                frontend_ip_configuration_name="fe",
            ),
        )

    return program


def azure_rule_on_unknown_lb(port: int = 6443, probe: str | None = None) -> Program:
    """A classic rule (or HTTP probe) whose load balancer ID is unknown at preview and names no
    resource of the stack (a looked-up load balancer)."""

    def program() -> None:
        lb_id = live(computed(LB_ID))
        if probe:
            azure_classic.lb.Probe("probe", loadbalancer_id=lb_id, protocol=probe, port=port)
            return
        azure_classic.lb.Rule(
            "api",
            loadbalancer_id=lb_id,
            protocol="Tcp",
            frontend_port=port,
            backend_port=port,
            frontend_ip_configuration_name="fe",
        )

    return program


CASES += [
    # azure: inbound NAT rules and pools on an internal load balancer, every shape
    ("nat: inline", azure_lb_public_standard, azure_nat("inline"), [("api", V)]),
    ("nat: inline, public", azure_lb_public_standard, azure_nat("inline", private=False), []),
    (
        "nat: inline, port unknown",
        azure_lb_public_standard,
        azure_nat("inline", backend_port=computed(6443)),
        [("api", U)],
    ),
    ("nat: inline pool", azure_lb_public_standard, azure_nat("inline-pool"), [("api", V)]),
    (
        "nat: inline pool, other port",
        azure_lb_public_standard,
        azure_nat("inline-pool", backend_port=22),
        [],
    ),
    ("nat: InboundNatRule", azure_lb_public_standard, azure_nat("resource"), [("api", V)]),
    (
        "nat: InboundNatRule, public",
        azure_lb_public_standard,
        azure_nat("resource", private=False),
        [],
    ),
    (
        "nat: InboundNatRule, port unknown",
        azure_lb_public_standard,
        azure_nat("resource", backend_port=computed(6443)),
        [("api", U)],
    ),
    ("nat: classic NatRule", azure_lb_public_standard, azure_nat("classic"), [("api", V)]),
    (
        "nat: classic NatRule, public",
        azure_lb_public_standard,
        azure_nat("classic", private=False),
        [],
    ),
    (
        "nat: classic NatRule, port unknown",
        azure_lb_public_standard,
        azure_nat("classic", backend_port=computed(6443)),
        [("api", U)],
    ),
    ("nat: classic NatPool", azure_lb_public_standard, azure_nat("classic-pool"), [("api", V)]),
    # azure: a subnet frontend is private, even with the subnet unknown at preview
    (
        "frontend: classic subnet_id unknown",
        azure_lb_public_standard,
        azure_nat("classic", frontend=computed(SUBNET)),
        [("api", V)],
    ),
    (
        "frontend: native subnet id unknown",
        azure_lb_public_standard,
        azure_nat("inline", frontend=computed(SUBNET)),
        [("api", V)],
    ),
    # azure: the rule created inside an apply
    ("missing rule: native internal", azure_lb_public_standard, azure_missing_rule(), [("api", U)]),
    (
        "missing rule: classic internal",
        azure_lb_public_standard,
        azure_missing_rule(classic=True),
        [("api", U)],
    ),
    (
        "missing rule: public",
        azure_lb_public_standard,
        azure_missing_rule(private=False),
        [],
    ),
    (
        "missing rule: probe on another port",
        azure_lb_public_standard,
        azure_missing_rule(probe_port=8080),
        [],
    ),
    (
        "missing rule: HTTP probe",
        api_health_check_tcp,
        azure_missing_rule(private=False, probe="Http"),
        [("api", U)],
    ),
    (
        "missing rule: classic HTTP probe",
        api_health_check_tcp,
        azure_missing_rule(classic=True, private=False, probe="Http"),
        [("probe", U)],
    ),
    ("missing rule: TCP probe", api_health_check_tcp, azure_missing_rule(private=False), []),
    (
        "unknown LB: classic rule",
        azure_lb_public_standard,
        azure_rule_on_unknown_lb(),
        [("api", U)],
    ),
    ("unknown LB: other port", azure_lb_public_standard, azure_rule_on_unknown_lb(443), []),
    (
        "unknown LB: HTTP probe",
        api_health_check_tcp,
        azure_rule_on_unknown_lb(probe="Http"),
        [("probe", U)],
    ),
    ("unknown LB: TCP probe", api_health_check_tcp, azure_rule_on_unknown_lb(probe="Tcp"), []),
]


def gcp_routing(
    route: str,
    *,
    api_port: Any = 6443,
    neg: bool = False,
    scheme: str = "EXTERNAL",
    port_name: str | None = "kube",
) -> Program:
    """An HTTPS proxy on 443 whose URL map sends / to a web app and, by `route`, some traffic to
    the primaries (named port `api_port`, or GCE_VM_IP_PORT network endpoints on it)."""

    def program() -> None:
        compute = gcp.compute
        web = compute.BackendService("web", protocol="HTTP")
        if neg:
            group: Any = compute.NetworkEndpointGroup(
                "primaries", network="vpc", network_endpoint_type="GCE_VM_IP_PORT", zone="z"
            )
            compute.NetworkEndpoint(
                "primary",
                network_endpoint_group=group.name,
                instance="p",
                ip_address="10.0.1.10",
                port=live(api_port),
            )
            groups = [group.id]
        else:
            groups = [
                compute.InstanceGroup(
                    f"primaries-{z}",
                    zone=z,
                    named_ports=[{"name": port_name or "http", "port": live(api_port)}],
                ).self_link
                for z in ("b", "c")
            ]
        api = compute.BackendService(
            "api",
            name="api",  # what a looked-up self link names
            protocol="HTTPS",
            port_name=port_name,
            load_balancing_scheme=scheme,
            backends=[{"group": g} for g in groups],
        )
        service = api.id if route != "lookup" else live(computed("links/api"))
        routing: dict[str, Any] = {"default_service": web.id}
        if route in ("path", "lookup"):
            routing["host_rules"] = [{"hosts": ["*"], "path_matcher": "m"}]
            routing["path_matchers"] = [
                {
                    "name": "m",
                    "default_service": web.id,
                    "path_rules": [{"paths": ["/api/*"], "service": service}],
                }
            ]
        if route == "route-rules":
            routing["host_rules"] = [{"hosts": ["*"], "path_matcher": "m"}]
            routing["path_matchers"] = [
                {
                    "name": "m",
                    "default_service": web.id,
                    "route_rules": [
                        {
                            "priority": 1,
                            "match_rules": [{"prefix_match": "/api"}],
                            "service": service,
                        }
                    ],
                }
            ]
        if route == "weighted":
            routing = {
                "default_route_action": {
                    "weighted_backend_services": [
                        {"backend_service": web.id, "weight": 90},
                        {"backend_service": service, "weight": 10},
                    ]
                }
            }
        url_map = compute.URLMap("edge", **routing)
        proxy = compute.TargetHttpsProxy("edge", url_map=url_map.id, ssl_certificates=["c"])
        compute.GlobalForwardingRule("edge", target=proxy.id, port_range="443")

    return program


def gcp_missing_forwarding_rule(
    hc_block: str = "http_health_check", *, proxy: bool = False, protocol: str = "TCP"
) -> Program:
    """Backends on the API port whose forwarding rule is created in an apply over a new
    address."""

    def program() -> None:
        compute = gcp.compute
        checks: dict[str, Any] = {hc_block: {"port": 6443}}
        hc = compute.RegionHealthCheck("hc", **checks)
        group: Any = compute.InstanceGroup("primaries", zone="b")
        backend = compute.RegionBackendService(
            "api",
            protocol=protocol,
            load_balancing_scheme="EXTERNAL",
            health_checks=hc.id,
            backends=[{"group": group.self_link}],
        )
        target: Any = None
        if proxy:
            target = compute.RegionTargetTcpProxy("api", backend_service=backend.id).id
        address = compute.Address("api")
        in_apply(
            address.address,
            lambda ip: compute.ForwardingRule(
                "api",
                ip_address=ip,
                ports=None if proxy else ["6443"],
                port_range="6443" if proxy else None,
                backend_service=None if proxy else backend.id,
                target=target,
                load_balancing_scheme="EXTERNAL",
            ),
        )

    return program


CASES += [
    # gcp: routing beyond defaultService
    ("url map: path rule", api_layer4_only, gcp_routing("path"), [("edge", V)]),
    ("url map: path rule, app only", api_layer4_only, gcp_routing("path", api_port=8080), []),
    (
        "url map: path rule, port unknown",
        api_layer4_only,
        gcp_routing("path", api_port=computed(6443)),
        [("edge", U)],
    ),
    (
        "url map: path rule, looked up",
        api_layer4_only,
        gcp_routing("lookup"),
        [("api", U), ("edge", U), ("edge", U)],
    ),
    ("url map: route rule", api_layer4_only, gcp_routing("route-rules"), [("edge", V)]),
    (
        "url map: portName omitted (http)",
        api_layer4_only,
        gcp_routing("path", port_name=None),
        [("edge", V)],
    ),
    ("url map: weighted", api_layer4_only, gcp_routing("weighted"), [("edge", V)]),
    ("url map: weighted, app only", api_layer4_only, gcp_routing("weighted", api_port=80), []),
    ("neg: endpoints on 6443", api_layer4_only, gcp_routing("path", neg=True), [("edge", V)]),
    ("neg: endpoints on 8080", api_layer4_only, gcp_routing("path", neg=True, api_port=8080), []),
    (
        "neg: endpoint port unknown",
        api_layer4_only,
        gcp_routing("weighted", neg=True, api_port=computed(6443)),
        [("edge", U)],
    ),
    # gcp: the forwarding rule created inside an apply
    (
        "missing rule: HTTP health check",
        api_health_check_tcp,
        gcp_missing_forwarding_rule(),
        [("hc", U)],
    ),
    (
        "missing rule: TCP health check",
        api_health_check_tcp,
        gcp_missing_forwarding_rule("tcp_health_check"),
        [],
    ),
    (
        "missing rule: passthrough",
        api_layer4_only,
        gcp_missing_forwarding_rule("tcp_health_check"),
        [],
    ),
    (
        "missing rule: behind a TCP proxy",
        api_layer4_only,
        gcp_missing_forwarding_rule("tcp_health_check", proxy=True),
        [("api", U)],
    ),
    (
        "missing rule: HTTP backend service",
        api_layer4_only,
        gcp_missing_forwarding_rule("tcp_health_check", protocol="HTTP"),
        [("api", U)],
    ),
]


@pytest.mark.parametrize(
    ("policy", "program", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(policy: Any, program: Program, expected: list[tuple[str, bool]]) -> None:
    findings = run_policy(policy, program)
    assert summary(findings) == expected, findings
    for finding in findings:
        if finding.unverified:
            assert f"{UNVERIFIED}: {policy.name}" in finding.message
            # It names what it could not see: an unknown property, or the missing piece.
            assert (
                "property" in finding.message and "unknown during preview" in finding.message
            ) or ("missing" in finding.message and "`.apply`" in finding.message), finding.message


@pytest.mark.parametrize(
    ("policy", "program", "expected"),
    [c[1:] for c in CASES if any(u for _, u in c[3])],
    ids=[c[0] for c in CASES if any(u for _, u in c[3])],
)
def test_unverified_becomes_a_verdict_when_known(
    policy: Any, program: Program, expected: list[tuple[str, bool]]
) -> None:
    """At `pulumi up` the values are known: no unverified result is left."""
    findings = run_policy(policy, program, preview=False)
    assert not [f for f in findings if f.unverified], findings


@pytest.mark.parametrize(
    ("policy", "program", "expected"),
    [
        (aws_internal_nlb_ip_targets, aws_missing_listener(), [("api", V), ("primary-0", V)]),
        (
            aws_internal_nlb_ip_targets,
            aws_missing_listener(native=True),
            [("api", V), ("api", V)],  # the target group, and its inline instance target
        ),
        (azure_lb_public_standard, azure_missing_rule(classic=True), [("api", V)]),
        (api_health_check_tcp, gcp_missing_forwarding_rule(), [("hc", V)]),
        (
            api_layer4_only,
            gcp_missing_forwarding_rule("tcp_health_check", proxy=True),
            [("api", V)],
        ),
    ],
    ids=["aws", "aws-native", "azure classic", "gcp health check", "gcp proxy"],
)
def test_a_front_end_created_in_an_apply_is_judged_at_update(
    policy: Any, program: Program, expected: list[tuple[str, bool]]
) -> None:
    """The "failing" side of a missing front end: at `pulumi up` the apply has run, the path is
    complete and the violation is reported as such."""
    assert summary(run_policy(policy, program, preview=False)) == expected
