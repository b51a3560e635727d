"""GCP stable addresses (#21): a reserved address given by name or self link, a Cloud DNS record
for the API address, and the two-step address move (a second forwarding rule to the same backend
service beside the first; then the first retired), with real values asserted."""

from __future__ import annotations

import copy
import hashlib
import importlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.kurl import UNIT_NAME, nodeport_alias_script
from offline.address import address_changes
from offline.diff import CREATE, DELETE, diff
from offline.recorder import Graph, PreviewMocks, main_program, program_directory, record
from tests.conftest import (
    DELETE as REMOVE,
)
from tests.conftest import (
    GCP_API,
    GCP_IP,
    GCP_PROJECT,
    INVOKES,
    OUTPUTS,
    PROJECT_ROOT,
    BadConfigCase,
    assert_rejected,
    bad_config_params,
    encode,
    in_child,
    with_changes,
)
from tests.test_gcp import _netns_or_skip

ADDRESS = "gcp:compute/address:Address"
RULE = "gcp:compute/forwardingRule:ForwardingRule"
RECORD = "gcp:dns/recordSet:RecordSet"
SUBNET = f"projects/{GCP_PROJECT}/regions/us-central1/subnetworks/kurl-subnet"

# Reserved addresses the lookup knows, by name (what `gcp.compute.get_address` returns).
RESERVED: dict[str, dict[str, Any]] = {
    "kurl-api": {"address": "34.120.0.50", "addressType": "EXTERNAL", "networkTier": "PREMIUM"},
    "kurl-api-v2": {"address": "34.120.0.60", "addressType": "EXTERNAL", "networkTier": "PREMIUM"},
    "kurl-standard": {
        "address": "35.200.0.7",
        "addressType": "EXTERNAL",
        "networkTier": "STANDARD",
    },
    "kurl-internal": {
        "address": "10.20.0.50",
        "addressType": "INTERNAL",
        "networkTier": "PREMIUM",
        "subnetwork": f"{GCP_API}/regions/us-central1/subnetworks/kurl-subnet",
    },
    "other-subnet": {
        "address": "10.30.0.5",
        "addressType": "INTERNAL",
        "networkTier": "PREMIUM",
        "subnetwork": f"{GCP_API}/regions/us-central1/subnetworks/other",
    },
}
ZONES = {
    "kurl-example-com": {"dnsName": "kurl.example.com.", "visibility": "public"},
    "kurl-private": {"dnsName": "internal.example.com.", "visibility": "private"},
    "kurl-example-com-2": {"dnsName": "example.com.", "visibility": "public"},
}
LOOKUPS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {
    **INVOKES,
    "gcp:compute/getAddress:getAddress": lambda a: {
        "name": a.args["name"],
        **RESERVED[a.args["name"]],
    },
    "gcp:dns/getManagedZone:getManagedZone": lambda a: {
        "name": a.args["name"],
        **ZONES[a.args["name"]],
    },
}
ARGS_RECORD = {"managed_zone": "kurl-example-com", "name": "api.kurl.example.com"}
RECORD_A = {"managedZone": "kurl-example-com", "name": "api.kurl.example.com"}
RECORD_B = {"managedZone": "kurl-example-com", "name": "api2.kurl.example.com"}


def run(
    config: dict[str, Any],
    *,
    graph: Graph | None = None,
    preview: bool = False,
    lookups: dict[str, Any] | None = None,
) -> Graph:
    """The project's program under the mock engine, with the lookups of this module."""
    mocks = PreviewMocks(
        outputs=OUTPUTS, invokes=LOOKUPS if lookups is None else lookups, preview=preview
    )
    with program_directory(PROJECT_ROOT):
        return record(
            main_program(PROJECT_ROOT),
            project="kurl-lb",
            stack="test",
            config=encode(config),
            mocks=mocks,
            graph=graph,
        )


def _failure(config: dict[str, Any]) -> str:
    try:
        run(config)
    except Exception as exc:
        return str(exc)
    return "<no failure>"


