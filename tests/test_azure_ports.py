"""Issue 22 on Azure, with real values: `healthCheck.protocol: https` (an HTTPS /readyz probe
with noHealthyBackendsBehavior AllProbedUp), `extraPorts` (one more rule per front end on the one
backend pool, a TCP probe each, the NSG rule's ports), the registrations they leave alone, the
inputs refused, and `publicFrontEnd`, which Azure refuses with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from components.args.common import READYZ
from components.problems import ArgsError
from offline.analyzer import PolicyGate
from offline.diff import CREATE, UPDATE, diff
from offline.recorder import Graph
from tests import conftest
from tests.conftest import (
    AZURE_DEV,
    AZURE_IP,
    AZURE_LB_ID,
    assert_rejected,
    run_program,
    run_project,
    with_changes,
)

LB = "azure-native:network:LoadBalancer"
NSG_RULE = "azure-native:network:SecurityRule"
ASSOC = (
    "azure:network/networkInterfaceBackendAddressPoolAssociation"
    ":NetworkInterfaceBackendAddressPoolAssociation"
)
PIP = "azure-native:network:PublicIPAddress"
POOL_ID = f"{AZURE_LB_ID}/backendAddressPools/primaries"
KOTSADM = {"name": "kotsadm", "port": 8800}
METRICS = {"name": "metrics", "port": 9443, "targetPort": 9100}
HTTPS = {"healthCheck": {"protocol": "https"}}
# Today's stack, without the options: its resources and URNs (they must not change).
PARENT = "urn:pulumi:test::kurl-lb::kurl:index:AzureKurlLb"
DEV_URNS = sorted(
    [
        "urn:pulumi:test::kurl-lb::pulumi:pulumi:Stack::kurl-lb-test",
        f"{PARENT}::kurl",
        f"{PARENT}${PIP}::kurl-pip",
        f"{PARENT}$pulumi:providers:azure::kurl-azure-classic",
        f"{PARENT}${LB}::kurl-lb",
        f"{PARENT}${NSG_RULE}::kurl-nsg-api",
        f"{PARENT}${ASSOC}::kurl-nic-primary-1",
    ]
)
V2_IP = "20.0.0.20"


@pytest.fixture(autouse=True)
def _ips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each created public IP its own address, as in Azure."""
    ips = {"kurl-pip": AZURE_IP, "kurl-v2-pip": V2_IP}
    monkeypatch.setitem(conftest.OUTPUTS, PIP, lambda a: {"ipAddress": ips[a.name]})


def stack(changes: dict[str, Any] | None = None) -> Graph:
    return run_project(with_changes(AZURE_DEV, changes or {}))


def lb(graph: Graph) -> dict[str, Any]:
    inputs: dict[str, Any] = graph.by_name("kurl-lb").inputs
    return inputs


def probes(graph: Graph) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in lb(graph)["probes"]}


def rules(graph: Graph) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in lb(graph)["loadBalancingRules"]}


def ref(kind: str, name: str) -> dict[str, str]:
    return {"id": f"{AZURE_LB_ID}/{kind}/{name}"}


def rule(
    name: str, frontend: str, front: int, back: int, probe: str, floating: bool = False
) -> dict[str, Any]:
    """A load-balancing rule as the component writes it (wire names)."""
    return {
        "name": name,
        "protocol": "Tcp",
        "frontendPort": front,
        "backendPort": back,
        "frontendIPConfiguration": ref("frontendIPConfigurations", frontend),
        "backendAddressPool": ref("backendAddressPools", "primaries"),
        "probe": ref("probes", probe),
        "disableOutboundSnat": False,
        "enableFloatingIP": floating,
        "loadDistribution": "Default",
    }


def tcp_probe(name: str, port: int) -> dict[str, Any]:
    return {
        "name": name,
        "protocol": "Tcp",
        "port": port,
        "intervalInSeconds": 5,
        "probeThreshold": 2,
        "numberOfProbes": 2,
    }


