"""A planned API-address move through the real stack program on every cloud, and the gate's
verdict on each step (docs/runbook.md section 6.3): step 1 adds a second front end beside the
first and only creates (Azure: its load balancer and NSG rule change in place); step 2 retires
the first and only deletes; nothing of the new front end changes between the two steps; the
gate passes both and blocks abandoning the move."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.address import AddressGate, address_changes
from offline.diff import CREATE, DELETE, UPDATE, Change, diff
from offline.graph import Graph
from offline.moves import ABANDONED, FINISHED, STARTED, judge
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, run_project, with_changes
from tests.e2e.moves import UPDATED_IN_PLACE

STACKS = {"aws": AWS_DEV, "azure": AZURE_DEV, "gcp": GCP_DEV}


def verdict(before: Graph, after: Graph) -> tuple[list[Change], AddressGate]:
    changes = diff(before, after)
    found, notes, move = judge(address_changes(changes, before, after), changes, before, after)
    return changes, AddressGate(found, False, notes, move)


@pytest.fixture(scope="module", params=sorted(STACKS))
def steps(request: pytest.FixtureRequest) -> tuple[str, Graph, Graph, Graph]:
    cloud = request.param
    base = copy.deepcopy(STACKS[cloud])
    before = run_project(base, preview=True)
    step1 = run_project(with_changes(base, {"addressMove": {"frontEnd": "v2"}}), preview=True)
    step2 = run_project(with_changes(base, {"frontEnd": "v2"}), preview=True)
    return cloud, before, step1, step2


def ops(changes: list[Change], cloud: str) -> set[str]:
    return {c.op for c in changes if not (c.op == UPDATE and c.type in UPDATED_IN_PLACE[cloud])}


def test_step_1_only_adds_the_new_front_end(steps: Any) -> None:
    cloud, before, step1, _ = steps
    changes, gate = verdict(before, step1)
    assert ops(changes, cloud) == {CREATE}
    created = [c.name for c in changes if c.op == CREATE]
    assert created and all(name.startswith("kurl-v2-") for name in created), created
    assert not gate.blocks and gate.changes == []
    assert gate.move is not None and gate.move.step == STARTED
    assert step1.outputs["frontEnd"] == "v1" and step1.outputs["nextFrontEnd"] == "v2"
    assert "nextKurlInstallFlags" in step1.outputs and "nextKurlInstallFlags" not in before.outputs


def test_both_front_ends_serve_every_registered_primary(steps: Any) -> None:
    cloud, before, step1, _ = steps
    # Each cloud's registrations: AWS attaches each primary to each front end's own target
    # group; Azure and GCP front ends share the backend pool / service.
    registrations = {
        "aws": "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        "azure": "azure-native:network:LoadBalancer",
        "gcp": "gcp:compute/instanceGroupMembership:InstanceGroupMembership",
    }[cloud]
    n_before, n_step1 = (len(g.of_type(registrations)) for g in (before, step1))
    assert n_step1 == (2 * n_before if cloud == "aws" else n_before)


def test_step_2_only_retires_the_old_front_end(steps: Any) -> None:
    cloud, _, step1, step2 = steps
    changes, gate = verdict(step1, step2)
    assert ops(changes, cloud) == {DELETE}
    deleted = [c.name for c in changes if c.op == DELETE]
    assert deleted and not any(name.startswith("kurl-v2-") for name in deleted), deleted
    assert gate.changes == [] and not gate.blocks, [c.message() for c in gate.changes]
    assert gate.move is not None and gate.move.step == FINISHED
    assert step2.outputs["frontEnd"] == "v2" and "nextFrontEnd" not in step2.outputs


def test_the_new_front_end_keeps_its_urns(steps: Any) -> None:
    _, _, step1, step2 = steps
    v2 = {r.urn for r in step1.resources if r.name.startswith("kurl-v2-")}
    assert v2 and v2 <= {r.urn for r in step2.resources}


def test_abandoning_the_move_blocks(steps: Any) -> None:
    _, before, step1, _ = steps
    _, gate = verdict(step1, before)
    assert gate.move is not None and gate.move.step == ABANDONED
    assert gate.blocks and {c.kind for c in gate.changes} == {"delete"}


def test_switching_the_front_end_without_a_move_blocks(steps: Any) -> None:
    _, before, _, step2 = steps
    _, gate = verdict(before, step2)
    assert gate.move is None and gate.blocks