def failing(config: dict[str, Any]) -> str:
    """The message a config that fails at deploy stops the program with. Run in a forked child:
    a run failing inside an output leaves futures that hold the error alive in this process
    until an unrelated later compile() (CPython 3.11: "AST constructor recursion depth
    mismatch")."""
    return in_child(_failure, config)


def full(base: dict[str, Any]) -> dict[str, Any]:
    """A stack with every option of this issue: a reserved address and a DNS record."""
    return with_changes(base, {"gcp.address": "kurl-api", "gcp.dnsRecord": dict(RECORD_A)})


def internal(base: dict[str, Any]) -> dict[str, Any]:
    return with_changes(
        base, {"scheme": "internal", "allowedClientCidrs": REMOVE, "gcp.subnetwork": SUBNET}
    )


# --- a reserved address ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "kurl-api",
        f"projects/{GCP_PROJECT}/regions/us-central1/addresses/kurl-api",
        f"{GCP_API}/regions/us-central1/addresses/kurl-api",
    ],
)
def test_a_given_address_is_used_and_none_is_created(gcp_dev: dict[str, Any], given: str) -> None:
    graph = run(with_changes(gcp_dev, {"gcp.address": given}))
    assert graph.of_type(ADDRESS) == []
    rule = graph.by_name("kurl-fr").inputs
    assert rule["ipAddress"] == "34.120.0.50"
    assert rule["loadBalancingScheme"] == "EXTERNAL"
    assert rule["networkTier"] == "PREMIUM"
    assert graph.by_name("kurl-fr").protect is True
    lookup = next(i for i in graph.invokes if i.token == "gcp:compute/getAddress:getAddress")
    assert lookup.args["name"] == "kurl-api"
    assert lookup.args["region"] == "us-central1"
    if "/" in given:
        assert lookup.args["project"] == GCP_PROJECT
    assert graph.outputs["loadBalancerAddress"] == "34.120.0.50:6443"
    assert graph.outputs["kurlInstallFlags"] == "ha load-balancer-address=34.120.0.50:6443"
    assert "LB_IP='34.120.0.50'" in graph.outputs["nodePortAliasScript"]


def test_an_internal_reserved_address_in_the_subnetwork_is_used(gcp_dev: dict[str, Any]) -> None:
    graph = run(with_changes(internal(gcp_dev), {"gcp.address": "kurl-internal"}))
    rule = graph.by_name("kurl-fr").inputs
    assert rule["ipAddress"] == "10.20.0.50"
    assert rule["loadBalancingScheme"] == "INTERNAL"
    assert rule["subnetwork"] == SUBNET
    assert "networkTier" not in rule
    assert graph.outputs["loadBalancerAddress"] == "10.20.0.50:6443"


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        pytest.param(
            {"gcp.address": "kurl-internal"},
            ['address: "kurl-internal" is an INTERNAL address; scheme public needs an EXTERNAL'],
            id="internal-address-on-external-lb",
        ),
        pytest.param(
            {"gcp.address": "kurl-standard"},
            ['"kurl-standard" is a STANDARD tier address', "networkTier is PREMIUM"],
            id="tier-mismatch",
        ),
    ],
)
def test_a_looked_up_address_the_lb_cannot_use_fails_naming_the_key(
    gcp_dev: dict[str, Any], changes: dict[str, Any], fragments: list[str]
) -> None:
    message = failing(with_changes(gcp_dev, changes))
    for fragment in fragments:
        assert fragment in message


def test_an_external_address_on_an_internal_lb_fails(gcp_dev: dict[str, Any]) -> None:
    message = failing(with_changes(internal(gcp_dev), {"gcp.address": "kurl-api"}))
    assert '"kurl-api" is an EXTERNAL address; scheme internal needs an INTERNAL one' in message


def test_an_internal_address_of_another_subnetwork_fails(gcp_dev: dict[str, Any]) -> None:
    message = failing(with_changes(internal(gcp_dev), {"gcp.address": "other-subnet"}))
    assert '"other-subnet" is in subnetwork' in message
    assert "not in subnetwork" in message