def urns(graph: Graph) -> list[str]:
    return sorted(r.urn for r in graph.resources)


def ops(before: Graph, after: Graph) -> set[tuple[str, str, str]]:
    return {(c.op, c.type, c.name) for c in diff(before, after)}


# --- without the options: today's resources ------------------------------------------------------


def test_without_the_options_the_resources_and_inputs_are_todays() -> None:
    graph = stack()
    assert urns(graph) == DEV_URNS
    assert lb(graph)["probes"] == [tcp_probe("api-probe", 6443)]
    assert lb(graph)["loadBalancingRules"] == [rule("api", "api-frontend", 6443, 6443, "api-probe")]
    nsg = graph.by_name("kurl-nsg-api").inputs
    assert nsg["destinationPortRange"] == "6443"
    assert "destinationPortRanges" not in nsg
    assert nsg["description"] == "kURL API through the load balancer (kurl-lb)"
    assert "extraPortAddresses" not in graph.outputs


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(HTTPS, id="https"),
        pytest.param({"extraPorts": [KOTSADM, METRICS]}, id="extra-ports"),
        pytest.param({**HTTPS, "extraPorts": [KOTSADM]}, id="both"),
    ],
)
def test_the_options_add_no_resource_and_keep_every_urn(changes: dict[str, Any]) -> None:
    before, after = stack(), stack(changes)
    assert urns(after) == urns(before) == DEV_URNS


# --- healthCheck.protocol: https ------------------------------------------------------------------


def test_https_probe_gets_readyz_on_the_api_port_and_all_probed_up() -> None:
    graph = stack(HTTPS)
    assert lb(graph)["probes"] == [
        {
            **tcp_probe("api-probe", 6443),
            "protocol": "Https",
            "requestPath": "/readyz",
            "noHealthyBackendsBehavior": "AllProbedUp",
        }
    ]
    assert READYZ == "/readyz"
    # The rule, its outbound SNAT (hairpinning) and floating IP are as with a TCP probe.
    assert lb(graph)["loadBalancingRules"] == [rule("api", "api-frontend", 6443, 6443, "api-probe")]


def test_https_probe_follows_the_api_port_and_the_health_check_values() -> None:
    graph = stack(
        {
            "port": 7443,
            "healthCheck": {"protocol": "https", "intervalSeconds": 15, "unhealthyThreshold": 4},
        }
    )
    probe = probes(graph)["api-probe"]
    assert (probe["port"], probe["intervalInSeconds"], probe["probeThreshold"]) == (7443, 15, 4)
    assert probe["numberOfProbes"] == 4
    assert (probe["protocol"], probe["requestPath"]) == ("Https", "/readyz")


def test_tcp_given_explicitly_is_todays_probe() -> None:
    assert lb(stack({"healthCheck": {"protocol": "tcp"}}))["probes"] == [
        tcp_probe("api-probe", 6443)
    ]


def test_https_during_a_move_both_rules_share_the_https_probe() -> None:
    graph = stack({**HTTPS, "addressMove": {"frontEnd": "v2"}})
    assert list(probes(graph)) == ["api-probe"]
    assert probes(graph)["api-probe"]["protocol"] == "Https"
    assert lb(graph)["loadBalancingRules"] == [
        rule("api", "api-frontend", 6443, 6443, "api-probe"),
        # The move's floating-IP rule is unchanged by the probe's protocol.
        rule("api-v2", "api-frontend-v2", 6443, 6443, "api-probe", floating=True),
    ]


def test_secret_health_check_keeps_the_https_probe_values_secret() -> None:
    graph = run_project(with_changes(AZURE_DEV, HTTPS), secret_keys=["kurl-lb:healthCheck"])
    probe = probes(graph)["api-probe"]
    assert probe["requestPath"] == {"secret": "/readyz"}
    assert probe["noHealthyBackendsBehavior"] == {"secret": "AllProbedUp"}
    assert probe["protocol"] == "Https"


