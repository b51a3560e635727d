"""Issue 22's AWS options fuzzed like the others (tests/test_properties.py): the health check's
protocol, extra ports and the public front end, with values of their shape and anything at all.
The loader refuses cleanly or accepts; an accepted config renders, or fails at deploy naming
the key, and what it renders follows AWS's rules."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from offline.recorder import Graph
from tests.conftest import AWS_DEV, SUBNET_CIDRS, in_child
from tests.test_address_aws import PRIVATE_ZONE, PUBLIC_ZONE
from tests.test_aws_ports import PUBLIC_SUBNETS, run
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

AWS_NAME_MAX, AUTONAME = 32, 8
ports = st.one_of(st.sampled_from([443, 6443, 8800, 9345, 8800]), st.integers(-1, 70000))
extra_ports = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.sampled_from(
                ["kotsadm", "api443", "rke2", "public", "v2", "Kots", "a-", "abcdefghi", ""]
            ),
            "port": ports,
            "targetPort": ports,
        },
    ),
    max_size=6,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "zoneId": st.sampled_from([PUBLIC_ZONE, PRIVATE_ZONE, "z1"]),
        "name": st.sampled_from(["k8s.example.com", "api.kurl.internal", "api", "API.example.com"]),
    },
)
pairs = st.fixed_dictionaries(
    {},
    optional={
        "subnetIds": st.lists(
            st.sampled_from([*PUBLIC_SUBNETS, *SUBNET_CIDRS, "subnet-x"]), max_size=3
        ),
        "allowedClientCidrs": st.lists(
            st.sampled_from(["203.0.113.0/24", "0.0.0.0/0", "10.0.0.1/16"]), max_size=2
        ),
        "hairpinSourceCidrs": st.lists(st.sampled_from(["198.51.100.7/32", "x"]), max_size=2),
        "elasticIps": st.booleans(),
        "elasticIpAllocationIds": st.lists(
            st.sampled_from(["eipalloc-0123456789abcdef0", "eipalloc-01234567", "x"]),
            max_size=3,
        ),
        "loadBalancerSecurityGroup": st.booleans(),
        "dnsRecord": records,
        "privateIpv4Addresses": st.just(["10.0.1.5"]),  # not the public front end's: refused
    },
)

# Public front ends the loader accepts (with an internal NLB), so that the render sees them.
good_pairs = st.fixed_dictionaries(
    {
        "subnetIds": st.lists(
            st.sampled_from([*PUBLIC_SUBNETS, *SUBNET_CIDRS]), min_size=1, max_size=3, unique=True
        ),
        "allowedClientCidrs": st.just(["203.0.113.0/24"]),
        "hairpinSourceCidrs": st.just(["198.51.100.7/32"]),
    },
    optional={
        "elasticIps": st.booleans(),
        "loadBalancerSecurityGroup": st.just(True),
        "dnsRecord": st.just({"zoneId": PUBLIC_ZONE, "name": "k8s.example.com"}),
    },
)


def configs() -> st.SearchStrategy[dict[str, Any]]:
    top: dict[str, st.SearchStrategy[Any]] = {
        "kurl-lb:name": st.sampled_from(["kurl", "abcdefghi", "abcdefghijklmnop"]),
        "kurl-lb:scheme": st.sampled_from(["internal", "public"]),
        "kurl-lb:healthCheck": st.fixed_dictionaries(
            {},
            optional={
                "protocol": st.sampled_from(["tcp", "https", "http", "HTTPS", ""]),
                "intervalSeconds": st.sampled_from([5, 10, 300]),
            },
        ),
        "kurl-lb:extraPorts": extra_ports,
        "kurl-lb:addressMove": st.just({"frontEnd": "v2"}),
    }

    def build(changes: dict[str, Any], pair: Any, junk: dict[str, Any]) -> Any:
        config = copy.deepcopy(AWS_DEV)
        config.update(changes)
        if changes.get("kurl-lb:scheme") == "public":
            config["kurl-lb:allowedClientCidrs"] = ["203.0.113.0/24"]
            config["kurl-lb:aws"]["hairpinSourceCidrs"] = ["198.51.100.7/32"]
        if pair is not None:
            config["kurl-lb:aws"]["publicFrontEnd"] = pair
        for key, value in junk.items():
            if key == "publicFrontEnd":
                config["kurl-lb:aws"][key] = value
            else:
                config[f"kurl-lb:{key}"] = value
        return config

    junk = st.dictionaries(st.sampled_from(["extraPorts", "publicFrontEnd"]), anything, max_size=1)
    return st.builds(
        build,
        st.fixed_dictionaries({}, optional=top),
        st.one_of(st.none(), good_pairs, good_pairs, pairs),
        st.one_of(st.just({}), st.just({}), junk),
    )


def test_the_loader_refuses_cleanly_or_accepts() -> None:
    @_settings()
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        loader_message(config, "aws")

    check()


def check_ports(graph: Graph) -> None:
    """What an accepted config renders follows AWS's rules for names, health checks, listeners
    and the public front end."""
    listeners: dict[str, list[Any]] = {}
    for r in graph.custom:
        if r.type in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
            assert len(r.name) + AUTONAME <= AWS_NAME_MAX, r.name
            assert not r.name.startswith("internal-"), r.name
        if r.type == "aws:lb/targetGroup:TargetGroup":
            hc = r.inputs["healthCheck"]
            assert hc["port"] == "traffic-port" and r.inputs["protocol"] == "TCP"
            if hc["protocol"] == "HTTPS":
                assert (hc["path"], hc["matcher"]) == ("/readyz", "200")
            else:
                assert hc["protocol"] == "TCP"
                assert hc.get("path", "") == "" and hc.get("matcher", "") == "", hc
            assert 2 <= hc["timeout"] < hc["interval"] <= 300
        if r.type == "aws:lb/listener:Listener":
            listeners.setdefault(str(r.inputs["loadBalancerArn"]), []).append(r.inputs["port"])
        if r.type == "aws:lb/loadBalancer:LoadBalancer" and r.name.endswith("-public-nlb"):
            assert r.inputs["internal"] is False
    for arn, on_one in listeners.items():
        assert len(on_one) == len(set(on_one)), (arn, on_one)  # a port is one listener
    for r in graph.custom:
        if r.type == "aws:lb/targetGroup:TargetGroup" and "-public-" in r.name:
            assert (r.inputs["targetType"], r.inputs["preserveClientIp"]) == ("ip", "false")


def _render(config: dict[str, Any]) -> tuple[str, Any]:
    return render_outcome(run, config)  # a top-level function: in_child pickles it


def test_the_full_render_is_clean_deterministic_and_follows_aws() -> None:
    @_settings(RENDER_SHARE)
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        graph = accepted(in_child(_render, config), lambda m: "dnsRecord.name" in m)
        if graph is None:
            return
        check_ports(graph)
        again = run(encoded(config, text=True))
        assert shape(again) == shape(graph)
        assert json.dumps(again.outputs, sort_keys=True) == json.dumps(
            graph.outputs, sort_keys=True
        )

    check()
