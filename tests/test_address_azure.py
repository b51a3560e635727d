"""Issue 21 on Azure: an existing public IP by ID, an Azure DNS alias record, and the two-step
address move (a second frontend and rule on the same load balancer), with real values."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from offline.diff import CREATE, DELETE, REPLACE, UPDATE, diff
from offline.recorder import Graph
from tests import conftest
from tests.conftest import (
    AZURE_DEV,
    AZURE_LB_ID,
    AZURE_RG,
    SUBSCRIPTION,
    assert_rejected,
    run_program,
    run_project,
    with_changes,
)

PIP = "azure-native:network:PublicIPAddress"
LB = "azure-native:network:LoadBalancer"
NSG_RULE = "azure-native:network:SecurityRule"
RECORD = "azure-native:dns:RecordSet"
LOOKUP = "azure-native:network:getPublicIPAddress"
ZONE_LOOKUP = "azure-native:dns:getZone"

GIVEN_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/kurl-ips/providers/Microsoft.Network"
    "/publicIPAddresses/kurl-api-ip"
)
OTHER_ID = GIVEN_ID.replace("kurl-api-ip", "kurl-api-ip-2")
GIVEN_IP = "20.0.0.77"
OTHER_IP = "20.0.0.88"
# Each created public IP gets its own address, as in Azure.
CREATED_IPS = {"kurl-pip": "20.0.0.10", "kurl-v2-pip": "20.0.0.20"}
RECORD_ARGS = {"zoneName": "example.com", "name": "k8s.example.com"}


def public_ip(name: str, **changes: Any) -> dict[str, Any]:
    """A looked-up public IP as azure-native answers getPublicIPAddress (wire names)."""
    found = {
        "id": GIVEN_ID.replace("kurl-api-ip", name),
        "name": name,
        "location": "eastus",
        "sku": {"name": "Standard", "tier": "Regional"},
        "publicIPAllocationMethod": "Static",
        "publicIPAddressVersion": "IPv4",
        "ipAddress": GIVEN_IP if name == "kurl-api-ip" else OTHER_IP,
        "etag": "e",
        "provisioningState": "Succeeded",
        "resourceGuid": "g",
        "type": "Microsoft.Network/publicIPAddresses",
        "ipConfiguration": None,
    }
    found.update(changes)
    return {k: v for k, v in found.items() if v is not None}


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, dict[str, Any]]]:
    """Public IPs the lookup finds, by name (edit them in a test), and one address per created
    public IP."""
    found = {"kurl-api-ip": public_ip("kurl-api-ip"), "kurl-api-ip-2": public_ip("kurl-api-ip-2")}
    seen: list[dict[str, Any]] = []

    def answer(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        seen.append(dict(args.args))
        return found[args.args["publicIpAddressName"]]

    monkeypatch.setitem(conftest.INVOKES, LOOKUP, answer)
    zones: dict[str, dict[str, Any]] = {}
    found["_zones"] = zones  # type: ignore[assignment]

    def zone(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        name = args.args["zoneName"]
        seen.append(dict(args.args))
        return {
            "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{args.args['resourceGroupName']}"
            f"/providers/Microsoft.Network/dnszones/{name}",
            "name": name,
            "location": "global",
            "type": "Microsoft.Network/dnszones",
            "nameServers": ["ns1-01.azure-dns.com."],
            "maxNumberOfRecordSets": 10000,
            "maxNumberOfRecordsPerRecordSet": 20,
            "numberOfRecordSets": 2,
            "signingKeys": [],
            "systemData": {},
            "azureApiVersion": "2023-07-01-preview",
            **zones.get(name, {}),
        }

    monkeypatch.setitem(conftest.INVOKES, ZONE_LOOKUP, zone)
    monkeypatch.setitem(
        conftest.OUTPUTS, PIP, lambda a: {"ipAddress": CREATED_IPS.get(a.name, "20.0.0.99")}
    )
    found["_calls"] = seen  # type: ignore[assignment]
    yield found


def azure(**section: Any) -> dict[str, Any]:
    """The Azure dev stack with these keys in its `kurl-lb:azure` section."""
    config = copy.deepcopy(AZURE_DEV)
    config["kurl-lb:azure"].update(section)
    return config


def moving(config: dict[str, Any], **move: Any) -> dict[str, Any]:
    return with_changes(config, {"addressMove": move})


def component(**args: Any) -> Graph:
    """AzureKurlLb built from Python Args (snake_case, records nested as the Args type has
    them), its address outputs exported as the stack exports them."""
    from components.azure import AzureKurlLb

    base: dict[str, Any] = {
        "primaries": [
            {"name": p["name"], "nic_id": p["nicId"], "registered": p.get("registered", False)}
            for p in AZURE_DEV["kurl-lb:primaries"]
        ],
        "resource_group_name": AZURE_RG,
        "allowed_client_cidrs": ["203.0.113.0/24"],
        "network_security_group_name": "primaries-nsg",
        "location": "eastus",
    }

    def program() -> None:
        lb = AzureKurlLb("kurl", {**base, **args})  # type: ignore[typeddict-item]
        pulumi.export("loadBalancerAddress", lb.load_balancer_address)
        pulumi.export("nextLoadBalancerAddress", lb.next_load_balancer_address)

    return run_program(program, outputs=conftest.OUTPUTS)


def ops(before: Graph, after: Graph) -> set[tuple[str, str, str]]:
    return {(c.op, c.type, c.name) for c in diff(before, after)}


def failure(config: dict[str, Any]) -> str:
    with pytest.raises(Exception) as info:  # the program's error, of any kind
        run_project(config)
    return str(info.value)


# --- an existing public IP ---------------------------------------------------------------------


def test_given_public_ip_is_the_frontend_and_none_is_created(
    lookups: dict[str, Any],
) -> None:
    graph = run_project(azure(publicIpId=GIVEN_ID))
    assert graph.of_type(PIP) == []
    lb = graph.by_name("kurl-lb").inputs
    assert lb["frontendIPConfigurations"] == [
        {"name": "api-frontend", "publicIPAddress": {"id": GIVEN_ID}}
    ]
    assert lookups["_calls"] == [
        {"resourceGroupName": "kurl-ips", "publicIpAddressName": "kurl-api-ip"}
    ]
    # No DNS name label on it: the address is its IP, and the NSG rule admits it.
    assert graph.outputs["loadBalancerAddress"] == f"{GIVEN_IP}:6443"
    assert graph.by_name("kurl-nsg-api").inputs["sourceAddressPrefixes"] == [
        "203.0.113.0/24",
        GIVEN_IP,
    ]


def test_given_public_ip_with_a_dns_label_gives_its_fqdn(lookups: dict[str, Any]) -> None:
    fqdn = "kurl-api.eastus.cloudapp.azure.com"
    lookups["kurl-api-ip"]["dnsSettings"] = {"domainNameLabel": "kurl-api", "fqdn": fqdn}
    graph = run_project(azure(publicIpId=GIVEN_ID))
    assert graph.outputs["loadBalancerAddress"] == f"{fqdn}:6443"
    assert graph.outputs["kurlInstallFlags"] == f"ha load-balancer-address={fqdn}:6443"


def test_given_public_ip_id_matches_any_case_of_its_fixed_segments(
    lookups: dict[str, Any],
) -> None:
    lower = GIVEN_ID.replace("resourceGroups", "resourcegroups").replace(
        "Microsoft.Network", "microsoft.network"
    )
    graph = run_project(azure(publicIpId=lower))
    assert graph.by_name("kurl-lb").inputs["frontendIPConfigurations"][0] == {
        "name": "api-frontend",
        "publicIPAddress": {"id": lower},
    }


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"sku": {"name": "Basic"}}, 'its SKU is "Basic"; a Standard load balancer takes Standard'),
        ({"sku": None}, 'its SKU is "Basic"'),
        ({"publicIPAllocationMethod": "Dynamic"}, 'its allocation is "Dynamic"'),
        ({"publicIPAddressVersion": "IPv6"}, 'it is "IPv6"'),
        ({"location": "westeurope"}, 'it is in "westeurope", the load balancer in "eastus"'),
        (
            {"ipConfiguration": {"id": "/subscriptions/x/resourceGroups/y/nic/ipcfg"}},
            "it is in use by",
        ),
    ],
)
def test_given_public_ip_the_lb_cannot_use_fails_naming_the_key(
    lookups: dict[str, Any], changes: dict[str, Any], why: str
) -> None:
    lookups["kurl-api-ip"].update(changes)
    for key, value in changes.items():
        if value is None:
            del lookups["kurl-api-ip"][key]
    message = failure(azure(publicIpId=GIVEN_ID))
    assert "publicIpId: names a public IP the load balancer cannot use" in message
    assert why in message


def test_given_public_ip_already_on_this_frontend_is_fine(lookups: dict[str, Any]) -> None:
    """After the first apply the IP is on our own frontend: that is not "in use elsewhere"."""
    ours = f"{AZURE_LB_ID}/frontendIPConfigurations/api-frontend".upper()
    lookups["kurl-api-ip"]["ipConfiguration"] = {"id": ours}
    graph = run_project(azure(publicIpId=GIVEN_ID))
    assert graph.outputs["loadBalancerAddress"] == f"{GIVEN_IP}:6443"


@pytest.mark.parametrize(
    ("section", "fragments"),
    [
        (
            {"publicIpId": GIVEN_ID, "domainNameLabel": "kurl-api"},
            ["kurl-lb:azure.domainNameLabel: is only used with a public IP kurl-lb creates"],
        ),
        (
            {"publicIpId": GIVEN_ID.replace("publicIPAddresses", "networkInterfaces")},
            ["kurl-lb:azure.publicIpId", "is not a public IP address resource ID"],
        ),
        (
            {"publicIpId": GIVEN_ID.replace(SUBSCRIPTION, "not-a-guid")},
            ["kurl-lb:azure.publicIpId", "publicIPAddresses/<name>"],
        ),
        (
            {"dnsRecord": {"zoneName": "example.com", "name": "k8s.example.org"}},
            ['kurl-lb:azure.dnsRecord.name: "k8s.example.org" is not in the zone "example.com"'],
        ),
        (
            {"dnsRecord": {"zoneName": "example.com", "name": "k8s.example.com."}},
            ["kurl-lb:azure.dnsRecord.name", "without the trailing dot"],
        ),
        (
            {"dnsRecord": {"zoneName": "com", "name": "k8s.com"}},
            ["kurl-lb:azure.dnsRecord.zoneName", "is not a DNS zone name"],
        ),
        (
            {"dnsRecord": {**RECORD_ARGS, "ttl": 0}},
            ["kurl-lb:azure.dnsRecord.ttl"],
        ),
        (
            {"dnsRecord": {"zoneName": "example.com"}},
            ["kurl-lb:azure.dnsRecord.name"],
        ),
    ],
)
def test_bad_address_options_are_rejected(section: dict[str, Any], fragments: list[str]) -> None:
    assert_rejected(azure(**section), {}, fragments)


# --- the DNS record ----------------------------------------------------------------------------


def test_dns_record_is_an_alias_of_the_created_public_ip(lookups: dict[str, Any]) -> None:
    graph = run_project(azure(dnsRecord=RECORD_ARGS))
    (record,) = graph.of_type(RECORD)
    assert record.name == "kurl-dns-k8s.example.com"
    assert record.inputs == {
        "zoneName": "example.com",
        "relativeRecordSetName": "k8s",
        "recordType": "A",
        "resourceGroupName": AZURE_RG,
        "targetResource": {"id": "kurl-pip-id"},
        "ttl": 60,
        "metadata": {"kurl-lb-front-end": "v1"},
    }
    assert record.property_dependencies["targetResource"] == [graph.by_name("kurl-pip").urn]
    assert graph.outputs["loadBalancerAddress"] == "k8s.example.com:6443"
    assert graph.outputs["kurlInstallFlags"] == "ha load-balancer-address=k8s.example.com:6443"


def test_dns_record_at_the_apex_in_its_own_resource_group(lookups: dict[str, Any]) -> None:
    record = {"zoneName": "Kurl.Example.com", "name": "kurl.example.com", "ttl": 300}
    graph = run_project(
        azure(dnsRecord={**record, "resourceGroupName": "dns-rg"}, publicIpId=GIVEN_ID)
    )
    (found,) = graph.of_type(RECORD)
    assert found.inputs["relativeRecordSetName"] == "@"
    assert found.inputs["zoneName"] == "kurl.example.com"
    assert found.inputs["resourceGroupName"] == "dns-rg"
    assert found.inputs["ttl"] == 300
    assert found.inputs["targetResource"] == {"id": GIVEN_ID}


def test_dns_record_in_a_private_zone_fails_naming_the_key(lookups: dict[str, Any]) -> None:
    lookups["_zones"]["example.com"] = {"zoneType": "Private"}
    message = failure(azure(dnsRecord=RECORD_ARGS))
    assert 'dnsRecord.zoneName: names a "Private" Azure DNS zone' in message
    assert "the API address needs a public zone" in message


def test_the_zone_is_looked_up_in_its_resource_group(lookups: dict[str, Any]) -> None:
    run_project(azure(dnsRecord={**RECORD_ARGS, "resourceGroupName": "dns-rg"}))
    assert {"resourceGroupName": "dns-rg", "zoneName": "example.com"} in lookups["_calls"]


def test_a_secret_record_name_stays_out_of_the_urn(lookups: dict[str, Any]) -> None:
    graph = component(
        dns_record={"zone_name": "example.com", "name": "k8s.example.com"},
        secret_args=["dnsRecord"],
    )
    (record,) = graph.of_type(RECORD)
    assert "k8s" not in record.urn
    assert record.inputs["relativeRecordSetName"] == {"secret": "k8s"}


# --- the address move --------------------------------------------------------------------------


def front_end_inputs(graph: Graph) -> tuple[list[Any], list[Any]]:
    lb = graph.by_name("kurl-lb").inputs
    return lb["frontendIPConfigurations"], lb["loadBalancingRules"]


def test_move_step_1_adds_a_frontend_and_rule_beside_the_old_one(
    lookups: dict[str, Any],
) -> None:
    before = run_project(azure())
    after = run_project(moving(azure(), frontEnd="v2"))
    assert ops(before, after) == {
        (CREATE, PIP, "kurl-v2-pip"),
        (UPDATE, LB, "kurl-lb"),
        (UPDATE, NSG_RULE, "kurl-nsg-api"),
    }
    assert all(c.in_place for c in diff(before, after) if c.op == UPDATE)
    frontends, rules = front_end_inputs(after)
    assert frontends == [
        {"name": "api-frontend", "publicIPAddress": {"id": "kurl-pip-id"}},
        {"name": "api-frontend-v2", "publicIPAddress": {"id": "kurl-v2-pip-id"}},
    ]
    old, new = rules
    assert old == front_end_inputs(before)[1][0]  # the old rule untouched
    assert new["name"] == "api-v2"
    assert new["frontendIPConfiguration"] == {
        "id": f"{AZURE_LB_ID}/frontendIPConfigurations/api-frontend-v2"
    }
    for key in ("backendAddressPool", "probe", "frontendPort", "backendPort", "protocol"):
        assert new[key] == old[key]
    assert new["disableOutboundSnat"] is False
    # Azure refuses a second rule with the same backend port and pool without floating IP.
    assert new["enableFloatingIP"] is True
    assert after.by_name("kurl-v2-pip").protect is True
    # Outbound SNAT picks either frontend: the NSG rule admits both IPs.
    assert after.by_name("kurl-nsg-api").inputs["sourceAddressPrefixes"] == [
        "203.0.113.0/24",
        "20.0.0.10",
        "20.0.0.20",
    ]
    out = after.outputs
    assert out["frontEnd"] == "v1"
    assert out["loadBalancerAddress"] == "20.0.0.10:6443"
    assert out["nextFrontEnd"] == "v2"
    assert out["nextLoadBalancerAddress"] == "20.0.0.20:6443"
    assert out["nextFrontEndIp"] == "20.0.0.20"
    # The registrations stay: both frontends serve the one pool.
    assert not any("nic" in name for _, _, name in ops(before, after))


def test_move_step_2_retires_the_old_front_end_only(lookups: dict[str, Any]) -> None:
    before = run_project(moving(azure(), frontEnd="v2"))
    done = run_project(with_changes(azure(), {"frontEnd": "v2"}))
    assert ops(before, done) == {
        (DELETE, PIP, "kurl-pip"),
        (UPDATE, LB, "kurl-lb"),
        (UPDATE, NSG_RULE, "kurl-nsg-api"),
    }
    frontends, rules = front_end_inputs(done)
    assert frontends == [{"name": "api-frontend-v2", "publicIPAddress": {"id": "kurl-v2-pip-id"}}]
    (rule,) = rules
    moved = front_end_inputs(before)[1][1]
    # The only change to the new front end: its rule no longer needs floating IP.
    assert {**rule, "enableFloatingIP": True} == moved
    assert done.by_name("kurl-v2-pip").inputs == before.by_name("kurl-v2-pip").inputs
    assert done.outputs["frontEnd"] == "v2"
    assert done.outputs["loadBalancerAddress"] == "20.0.0.20:6443"
    assert "nextFrontEnd" not in done.outputs


def test_move_to_a_given_public_ip_with_a_record(lookups: dict[str, Any]) -> None:
    # Through the component: the stack does not read records nested in addressMove yet
    # (components/stack.py converts one level of record keys).
    record = {"zone_name": "example.com", "name": "api2.example.com"}
    first = {"zone_name": "example.com", "name": "k8s.example.com"}
    config: dict[str, Any] = {"domain_name_label": "kurl-api", "dns_record": first}
    before = component(**config)
    move = {"front_end": "v2", "public_ip_id": GIVEN_ID, "dns_record": record}
    step1 = component(**config, address_move=move)
    assert ops(before, step1) == {
        (CREATE, RECORD, "kurl-v2-dns-api2.example.com"),
        (UPDATE, LB, "kurl-lb"),
        (UPDATE, NSG_RULE, "kurl-nsg-api"),
    }
    frontends, _ = front_end_inputs(step1)
    assert frontends[1] == {"name": "api-frontend-v2", "publicIPAddress": {"id": GIVEN_ID}}
    new_record = step1.by_name("kurl-v2-dns-api2.example.com").inputs
    assert new_record["targetResource"] == {"id": GIVEN_ID}
    assert new_record["metadata"] == {"kurl-lb-front-end": "v2"}
    assert step1.outputs["loadBalancerAddress"] == "k8s.example.com:6443"
    assert step1.outputs["nextLoadBalancerAddress"] == "api2.example.com:6443"
    # Done: the new values at top level (the label goes: the given IP has its own).
    done = component(public_ip_id=GIVEN_ID, dns_record=record, front_end="v2")
    assert ops(step1, done) == {
        (DELETE, PIP, "kurl-pip"),
        (DELETE, RECORD, "kurl-dns-k8s.example.com"),
        (UPDATE, LB, "kurl-lb"),
        (UPDATE, NSG_RULE, "kurl-nsg-api"),
    }
    assert done.outputs["loadBalancerAddress"] == "api2.example.com:6443"


def test_move_from_a_given_public_ip_to_another(lookups: dict[str, Any]) -> None:
    config = azure(publicIpId=GIVEN_ID)
    before = run_project(config)
    step1 = run_project(moving(config, frontEnd="v2", publicIpId=OTHER_ID))
    assert ops(before, step1) == {(UPDATE, LB, "kurl-lb"), (UPDATE, NSG_RULE, "kurl-nsg-api")}
    assert step1.outputs["nextLoadBalancerAddress"] == f"{OTHER_IP}:6443"
    assert step1.by_name("kurl-nsg-api").inputs["sourceAddressPrefixes"][1:] == [
        GIVEN_IP,
        OTHER_IP,
    ]


def test_move_from_a_given_public_ip_to_a_created_one(lookups: dict[str, Any]) -> None:
    """A move that gives domainNameLabel drops the publicIpId its front end would inherit."""
    config = azure(publicIpId=GIVEN_ID)
    step1 = run_project(moving(config, frontEnd="v2", domainNameLabel="kurl-v2"))
    assert step1.by_name("kurl-v2-pip").inputs["dnsSettings"] == {"domainNameLabel": "kurl-v2"}
    assert step1.outputs["nextLoadBalancerHost"] == "kurl-v2.eastus.cloudapp.azure.com"


def test_same_label_move_only_adds_the_record(lookups: dict[str, Any]) -> None:
    record = {"zone_name": "example.com", "name": "k8s.example.com"}
    before = component()
    after = component(address_move={"front_end": "v1", "dns_record": record})
    assert ops(before, after) == {(CREATE, RECORD, "kurl-dns-k8s.example.com")}
    assert after.outputs["loadBalancerAddress"] == "20.0.0.10:6443"
    assert after.outputs["nextLoadBalancerAddress"] == "k8s.example.com:6443"
    done = component(dns_record=record)
    assert ops(after, done) == set()


def test_plans_never_replace(lookups: dict[str, Any]) -> None:
    configs = [
        azure(),
        moving(azure(), frontEnd="v2"),
        with_changes(azure(), {"frontEnd": "v2"}),
    ]
    graphs = [run_project(c) for c in configs]
    for before, after in itertools.pairwise(graphs):
        assert not [c for c in diff(before, after) if c.op == REPLACE]


@pytest.mark.parametrize(
    ("section", "move", "fragments"),
    [
        (
            {"publicIpId": GIVEN_ID},
            {"frontEnd": "v2"},
            ['kurl-lb:addressMove.publicIpId: is required: the new front end "v2" cannot share'],
        ),
        (
            {"publicIpId": GIVEN_ID},
            {"frontEnd": "v2", "publicIpId": GIVEN_ID.lower()},
            ["kurl-lb:addressMove.publicIpId", "is also", "serves one frontend"],
        ),
        (
            {"dnsRecord": RECORD_ARGS},
            {"frontEnd": "v2"},
            ['kurl-lb:addressMove.dnsRecord: names "k8s.example.com"', "another name"],
        ),
        (
            {},
            {"frontEnd": "v2", "publicIpId": GIVEN_ID, "domainNameLabel": "kurl-api"},
            ["kurl-lb:addressMove.domainNameLabel: is only used with a public IP kurl-lb"],
        ),
        (
            {},
            {"frontEnd": "v1", "publicIpId": GIVEN_ID},
            ["kurl-lb:addressMove.frontEnd", "need a new front end"],
        ),
    ],
)
def test_bad_moves_are_rejected(
    section: dict[str, Any], move: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(moving(azure(**section), **move), {}, fragments)


def test_a_given_ip_in_use_by_the_old_frontend_fails_the_move(lookups: dict[str, Any]) -> None:
    """The move names the IP the current front end has (its frontend holds it): refused."""
    ours = f"{AZURE_LB_ID}/frontendIPConfigurations/api-frontend"
    lookups["kurl-api-ip-2"]["ipConfiguration"] = {"id": ours}
    message = failure(moving(azure(), frontEnd="v2", publicIpId=OTHER_ID))
    assert "addressMove.publicIpId: names a public IP the load balancer cannot use" in message
    assert "in use by" in message


def test_a_moved_record_outside_its_zone_is_rejected() -> None:
    from components.azure import AzureKurlLb
    from components.problems import ArgsError

    bad = {"zone_name": "example.com", "name": "a.example.org"}
    with pytest.raises(ArgsError) as info:
        AzureKurlLb(
            "kurl",
            {  # type: ignore[typeddict-item]
                "primaries": [{"name": "p1", "address": "10.0.0.4", "registered": True}],
                "resource_group_name": AZURE_RG,
                "allowed_client_cidrs": ["203.0.113.0/24"],
                "backend_pool": "ip",
                "virtual_network_id": AZURE_DEV_VNET,
                "address_move": {"front_end": "v2", "dns_record": bad},
            },
        )
    assert 'addressMove.dnsRecord.name: "a.example.org" is not in the zone' in str(info.value)


AZURE_DEV_VNET = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{AZURE_RG}/providers/Microsoft.Network"
    "/virtualNetworks/kurl-vnet"
)


def test_a_preview_without_the_lookup_keeps_the_given_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unanswered lookup (a first `pulumi preview` offline) leaves the host unknown, not the
    frontend: the plan still shows which public IP the frontend uses."""
    monkeypatch.delitem(conftest.INVOKES, LOOKUP, raising=False)
    graph = run_project(azure(publicIpId=GIVEN_ID), preview=True)
    frontend = graph.by_name("kurl-lb").inputs["frontendIPConfigurations"][0]
    assert frontend == {"name": "api-frontend", "publicIPAddress": {"id": GIVEN_ID}}