# --- extraPorts -----------------------------------------------------------------------------------


def test_each_extra_port_is_a_rule_on_the_pool_with_its_own_tcp_probe() -> None:
    graph = stack({"extraPorts": [KOTSADM, METRICS]})
    assert lb(graph)["probes"] == [
        tcp_probe("api-probe", 6443),
        tcp_probe("port-kotsadm", 8800),
        tcp_probe("port-metrics", 9100),  # its target port
    ]
    assert lb(graph)["loadBalancingRules"] == [
        rule("api", "api-frontend", 6443, 6443, "api-probe"),
        rule("port-kotsadm", "api-frontend", 8800, 8800, "port-kotsadm"),
        rule("port-metrics", "api-frontend", 9443, 9100, "port-metrics"),
    ]
    assert lb(graph)["backendAddressPools"] == [{"name": "primaries"}]
    nsg = graph.by_name("kurl-nsg-api").inputs
    # Flows reach the primaries on the target ports; from clients and, hairpinned, the LB's IP.
    assert nsg["destinationPortRanges"] == ["6443", "8800", "9100"]
    assert "destinationPortRange" not in nsg
    assert nsg["sourceAddressPrefixes"] == ["203.0.113.0/24", AZURE_IP]
    assert nsg["description"] == "kURL API and extra ports through the load balancer (kurl-lb)"
    assert graph.outputs["extraPortAddresses"] == {
        "kotsadm": f"{AZURE_IP}:8800",
        "metrics": f"{AZURE_IP}:9443",
    }


def test_extra_ports_with_https_keep_tcp_probes_of_their_own() -> None:
    graph = stack({**HTTPS, "extraPorts": [KOTSADM]})
    assert probes(graph)["api-probe"]["protocol"] == "Https"
    assert probes(graph)["port-kotsadm"] == tcp_probe("port-kotsadm", 8800)
    assert rules(graph)["port-kotsadm"]["probe"] == ref("probes", "port-kotsadm")


def test_extra_ports_during_a_move_are_on_both_front_ends_the_new_ones_floating() -> None:
    graph = stack({"extraPorts": [KOTSADM], "addressMove": {"frontEnd": "v2"}})
    assert lb(graph)["loadBalancingRules"] == [
        rule("api", "api-frontend", 6443, 6443, "api-probe"),
        rule("api-v2", "api-frontend-v2", 6443, 6443, "api-probe", floating=True),
        rule("port-kotsadm", "api-frontend", 8800, 8800, "port-kotsadm"),
        # The same backend port and pool as port-kotsadm: floating IP, as the move's API rule.
        rule("port-kotsadm.v2", "api-frontend-v2", 8800, 8800, "port-kotsadm", floating=True),
    ]
    assert list(probes(graph)) == ["api-probe", "port-kotsadm"]  # one probe per port
    nsg = graph.by_name("kurl-nsg-api").inputs
    assert nsg["destinationPortRanges"] == ["6443", "8800"]
    assert nsg["sourceAddressPrefixes"] == ["203.0.113.0/24", AZURE_IP, V2_IP]
    assert graph.outputs["nextFrontEndIp"] == V2_IP


def test_extra_ports_after_a_move_are_named_for_the_current_label() -> None:
    graph = stack({"extraPorts": [KOTSADM], "frontEnd": "v2"})
    assert [r["name"] for r in lb(graph)["loadBalancingRules"]] == ["api-v2", "port-kotsadm.v2"]
    assert not any(r["enableFloatingIP"] for r in lb(graph)["loadBalancingRules"])


def test_secret_extra_ports_keep_their_ports_secret() -> None:
    graph = run_project(
        with_changes(AZURE_DEV, {"extraPorts": [KOTSADM]}),
        secret_keys=["kurl-lb:extraPorts"],
    )
    rule_ = rules(graph)["port-kotsadm"]
    assert rule_["frontendPort"] == {"secret": 8800}
    assert graph.by_name("kurl-nsg-api").inputs["destinationPortRanges"] == {
        "secret": ["6443", "8800"]
    }