def test_a_preview_uses_the_looked_up_ip(gcp_dev: dict[str, Any]) -> None:
    graph = run(with_changes(gcp_dev, {"gcp.address": "kurl-api"}), preview=True)
    assert graph.by_name("kurl-fr").inputs["ipAddress"] == "34.120.0.50"


def test_a_given_address_is_unknown_in_preview_without_an_answer(gcp_dev: dict[str, Any]) -> None:
    from offline.recorder import UNKNOWN

    graph = run(with_changes(gcp_dev, {"gcp.address": "kurl-api"}), preview=True, lookups={})
    assert graph.by_name("kurl-fr").inputs["ipAddress"] == UNKNOWN
    assert graph.of_type(ADDRESS) == []
    assert graph.outputs["loadBalancerAddress"] == UNKNOWN


# --- the DNS record -------------------------------------------------------------------------------


def test_a_dns_record_names_the_api_address(gcp_dev: dict[str, Any]) -> None:
    graph = run(full(gcp_dev))
    record_set = graph.by_name("kurl-dns-api.kurl.example.com")
    assert record_set.type == RECORD
    assert record_set.inputs == {
        "managedZone": "kurl-example-com",
        "name": "api.kurl.example.com.",
        "type": "A",
        "ttl": 60,
        "rrdatas": ["34.120.0.50"],
    }
    assert graph.outputs["loadBalancerAddress"] == "api.kurl.example.com:6443"
    assert graph.outputs["kurlInstallFlags"] == (
        "ha load-balancer-address=api.kurl.example.com:6443"
    )
    assert graph.outputs["frontEnd"] == "v1"
    assert "nextFrontEnd" not in graph.outputs


def test_a_dns_record_for_a_created_address_carries_its_ip(gcp_dev: dict[str, Any]) -> None:
    config = with_changes(gcp_dev, {"gcp.dnsRecord": {**RECORD_A, "ttl": 300, "project": "dns-p"}})
    graph = run(config)
    inputs = graph.by_name("kurl-dns-api.kurl.example.com").inputs
    assert inputs["rrdatas"] == [GCP_IP]
    assert inputs["ttl"] == 300
    assert inputs["project"] == "dns-p"
    zone = next(i for i in graph.invokes if i.token == "gcp:dns/getManagedZone:getManagedZone")
    assert zone.args == {"name": "kurl-example-com", "project": "dns-p"}


def test_a_record_outside_its_zone_fails_naming_the_name(gcp_dev: dict[str, Any]) -> None:
    config = with_changes(
        gcp_dev, {"gcp.dnsRecord": {"managedZone": "kurl-example-com", "name": "api.other.org"}}
    )
    message = failing(config)
    assert "dnsRecord.name" in message
    assert '"api.other.org" is not inside the managed zone\'s DNS name "kurl.example.com."' in (
        message
    )


def test_an_internal_lb_in_a_public_zone_is_warned_about(gcp_dev: dict[str, Any]) -> None:
    graph = run(with_changes(internal(gcp_dev), {"gcp.dnsRecord": dict(RECORD_A)}))
    warnings = [m for level, m in graph.diagnostics if level == "warning"]
    assert any("PUBLIC managed zone" in m and "10.20.0.0" not in m for m in warnings), warnings
    assert graph.by_name("kurl-dns-api.kurl.example.com").inputs["rrdatas"] == [GCP_IP]


def test_an_internal_lb_in_a_private_zone_is_not_warned_about(gcp_dev: dict[str, Any]) -> None:
    record_set = {"managedZone": "kurl-private", "name": "api.internal.example.com"}
    graph = run(with_changes(internal(gcp_dev), {"gcp.dnsRecord": record_set}))
    assert not [m for level, m in graph.diagnostics if "managed zone" in m]


# --- bad values, refused before anything registers ------------------------------------------------

