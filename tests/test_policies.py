"""Every policy driven through the pack's real gRPC Analyzer interface, as the engine drives it.

Programs are small hand-written Pulumi programs with raw provider resources (no kurl-lb
components). Each runs as a preview (ARNs and IDs unknown, as in `pulumi preview` of a new stack)
and, where it matters, as an update (values known): the mandatory verdicts must not change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native
import pulumi_gcp as gcp
import pytest

from offline.analyzer import Diagnostic, PolicyGate, PolicyResult
from offline.recorder import PreviewMocks, record
from tests.conftest import PROJECT_ROOT

MANDATORY = [
    "aws-internal-nlb-ip-targets",
    "aws-internal-nlb-no-client-ip-preservation",
    "azure-lb-public-standard",
    "api-layer4-only",
    "api-health-check-tcp",
]
ADVISORY = [
    "api-open-to-internet",
    "api-lb-deletion-protection",
    "api-lb-multi-zone",
    "gcp-no-target-pools",
]
# Issue 21, AWS: static addresses (tests/test_policies_address_aws.py).
MANDATORY += ["aws-nlb-addresses-match-scheme"]


@pytest.fixture
def gate(pack: PolicyGate) -> PolicyGate:
    """The project's pack (tests/conftest.py: one per test process)."""
    return pack


class _ComputedOutputs(dict[str, Any]):
    """In an update, every resource gets the computed outputs programs link resources with."""

    def get(self, key: str, default: Any = None) -> Callable[[Any], dict[str, str]]:
        return lambda a: {"arn": f"arn:test:{a.typ}:{a.name}", "selfLink": f"links/{a.name}"}


def verdicts(
    gate: PolicyGate, program: Callable[[], None], *, preview: bool = True
) -> PolicyResult:
    mocks = PreviewMocks(outputs=_ComputedOutputs(), preview=preview)
    graph = record(program, project="foreign", stack="ci", config={}, mocks=mocks)
    result = gate.analyze(graph)
    # The guard this suite exists for: no policy was silently downgraded to a note.
    assert not [d for d in result.diagnostics if d.skipped], result.diagnostics
    return result


def violations(result: PolicyResult, policy: str) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.policy == policy]


def assert_has_violation(
    result: PolicyResult, policy: str, resource: str, *, level: str, fragment: str = ""
) -> None:
    found = [d for d in violations(result, policy) if d.urn.endswith(f"::{resource}")]
    assert found, f"no {policy} violation on {resource}: {result.diagnostics}"
    assert all(d.level == level for d in found)
    assert fragment in "\n".join(d.message for d in found)


def assert_no_violation(result: PolicyResult, policy: str) -> None:
    assert not violations(result, policy), violations(result, policy)


# --- programs --------------------------------------------------------------------------------


def aws_nlb(
    *,
    internal: bool = True,
    lb_type: str | None = "network",
    port: int = 6443,
    tg_args: dict[str, Any] | None = None,
    target_id: pulumi.Input[str] = "10.0.1.10",
    subnets: int = 2,
    protection: bool = True,
) -> Callable[[], None]:
    def program() -> None:
        lb = aws.lb.LoadBalancer(
            "api",
            load_balancer_type=lb_type,
            internal=internal,
            subnets=[f"subnet-0a1b2c3{i}" for i in range(subnets)],
            enable_deletion_protection=protection,
        )
        tg = aws.lb.TargetGroup(
            "api", port=port, protocol="TCP", vpc_id="vpc-0a1b2c3d", **(tg_args or {})
        )
        aws.lb.Listener(
            "api",
            load_balancer_arn=lb.arn,
            port=port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)
            ],
        )
        aws.lb.TargetGroupAttachment("primary-1", target_group_arn=tg.arn, target_id=target_id)

    return program


IP_TARGETS = {"target_type": "ip", "preserve_client_ip": "false"}


