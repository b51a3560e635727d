"""Issue 21's Azure keys fuzzed like the others (tests/test_properties.py): publicIpId,
dnsRecord, frontEnd and addressMove, mostly of their own shape, sometimes anything. The loader
refuses cleanly or accepts; the full render is clean, deterministic and has unique URNs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import conftest
from tests.conftest import AZURE_DEV, SUBSCRIPTION, run_project
from tests.test_properties import (
    RENDER_SHARE,
    _settings,
    accepted,
    anything,
    encoded,
    loader_message,
    nasty_text,
    render_outcome,
    shape,
)

IP_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/ips/providers/Microsoft.Network"
    "/publicIPAddresses/api"
)
public_ip_ids = st.sampled_from(
    [
        IP_ID,
        IP_ID.lower(),
        IP_ID.replace("/api", "/api-2"),
        IP_ID.replace("publicIPAddresses", "networkInterfaces"),
        IP_ID + "/",
        IP_ID.replace(SUBSCRIPTION, "sub"),
        "api",
        IP_ID + "é",
    ]
)
zones = st.sampled_from(["example.com", "Example.COM", "com", "example.com.", "a..b", "é.com"])
record_names = st.sampled_from(
    ["k8s.example.com", "example.com", "k8s.example.org", "k8s.example.com.", "*.example.com", ""]
)
ttls = st.one_of(st.sampled_from([0, 1, 60, 2_147_483_647, 2_147_483_648, -1, "60", 1.5]))
labels = st.sampled_from(["v1", "v2", "blue", "V2", "v-", "a" * 9, ""])


def dns_records() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "zoneName": zones,
            "name": record_names,
            "resourceGroupName": st.sampled_from(["dns-rg", "rg.", ""]),
            "ttl": ttls,
            "zone": nasty_text,
        },
    )


def section() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "publicIpId": st.one_of(public_ip_ids, anything),
            "dnsRecord": st.one_of(dns_records(), anything),
            "domainNameLabel": st.sampled_from(["kurl-api", "ab"]),
        },
    )


def moves() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "frontEnd": labels,
            "publicIpId": public_ip_ids,
            "domainNameLabel": st.sampled_from(["kurl-v2", "x"]),
            "dnsRecord": dns_records(),
            "name": nasty_text,
        },
    )


def configs() -> st.SearchStrategy[dict[str, Any]]:
    def build(azure: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
        config = copy.deepcopy(AZURE_DEV)
        config["kurl-lb:azure"].update(azure)
        config.update(top)
        return config

    top = st.fixed_dictionaries(
        {},
        optional={
            "kurl-lb:frontEnd": st.one_of(labels, anything),
            "kurl-lb:addressMove": st.one_of(moves(), moves(), anything),
        },
    )
    return st.builds(build, section(), top)


def looked_up(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    return {
        "id": IP_ID,
        "name": args.args["publicIpAddressName"],
        "location": "eastus",
        "sku": {"name": "Standard"},
        "publicIPAllocationMethod": "Static",
        "publicIPAddressVersion": "IPv4",
        "ipAddress": "20.0.0.77" if args.args["publicIpAddressName"] == "api" else "20.0.0.88",
        "etag": "e",
        "provisioningState": "Succeeded",
        "resourceGuid": "g",
        "type": "Microsoft.Network/publicIPAddresses",
    }


def zone(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    name = args.args["zoneName"]
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dns/providers/Microsoft.Network"
        f"/dnszones/{name}",
        "name": name,
        "location": "global",
        "type": "Microsoft.Network/dnszones",
        "nameServers": [],
        "maxNumberOfRecordSets": 10000,
        "maxNumberOfRecordsPerRecordSet": 20,
        "numberOfRecordSets": 2,
        "signingKeys": [],
        "systemData": {},
        "azureApiVersion": "2023-07-01-preview",
    }


def test_the_loader_refuses_cleanly_or_accepts() -> None:
    @_settings()
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        loader_message(config, "azure")

    check()


def test_the_full_render_is_clean_deterministic_with_unique_urns() -> None:
    @_settings(RENDER_SHARE)
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        graph = accepted(render_outcome(run_project, config))
        if graph is None:
            return
        lb = next(r for r in graph.resources if r.type == "azure-native:network:LoadBalancer")
        frontends = [f["name"] for f in lb.inputs["frontendIPConfigurations"]]
        rules = lb.inputs["loadBalancingRules"]
        assert len(frontends) == len(set(frontends)) == len(rules) in (1, 2)
        # At most one rule without floating IP on the one pool (Azure refuses two).
        assert sum(1 for r in rules if not r["enableFloatingIP"]) == 1
        ips = [json.dumps(f["publicIPAddress"]) for f in lb.inputs["frontendIPConfigurations"]]
        assert len(ips) == len(set(ips)), "two frontends on one public IP"
        again = run_project(encoded(config, text=True))
        assert shape(again) == shape(graph)

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(conftest.INVOKES, "azure-native:network:getPublicIPAddress", looked_up)
        patch.setitem(conftest.INVOKES, "azure-native:dns:getZone", zone)
        check()