LINK = f"projects/{GCP_PROJECT}/regions/us-central1/addresses/kurl-api"
CASES: list[BadConfigCase] = [
    (
        "address-not-a-ref",
        {"gcp.address": "Kurl API"},
        ['kurl-lb:gcp.address: "Kurl API" is not a GCP address name or self link'],
    ),
    (
        "address-in-another-region",
        {"gcp.address": LINK.replace("us-central1", "europe-west1")},
        ["kurl-lb:gcp.address:", "is in region europe-west1, not in gcp:region us-central1"],
    ),
    (
        "zone-name-with-dots",
        {"gcp.dnsRecord": {**RECORD_A, "managedZone": "kurl.example.com"}},
        ['kurl-lb:gcp.dnsRecord.managedZone: "kurl.example.com" is not a Cloud DNS managed zone'],
    ),
    (
        "record-with-trailing-dot",
        {"gcp.dnsRecord": {**RECORD_A, "name": "api.kurl.example.com."}},
        ["kurl-lb:gcp.dnsRecord.name:", "ends with a dot"],
    ),
    (
        "record-in-capitals",
        {"gcp.dnsRecord": {**RECORD_A, "name": "API.kurl.example.com"}},
        ["kurl-lb:gcp.dnsRecord.name:", "is not a lowercase fully qualified DNS name"],
    ),
    (
        "record-single-label",
        {"gcp.dnsRecord": {**RECORD_A, "name": "api"}},
        ["is not a lowercase fully qualified DNS name"],
    ),
    (
        "record-an-ip",
        {"gcp.dnsRecord": {**RECORD_A, "name": "10.0.0.1"}},
        ["is not a lowercase fully qualified DNS name"],
    ),
    (
        "ttl-zero",
        {"gcp.dnsRecord": {**RECORD_A, "ttl": 0}},
        ["kurl-lb:gcp.dnsRecord.ttl:"],
    ),
    (
        "ttl-too-long",
        {"gcp.dnsRecord": {**RECORD_A, "ttl": 86401}},
        ["kurl-lb:gcp.dnsRecord.ttl:"],
    ),
    (
        "record-without-zone",
        {"gcp.dnsRecord": {"name": "api.kurl.example.com"}},
        ["kurl-lb:gcp.dnsRecord.managedZone: is required"],
    ),
    (
        "move-keeps-the-address",
        {"gcp.address": "kurl-api", "addressMove": {"frontEnd": "v2"}},
        ["kurl-lb:addressMove.address: is required", "needs another reserved address"],
    ),
    (
        "move-reuses-the-address",
        {"gcp.address": "kurl-api", "addressMove": {"frontEnd": "v2", "address": LINK}},
        ["kurl-lb:addressMove.address:", "of the front end nodes use"],
    ),
    (
        "move-keeps-the-record",
        {"gcp.dnsRecord": RECORD_A, "addressMove": {"frontEnd": "v2"}},
        ["kurl-lb:addressMove.dnsRecord: is required"],
    ),
    (
        "move-address-in-another-region",
        {
            "addressMove": {
                "frontEnd": "v2",
                "address": LINK.replace("us-central1", "us-east1"),
            }
        },
        ["kurl-lb:addressMove.address:", "is in region us-east1"],
    ),
    (
        "move-tier-without-a-new-front-end",
        {"addressMove": {"frontEnd": "v1", "networkTier": "STANDARD"}},
        ["kurl-lb:addressMove.frontEnd:", "need a new front end"],
    ),
    (
        "move-standard-tier-internal",
        {
            "scheme": "internal",
            "allowedClientCidrs": REMOVE,
            "gcp.subnetwork": SUBNET,
            "addressMove": {"frontEnd": "v2", "networkTier": "STANDARD"},
        },
        ["kurl-lb:addressMove.networkTier:", "cannot be used with scheme internal"],
    ),
]


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(CASES))
def test_bad_values_are_refused_naming_the_key(
    gcp_dev: dict[str, Any], changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(gcp_dev, changes, fragments)


@pytest.mark.parametrize(
    ("move", "fragment"),
    [
        pytest.param(
            {"front_end": "v2", "address": "kurl-api-v2", "dns_record": ARGS_RECORD},
            'addressMove.dnsRecord.name: "api.kurl.example.com" is dnsRecord name of the front '
            "end nodes use; the new front end needs another name",
            id="same-record-name",
        ),
        pytest.param(
            {"front_end": "v1", "dns_record": {**ARGS_RECORD, "name": "API"}},
            'addressMove.dnsRecord.name: "API" is not a lowercase fully qualified DNS name',
            id="bad-record-name",
        ),
        pytest.param(
            {"front_end": "v2", "address": "kurl-api-v2", "dns_record": {"name": "a.b.com"}},
            "addressMove.dnsRecord.managedZone: is required",
            id="record-without-zone",
        ),
    ],
)
def test_bad_move_records_are_refused_naming_the_key(move: dict[str, Any], fragment: str) -> None:
    from components.args import GCP
    from components.checked import check_args
    from components.problems import ArgsError

    with pytest.raises(ArgsError) as info:
        check_args(GCP, "kurl", {**ARGS, "address_move": move})
    assert fragment in str(info.value)


# --- the move -------------------------------------------------------------------------------------


# Through the component's Args (the stack maps records inside records too: see
# test_a_move_with_a_dns_record_through_the_stack).
ARGS: dict[str, Any] = {
    "primaries": [
        {"name": "primary-1", "zone": "us-central1-a", "instance": "vm-1", "registered": True},
        {"name": "primary-2", "zone": "us-central1-b", "instance": "vm-2"},
    ],
    "region": "us-central1",
    "project": GCP_PROJECT,
    "network": "kurl-vpc",
    "target_tags": ["kurl-primary"],
    "scheme": "public",
    "allowed_client_cidrs": ["203.0.113.0/24"],
    "address": "kurl-api",
    "dns_record": ARGS_RECORD,
}
RECORD_B_ARGS = {"managed_zone": "kurl-example-com", "name": "api2.kurl.example.com"}
MOVING = {
    **ARGS,
    "address_move": {"front_end": "v2", "address": "kurl-api-v2", "dns_record": RECORD_B_ARGS},
}
MOVED = {**ARGS, "front_end": "v2", "address": "kurl-api-v2", "dns_record": RECORD_B_ARGS}


def build(args: dict[str, Any]) -> Graph:
    """GcpKurlLb built from `args` as the stack's one component, its outputs exported."""
    from components.gcp import GcpKurlLb

    def program() -> None:
        lb = GcpKurlLb("kurl", copy.deepcopy(args))  # type: ignore[arg-type]
        pulumi.export("frontEnd", lb.front_end)
        pulumi.export("loadBalancerAddress", lb.load_balancer_address)
        pulumi.export("nextFrontEnd", lb.next_front_end)
        pulumi.export("nextLoadBalancerAddress", lb.next_load_balancer_address)
        pulumi.export("publicLoadBalancerHost", lb.public_load_balancer_host)
        pulumi.export("extraPortAddresses", lb.extra_port_addresses)
        pulumi.export("publicExtraPortAddresses", lb.public_extra_port_addresses)
        pulumi.export("nodePortAliasScript", lb.node_port_alias_script)

    mocks = PreviewMocks(outputs=OUTPUTS, invokes=LOOKUPS, preview=False)
    return record(program, project="kurl-lb", stack="test", config={}, mocks=mocks)


def test_step_one_only_creates_the_new_front_end() -> None:
    before, during = build(ARGS), build(MOVING)
    changes = diff(before, during)
    assert {(c.op, c.type, c.name) for c in changes} == {
        (CREATE, RULE, "kurl-v2-fr"),
        (CREATE, RECORD, "kurl-v2-dns-api2.kurl.example.com"),
    }
    assert address_changes(changes, before, during) == []
    old, new = during.by_name("kurl-fr").inputs, during.by_name("kurl-v2-fr").inputs
    # Both serve the same registered primaries: one backend service behind both rules.
    assert old["backendService"] == new["backendService"]
    assert new["ipAddress"] == "34.120.0.60"
    assert during.by_name("kurl-v2-fr").protect is True
    assert during.by_name("kurl-v2-dns-api2.kurl.example.com").inputs["rrdatas"] == ["34.120.0.60"]
    out = during.outputs
    assert out["loadBalancerAddress"] == "api.kurl.example.com:6443"
    assert out["frontEnd"] == "v1"
    assert out["nextFrontEnd"] == "v2"
    assert out["nextLoadBalancerAddress"] == "api2.kurl.example.com:6443"
    # Hairpinned NodePorts through either front end: both IPs aliased on every node.
    script = out["nodePortAliasScript"]
    assert "LB_IP='34.120.0.50'" in script and "OTHER_IPS='34.120.0.60'" in script


def test_step_two_only_deletes_the_old_front_end() -> None:
    during, after = build(MOVING), build(MOVED)
    changes = diff(during, after)
    assert {(c.op, c.type, c.name) for c in changes} == {
        (DELETE, RULE, "kurl-fr"),
        (DELETE, RECORD, "kurl-dns-api.kurl.example.com"),
    }
    out = after.outputs
    assert out["frontEnd"] == "v2"
    assert out["loadBalancerAddress"] == "api2.kurl.example.com:6443"
    assert out.get("nextFrontEnd") is None
    assert "OTHER_IPS=''" in out["nodePortAliasScript"]


def test_a_move_with_a_dns_record_through_the_stack(gcp_dev: dict[str, Any]) -> None:
    move = {"frontEnd": "v2", "address": "kurl-api-v2", "dnsRecord": dict(RECORD_B)}
    graph = run(with_changes(full(gcp_dev), {"addressMove": move}))
    assert graph.outputs["nextLoadBalancerAddress"] == "api2.kurl.example.com:6443"


def test_a_move_with_an_address_through_the_stack(gcp_dev: dict[str, Any]) -> None:
    config = with_changes(gcp_dev, {"gcp.address": "kurl-api"})
    before = run(config)
    during = run(
        with_changes(config, {"addressMove": {"frontEnd": "v2", "address": "kurl-api-v2"}})
    )
    after = run(with_changes(config, {"frontEnd": "v2", "gcp.address": "kurl-api-v2"}))
    assert {(c.op, c.name) for c in diff(before, during)} == {(CREATE, "kurl-v2-fr")}
    assert {(c.op, c.name) for c in diff(during, after)} == {(DELETE, "kurl-fr")}
    assert during.outputs["nextLoadBalancerAddress"] == "34.120.0.60:6443"
    assert during.outputs["nextKurlInstallFlags"] == "ha load-balancer-address=34.120.0.60:6443"


def test_a_move_between_created_addresses(gcp_dev: dict[str, Any]) -> None:
    before = run(gcp_dev)
    during = run(with_changes(gcp_dev, {"addressMove": {"frontEnd": "v2"}}))
    after = run(with_changes(gcp_dev, {"frontEnd": "v2"}))
    assert {(c.op, c.type, c.name) for c in diff(before, during)} == {
        (CREATE, ADDRESS, "kurl-v2-ip"),
        (CREATE, RULE, "kurl-v2-fr"),
    }
    assert {(c.op, c.type, c.name) for c in diff(during, after)} == {
        (DELETE, ADDRESS, "kurl-ip"),
        (DELETE, RULE, "kurl-fr"),
    }
    v2 = during.by_name("kurl-v2-ip").inputs
    assert v2 == during.by_name("kurl-ip").inputs  # same kind of address, a new IP
    assert during.outputs["nextLoadBalancerAddress"] == f"{GCP_IP}:6443"  # the mock's one IP


def test_a_move_to_the_standard_tier(gcp_dev: dict[str, Any]) -> None:
    during = run(
        with_changes(gcp_dev, {"addressMove": {"frontEnd": "v2", "networkTier": "STANDARD"}})
    )
    assert during.by_name("kurl-v2-ip").inputs["networkTier"] == "STANDARD"
    assert during.by_name("kurl-v2-fr").inputs["networkTier"] == "STANDARD"
    assert during.by_name("kurl-fr").inputs["networkTier"] == "PREMIUM"


def test_a_move_that_only_adds_a_record_keeps_one_front_end() -> None:
    plain = {k: v for k, v in ARGS.items() if k != "dns_record"}
    before = build(plain)
    during = build({**plain, "address_move": {"front_end": "v1", "dns_record": ARGS["dns_record"]}})
    assert [(c.op, c.type, c.name) for c in diff(before, during)] == [
        (CREATE, RECORD, "kurl-dns-api.kurl.example.com")
    ]
    assert during.outputs["loadBalancerAddress"] == "34.120.0.50:6443"
    assert during.outputs["nextLoadBalancerAddress"] == "api.kurl.example.com:6443"
    assert diff(during, build(ARGS)) == []


def test_the_firewall_and_backend_are_shared_during_a_move() -> None:
    during = build(MOVING)
    assert [r.name for r in during.of_type("gcp:compute/firewall:Firewall")] == ["kurl-allow-api"]
    backends = during.of_type("gcp:compute/regionBackendService:RegionBackendService")
    assert [r.name for r in backends] == ["kurl-backend"]
    rules = during.of_type(RULE)
    assert {r.name for r in rules} == {"kurl-fr", "kurl-v2-fr"}
    assert all(backends[0].urn in r.property_dependencies["backendService"] for r in rules)


def test_a_move_with_a_bad_new_address_fails_naming_the_move(gcp_dev: dict[str, Any]) -> None:
    config = with_changes(gcp_dev, {"addressMove": {"frontEnd": "v2", "address": "kurl-standard"}})
    message = failing(config)
    assert "addressMove.address" in message
    assert "and networkTier is PREMIUM" in message


# --- the alias script with two front ends ---------------------------------------------------------


def _script(ip: str, *others: str) -> str:
    seen: dict[str, str] = {}

    async def program() -> None:
        seen["script"] = await nodeport_alias_script(ip, list(others)).future() or ""

    record(program, project="p", stack="s", config={}, mocks=PreviewMocks(preview=False))
    return seen["script"]


def test_the_alias_script_refuses_a_non_ip_for_any_front_end() -> None:
    with pytest.raises(ValueError, match="not an IPv4 address"):
        _script("34.120.0.10", "$(reboot)")


def test_the_alias_script_aliases_every_front_end_and_drops_retired_ones(tmp_path: Path) -> None:
    ns = _netns_or_skip()
    try:

        def ip(*args: str) -> str:
            return subprocess.run(
                ["ip", "-n", ns, *args], check=True, capture_output=True, text=True
            ).stdout

        if (
            subprocess.run(
                ["ip", "-n", ns, "link", "add", "nic0", "type", "dummy"], capture_output=True
            ).returncode
            != 0
        ):
            ip("link", "add", "nic0", "type", "veth", "peer", "name", "nic0peer")
            ip("link", "set", "nic0peer", "up")
        ip("link", "set", "nic0", "up")
        ip("addr", "add", "10.128.0.5/20", "dev", "nic0")
        ip("route", "add", "default", "via", "10.128.0.1", "dev", "nic0")
        unit = tmp_path / "systemd" / UNIT_NAME
        env = {**os.environ, "KURL_LB_UNIT_DIR": str(unit.parent)}

        def run_script(text: str) -> None:
            script = tmp_path / "alias.sh"
            script.write_text(text)
            subprocess.run(
                ["ip", "netns", "exec", ns, "sh", str(script)], env=env, check=True, text=True
            )

        during = _script("34.120.0.50", "34.120.0.60")
        run_script(during)
        run_script(during)  # idempotent
        shown = ip("-4", "-o", "addr", "show", "dev", "nic0")
        assert shown.count("34.120.0.50/32") == 1 and shown.count("34.120.0.60/32") == 1
        text = unit.read_text()
        assert text.count("ExecStart=") == 2
        assert "addr replace 34.120.0.60/32 dev nic0" in text

        run_script(_script("34.120.0.60"))  # the move is done: the old IP goes
        shown = ip("-4", "-o", "addr", "show", "dev", "nic0")
        assert "34.120.0.50/32" not in shown and shown.count("34.120.0.60/32") == 1
        assert unit.read_text().count("ExecStart=") == 1
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# --- what a change of the record does -------------------------------------------------------------


def test_a_new_ttl_updates_the_record_and_a_new_zone_replaces_it() -> None:
    from offline.diff import REPLACE, UPDATE

    before = build(ARGS)
    ttl = build({**ARGS, "dns_record": {**ARGS_RECORD, "ttl": 300}})
    assert [(c.op, c.name, c.properties) for c in diff(before, ttl)] == [
        (UPDATE, "kurl-dns-api.kurl.example.com", ["ttl"])
    ]
    zone = build({**ARGS, "dns_record": {**ARGS_RECORD, "managed_zone": "kurl-example-com-2"}})
    changes = diff(before, zone)
    assert [(c.op, c.name) for c in changes] == [(REPLACE, "kurl-dns-api.kurl.example.com")]


def test_a_new_load_balancer_ip_is_an_update_of_the_record() -> None:
    # The point of the record: the API name stays, only its answer changes.
    from offline.diff import UPDATE

    before, after = build(ARGS), build({**ARGS, "address": "kurl-api-v2"})
    changes = {(c.op, c.name): c for c in diff(before, after)}
    record = changes[(UPDATE, "kurl-dns-api.kurl.example.com")]
    assert record.properties == ["rrdatas[0]"]
    assert before.outputs["loadBalancerAddress"] == after.outputs["loadBalancerAddress"]


# --- an internal load balancer's move, secrets ----------------------------------------------------


def test_an_internal_move_adds_an_internal_address_on_the_subnetwork(
    gcp_dev: dict[str, Any],
) -> None:
    before = run(internal(gcp_dev))
    during = run(with_changes(internal(gcp_dev), {"addressMove": {"frontEnd": "v2"}}))
    assert {(c.op, c.type, c.name) for c in diff(before, during)} == {
        (CREATE, ADDRESS, "kurl-v2-ip"),
        (CREATE, RULE, "kurl-v2-fr"),
    }
    address = during.by_name("kurl-v2-ip").inputs
    assert address["addressType"] == "INTERNAL" and address["subnetwork"] == SUBNET
    rule = during.by_name("kurl-v2-fr").inputs
    assert rule["loadBalancingScheme"] == "INTERNAL" and rule["subnetwork"] == SUBNET
    # The firewall admits the probers and the subnetwork's clients, whatever IP they dial.
    assert during.by_name("kurl-allow-api").inputs == before.by_name("kurl-allow-api").inputs


def test_secret_address_and_record_stay_secret() -> None:
    args = {**MOVING, "secret_args": ["address", "dnsRecord", "addressMove"]}
    graph = build(args)
    assert graph.outputs["loadBalancerAddress"] == {"secret": "api.kurl.example.com:6443"}
    assert graph.outputs["nextLoadBalancerAddress"] == {"secret": "api2.kurl.example.com:6443"}
    # Named by a digest of the record's name: a URN is never secret.
    digest = hashlib.sha256(b"api.kurl.example.com").hexdigest()[:12]
    record_set = graph.by_name(f"kurl-dns-{digest}").inputs
    assert record_set["name"] == {"secret": "api.kurl.example.com."}
    assert not [r.urn for r in graph.resources if "kurl.example.com" in r.urn]
    lookup = next(i for i in graph.invokes if i.token == "gcp:compute/getAddress:getAddress")
    assert lookup.args["name"] == "kurl-api"  # what the lookup asked (the recorder's view)


def test_the_policy_pack_passes_the_component_during_a_move() -> None:
    from tests.policy_harness import run_policy  # puts the pack on sys.path

    policies = (
        importlib.import_module("kurl_policies.layer4").api_layer4_only,
        (importlib.import_module("kurl_policies.health_checks").api_health_check_tcp),
        importlib.import_module("kurl_policies.advisory").api_open_to_internet,
    )
    from components.gcp import GcpKurlLb

    args = {
        **{k: v for k, v in ARGS.items() if k not in ("address", "dns_record")},
        "scheme": "internal",
        "subnetwork": "kurl-subnet",
        "allowed_client_cidrs": ["10.20.0.0/20"],
        "address_move": {"front_end": "v2"},
    }

    def program() -> None:
        GcpKurlLb("kurl", copy.deepcopy(args))  # type: ignore[arg-type]

    # At preview (IPs unknown; the harness's update outputs have no address IPs to alias).
    for policy in policies:
        assert run_policy(policy, program, preview=True) == [], policy.name
