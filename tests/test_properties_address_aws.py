"""Issue 21's AWS options fuzzed like the others (tests/test_properties.py): static addresses,
the DNS record, the front end label and the address move, with values of their shape and
anything at all. The loader refuses cleanly or accepts; an accepted config renders, or fails at
deploy naming the key, and what it renders follows AWS's rules."""

from __future__ import annotations

import copy
import ipaddress
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.aws import reserved_or_outside
from offline.recorder import Graph
from tests.conftest import AWS_DEV, SUBNET_CIDRS, in_child
from tests.test_address_aws import PRIVATE_ZONE, PUBLIC_ZONE, ZONES, run
from tests.test_properties import (
    RENDER_SHARE,
    _settings,
    accepted,
    anything,
    encoded,
    loader_message,
    render_outcome,
    shape,
)

SUBNETS = list(SUBNET_CIDRS)
allocation_ids = st.lists(
    st.sampled_from(
        [
            "eipalloc-0123456789abcdef0",
            "eipalloc-0123456789abcdef1",
            "eipalloc-01234567",
            "eipalloc-xyz",
            "eipalloc-0123456789ABCDEF0",
            "eipalloc-0123456789abcdef0 ",
        ]
    ),
    max_size=4,
)
private_addresses = st.lists(
    st.sampled_from(
        [
            "10.0.1.5",
            "10.0.2.5",
            "10.0.3.5",
            "10.0.1.0",
            "10.0.2.3",
            "10.0.3.255",
            "10.0.9.9",
            "203.0.113.5",
            "10.0.1.5/32",
            "010.0.1.5",
            "x",
        ]
    ),
    max_size=4,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "zoneId": st.sampled_from(
            [PUBLIC_ZONE, PRIVATE_ZONE, "z1", "/hostedzone/Z1", "Z" + "A" * 32, "Z", ""]
        ),
        "name": st.sampled_from(
            [
                "api.kurl.internal",
                "api2.kurl.internal",
                "kurl.internal",
                "api.example.com",
                "apikurl.internal",
                "API.kurl.internal",
                "api.kurl.internal.",
                "a..kurl.internal",
                "-a.kurl.internal",
                "a" * 64 + ".kurl.internal",
                "api",
                "ápi.kurl.internal",
            ]
        ),
        "ttl": st.integers(0, 100),
    },
)
labels = st.sampled_from(["v1", "v2", "b", "V2", "v-", "toolonglabel", "", "v2 "])
schemes = st.sampled_from(["internal", "public"])


def moves() -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "scheme": schemes,
        "subnetIds": st.lists(st.sampled_from([*SUBNETS, "subnet-x"]), max_size=3),
        "elasticIps": st.booleans(),
        "elasticIpAllocationIds": allocation_ids,
        "privateIpv4Addresses": private_addresses,
        "loadBalancerSecurityGroup": st.booleans(),
        "allowedClientCidrs": st.lists(st.sampled_from(["10.0.0.0/16", "203.0.113.0/24"])),
        "hairpinSourceCidrs": st.lists(st.sampled_from(["198.51.100.7/32", "x"]), max_size=2),
        "dnsRecord": records,
        "targetType": st.just("instance"),  # not a move field: refused
    }
    return st.fixed_dictionaries({"frontEnd": labels}, optional=fields)


def configs() -> st.SearchStrategy[dict[str, Any]]:
    section: dict[str, st.SearchStrategy[Any]] = {
        "elasticIps": st.one_of(st.booleans(), st.sampled_from(["yes", 1, None])),
        "elasticIpAllocationIds": allocation_ids,
        "privateIpv4Addresses": private_addresses,
        "dnsRecord": records,
        "loadBalancerSecurityGroup": st.booleans(),
    }
    top: dict[str, st.SearchStrategy[Any]] = {
        "kurl-lb:scheme": schemes,
        "kurl-lb:frontEnd": labels,
        "kurl-lb:addressMove": moves(),
        "kurl-lb:deletionProtection": st.booleans(),
    }

    def build(aws: dict[str, Any], changes: dict[str, Any], junk: dict[str, Any]) -> Any:
        config = copy.deepcopy(AWS_DEV)
        config["kurl-lb:aws"].update(aws)
        config.update(changes)
        if changes.get("kurl-lb:scheme") == "public":
            config["kurl-lb:allowedClientCidrs"] = ["203.0.113.0/24"]
            config["kurl-lb:aws"]["hairpinSourceCidrs"] = ["198.51.100.7/32"]
        for key, value in junk.items():
            config["kurl-lb:aws"][key] = value
        return config

    junk = st.dictionaries(
        st.sampled_from(sorted(section)), anything, max_size=1
    )  # any value at all where a new key is
    return st.builds(
        build,
        st.fixed_dictionaries({}, optional=section),
        st.fixed_dictionaries({}, optional=top),
        st.one_of(st.just({}), st.just({}), junk),
    )


