"""The API-address gate and planned moves: step 1 adds a front end (never blocks), step 2 retires
the old one once the stack says so, abandoning a move or switching front ends without one blocks,
and a DNS record that keeps the address turns a replaced front end into a record update.

Graphs here are written by hand, so that each verdict is checked on exactly the outputs and
resources it reads; tests/test_address_stacks.py runs the same steps through real stacks."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

from offline.address import AddressGate, address_changes
from offline.diff import diff
from offline.graph import UNKNOWN, Graph, RecordedResource
from offline.moves import ABANDONED, FINISHED, STARTED, UNDERWAY, judge, planned_move, record_names
from offline.render import render_address_gate

NLB = "aws:lb/loadBalancer:LoadBalancer"
RECORD = "aws:route53/record:Record"
COMPONENT = "kurl:index:AwsKurlNlb"


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, protect: bool = False) -> Any:
    urn = f"urn:pulumi:test::kurl-lb::{COMPONENT}${type_}::{name}"
    return RecordedResource(
        urn=urn,
        type=type_,
        name=name,
        parent=f"urn:pulumi:test::kurl-lb::{COMPONENT}::kurl",
        custom=True,
        inputs=inputs or {},
        wire_inputs=struct_pb2.Struct(),
        dependencies=[],
        property_dependencies={},
        protect=protect,
        provider="",
    )


def graph(outputs: dict[str, Any], *resources: RecordedResource) -> Graph:
    return Graph(project="kurl-lb", stack="test", resources=list(resources), outputs=outputs)


def verdict(before: Graph, after: Graph, allowed: bool = False) -> AddressGate:
    changes = diff(before, after)
    found, notes, move = judge(address_changes(changes, before, after), changes, before, after)
    return AddressGate(found, allowed, notes, move)


V1 = res(NLB, "kurl-nlb", {"internal": True}, protect=True)
V2 = res(NLB, "kurl-v2-nlb", {"internal": False}, protect=True)
OLD = "old-nlb.elb.amazonaws.com:6443"
NEW = "new-nlb.elb.amazonaws.com:6443"


def test_step_1_adds_a_front_end_and_says_what_to_run() -> None:
    before = graph({"loadBalancerAddress": OLD, "frontEnd": "v1"}, V1)
    after = graph(
        {
            "loadBalancerAddress": OLD,
            "frontEnd": "v1",
            "nextFrontEnd": "v2",
            "nextLoadBalancerAddress": UNKNOWN,
        },
        V1,
        V2,
    )
    gate = verdict(before, after)
    assert gate.changes == [] and not gate.blocks
    assert gate.move is not None and gate.move.step == STARTED
    assert gate.move.to_json() == {
        "step": "started",
        "frontEnd": "v1",
        "nextFrontEnd": "v2",
        "address": OLD,
        "nextAddress": None,
    }
    [note] = gate.notes
    assert "front end v2 is added beside v1; nodes keep using " + OLD in note
    assert "re-run kURL's installer on ONE primary" in note
    # Not known before pulumi up: the note names the output instead of a made-up value.
    assert "with the nextKurlInstallFlags output (known after pulumi up);" in note
    text = "\n".join(render_address_gate(gate))
    assert "note: address move, step 1" in text and "Blocked" not in text


def test_a_stack_from_before_front_end_labels_moves_from_v1() -> None:
    before = graph({"loadBalancerAddress": OLD}, V1)  # no frontEnd output yet
    after = graph({"loadBalancerAddress": OLD, "frontEnd": "v1", "nextFrontEnd": "v2"}, V1, V2)
    move = planned_move(before, after)
    assert move is not None and (move.step, move.front_end) == (STARTED, "v1")


def test_a_move_in_progress_is_underway() -> None:
    outputs = {
        "loadBalancerAddress": OLD,
        "frontEnd": "v1",
        "nextFrontEnd": "v2",
        "nextLoadBalancerAddress": NEW,
    }
    gate = verdict(graph(outputs, V1, V2), graph(outputs, V1, V2))
    assert gate.move is not None and gate.move.step == UNDERWAY
    assert gate.changes == []


def moving() -> Graph:
    return graph(
        {
            "loadBalancerAddress": OLD,
            "frontEnd": "v1",
            "nextFrontEnd": "v2",
            "nextLoadBalancerAddress": NEW,
        },
        V1,
        V2,
    )


def test_step_2_retires_the_old_front_end_without_blocking() -> None:
    after = graph({"loadBalancerAddress": NEW, "frontEnd": "v2"}, V2)
    gate = verdict(moving(), after)
    assert gate.changes == [] and not gate.blocks
    assert gate.move is not None and gate.move.step == FINISHED
    step, *retired = gate.notes
    assert step.startswith(f"address move, step 2: nodes use {NEW} from now on; front end v1")
    assert len(retired) == 2
    assert retired[0].startswith("retired with front end v1: aws:lb/loadBalancer:LoadBalancer")
    assert "pulumi state unprotect" in retired[0] and V1.urn in retired[0]
    assert retired[1] == (
        f"retired with front end v1: output loadBalancerAddress goes from {OLD} to {NEW}"
    )


def test_step_2_with_the_new_address_unknown_offline_still_retires() -> None:
    after = graph({"loadBalancerAddress": UNKNOWN, "frontEnd": "v2"}, V2)
    gate = verdict(moving(), after)
    assert gate.changes == [] and gate.move is not None and gate.move.step == FINISHED


def test_step_2_still_blocks_what_moves_the_new_front_end() -> None:
    replaced = res(NLB, "kurl-v2-nlb", {"internal": True}, protect=True)  # scheme: replaced
    after = graph({"loadBalancerAddress": UNKNOWN, "frontEnd": "v2"}, replaced)
    gate = verdict(moving(), after)
    assert [(c.kind, c.name) for c in gate.changes] == [("replace", "kurl-v2-nlb")]
    assert gate.blocks


def test_step_2_blocks_an_address_other_than_the_moves() -> None:
    after = graph({"loadBalancerAddress": "elsewhere:6443", "frontEnd": "v2"}, V2)
    gate = verdict(moving(), after)
    assert [c.kind for c in gate.changes] == ["output"]
    assert gate.blocks


def test_abandoning_a_move_blocks_the_delete_of_its_front_end() -> None:
    after = graph({"loadBalancerAddress": OLD, "frontEnd": "v1"}, V1)
    gate = verdict(moving(), after)
    assert gate.move is not None and gate.move.step == ABANDONED
    [change] = gate.changes
    assert (change.kind, change.name) == ("delete", "kurl-v2-nlb")
    assert change.detail.endswith("(abandoning the move to front end v2)")
    assert gate.blocks and "abandoned" in gate.notes[0]


def test_switching_front_ends_without_a_move_blocks() -> None:
    before = graph({"loadBalancerAddress": OLD, "frontEnd": "v1"}, V1)
    after = graph({"loadBalancerAddress": UNKNOWN, "frontEnd": "v2"}, V2)
    gate = verdict(before, after)
    assert gate.move is None
    assert [(c.kind, c.name) for c in gate.changes] == [("delete", "kurl-nlb")]
    assert gate.blocks


def test_a_same_label_move_adds_a_dns_record_then_moves_the_output() -> None:
    record = res(RECORD, "kurl-dns-api", {"name": "api.example.com", "zoneId": "Z123"})
    before = graph({"loadBalancerAddress": OLD, "frontEnd": "v1"}, V1)
    step1 = graph(
        {
            "loadBalancerAddress": OLD,
            "frontEnd": "v1",
            "nextFrontEnd": "v1",
            "nextLoadBalancerAddress": "api.example.com:6443",
        },
        V1,
        record,
    )
    gate = verdict(before, step1)
    assert gate.move is not None and gate.move.step == STARTED and not gate.blocks
    assert "a DNS record is added to front end v1" in gate.notes[0]
    assert "ha load-balancer-address=api.example.com:6443" in gate.notes[0]
    step2 = graph({"loadBalancerAddress": "api.example.com:6443", "frontEnd": "v1"}, V1, record)
    gate = verdict(step1, step2)
    assert gate.move is not None and gate.move.step == FINISHED
    assert gate.changes == [] and "is retired" not in gate.notes[0]


def with_record(nlb: RecordedResource, ttl: int | None = None) -> Graph:
    inputs: dict[str, Any] = {"name": "API.example.com.", "aliases": [{"name": UNKNOWN}]}
    if ttl is not None:
        inputs["ttl"] = ttl
    record = res(RECORD, "kurl-dns-api", inputs)
    return graph({"loadBalancerAddress": "api.example.com:6443", "frontEnd": "v1"}, nlb, record)


def test_with_a_dns_record_a_replaced_nlb_is_a_record_update() -> None:
    before = with_record(V1)
    after = with_record(res(NLB, "kurl-nlb", {"internal": False}))  # scheme: replaced
    gate = verdict(before, after)
    assert gate.changes == [] and not gate.blocks
    [note] = gate.notes
    assert note.startswith("aws:lb/loadBalancer:LoadBalancer kurl-nlb is replaced, forced by")
    assert "not an API address move, the address is the DNS record kurl-dns-api" in note
    assert "for up to 60 s" in note  # Route 53 alias records


def test_a_dns_record_that_moves_too_does_not_keep_the_address() -> None:
    before = with_record(V1)
    after = graph(
        {"loadBalancerAddress": "other.example.com:6443", "frontEnd": "v1"},
        res(NLB, "kurl-nlb", {"internal": False}),
        res(RECORD, "kurl-dns-api", {"name": "other.example.com"}),
    )
    gate = verdict(before, after)
    assert {c.kind for c in gate.changes} == {"replace", "output"}
    assert gate.blocks


def test_record_names_of_each_cloud() -> None:
    azure = res(
        "azure-native:network:RecordSet",
        "r",
        {"relativeRecordSetName": "API", "zoneName": "Example.com"},
    )
    apex = res(
        "azure-native:network:RecordSet",
        "r",
        {"relativeRecordSetName": "@", "zoneName": "example.com."},
    )
    gcp = res("gcp:dns/recordSet:RecordSet", "r", {"name": "api.example.com.", "ttl": 30})
    unknown = res("gcp:dns/recordSet:RecordSet", "r", {"name": UNKNOWN})
    assert list(record_names(azure)) == ["api.example.com"]
    assert list(record_names(apex)) == ["example.com"]
    assert list(record_names(gcp)) == ["api.example.com"]
    assert list(record_names(unknown)) == []