# --- aws-internal-nlb-ip-targets -------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_internal_nlb_with_default_target_type_is_rejected(gate: PolicyGate, preview: bool) -> None:
    result = verdicts(gate, aws_nlb(target_id="i-0123456789abcdef0"), preview=preview)
    assert_has_violation(
        result,
        "aws-internal-nlb-ip-targets",
        "api",
        level="mandatory",
        fragment="targetType omitted (provider default: instance)",
    )
    assert_has_violation(
        result,
        "aws-internal-nlb-ip-targets",
        "primary-1",
        level="mandatory",
        fragment="registers instance ID i-0123456789abcdef0",
    )


def test_internal_nlb_with_explicit_instance_targets_is_rejected(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(tg_args={"target_type": "instance"}))
    assert_has_violation(
        result,
        "aws-internal-nlb-ip-targets",
        "api",
        level="mandatory",
        fragment="targetType instance",
    )


def test_internal_nlb_with_ip_targets_passes(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(tg_args=IP_TARGETS))
    assert result.diagnostics == []


def test_internet_facing_nlb_may_use_instance_targets(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(internal=False, target_id="i-0123456789abcdef0"))
    assert_no_violation(result, "aws-internal-nlb-ip-targets")
    assert_no_violation(result, "aws-internal-nlb-no-client-ip-preservation")


def test_internal_nlb_on_another_port_is_left_alone(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(port=443, target_id="i-0123456789abcdef0"))
    assert result.mandatory == []


def test_unknown_target_type_is_reported_unverified_not_skipped(gate: PolicyGate) -> None:
    """targetType computed from another resource: unknown in preview. Neither a silent pass nor
    the SDK's "can't run" note (verdicts() asserts none): a mandatory "cannot verify at preview"
    result naming the resource and property, which the gate counts as unverified, not violated."""

    def program() -> None:
        kind = aws.ssm.Parameter("kind", type="String", value="ip")
        aws_nlb(tg_args={"target_type": kind.arn, "preserve_client_ip": "false"})()

    result = verdicts(gate, program)
    [finding] = violations(result, "aws-internal-nlb-ip-targets")
    assert finding.urn.endswith("TargetGroup::api") and finding.level == "mandatory"
    assert "cannot verify at preview: aws-internal-nlb-ip-targets" in finding.message
    assert "TargetGroup 'api' property targetType unknown during preview" in finding.message
    assert result.mandatory == [] and result.unverified == [finding]


# --- aws-internal-nlb-no-client-ip-preservation ----------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_internal_nlb_preserving_client_ip_is_rejected(gate: PolicyGate, preview: bool) -> None:
    result = verdicts(
        gate, aws_nlb(tg_args={"target_type": "ip", "preserve_client_ip": "true"}), preview=preview
    )
    assert_has_violation(
        result,
        "aws-internal-nlb-no-client-ip-preservation",
        "api",
        level="mandatory",
        fragment='preserveClientIp "true"',
    )
    assert_no_violation(result, "aws-internal-nlb-ip-targets")


def test_preservation_defaults_on_for_instance_targets(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(tg_args={"target_type": "instance"}))
    assert_has_violation(
        result,
        "aws-internal-nlb-no-client-ip-preservation",
        "api",
        level="mandatory",
        fragment="on by default for instance targets",
    )


def test_ip_targets_without_explicit_preservation_pass(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(tg_args={"target_type": "ip"}))
    assert_no_violation(result, "aws-internal-nlb-no-client-ip-preservation")


# --- azure-lb-public-standard ----------------------------------------------------------------


LB_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/api"


