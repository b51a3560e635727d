"""The policy pack's view of issue 21 on Azure: a load balancer with a second frontend and rule
(an address move), a public IP given by ID, outbound SNAT, the DNS alias record; the kurl-lb
component's own plans pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pytest

from offline.analyzer import PolicyGate
from tests import inprocess
from tests.conftest import AZURE_DEV, PROJECT_ROOT, run_project, with_changes
from tests.test_policies import assert_has_violation, assert_no_violation, verdicts

POLICY = "azure-lb-public-standard"
LB_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/api"
GIVEN_IP = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/ips/providers"
    "/Microsoft.Network/publicIPAddresses/api"
)


@pytest.fixture
def gate(pack: PolicyGate) -> PolicyGate:
    """The project's pack (tests/conftest.py: one per test process)."""
    return pack


def two_front_ends(
    *,
    second_private: bool = False,
    snat: Any = False,
    second_frontend_id: Any = None,
    given_ip: bool = False,
    record: bool = False,
) -> Callable[[], None]:
    """A public Standard LB with two frontends and two API rules on one pool and probe, as an
    address move builds it (`snat`: the second rule's disableOutboundSnat, an Output for an
    unknown one)."""

    def program() -> None:
        network = azure_native.network
        first = network.PublicIPAddress("v1", resource_group_name="rg", sku={"name": "Standard"})
        second = network.PublicIPAddress("v2", resource_group_name="rg", sku={"name": "Standard"})
        frontends = [
            network.FrontendIPConfigurationArgs(
                name="api-frontend", public_ip_address=network.PublicIPAddressArgs(id=first.id)
            ),
            network.FrontendIPConfigurationArgs(
                name="api-frontend-v2",
                subnet=network.SubnetArgs(id="/subscriptions/x/subnets/primaries"),
            )
            if second_private
            else network.FrontendIPConfigurationArgs(
                name="api-frontend-v2",
                public_ip_address=network.PublicIPAddressArgs(
                    id=GIVEN_IP if given_ip else second.id
                ),
            ),
        ]

        def rule(name: str, frontend: Any, disable_snat: Any) -> network.LoadBalancingRuleArgs:
            return network.LoadBalancingRuleArgs(
                name=name,
                protocol="Tcp",
                frontend_port=6443,
                backend_port=6443,
                frontend_ip_configuration=network.SubResourceArgs(id=frontend),
                backend_address_pool=network.SubResourceArgs(
                    id=f"{LB_ID}/backendAddressPools/primaries"
                ),
                probe=network.SubResourceArgs(id=f"{LB_ID}/probes/probe"),
                disable_outbound_snat=disable_snat,
                enable_floating_ip=name != "api",
            )

        v2_frontend = (
            second_frontend_id
            if second_frontend_id is not None
            else f"{LB_ID}/frontendIPConfigurations/api-frontend-v2"
        )
        network.LoadBalancer(
            "api",
            resource_group_name="rg",
            sku=network.LoadBalancerSkuArgs(name="Standard"),
            frontend_ip_configurations=frontends,
            backend_address_pools=[network.BackendAddressPoolArgs(name="primaries")],
            probes=[network.ProbeArgs(name="probe", protocol="Tcp", port=6443)],
            load_balancing_rules=[
                rule("api", f"{LB_ID}/frontendIPConfigurations/api-frontend", False),
                rule("api-v2", v2_frontend, snat),
            ],
            opts=pulumi.ResourceOptions(protect=True),
        )
        if record:
            azure_native.dns.RecordSet(
                "api",
                resource_group_name="dns",
                zone_name="example.com",
                relative_record_set_name="k8s",
                record_type="A",
                ttl=60,
                target_resource=azure_native.dns.SubResourceArgs(id=second.id),
            )

    return program


def test_two_public_front_ends_pass(gate: PolicyGate) -> None:
    for preview in (True, False):
        result = verdicts(gate, two_front_ends(record=True), preview=preview)
        assert result.mandatory == [], result.diagnostics


