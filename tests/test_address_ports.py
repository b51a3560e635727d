"""The API-address gate and extra ports (issue 22): a listener, rule or forwarding rule of an
extra port is not the address kURL holds, so changing, adding or removing one never blocks;
the API port's still does."""

from __future__ import annotations

from typing import Any

import pytest

from offline.address import address_changes, api_ports
from offline.diff import diff
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, run_project, with_changes

DEV = {"aws": AWS_DEV, "azure": AZURE_DEV, "gcp": GCP_DEV}
KOTSADM = {"name": "kotsadm", "port": 8800}


run = run_project


def moves(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The address changes the gate finds between two configs, by kind and resource."""
    old, new = run(before), run(after)
    ports = api_ports({"kurl-lb:port": str(before.get("kurl-lb:port", 6443))})
    return [
        f"{c.kind} {c.name}{c.detail}" for c in address_changes(diff(old, new), old, new, ports)
    ]


def with_ports(cloud: str, *ports: dict[str, Any]) -> dict[str, Any]:
    return with_changes(DEV[cloud], {"extraPorts": list(ports)})


@pytest.mark.parametrize("cloud", DEV)
def test_an_extra_ports_port_changing_is_not_an_address_change(cloud: str) -> None:
    before = with_ports(cloud, KOTSADM)
    assert moves(before, with_ports(cloud, {**KOTSADM, "port": 8801})) == []


@pytest.mark.parametrize("cloud", DEV)
def test_adding_and_removing_an_extra_port_is_not_an_address_change(cloud: str) -> None:
    assert moves(DEV[cloud], with_ports(cloud, KOTSADM)) == []
    assert moves(with_ports(cloud, KOTSADM), DEV[cloud]) == []


@pytest.mark.parametrize("cloud", DEV)
def test_the_api_port_changing_beside_extra_ports_still_moves_the_address(cloud: str) -> None:
    before = with_ports(cloud, KOTSADM)
    found = moves(before, with_changes(before, {"port": 7443}))
    assert found, "the API port is part of the address"
    assert any("the API port" in f or "replace" in f for f in found), found


def test_api_ports_reads_both_revisions_and_defaults_to_6443() -> None:
    assert api_ports({}) == {6443}
    assert api_ports({"kurl-lb:port": "7443"}, {"kurl-lb:port": "6443"}) == {6443, 7443}
    assert api_ports({"kurl-lb:port": "x"}) == {6443}
