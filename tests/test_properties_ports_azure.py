"""Issue 22's Azure keys fuzzed like the others (tests/test_properties.py): healthCheck.protocol,
extraPorts (with an address move, and mostly of their own shape, sometimes anything) and the
refused publicFrontEnd. The loader refuses cleanly or accepts; an accepted render holds what
Azure asks of one load balancer: no two rules on the one pool and backend port without floating
IP, a floating rule only where its frontend IP is on the primaries and its ports are equal,
every probe a rule names exists, and the NSG rule admits every backend port."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.problems import ConfigError
from components.stack import check_stack
from tests import conftest
from tests.conftest import AZURE_DEV, run_project
from tests.test_properties import (
    RENDER_SHARE,
    _settings,
    accepted,
    anything,
    encoded,
    loader_message,
    provider,
    render_outcome,
    shape,
)

good_ports = st.sampled_from([8800, 8801, 9100, 9345, 443, 6443, 65534, 65535])
ports = st.one_of(
    good_ports,
    good_ports,
    good_ports,
    st.integers(-1, 70000),
    st.sampled_from(["8800", 8800.0, 8800.5, None]),
)
port_names = st.one_of(
    st.sampled_from(["kotsadm", "metrics", "rke2", "a"]),
    st.sampled_from(["kotsadm", "metrics", "rke2", "a"]),
    st.sampled_from(["Kots", "x" * 9, "-a", "", "port.v2"]),
)


def extra_ports() -> st.SearchStrategy[Any]:
    one = st.fixed_dictionaries(
        {"name": port_names, "port": ports},
        optional={"targetPort": ports},
    )
    odd = st.fixed_dictionaries({"name": port_names, "port": ports, "protocol": st.just("udp")})
    return st.one_of(
        st.lists(one, max_size=6, unique_by=lambda e: e["name"]),
        st.lists(one, max_size=6, unique_by=lambda e: e["name"]),
        st.lists(st.one_of(one, odd), max_size=7),
        anything,
    )


def configs() -> st.SearchStrategy[dict[str, Any]]:
    def build(top: dict[str, Any], pair: Any) -> dict[str, Any]:
        config = copy.deepcopy(AZURE_DEV)
        config.update(top)
        if pair is not None:
            config["kurl-lb:azure"]["publicFrontEnd"] = pair
        return config

    top = st.fixed_dictionaries(
        {},
        optional={
            "kurl-lb:extraPorts": st.one_of(extra_ports(), extra_ports()),
            "kurl-lb:healthCheck": st.one_of(
                st.fixed_dictionaries(
                    {}, optional={"protocol": st.sampled_from(["tcp", "https", "http", "HTTPS"])}
                ),
                anything,
            ),
            "kurl-lb:addressMove": st.sampled_from(
                [{"frontEnd": "v2"}, {"frontEnd": "v1"}, {"frontEnd": "v2", "port": 1}]
            ),
            "kurl-lb:frontEnd": st.sampled_from(["v1", "v2"]),
        },
    )
    pair = st.one_of(st.none(), st.none(), st.none(), anything)
    return st.builds(build, top, pair)


def test_the_loader_refuses_cleanly_or_accepts() -> None:
    @_settings()
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        if loader_message(config, "azure") is None:
            assert "publicFrontEnd" not in config["kurl-lb:azure"]
        pair = config["kurl-lb:azure"].get("publicFrontEnd")
        if pair is not None:
            # Whatever its value, on a stack otherwise valid: refused with Azure's reason (or
            # the whole section, when the value makes it unreadable).
            alone = copy.deepcopy(AZURE_DEV)
            alone["kurl-lb:azure"]["publicFrontEnd"] = pair
            with pytest.raises(ConfigError) as info:
                check_stack(encoded(alone), provider("azure"))
            message = str(info.value)
            assert (
                "kurl-lb:azure.publicFrontEnd: is not used on Azure" in message
                or "\n  - kurl-lb:azure: " in message
            ), message

    check()


def test_the_full_render_holds_azure_rules_for_one_load_balancer() -> None:
    @_settings(RENDER_SHARE)
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        graph = accepted(render_outcome(run_project, config))
        if graph is None:
            return
        lb = next(r for r in graph.resources if r.type == "azure-native:network:LoadBalancer")
        rules = lb.inputs["loadBalancingRules"]
        probes = {p["name"]: p for p in lb.inputs["probes"]}
        assert len(probes) == len(lb.inputs["probes"]), "two probes with one name"
        assert len({r["name"] for r in rules}) == len(rules), "two rules with one name"
        fixed = [r["backendPort"] for r in rules if not r["enableFloatingIP"]]
        assert len(fixed) == len(set(fixed)), "two rules on one backend port without floating IP"
        frontends = {r["frontendIPConfiguration"]["id"] for r in rules if r["enableFloatingIP"]}
        assert len(frontends) <= 1, "floating IP only on the move's new front end"
        for r in rules:
            assert r["probe"]["id"].rsplit("/", 1)[1] in probes
            assert r["disableOutboundSnat"] is False
            if r["enableFloatingIP"]:
                # Held on the primaries' loopback: a primary's own call stays local at this port.
                assert r["frontendPort"] == r["backendPort"]
                assert "nextFrontEndIp" in graph.outputs
        api = probes["api-probe"]
        https = api["protocol"] == "Https"
        assert (api.get("requestPath"), api.get("noHealthyBackendsBehavior")) == (
            ("/readyz", "AllProbedUp") if https else (None, None)
        )
        nsg = next(r for r in graph.resources if r.type == "azure-native:network:SecurityRule")
        admitted = nsg.inputs.get("destinationPortRanges") or [nsg.inputs["destinationPortRange"]]
        assert {str(r["backendPort"]) for r in rules} == set(admitted)
        again = run_project(encoded(config, text=True))
        assert shape(again) == shape(graph)

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(conftest.OUTPUTS, "azure-native:network:PublicIPAddress", _ips)
        check()


def _ips(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"ipAddress": "20.0.0.20" if "-v2-" in args.name else "20.0.0.10"}