def azure_lb(
    *, private: bool = False, sku: str | None = "Standard", port: int = 6443, probe: str = "Tcp"
) -> Callable[[], None]:
    def program() -> None:
        network = azure_native.network
        pip = network.PublicIPAddress("api", resource_group_name="rg", sku={"name": "Standard"})
        frontend = (
            network.FrontendIPConfigurationArgs(
                name="fe", subnet=network.SubnetArgs(id="/subscriptions/x/subnets/primaries")
            )
            if private
            else network.FrontendIPConfigurationArgs(
                name="fe", public_ip_address=network.PublicIPAddressArgs(id=pip.id)
            )
        )
        network.LoadBalancer(
            "api",
            resource_group_name="rg",
            sku=network.LoadBalancerSkuArgs(name=sku) if sku else None,
            frontend_ip_configurations=[frontend],
            backend_address_pools=[network.BackendAddressPoolArgs(name="pool")],
            probes=[network.ProbeArgs(name="probe", protocol=probe, port=port, request_path="/")],
            load_balancing_rules=[
                network.LoadBalancingRuleArgs(
                    name="api",
                    protocol="Tcp",
                    frontend_port=port,
                    backend_port=port,
                    frontend_ip_configuration=network.SubResourceArgs(
                        id=f"{LB_ID}/frontendIPConfigurations/fe"
                    ),
                    probe=network.SubResourceArgs(id=f"{LB_ID}/probes/probe"),
                )
            ],
            opts=pulumi.ResourceOptions(protect=True),
        )

    return program


def test_private_azure_frontend_is_rejected(gate: PolicyGate) -> None:
    result = verdicts(gate, azure_lb(private=True))
    assert_has_violation(
        result, "azure-lb-public-standard", "api", level="mandatory", fragment="private frontend"
    )


@pytest.mark.parametrize(
    ("sku", "shown"), [(None, "omitted (Azure default: Basic)"), ("Basic", '"Basic"')]
)
def test_basic_or_default_sku_is_rejected(gate: PolicyGate, sku: str | None, shown: str) -> None:
    result = verdicts(gate, azure_lb(sku=sku))
    assert_has_violation(
        result, "azure-lb-public-standard", "api", level="mandatory", fragment=shown
    )


def test_public_standard_azure_lb_passes(gate: PolicyGate) -> None:
    result = verdicts(gate, azure_lb())  # the public IP's ID is unknown in preview
    assert result.diagnostics == []


def test_azure_lb_not_serving_the_api_is_left_alone(gate: PolicyGate) -> None:
    assert verdicts(gate, azure_lb(private=True, sku="Basic", port=443)).mandatory == []


def test_classic_provider_internal_lb_is_rejected(gate: PolicyGate) -> None:
    import pulumi_azure as azure_classic

    def program() -> None:
        lb = azure_classic.lb.LoadBalancer(
            "api",
            resource_group_name="rg",
            sku="Standard",
            frontend_ip_configurations=[
                azure_classic.lb.LoadBalancerFrontendIpConfigurationArgs(
                    name="fe", subnet_id="/subscriptions/x/subnets/primaries"
                )
            ],
        )
        azure_classic.lb.Rule(
            "api",
            loadbalancer_id=lb.id,
            protocol="Tcp",
            frontend_port=6443,
            backend_port=6443,
            frontend_ip_configuration_name="fe",
        )

    result = verdicts(gate, program)
    assert_has_violation(
        result, "azure-lb-public-standard", "api", level="mandatory", fragment="subnetId"
    )


# --- api-layer4-only -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lb_type", "shown"),
    [(None, "omitted (provider default: application)"), ("application", '"application"')],
)
def test_application_load_balancer_on_the_api_is_rejected(
    gate: PolicyGate, lb_type: str | None, shown: str
) -> None:
    result = verdicts(gate, aws_nlb(internal=False, lb_type=lb_type, tg_args=IP_TARGETS))
    assert_has_violation(result, "api-layer4-only", "api", level="mandatory", fragment=shown)


def test_network_load_balancer_passes_layer4(gate: PolicyGate) -> None:
    assert_no_violation(verdicts(gate, aws_nlb(tg_args=IP_TARGETS)), "api-layer4-only")


def test_application_gateway_on_the_api_is_rejected(gate: PolicyGate) -> None:
    def program() -> None:
        azure_native.network.ApplicationGateway(
            "api",
            resource_group_name="rg",
            frontend_ports=[
                azure_native.network.ApplicationGatewayFrontendPortArgs(name="p", port=6443)
            ],
        )

    assert_has_violation(
        verdicts(gate, program), "api-layer4-only", "api", level="mandatory", fragment="Layer-7"
    )