def test_a_private_second_frontend_is_refused(gate: PolicyGate) -> None:
    result = verdicts(gate, two_front_ends(second_private=True))
    assert_has_violation(result, POLICY, "api", level="mandatory", fragment="private frontend")


def test_outbound_snat_disabled_on_the_second_rule_is_refused(gate: PolicyGate) -> None:
    result = verdicts(gate, two_front_ends(snat=True))
    assert_has_violation(
        result, POLICY, "api", level="mandatory", fragment="rule 'api-v2' with disableOutboundSnat"
    )


def test_outbound_snat_unknown_at_preview_is_not_a_pass(gate: PolicyGate) -> None:
    def program() -> None:
        flag = azure_native.network.PublicIPAddress("flag", resource_group_name="rg").id.apply(
            lambda _: False
        )
        two_front_ends(snat=flag)()

    result = verdicts(gate, program)
    found = [d for d in result.diagnostics if d.policy == POLICY]
    assert found, result.diagnostics
    assert all(d.level == "mandatory" for d in found)
    assert any(
        "cannot verify at preview" in d.message and "disableOutboundSnat" in d.message
        for d in found
    )


def test_a_second_rule_with_an_unknown_frontend_is_not_a_pass_when_one_is_private(
    gate: PolicyGate,
) -> None:
    def program() -> None:
        unknown_id = azure_native.network.PublicIPAddress("x", resource_group_name="rg").id
        two_front_ends(second_private=True, second_frontend_id=unknown_id)()

    result = verdicts(gate, program)
    assert [d for d in result.diagnostics if d.policy == POLICY and d.level == "mandatory"]


def test_a_public_ip_given_by_id_is_public(gate: PolicyGate) -> None:
    """Outside the stack its SKU cannot be seen; the frontend is public all the same, which is
    what hairpinning needs (Azure refuses a Basic IP on a Standard LB)."""
    result = verdicts(gate, two_front_ends(given_ip=True))
    assert_no_violation(result, POLICY)


# --- the component's own plans ------------------------------------------------------------------


GIVEN_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kurl-ips-rg/providers"
    "/Microsoft.Network/publicIPAddresses/kurl-full-api"
)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"addressMove": {"frontEnd": "v2"}}, id="move-step-1"),
        pytest.param({"frontEnd": "v2"}, id="move-done"),
        pytest.param(
            {"azure.dnsRecord": {"zoneName": "example.com", "name": "k8s.example.com"}},
            id="dns-record",
        ),
    ],
)
def test_component_plans_pass_the_pack(gate: PolicyGate, changes: dict[str, Any]) -> None:
    graph = run_project(with_changes(AZURE_DEV, changes), preview=True)
    result = gate.analyze(graph)
    assert result.mandatory == [], result.diagnostics


def test_the_full_example_stack_passes_the_gate(gate: PolicyGate) -> None:
    """Pulumi.azure-full.yaml, with its lookups, as `make previews` runs it (--strict), by the
    gate's steps in-process (tests/inprocess.py; the azure-dev stack with its lookups goes
    through the gate's process: tests/test_gate_boundary.py): exit 0, the given public IP on
    the frontend, the record's name as the address."""
    invokes = PROJECT_ROOT / "offline" / "invokes" / "azure-full.yaml"
    result = inprocess.preview("azure-full", pack=gate, invokes=invokes, strict=True, as_json=True)
    assert result.code == 0, result.stdout + "\n".join(result.errors)
    doc = json.loads(result.stdout)
    assert doc["policy"]["diagnostics"] == []
    assert doc["outputs"]["loadBalancerAddress"] == "k8s.example.com:6443"
    by_name = {r["name"]: r for r in doc["resources"]}
    assert "kurl-pip" not in by_name
    assert by_name["kurl-lb"]["inputs"]["frontendIPConfigurations"][0]["publicIPAddress"] == {
        "id": GIVEN_ID
    }
    assert by_name["kurl-dns-k8s.example.com"]["inputs"]["targetResource"] == {"id": GIVEN_ID}