def test_the_loader_refuses_cleanly_or_accepts() -> None:
    @_settings()
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        loader_message(config, "aws")

    check()


def check_addresses(graph: Graph, config: dict[str, Any]) -> None:
    """What an accepted config renders follows AWS's rules for static addresses and records."""
    protected = config.get("kurl-lb:deletionProtection", True) is not False
    for r in graph.custom:
        if r.type == "aws:lb/loadBalancer:LoadBalancer":
            mappings = r.inputs.get("subnetMappings")
            assert (mappings is None) != (r.inputs.get("subnets") is None), r.inputs
            for m in mappings or []:
                if "allocationId" in m:
                    assert r.inputs["internal"] is False
                if "privateIpv4Address" in m:
                    assert r.inputs["internal"] is True
                    cidr = SUBNET_CIDRS[m["subnetId"]]
                    assert reserved_or_outside(m["privateIpv4Address"], cidr) is None
                    assert ipaddress.ip_address(m["privateIpv4Address"]).is_private
        if r.type == "aws:ec2/eip:Eip":
            assert r.protect is protected and r.inputs["domain"] == "vpc"
        if r.type == "aws:route53/record:Record":
            zone = ZONES[r.inputs["zoneId"]]["name"]
            name = r.inputs["name"]
            assert name == zone or name.endswith("." + zone), (name, zone)
            assert "ttl" not in r.inputs and r.inputs["type"] == "A"


def _render(config: dict[str, Any]) -> tuple[str, Any]:
    return render_outcome(run, config)  # a top-level function: in_child pickles it


def test_the_full_render_is_clean_deterministic_and_follows_aws() -> None:
    @_settings(RENDER_SHARE)
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        graph = accepted(
            in_child(_render, config),
            lambda m: "privateIpv4Addresses[" in m or "dnsRecord.name" in m,
        )
        if graph is None:
            return
        check_addresses(graph, config)
        again = run(encoded(config, text=True))
        assert shape(again) == shape(graph)
        assert json.dumps(again.outputs, sort_keys=True) == json.dumps(
            graph.outputs, sort_keys=True
        )

    check()


@pytest.mark.parametrize("label", ["v1", "v2"])
def test_a_valid_move_always_builds_two_front_ends_of_their_own(label: str) -> None:
    @_settings(RENDER_SHARE)
    @given(st.sampled_from(["internal", "public"]), st.booleans())
    def check(scheme: str, group: bool) -> None:
        config = copy.deepcopy(AWS_DEV)
        config["kurl-lb:frontEnd"] = label
        config["kurl-lb:scheme"] = scheme
        # A public NLB without its group cannot enforce allowedClientCidrs (refused).
        config["kurl-lb:aws"]["loadBalancerSecurityGroup"] = group or scheme == "public"
        if scheme == "public":
            config["kurl-lb:allowedClientCidrs"] = ["203.0.113.0/24"]
            config["kurl-lb:aws"]["hairpinSourceCidrs"] = ["198.51.100.7/32"]
        move = {"frontEnd": "v9"}
        move.update(
            {"elasticIps": True}
            if scheme == "public"
            else {"privateIpv4Addresses": ["10.0.1.5", "10.0.2.5", "10.0.3.5"]}
        )
        config["kurl-lb:addressMove"] = move
        graph = run(config)
        nlbs = sorted(r.name for r in graph.custom if r.type.endswith("loadBalancer:LoadBalancer"))
        tgs = sorted(r.name for r in graph.custom if r.type.endswith("targetGroup:TargetGroup"))
        first = "kurl" if label == "v1" else f"kurl-{label}"
        assert nlbs == sorted([f"{first}-nlb", "kurl-v9-nlb"])
        assert tgs == sorted([f"{first}-tg", "kurl-v9-tg"])
        assert graph.outputs["nextFrontEnd"] == "v9"

    check()