def test_gcp_proxy_on_the_api_is_rejected_and_passthrough_passes(gate: PolicyGate) -> None:
    def program() -> None:
        hc = gcp.compute.HealthCheck("hc", tcp_health_check={"port": 6443})
        backend = gcp.compute.BackendService("api", protocol="TCP", health_checks=hc.id)
        proxy = gcp.compute.TargetTCPProxy("api", backend_service=backend.id)
        gcp.compute.GlobalForwardingRule("api", target=proxy.id, port_range="6443")

    result = verdicts(gate, program)
    assert_has_violation(
        result, "api-layer4-only", "api", level="mandatory", fragment="TargetTCPProxy"
    )

    def passthrough() -> None:
        hc = gcp.compute.RegionHealthCheck("hc", tcp_health_check={"port": 6443})
        backend = gcp.compute.RegionBackendService(
            "api",
            protocol="TCP",
            load_balancing_scheme="EXTERNAL",
            health_checks=hc.id,
            backends=[{"group": "zone-a"}, {"group": "zone-b"}],
        )
        gcp.compute.ForwardingRule(
            "api",
            backend_service=backend.id,
            ports=["6443"],
            load_balancing_scheme="EXTERNAL",
            opts=pulumi.ResourceOptions(protect=True),
        )

    assert verdicts(gate, passthrough).diagnostics == []


# --- api-health-check-tcp --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health_check", "fragment"),
    [
        ({"port": "traffic-port"}, "omitted, which the provider turns into HTTP"),
        ({"protocol": "HTTP", "path": "/healthz"}, 'protocol "HTTP"'),
    ],
    ids=["protocol-omitted", "http"],
)
def test_http_health_check_on_aws_api_target_group_is_rejected(
    gate: PolicyGate, health_check: dict[str, str], fragment: str
) -> None:
    result = verdicts(gate, aws_nlb(tg_args={**IP_TARGETS, "health_check": health_check}))
    assert_has_violation(
        result, "api-health-check-tcp", "api", level="mandatory", fragment=fragment
    )


@pytest.mark.parametrize("protocol", ["TCP", "HTTPS"])
def test_tcp_or_https_health_check_passes(gate: PolicyGate, protocol: str) -> None:
    result = verdicts(gate, aws_nlb(tg_args={**IP_TARGETS, "health_check": {"protocol": protocol}}))
    assert_no_violation(result, "api-health-check-tcp")


def test_http_azure_probe_is_rejected(gate: PolicyGate) -> None:
    result = verdicts(gate, azure_lb(probe="Http"))
    assert_has_violation(
        result, "api-health-check-tcp", "api", level="mandatory", fragment="HTTP probe"
    )


def test_gcp_http_health_checks_are_rejected(gate: PolicyGate) -> None:
    def program() -> None:
        hc = gcp.compute.RegionHealthCheck("hc", http_health_check={"port": 6443})
        backend = gcp.compute.RegionBackendService(
            "api",
            protocol="TCP",
            load_balancing_scheme="EXTERNAL",
            health_checks=hc.id,
            backends=[{"group": "zone-a"}, {"group": "zone-b"}],
        )
        gcp.compute.ForwardingRule("api", backend_service=backend.id, ports=["6443"])
        legacy = gcp.compute.HttpHealthCheck("legacy", port=6443)
        pool = gcp.compute.TargetPool("pool", health_checks=legacy.name)
        gcp.compute.ForwardingRule("pool-api", target=pool.id, port_range="6443")

    result = verdicts(gate, program)
    assert_has_violation(
        result, "api-health-check-tcp", "hc", level="mandatory", fragment="httpHealthCheck"
    )
    assert_has_violation(
        result,
        "api-health-check-tcp",
        "legacy",
        level="mandatory",
        fragment="legacy HTTP health check",
    )
    assert_has_violation(result, "gcp-no-target-pools", "pool", level="advisory")


# --- advisories ------------------------------------------------------------------------------


