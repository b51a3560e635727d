"""Issue 21 on AWS: static NLB addresses (Elastic IPs, private IPv4 addresses), the Route 53
record as the API address, and the address move's two steps, with real values asserted."""

from __future__ import annotations

import copy
import hashlib
from typing import Any, TypeVar

import pulumi
import pytest

from components.aws import AwsKurlNlb, reserved_or_outside
from components.stack import stack_args
from offline.address import AddressGate, address_changes
from offline.diff import CREATE, DELETE, REPLACE, UPDATE, diff
from offline.moves import judge
from offline.recorder import Graph, PreviewMocks, main_program, program_directory, record
from tests.conftest import (
    AWS_DEV,
    INVOKES,
    OUTPUTS,
    PROJECT_ROOT,
    REGION,
    SUBNET_CIDRS,
    assert_rejected,
    bad_config_params,
    encode,
    in_child,
    run_project,
    with_changes,
)

T = TypeVar("T")
NLB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
EIP = "aws:ec2/eip:Eip"
RECORD = "aws:route53/record:Record"
SUBNETS = list(SUBNET_CIDRS)
NLB_ZONE = "Z26RNL4JYFTOTI"  # the zone AWS gives NLBs' DNS names in us-east-1
PUBLIC_ZONE = "Z0123456789PUBLIC"
PRIVATE_ZONE = "Z0123456789PRIVATE"
ZONES = {
    PUBLIC_ZONE: {"name": "example.com", "privateZone": False},
    PRIVATE_ZONE: {"name": "kurl.internal", "privateZone": True},
}

ADDRESS_OUTPUTS = {
    **OUTPUTS,
    NLB: lambda a: {**OUTPUTS[NLB](a), "zoneId": NLB_ZONE},
    EIP: lambda a: {"allocationId": allocation_id(a.name)},
}
ADDRESS_INVOKES = {
    **INVOKES,
    "aws:route53/getZone:getZone": lambda a: {
        "zoneId": a.args["zoneId"],
        **ZONES[a.args["zoneId"]],
    },
}


def allocation_id(name: str) -> str:
    return "eipalloc-" + hashlib.sha256(name.encode()).hexdigest()[:17]


def run(config: dict[str, Any], graph: Graph | None = None) -> Graph:
    """The project's program under the mock engine, with Route 53 zones and EIPs answered."""
    return run_project(config, graph=graph, outputs=ADDRESS_OUTPUTS, invokes=ADDRESS_INVOKES)


def _failure(config: dict[str, Any]) -> str:
    try:
        run(config)
    except Exception as exc:
        return str(exc)
    return "<no failure>"


def failing(config: dict[str, Any]) -> str:
    """The message a config that fails at deploy stops the program with."""
    return in_child(_failure, config)


def public(base: dict[str, Any] | None = None, **aws: Any) -> dict[str, Any]:
    """The dev stack as a public NLB (hairpin sources listed), with `aws` section changes."""
    config = with_changes(
        base or AWS_DEV,
        {
            "scheme": "public",
            "allowedClientCidrs": ["203.0.113.0/24"],
            "aws.hairpinSourceCidrs": ["198.51.100.7/32"],
        },
    )
    return with_changes(config, {f"aws.{k}": v for k, v in aws.items()})


# A public NLB with every option issue 21 adds on AWS (Pulumi.aws-full.yaml has the same shape).
AWS_FULL = public(
    elasticIps=True, dnsRecord={"zoneId": "Z0123456789PUBLIC", "name": "api.example.com"}
)


def internal(**aws: Any) -> dict[str, Any]:
    return with_changes(AWS_DEV, {f"aws.{k}": v for k, v in aws.items()})


def of_type(graph: Graph, type_: str) -> list[Any]:
    return sorted((r for r in graph.resources if r.type == type_), key=lambda r: r.name)


# --- static addresses ---------------------------------------------------------------------------