# --- registrations: one association per primary whatever the ports --------------------------------


def test_registering_a_primary_with_two_extra_ports_creates_one_association() -> None:
    extras = {"extraPorts": [KOTSADM, METRICS]}
    before = stack(extras)
    after = stack({**extras, "primaries.1.registered": True})
    assert ops(before, after) == {(CREATE, ASSOC, "kurl-nic-primary-2")}
    assert len(after.of_type(ASSOC)) == 2
    assert after.by_name("kurl-nic-primary-2").inputs["backendAddressPoolId"] == POOL_ID


def test_adding_an_extra_port_updates_the_lb_and_the_nsg_rule_in_place_only() -> None:
    """Azure's rules and probes are inside its one load balancer: an extra port is an in-place
    update of it (and of the NSG rule's ports), no registration touched (docs/azure.md)."""
    before = stack()
    after = stack({"extraPorts": [KOTSADM]})
    assert ops(before, after) == {(UPDATE, LB, "kurl-lb"), (UPDATE, NSG_RULE, "kurl-nsg-api")}


def test_ip_pool_with_extra_ports_keeps_one_pool_entry_per_primary() -> None:
    config = with_changes(
        AZURE_DEV,
        {
            "extraPorts": [KOTSADM],
            "azure.backendPool": "ip",
            "azure.virtualNetworkId": "/subscriptions/00000000-0000-0000-0000-000000000000/"
            "resourceGroups/kurl-dev-rg/providers/Microsoft.Network/virtualNetworks/kurl-vnet",
            "primaries": [
                {"name": "primary-1", "address": "10.1.0.4", "registered": True},
                {"name": "primary-2", "address": "10.1.0.5", "registered": True},
            ],
        },
    )
    pool = run_project(config).by_name("kurl-lb").inputs["backendAddressPools"][0]
    assert [a["name"] for a in pool["loadBalancerBackendAddresses"]] == ["primary-1", "primary-2"]