def test_api_open_to_the_internet_is_advisory(gate: PolicyGate) -> None:
    def program() -> None:
        aws_nlb(tg_args=IP_TARGETS)()
        aws.vpc.SecurityGroupIngressRule(
            "open",
            security_group_id="sg-0a1b2c3d",
            ip_protocol="tcp",
            from_port=6443,
            to_port=6443,
            cidr_ipv4="0.0.0.0/0",
        )
        aws.vpc.SecurityGroupIngressRule(
            "narrow",
            security_group_id="sg-0a1b2c3d",
            ip_protocol="tcp",
            from_port=6443,
            to_port=6443,
            cidr_ipv4="10.0.0.0/16",
        )
        azure_native.network.SecurityRule(
            "open-nsg",
            resource_group_name="rg",
            network_security_group_name="nsg",
            priority=100,
            direction="Inbound",
            access="Allow",
            protocol="Tcp",
            source_address_prefix="*",
            destination_port_range="6443",
        )
        gcp.compute.Firewall(
            "open-fw",
            network="vpc",
            source_ranges=["0.0.0.0/0"],
            allows=[{"protocol": "tcp", "ports": ["6000-7000"]}],
        )

    result = verdicts(gate, program)
    for name in ("open", "open-nsg", "open-fw"):
        assert_has_violation(result, "api-open-to-internet", name, level="advisory")
    assert not [d for d in violations(result, "api-open-to-internet") if d.urn.endswith("::narrow")]
    assert result.mandatory == []


def test_api_open_to_the_internet_is_silent_without_an_api_load_balancer(gate: PolicyGate) -> None:
    def program() -> None:
        aws.vpc.SecurityGroupIngressRule(
            "open",
            security_group_id="sg-0a1b2c3d",
            ip_protocol="tcp",
            from_port=6443,
            to_port=6443,
            cidr_ipv4="0.0.0.0/0",
        )

    assert verdicts(gate, program).diagnostics == []


def test_unprotected_single_zone_nlb_is_advisory(gate: PolicyGate) -> None:
    result = verdicts(gate, aws_nlb(tg_args=IP_TARGETS, subnets=1, protection=False))
    assert_has_violation(result, "api-lb-deletion-protection", "api", level="advisory")
    assert_has_violation(
        result, "api-lb-multi-zone", "api", level="advisory", fragment="single subnet"
    )
    assert result.mandatory == []


def test_pack_declares_the_documented_policies(gate: PolicyGate) -> None:
    levels = {p.name: p.enforcementLevel for p in gate.info.policies}
    assert sorted(levels) == sorted(MANDATORY + ADVISORY)
    result = verdicts(gate, aws_nlb(tg_args=IP_TARGETS))
    assert {name: result.policies[name] for name in MANDATORY} == dict.fromkeys(
        MANDATORY, "mandatory"
    )
    assert {name: result.policies[name] for name in ADVISORY} == dict.fromkeys(ADVISORY, "advisory")
    for policy in gate.info.policies:
        assert policy.description.strip(), policy.name


def test_every_type_token_the_policies_match_exists_in_the_provider_sdks() -> None:
    import importlib
    import sys
    from pathlib import Path

    sys.path.insert(0, str(PROJECT_ROOT / "policies"))
    try:
        for module in ("advisory", "aws", "azure", "health_checks", "layer4", "discovery"):
            importlib.import_module(f"kurl_policies.{module}")
        from kurl_policies.graph import KNOWN_TOKENS
    finally:
        sys.path.pop(0)
    import pulumi_aws_native

    packages = {
        "aws": aws,
        "azure-native": azure_native,
        "gcp": gcp,
        "aws-native": pulumi_aws_native,
    }
    import pulumi_azure

    packages["azure"] = pulumi_azure
    sources: dict[Path, str] = {}
    missing = []
    for token in sorted(KNOWN_TOKENS):
        package, module = token.split(":")[:2]
        # Only the token's own module folder (aws:lb/... -> pulumi_aws/lb): reading every SDK
        # file costs seconds.
        folder = Path(str(packages[package].__file__)).parent / module.split("/")[0]
        if folder not in sources:
            sources[folder] = "\n".join(p.read_text() for p in folder.rglob("*.py"))
        if f'"{token}"' not in sources[folder]:
            missing.append(token)
    assert missing == []