def test_elastic_ips_one_per_subnet_protected_and_mapped() -> None:
    graph = run(public(elasticIps=True))
    eips = of_type(graph, EIP)
    assert [e.name for e in eips] == [f"kurl-eip-{s}" for s in sorted(SUBNETS)]
    assert all(e.inputs["domain"] == "vpc" for e in eips)
    assert all(e.protect for e in eips)  # deletionProtection defaults to true
    assert all(e.inputs["tags"]["kurl-lb-stack"] == "test" for e in eips)
    nlb = graph.by_name("kurl-nlb").inputs
    assert "subnets" not in nlb
    assert nlb["subnetMappings"] == [
        {"subnetId": s, "allocationId": allocation_id(f"kurl-eip-{s}")} for s in SUBNETS
    ]
    assert nlb["internal"] is False


def test_elastic_ips_follow_deletion_protection() -> None:
    graph = run(with_changes(public(elasticIps=True), {"deletionProtection": False}))
    assert not any(e.protect for e in of_type(graph, EIP))


def test_given_allocation_ids_map_in_subnet_order_and_create_no_eip() -> None:
    ids = ["eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef1", "eipalloc-01234567"]
    graph = run(public(elasticIpAllocationIds=ids))
    assert of_type(graph, EIP) == []
    assert graph.by_name("kurl-nlb").inputs["subnetMappings"] == [
        {"subnetId": s, "allocationId": i} for s, i in zip(SUBNETS, ids, strict=True)
    ]


def test_private_addresses_map_in_subnet_order() -> None:
    addresses = ["10.0.1.5", "10.0.2.250", "10.0.3.4"]
    graph = run(internal(privateIpv4Addresses=addresses))
    nlb = graph.by_name("kurl-nlb").inputs
    assert "subnets" not in nlb
    assert nlb["subnetMappings"] == [
        {"subnetId": s, "privateIpv4Address": a} for s, a in zip(SUBNETS, addresses, strict=True)
    ]
    # Each subnet looked up once, though the private addresses and no rule need it twice.
    subnet_lookups = [i for i in graph.invokes if i.token == "aws:ec2/getSubnet:getSubnet"]
    assert sorted(i.args["id"] for i in subnet_lookups) == sorted(SUBNETS)


RESERVED = "is one of the 5 addresses AWS reserves in every subnet"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("10.0.9.5", "is outside the CIDR"),
        ("10.0.2.0", RESERVED),
        ("10.0.2.1", RESERVED),
        ("10.0.2.2", RESERVED),
        ("10.0.2.3", RESERVED),
        ("10.0.2.255", RESERVED),
    ],
)
def test_private_address_outside_or_reserved_fails_the_nlb(address: str, why: str) -> None:
    message = failing(internal(privateIpv4Addresses=["10.0.1.5", address, "10.0.3.4"]))
    assert "privateIpv4Addresses[1]" in message
    assert f'"{address}" {why}' in message
    assert "subnet-0a1b2c3d4e5f60722" in message
    assert "10.0.2.0/24" in message


def test_reserved_addresses_are_the_first_four_and_the_last() -> None:
    assert reserved_or_outside("10.0.2.4", "10.0.2.0/24") is None
    assert reserved_or_outside("10.0.2.254", "10.0.2.0/24") is None
    assert reserved_or_outside("10.0.2.3", "10.0.2.0/24") is not None
    assert reserved_or_outside("10.0.2.255", "10.0.2.0/24") is not None
    assert reserved_or_outside("10.0.3.1", "10.0.2.0/24") == "is outside the CIDR"


# --- the DNS record -----------------------------------------------------------------------------


def test_dns_record_is_an_alias_to_the_nlb_and_the_api_address() -> None:
    config = internal(dnsRecord={"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"})
    graph = run(config)
    (record_,) = of_type(graph, RECORD)
    assert record_.name == "kurl-dns-api.kurl.internal"
    assert record_.inputs["zoneId"] == PRIVATE_ZONE
    assert record_.inputs["name"] == "api.kurl.internal"
    assert record_.inputs["type"] == "A"
    assert "ttl" not in record_.inputs  # alias records take the NLB's TTL (60 s)
    assert record_.inputs["aliases"] == [
        {
            "name": f"kurl-nlb-0123456789abcdef.elb.{REGION}.amazonaws.com",
            "zoneId": NLB_ZONE,
            "evaluateTargetHealth": False,
        }
    ]
    assert graph.outputs["loadBalancerAddress"] == "api.kurl.internal:6443"
    assert "load-balancer-address=api.kurl.internal:6443" in graph.outputs["kurlInstallFlags"]