def test_a_preview_with_the_lookup_answered_still_fails_a_bad_ip(
    lookups: dict[str, Any],
) -> None:
    lookups["kurl-api-ip"]["sku"] = {"name": "Basic"}
    with pytest.raises(Exception) as info:  # the program's error, of any kind
        run_project(azure(publicIpId=GIVEN_ID), preview=True)
    assert "publicIpId: names a public IP the load balancer cannot use" in str(info.value)


def test_swapping_the_public_ip_under_a_record_keeps_the_address(lookups: dict[str, Any]) -> None:
    """With a DNS record, another public IP is no address move: the record's target changes in
    place, the address (the record's name) stays; the old created IP goes."""
    before = run_project(azure(dnsRecord=RECORD_ARGS))
    after = run_project(azure(dnsRecord=RECORD_ARGS, publicIpId=GIVEN_ID))
    changes = {(c.op, c.name): c for c in diff(before, after)}
    assert set(changes) == {
        (UPDATE, "kurl-lb"),
        (UPDATE, "kurl-nsg-api"),
        (UPDATE, "kurl-dns-k8s.example.com"),
        (DELETE, "kurl-pip"),
    }
    assert changes[(UPDATE, "kurl-dns-k8s.example.com")].in_place is True
    record = after.by_name("kurl-dns-k8s.example.com").inputs
    assert record["targetResource"] == {"id": GIVEN_ID}
    assert before.outputs["loadBalancerAddress"] == after.outputs["loadBalancerAddress"]


def test_a_preview_with_the_zone_answered_still_fails_a_private_zone(
    lookups: dict[str, Any],
) -> None:
    lookups["_zones"]["example.com"] = {"zoneType": "Private"}
    with pytest.raises(Exception) as info:  # the program's error, of any kind
        run_project(azure(dnsRecord=RECORD_ARGS), preview=True)
    assert 'dnsRecord.zoneName: names a "Private" Azure DNS zone' in str(info.value)
