"""Property-based tests of GCP's stable-address options (#21), as tests/test_properties.py does
for the others: `gcp.address`, `gcp.dnsRecord`, `frontEnd` and `addressMove` with generated
values, through the loader and the full render.

- the loader refuses cleanly (every line names a stack key, nothing unprintable) or accepts;
- an accepted config renders twice to the same graph, without duplicate URNs, with GCP names
  each resource accepts, a DNS record only of the record's name, and `loadBalancerAddress`
  the record's name when there is one.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline.recorder import Graph
from tests.conftest import GCP_DEV, INVOKES, OUTPUTS, run_project
from tests.test_properties import (
    _settings,
    accepted,
    anything,
    check_names_and_addresses,
    encoded,
    loader_message,
    nasty_text,
    numbers,
    render_outcome,
    shape,
)

RECORD = "gcp:dns/recordSet:RecordSet"
# Every lookup answers what a public PREMIUM load balancer can use: the render checks the
# config, not the account (tests/test_address_gcp.py checks the lookups' own checks).
LOOKUPS = {
    **INVOKES,
    "gcp:compute/getAddress:getAddress": lambda a: {
        "address": "34.120.0.50",
        "addressType": "EXTERNAL",
        "networkTier": "PREMIUM",
    },
    "gcp:dns/getManagedZone:getManagedZone": lambda a: {
        "dnsName": "example.com.",
        "visibility": "public",
    },
}

ADDRESS_REFS = [
    "kurl-api",
    "kurl-api-v2",
    "projects/kurl-test/regions/us-central1/addresses/kurl-api",
    "https://www.googleapis.com/compute/v1/projects/kurl-test/regions/us-central1/addresses/a2",
    "projects/kurl-test/regions/europe-west1/addresses/kurl-api",
    "projects/kurl-test/global/addresses/kurl-api",
    "Kurl-API",
    "34.120.0.50",
    "",
]
RECORD_NAMES = [
    "api.example.com",
    "api2.example.com",
    "k8s.api.example.com",
    "API.example.com",
    "api.example.com.",
    "api",
    "10.0.0.1",
    "-api.example.com",
    "a" * 64 + ".example.com",
    "api..example.com",
    "*.example.com",
    "api.exämple.com",
]
ZONE_NAMES = ["kurl-example-com", "example.com", "Zone", "z" * 64, "z-", "1zone"]
LABELS = ["v1", "v2", "blue", "V2", "v2-", "a" * 9, "", "x_y"]


def record_sets(valid: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    if valid:
        return st.fixed_dictionaries(
            {
                "managedZone": st.just("kurl-example-com"),
                "name": st.sampled_from(RECORD_NAMES[:3]),
            },
            optional={"ttl": st.integers(1, 86400)},
        )
    return st.fixed_dictionaries(
        {},
        optional={
            "managedZone": st.sampled_from(ZONE_NAMES),
            "name": st.sampled_from(RECORD_NAMES),
            "ttl": numbers,
            "project": st.one_of(st.just("dns-project"), nasty_text),
        },
    )


def moves(valid: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    label = st.sampled_from(LABELS[:3] if valid else LABELS)
    optional: dict[str, st.SearchStrategy[Any]] = {
        "address": st.sampled_from(ADDRESS_REFS[:4] if valid else ADDRESS_REFS),
        "networkTier": st.sampled_from(["PREMIUM"] if valid else ["PREMIUM", "STANDARD", "x"]),
        "dnsRecord": record_sets(valid),
    }
    if not valid:
        optional["scheme"] = st.sampled_from(["internal", "public"])
    return st.fixed_dictionaries({"frontEnd": label}, optional=optional)


def configs(valid: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """gcp-dev with the new keys set to generated values (sometimes anything at all)."""
    refs = ADDRESS_REFS[:4] if valid else ADDRESS_REFS
    section = st.fixed_dictionaries(
        {},
        optional={
            "address": st.sampled_from(refs),
            "dnsRecord": record_sets(valid),
        },
    )
    keys: dict[str, st.SearchStrategy[Any]] = {
        "kurl-lb:gcp": section,
        "kurl-lb:frontEnd": st.sampled_from(LABELS[:3] if valid else LABELS),
        "kurl-lb:addressMove": moves(valid),
    }
    if not valid:
        keys = {k: st.one_of(v, v, v, anything) for k, v in keys.items()}
    changes = st.fixed_dictionaries({}, optional=keys)

    def build(change: dict[str, Any]) -> dict[str, Any]:
        config = copy.deepcopy(GCP_DEV)
        gcp = change.pop("kurl-lb:gcp", None)
        if isinstance(gcp, dict):
            config["kurl-lb:gcp"] = {**config["kurl-lb:gcp"], **gcp}
        elif gcp is not None:
            config["kurl-lb:gcp"] = gcp
        config.update(change)
        return config

    return st.builds(build, changes)


def run(config: dict[str, Any], graph: Graph | None = None) -> Graph:
    """The project for `config` as the CLI passes it, with this file's outputs and lookups."""
    return run_project(config, graph=graph, outputs=OUTPUTS, invokes=LOOKUPS)


def test_the_loader_refuses_cleanly_or_accepts() -> None:
    @_settings()
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        loader_message(config, "gcp")

    check()


@pytest.mark.parametrize("valid", [True, False], ids=["near-valid", "any"])
def test_the_full_render_is_clean_deterministic_and_cloud_valid(valid: bool) -> None:
    @_settings(0.5)
    @given(configs(valid))
    def check(config: dict[str, Any]) -> None:
        graph = accepted(render_outcome(run, config))
        if graph is None:
            return
        # RecordSets are named by the record (no auto-naming): every other GCP name is checked.
        check_names_and_addresses("gcp", _without_records(graph))
        records = [r for r in graph.custom if r.type == RECORD]
        for r in records:
            assert r.name.endswith(r.inputs["name"].rstrip(".")), r.name
            assert re.fullmatch(r"([a-z0-9-]+\.)+", r.inputs["name"]), r.inputs["name"]
        # One record per name, and one forwarding rule per front end.
        assert len({r.inputs["name"] for r in records}) == len(records)
        rules = [r for r in graph.custom if r.type.endswith("forwardingRule:ForwardingRule")]
        assert 1 <= len(rules) <= 2
        own = (config.get("kurl-lb:gcp") or {}).get("dnsRecord")
        if isinstance(own, dict):
            assert graph.outputs["loadBalancerAddress"] == f"{own['name']}:6443"
        assert shape(run(encoded(config, text=True))) == shape(graph)

    check()


def _without_records(graph: Graph) -> Graph:
    out = Graph(project=graph.project, stack=graph.stack)
    out.resources = [r for r in graph.resources if r.type != RECORD]
    return out