def test_dns_record_outside_its_zone_fails_naming_the_key() -> None:
    message = failing(internal(dnsRecord={"zoneId": PRIVATE_ZONE, "name": "api.example.com"}))
    assert "dnsRecord.name" in message
    assert '"api.example.com" is not inside the hosted zone\'s name kurl.internal' in message


def test_dns_record_suffix_must_be_a_whole_label() -> None:
    message = failing(internal(dnsRecord={"zoneId": PRIVATE_ZONE, "name": "apikurl.internal"}))
    assert "dnsRecord.name" in message


def test_internal_nlb_in_a_public_zone_is_warned(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    real = pulumi.log.warn
    monkeypatch.setattr(
        pulumi.log, "warn", lambda msg, *a, **k: (warnings.append(msg), real(msg, *a, **k))
    )
    run(internal(dnsRecord={"zoneId": PUBLIC_ZONE, "name": "api.example.com"}))
    assert any("public hosted zone (example.com)" in w and "internal NLB" in w for w in warnings)
    warnings.clear()
    run(public(dnsRecord={"zoneId": PUBLIC_ZONE, "name": "api.example.com"}))
    assert not any("public hosted zone" in w for w in warnings)


# --- bad values ---------------------------------------------------------------------------------

ALLOC = ["eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef1", "eipalloc-0123456a"]
PRIVATE = ["10.0.1.5", "10.0.2.5", "10.0.3.5"]
PUBLIC_BASE = public()
BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "eips-on-internal",
        {"aws.elasticIps": True},
        ["kurl-lb:aws.elasticIps: true cannot be used with scheme internal"],
    ),
    (
        "allocations-on-internal",
        {"aws.elasticIpAllocationIds": ALLOC},
        ["kurl-lb:aws.elasticIpAllocationIds: is only used with scheme public"],
    ),
    (
        "bad-allocation-id",
        {"scheme": "public", "aws.elasticIpAllocationIds": ["eipalloc-xyz", *ALLOC[1:]]},
        ['"eipalloc-xyz" is not an Elastic IP allocation ID'],
    ),
    (
        "private-not-private",
        {"aws.privateIpv4Addresses": ["203.0.113.5", *PRIVATE[1:]]},
        ['kurl-lb:aws.privateIpv4Addresses[0]: "203.0.113.5" is not a private IPv4 address'],
    ),
    (
        "private-count",
        {"aws.privateIpv4Addresses": PRIVATE[:2]},
        ["kurl-lb:aws.privateIpv4Addresses: has 2 entries and", "has 3"],
    ),
    (
        "private-twice",
        {"aws.privateIpv4Addresses": [PRIVATE[0], PRIVATE[1], PRIVATE[0]]},
        ['kurl-lb:aws.privateIpv4Addresses[2]: "10.0.1.5" is also privateIpv4Addresses[0]'],
    ),
    (
        "zone-id",
        {"aws.dnsRecord": {"zoneId": "z0123", "name": "api.kurl.internal"}},
        ['kurl-lb:aws.dnsRecord.zoneId: "z0123" is not a Route 53 hosted zone ID'],
    ),
    (
        "zone-id-with-prefix",
        {"aws.dnsRecord": {"zoneId": "/hostedzone/Z0123", "name": "api.kurl.internal"}},
        ["kurl-lb:aws.dnsRecord.zoneId:"],
    ),
    (
        "trailing-dot",
        {"aws.dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal."}},
        ['kurl-lb:aws.dnsRecord.name: "api.kurl.internal." ends with a dot'],
    ),
    (
        "one-label",
        {"aws.dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "api"}},
        ["kurl-lb:aws.dnsRecord.name:", "fully qualified"],
    ),
    (
        "uppercase",
        {"aws.dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "API.kurl.internal"}},
        ["kurl-lb:aws.dnsRecord.name:", "lowercase"],
    ),
    (
        "record-without-zone",
        {"aws.dnsRecord": {"name": "api.kurl.internal"}},
        ["kurl-lb:aws.dnsRecord.zoneId: is required"],
    ),
]
PUBLIC_BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "private-on-public",
        {"aws.privateIpv4Addresses": PRIVATE},
        ["kurl-lb:aws.privateIpv4Addresses: is only used with scheme internal"],
    ),
    (
        "eips-and-allocations",
        {"aws.elasticIps": True, "aws.elasticIpAllocationIds": ALLOC},
        ["kurl-lb:aws.elasticIpAllocationIds: cannot be used with elasticIps true"],
    ),
    (
        "allocations-twice",
        {"aws.elasticIpAllocationIds": [ALLOC[0], ALLOC[0], ALLOC[2]]},
        ["kurl-lb:aws.elasticIpAllocationIds[1]:", "is also elasticIpAllocationIds[0]"],
    ),
    (
        "move-reuses-allocation",
        {
            "aws.elasticIpAllocationIds": ALLOC,
            "addressMove": {"frontEnd": "v2", "elasticIpAllocationIds": [ALLOC[2], *ALLOC[:2]]},
        },
        ["addressMove.elasticIpAllocationIds[0]:", "the current front end uses"],
    ),
    (
        "move-keeps-the-record",
        {
            "aws.dnsRecord": {"zoneId": PUBLIC_ZONE, "name": "api.example.com"},
            "addressMove": {"frontEnd": "v2", "elasticIps": True},
        },
        ["addressMove.dnsRecord:", "the current front end's record"],
    ),
    (
        "move-internal-with-eips",
        {"addressMove": {"frontEnd": "v2", "scheme": "internal", "elasticIps": True}},
        ["elasticIps: true cannot be used with scheme internal"],
    ),
]


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(BAD))
def test_bad_address_config_is_rejected(changes: dict[str, Any], fragments: list[str]) -> None:
    assert_rejected(AWS_DEV, changes, fragments)


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(PUBLIC_BAD))
def test_bad_public_address_config_is_rejected(
    changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(PUBLIC_BASE, changes, fragments)


# --- the address move ---------------------------------------------------------------------------

MOVE = {"frontEnd": "v2", "elasticIps": True}


def done(config: dict[str, Any]) -> dict[str, Any]:
    """The move finished: the moved fields at top level, addressMove removed."""
    out = with_changes(config, {"frontEnd": "v2", "aws.elasticIps": True})
    out.pop("kurl-lb:addressMove", None)
    return out


def front_end_urns(graph: Graph, prefix: str) -> set[str]:
    return {r.urn for r in graph.resources if r.name.startswith(prefix)}


def test_move_step_one_only_creates_the_new_front_end_beside_the_old() -> None:
    before = run(public())
    during = run(with_changes(public(), {"addressMove": MOVE}))
    changes = diff(before, during)
    assert {c.op for c in changes} == {CREATE}
    created = sorted((c.type, c.name) for c in changes)
    assert created == sorted(
        [
            (NLB, "kurl-v2-nlb"),
            (SG, "kurl-v2-nlb-sg"),
            (TG, "kurl-v2-tg"),
            (LISTENER, "kurl-v2-listener"),
            (ATTACHMENT, "kurl-v2-target-primary-1"),
            *[(EIP, f"kurl-v2-eip-{s}") for s in SUBNETS],
            (INGRESS, "kurl-v2-clients-203.0.113.0-24"),
            (INGRESS, "kurl-v2-hairpin-198.51.100.7-32"),
            (INGRESS, "kurl-v2-primaries-from-nlb"),
            (EGRESS, "kurl-v2-nlb-to-targets"),
        ]
    )
    # Both front ends serve the same registered primaries, each through its own target group.
    v1 = during.by_name("kurl-target-primary-1")
    v2 = during.by_name("kurl-v2-target-primary-1")
    assert v1.inputs["targetId"] == v2.inputs["targetId"] == "10.0.1.10"
    action = during.by_name("kurl-v2-listener").inputs["defaultActions"][0]
    assert action["targetGroupArn"].split(":")[-1].startswith("targetgroup/kurl-v2-tg/")
    # The primaries' group admits each NLB's group (hairpin-correct for both).
    peers = {
        during.by_name(n).inputs["referencedSecurityGroupId"]
        for n in ("kurl-primaries-from-nlb", "kurl-v2-primaries-from-nlb")
    }
    assert len(peers) == 2
    assert during.outputs["frontEnd"] == "v1"
    assert during.outputs["nextFrontEnd"] == "v2"
    host = f"kurl-v2-nlb-0123456789abcdef.elb.{REGION}.amazonaws.com"
    assert during.outputs["nextLoadBalancerHost"] == host
    assert during.outputs["loadBalancerAddress"].startswith("kurl-nlb-")


def test_move_step_two_only_deletes_the_old_front_end() -> None:
    during = run(with_changes(public(), {"addressMove": MOVE}))
    after = run(done(public()))
    changes = diff(during, after)
    assert {c.op for c in changes} == {DELETE}
    deleted = {c.urn for c in changes}
    v1 = {
        r.urn
        for r in during.resources
        if r.name.startswith("kurl-") and "-v2-" not in r.name and r.type != "pulumi:pulumi:Stack"
    }
    assert deleted == v1
    assert after.outputs["frontEnd"] == "v2"
    assert "nextFrontEnd" not in after.outputs
    assert after.outputs["loadBalancerAddress"].startswith("kurl-v2-nlb-")


def test_move_without_nlb_security_groups_shares_the_primaries_rules() -> None:
    base = with_changes(AWS_DEV, {"aws.loadBalancerSecurityGroup": False})
    move = {"frontEnd": "v2", "privateIpv4Addresses": PRIVATE}
    before, during = run(base), run(with_changes(base, {"addressMove": move}))
    changes = diff(before, during)
    assert {c.op for c in changes} == {CREATE}
    # The subnets' rules on the primaries' group serve both NLBs: no duplicate rule.
    assert not any(c.type == INGRESS for c in changes)
    finished = with_changes(base, {"frontEnd": "v2", "aws.privateIpv4Addresses": PRIVATE})
    after = run(finished)
    removed = diff(during, after)
    assert {c.op for c in removed} == {DELETE}
    assert not any(c.type == INGRESS for c in removed)


def test_registering_a_primary_during_a_move_creates_one_attachment_per_front_end() -> None:
    config = with_changes(public(), {"addressMove": MOVE})
    before = run(config)
    after = run(with_changes(config, {"primaries.1.registered": True}))
    assert sorted((c.op, c.name) for c in diff(before, after)) == [
        (CREATE, "kurl-target-primary-2"),
        (CREATE, "kurl-v2-target-primary-2"),
    ]


def component(config: dict[str, Any], move: dict[str, Any] | None = None) -> Graph:
    """AwsKurlNlb built from the stack's Args with `move` (snake_case) as its address move, its
    address outputs exported: the component used directly, as other programs use it."""
    args = stack_args(encode(config), {"aws:region": REGION}).args
    if move is not None:
        args = {**args, "address_move": move}

    def program() -> None:
        lb = AwsKurlNlb("kurl", args)  # type: ignore[arg-type]
        pulumi.export("loadBalancerAddress", lb.load_balancer_address)
        pulumi.export("nextLoadBalancerAddress", lb.next_load_balancer_address)

    return record(
        program,
        project="kurl-lb",
        stack="test",
        config={},
        mocks=PreviewMocks(outputs=ADDRESS_OUTPUTS, invokes=ADDRESS_INVOKES, preview=False),
    )


def _component_failure(config: dict[str, Any], move: dict[str, Any]) -> str:
    try:
        component(config, move)
    except Exception as exc:
        return str(exc)
    return "<no failure>"


RECORD_ARGS = {"zone_id": PRIVATE_ZONE, "name": "api.kurl.internal"}
RECORD_KEYS = {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"}


def test_same_label_move_only_adds_the_dns_record() -> None:
    base = internal()
    before = component(base)
    during = component(base, {"front_end": "v1", "dns_record": RECORD_ARGS})
    assert [(c.op, c.type, c.name) for c in diff(before, during)] == [
        (CREATE, RECORD, "kurl-dns-api.kurl.internal")
    ]
    assert during.outputs["nextLoadBalancerAddress"] == "api.kurl.internal:6443"
    assert during.outputs["loadBalancerAddress"].startswith("kurl-nlb-")
    after = component(with_changes(base, {"aws.dnsRecord": RECORD_KEYS}))
    assert diff(during, after) == []
    assert after.outputs["loadBalancerAddress"] == "api.kurl.internal:6443"


def test_move_to_a_new_record_name_keeps_the_old_one_until_done() -> None:
    new = {"zone_id": PRIVATE_ZONE, "name": "api2.kurl.internal"}
    base = internal(dnsRecord=RECORD_KEYS)
    move = {"front_end": "v2", "dns_record": new, "private_ipv4_addresses": PRIVATE}
    before, during = component(base), component(base, move)
    assert {c.op for c in diff(before, during)} == {CREATE}
    assert {r.name for r in of_type(during, RECORD)} == {
        "kurl-dns-api.kurl.internal",
        "kurl-v2-dns-api2.kurl.internal",
    }
    v2 = during.by_name("kurl-v2-dns-api2.kurl.internal").inputs["aliases"][0]["name"]
    assert v2.startswith("kurl-v2-nlb-")
    assert during.outputs["loadBalancerAddress"] == "api.kurl.internal:6443"
    assert during.outputs["nextLoadBalancerAddress"] == "api2.kurl.internal:6443"
    finished = with_changes(
        base,
        {
            "frontEnd": "v2",
            "aws.dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "api2.kurl.internal"},
            "aws.privateIpv4Addresses": PRIVATE,
        },
    )
    after = component(finished)
    assert {c.op for c in diff(during, after)} == {DELETE}
    assert after.outputs["loadBalancerAddress"] == "api2.kurl.internal:6443"


def test_stack_move_with_a_dns_record() -> None:
    move = {"frontEnd": "v1", "dnsRecord": RECORD_KEYS}
    graph = run(with_changes(internal(), {"addressMove": move}))
    assert graph.outputs["nextLoadBalancerAddress"] == "api.kurl.internal:6443"


def test_the_dev_stack_is_unchanged_by_the_new_options() -> None:
    config = copy.deepcopy(AWS_DEV)
    graph = run(config)
    assert of_type(graph, EIP) == [] and of_type(graph, RECORD) == []
    assert graph.by_name("kurl-nlb").inputs["subnets"] == SUBNETS
    assert "subnetMappings" not in graph.by_name("kurl-nlb").inputs


def test_internal_move_is_hairpin_correct_for_both_front_ends() -> None:
    move = {"frontEnd": "v2", "privateIpv4Addresses": PRIVATE}
    graph = run(with_changes(internal(), {"addressMove": move}))
    for prefix in ("kurl", "kurl-v2"):
        sg = graph.by_name(f"{prefix}-nlb-sg")
        # The primaries' group admits this NLB's group, and this NLB's group admits the
        # primaries' group (a primary calling an internal NLB arrives with its own address).
        into_primaries = graph.by_name(f"{prefix}-primaries-from-nlb")
        assert into_primaries.inputs["securityGroupId"] == "sg-0a1b2c3d4e5f60799"
        assert into_primaries.property_dependencies["referencedSecurityGroupId"] == [sg.urn]
        hairpin = graph.by_name(f"{prefix}-nlb-from-primaries")
        assert hairpin.inputs["referencedSecurityGroupId"] == "sg-0a1b2c3d4e5f60799"
        assert hairpin.property_dependencies["securityGroupId"] == [sg.urn]
        tg = graph.by_name(f"{prefix}-tg").inputs
        assert tg["targetType"] == "ip" and tg["preserveClientIp"] == "false"


def preview(config: dict[str, Any]) -> Graph:
    """As the offline gate without fixtures: a preview, every lookup unknown."""
    mocks = PreviewMocks(outputs=ADDRESS_OUTPUTS, invokes={}, preview=True)
    with program_directory(PROJECT_ROOT):
        return record(
            main_program(PROJECT_ROOT),
            project="kurl-lb",
            stack="test",
            config=encode(config),
            mocks=mocks,
        )


def test_a_preview_with_unknown_lookups_registers_every_front_end() -> None:
    record_keys = {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"}
    graph = preview(internal(privateIpv4Addresses=PRIVATE, dnsRecord=record_keys))
    (record_,) = of_type(graph, RECORD)
    assert record_.inputs["name"] == "api.kurl.internal"  # never waits for the zone lookup
    moved = {"frontEnd": "v2", "privateIpv4Addresses": ["10.0.1.6", "10.0.2.6", "10.0.3.6"]}
    graph = preview(with_changes(internal(privateIpv4Addresses=PRIVATE), {"addressMove": moved}))
    assert {r.name for r in of_type(graph, NLB)} == {"kurl-nlb", "kurl-v2-nlb"}
    assert graph.outputs["nextFrontEnd"] == "v2"


def test_a_secret_dns_record_is_named_by_a_hash_and_kept_secret() -> None:
    config = internal(dnsRecord={"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"})
    mocks = PreviewMocks(outputs=ADDRESS_OUTPUTS, invokes=ADDRESS_INVOKES, preview=False)
    with program_directory(PROJECT_ROOT):
        graph = record(
            main_program(PROJECT_ROOT),
            project="kurl-lb",
            stack="test",
            config=encode(config),
            secret_keys=["kurl-lb:aws"],
            mocks=mocks,
        )
    (record_,) = of_type(graph, RECORD)
    assert "api.kurl.internal" not in record_.urn
    digest = hashlib.sha256(b"api.kurl.internal").hexdigest()[:12]
    assert record_.name == f"kurl-dns-{digest}"
    assert record_.inputs["name"] == {"secret": "api.kurl.internal"}


def test_deploy_time_problems_of_the_new_front_end_name_the_move() -> None:
    moved = {"frontEnd": "v2", "privateIpv4Addresses": ["10.0.1.6", "10.0.2.255", "10.0.3.6"]}
    message = failing(with_changes(internal(), {"addressMove": moved}))
    assert 'addressMove.privateIpv4Addresses[1]: "10.0.2.255" is one of the 5' in message
    record_ = {"zone_id": PRIVATE_ZONE, "name": "api.example.com"}
    message = in_child(_component_failure, internal(), {"front_end": "v1", "dns_record": record_})
    assert "addressMove.dnsRecord.name" in message


def test_a_replaced_nlb_behind_the_record_is_a_record_update_for_the_gate() -> None:
    """With a DNS record as the API address, a change that replaces the NLB (a subnet removed)
    keeps the address: the gate notes a record update with the alias TTL, and does not block."""
    record_keys = {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"}
    before = run(internal(dnsRecord=record_keys))
    after = run(internal(dnsRecord=record_keys, subnetIds=SUBNETS[:2]))
    changes = diff(before, after)
    assert (REPLACE, "kurl-nlb") in {(c.op, c.name) for c in changes}
    record_change = next(c for c in changes if c.type == RECORD)
    assert record_change.op == UPDATE  # the alias follows the new NLB, in place
    found, notes, move = judge(address_changes(changes, before, after), changes, before, after)
    gate = AddressGate(found, False, notes, move)
    assert not gate.blocks
    assert any("api.kurl.internal" in n or "kurl-dns-api.kurl.internal" in n for n in notes)
    assert any("60 s" in n for n in notes)
