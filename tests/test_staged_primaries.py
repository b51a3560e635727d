"""The staged-primaries guarantee, on every cloud: one registration is one resource.

Compared the way `pulumi preview --diff` compares a program with its state: by URN, inputs
included (offline.diff). Azure IP-based pools are the documented exception (test_azure.py:
registering is one update of the load balancer).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.address import address_changes
from offline.diff import CREATE, DELETE, diff
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, run_project, with_changes

REGISTRATION = {
    "aws": "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "azure": "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation",
    "gcp": "gcp:compute/instanceGroupMembership:InstanceGroupMembership",
}
PREFIX = {"aws": "kurl-target-", "azure": "kurl-nic-", "gcp": "kurl-member-"}
CLOUDS = {"aws": AWS_DEV, "azure": AZURE_DEV, "gcp": GCP_DEV}


def new_primary(cloud: str, name: str) -> dict[str, Any]:
    """An extra primary for the cloud, in a zone/subnet the stack already uses."""
    if cloud == "aws":
        return {"name": name, "address": "10.0.1.99"}
    if cloud == "azure":
        nic = AZURE_DEV["kurl-lb:primaries"][0]["nicId"].replace("primary-1-nic", f"{name}-nic")
        return {"name": name, "nicId": nic}
    return {"name": name, "zone": "us-central1-a", "instance": f"vm-{name}"}


@pytest.fixture(params=sorted(CLOUDS))
def cloud(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def base(cloud: str) -> dict[str, Any]:
    return copy.deepcopy(CLOUDS[cloud])


def test_registering_one_primary_creates_exactly_one_resource(cloud: str) -> None:
    before = run_project(base(cloud))
    after = run_project(with_changes(base(cloud), {"primaries.1.registered": True}))
    changes = diff(before, after)
    assert [(c.op, c.type, c.name) for c in changes] == [
        (CREATE, REGISTRATION[cloud], f"{PREFIX[cloud]}primary-2")
    ]
    assert address_changes(changes, before, after) == []


def test_deregistering_one_primary_deletes_exactly_one_resource(cloud: str) -> None:
    both = with_changes(base(cloud), {"primaries.1.registered": True})
    before = run_project(both)
    after = run_project(base(cloud))
    changes = diff(before, after)
    assert [(c.op, c.type, c.name) for c in changes] == [
        (DELETE, REGISTRATION[cloud], f"{PREFIX[cloud]}primary-2")
    ]
    assert address_changes(changes, before, after) == []


def test_reordering_primaries_changes_nothing(cloud: str) -> None:
    config = with_changes(base(cloud), {"primaries.1.registered": True})
    reordered = with_changes(config, {"primaries": list(reversed(config["kurl-lb:primaries"]))})
    assert diff(run_project(config), run_project(reordered)) == []


def test_inserting_an_unregistered_primary_changes_nothing(cloud: str) -> None:
    config = base(cloud)
    primaries = [new_primary(cloud, "primary-0"), *config["kurl-lb:primaries"]]
    inserted = with_changes(config, {"primaries": primaries})
    before, after = run_project(config), run_project(inserted)
    assert diff(before, after) == []
    assert after.outputs["pendingPrimaries"] == ["primary-0", "primary-2", "primary-3"]


def test_registering_an_inserted_primary_creates_only_its_registration(cloud: str) -> None:
    config = base(cloud)
    primaries = [new_primary(cloud, "primary-0"), *config["kurl-lb:primaries"]]
    before = run_project(with_changes(config, {"primaries": primaries}))
    primaries[0] = {**primaries[0], "registered": True}
    after = run_project(with_changes(config, {"primaries": primaries}))
    assert [(c.op, c.name) for c in diff(before, after)] == [(CREATE, f"{PREFIX[cloud]}primary-0")]


def test_rendering_the_same_config_twice_gives_identical_graphs(cloud: str) -> None:
    first, second = run_project(base(cloud)), run_project(base(cloud))
    assert diff(first, second) == []

    def shape(graph: Any) -> list[Any]:
        return sorted(
            (
                r.urn,
                r.parent,
                r.custom,
                repr(r.inputs),
                sorted(r.dependencies),
                sorted((k, sorted(v)) for k, v in r.property_dependencies.items()),
            )
            for r in graph.resources
        )

    assert shape(first) == shape(second)
    assert first.outputs == second.outputs