# --- bad inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        pytest.param(
            {"extraPorts": [{"name": "api443", "port": 443, "targetPort": 6443}]},
            [
                "kurl-lb:extraPorts[0].targetPort: 6443 is the API port",
                "unless they use floating IP",
                "a primary's own call to the front end on 443 would stay on the primary",
                "allowed: a targetPort other than 6443",
            ],
            id="target-is-the-api-port",
        ),
        pytest.param(
            {"extraPorts": [KOTSADM, {"name": "kots2", "port": 8801, "targetPort": 8800}]},
            [
                "kurl-lb:extraPorts[1].targetPort: 8800 is also extraPorts[0].targetPort",
                "allowed: a targetPort no other extra port has",
            ],
            id="shared-target-port",
        ),
        pytest.param(
            {"extraPorts": [{"name": "top", "port": 65535}]},
            [
                "kurl-lb:extraPorts[0].port: 65535 is refused by Azure load-balancing rules",
                "allowed: integer 1-65534",
            ],
            id="port-above-65534",
        ),
        pytest.param(
            {"extraPorts": [METRICS], "addressMove": {"frontEnd": "v2"}},
            [
                "kurl-lb:extraPorts[0].targetPort: 9100 differs from port 9443 during an "
                'address move to the new front end "v2"',
                "allowed during the move: targetPort 9443",
            ],
            id="remapped-port-during-a-move",
        ),
        pytest.param(
            {"healthCheck": {"protocol": "http"}},
            ['kurl-lb:healthCheck.protocol: "http" is invalid', "allowed: tcp or https"],
            id="http-health-check",
        ),
        pytest.param(
            {"extraPorts": [{"name": "api", "port": 6443}]},
            ["kurl-lb:extraPorts[0].port: 6443 is the API port"],
            id="extra-port-is-the-api-port",
        ),
    ],
)
def test_bad_inputs_are_refused_naming_the_key(
    changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(AZURE_DEV, changes, fragments)


def test_a_remapped_port_is_fine_without_a_move_and_with_a_same_label_move() -> None:
    graph = stack(
        {
            "extraPorts": [METRICS],
            "addressMove": {
                "frontEnd": "v1",
                "dnsRecord": {"zoneName": "example.com", "name": "k8s.example.com"},
            },
        }
    )
    assert rules(graph)["port-metrics"]["backendPort"] == 9100


# --- publicFrontEnd: no internal/public pair on Azure ---------------------------------------------


PAIR_WHY = [
    "is not used on Azure: Azure has no internal/public pair",
    "An internal Azure load balancer does not hairpin",
    "Outbound flow from a backend VM to a frontend of an internal Load Balancer will fail",
    "Remove publicFrontEnd",
]


def test_public_front_end_in_the_azure_section_is_refused_with_why() -> None:
    assert_rejected(
        AZURE_DEV,
        {"azure.publicFrontEnd": {"domainNameLabel": "kurl-public"}},
        ["kurl-lb:azure.publicFrontEnd: " + PAIR_WHY[0], *PAIR_WHY[1:]],
    )


def test_public_front_end_at_the_top_level_is_refused_with_why() -> None:
    assert_rejected(
        AZURE_DEV,
        {"kurl-lb:publicFrontEnd": {"domainNameLabel": "kurl-public"}},
        ["kurl-lb:publicFrontEnd: " + PAIR_WHY[0], *PAIR_WHY[1:]],
    )


def test_other_unknown_keys_still_read_unknown_key() -> None:
    assert_rejected(
        AZURE_DEV,
        {"azure.publicFrontEndz": 1},
        ["kurl-lb:azure.publicFrontEndz: unknown key (or not used with cloud azure)"],
    )


def test_public_front_end_in_the_components_args_is_refused_with_why() -> None:
    from components.azure import AzureKurlLb

    args: dict[str, Any] = {
        "primaries": [{"name": "primary-1", "nic_id": AZURE_DEV["kurl-lb:primaries"][0]["nicId"]}],
        "resource_group_name": "kurl-dev-rg",
        "allowed_client_cidrs": ["203.0.113.0/24"],
        "public_front_end": {"domain_name_label": "kurl-public"},
    }

    def program() -> None:
        AzureKurlLb("kurl", args)  # type: ignore[arg-type]

    with pytest.raises(ArgsError) as info:
        run_program(program)
    message = str(info.value)
    assert "publicFrontEnd: " + PAIR_WHY[0] in message
    assert "is not an argument" not in message


# --- the gate -------------------------------------------------------------------------------------


def test_the_full_example_stack_turns_on_the_azure_options_and_passes_the_gate(
    pack: PolicyGate,
) -> None:
    # As `make previews` runs it (--strict --json, its lookups from --invokes), by the gate's
    # steps in this process (tests/inprocess.py; azure-dev through the gate's own process:
    # tests/test_gate_boundary.py).
    import json

    from tests import inprocess
    from tests.conftest import PROJECT_ROOT

    invokes = PROJECT_ROOT / "offline" / "invokes" / "azure-full.yaml"
    result = inprocess.preview("azure-full", pack=pack, invokes=invokes, strict=True, as_json=True)
    assert result.code == 0, result.stdout + "\n".join(result.errors)
    doc = json.loads(result.stdout)
    assert doc["policy"]["diagnostics"] == []
    lb_ = next(r for r in doc["resources"] if r["name"] == "kurl-lb")["inputs"]
    api = next(p for p in lb_["probes"] if p["name"] == "api-probe")
    assert (api["protocol"], api["requestPath"], api["noHealthyBackendsBehavior"]) == (
        "Https",
        "/readyz",
        "AllProbedUp",
    )
    assert [r["name"] for r in lb_["loadBalancingRules"]] == ["api", "port-kotsadm"]
    assert doc["outputs"]["extraPortAddresses"] == {"kotsadm": "k8s.example.com:8800"}
