"""Issue 22's GCP options fuzzed like the others (tests/test_properties.py): the health check's
protocol, extra ports and the public front end (`gcp.publicFrontEnd`), with values of their
shape and anything at all. The loader refuses cleanly or accepts; an accepted config renders, or
fails at deploy naming the key (a looked-up address or managed zone that does not fit), and what
it renders follows GCP's rules: names of at most 63 characters in GCP's pattern, one IP per
front end shared by its forwarding rules (an internal one reserved as SHARED_LOADBALANCER_VIP
when it has several), every extra port on every front end, a forwarding rule's scheme its
backend service's and its tier its address's, probers admitted on every port, one instance group
membership per registered primary, and the API's health check of the asked protocol."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline.recorder import Graph
from tests import conftest
from tests.conftest import GCP_DEV, GCP_IP, GCP_PROJECT, in_child, with_changes
from tests.test_address_gcp import RESERVED, SUBNET, run
from tests.test_gcp_ports import (
    ADDRESS,
    BACKEND,
    EXTERNAL_PROBERS,
    FIREWALL,
    HC,
    INTERNAL_PROBERS,
    MEMBERSHIP,
    PUBLIC_RECORD,
    RECORD,
    RULE,
    SHARED,
)
from tests.test_properties import (
    RENDER_SHARE,
    _settings,
    accepted,
    anything,
    assert_good_message,
    encoded,
    loader_message,
    render_outcome,
    shape,
)

# GCP resource names (RFC 1035, https://cloud.google.com/compute/docs/naming-resources), with
# the "-" and 7 characters Pulumi's auto-naming adds.
GCP_NAME = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)
GCP_NAME_MAX, AUTONAME = 63, 8
PHYSICAL = "-a1b2c3d"  # the mocks' auto-name suffix (tests/conftest.py)
PROBERS = {"EXTERNAL": EXTERNAL_PROBERS, "INTERNAL": INTERNAL_PROBERS}
GROUP = "gcp:compute/instanceGroup:InstanceGroup"
SELF_LINK = f"projects/{GCP_PROJECT}/regions/us-central1/addresses/"
PAIR_CLIENTS = ["198.51.100.0/24"]

ports = st.one_of(
    st.sampled_from([443, 6443, 8800, 9345, 8800, 65535]),
    st.integers(-1, 70000),
    st.sampled_from(["8800", 8800.5, None]),
)
good_ports = st.sampled_from([443, 8800, 8801, 9345, 6443, 65535])
# "fr", "fr-x" and "v2" against the front end labels: their resources' names share a stem.
good_names = st.sampled_from(["kotsadm", "api443", "rke2", "public", "v2", "fr", "fr-x"])
bad_names = st.sampled_from(["Kots", "a-", "abcdefghi", "", "port.v2", "-fr"])


def _same_port(entry: dict[str, Any], same: bool) -> dict[str, Any]:
    """GCP forwards without translating ports: mostly targetPort is port (or left out)."""
    if same and "port" in entry:
        return {**entry, "targetPort": entry["port"]}
    return entry


good_entry = st.builds(
    _same_port,
    st.fixed_dictionaries(
        {"name": good_names, "port": good_ports}, optional={"targetPort": good_ports}
    ),
    st.sampled_from([True, True, False]),
)
loose_entry = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(good_names, bad_names),
        "port": ports,
        "targetPort": ports,
        "protocol": st.just("udp"),
    },
)
extra_ports = st.one_of(
    st.lists(good_entry, max_size=3, unique_by=lambda e: e["name"]),
    st.lists(good_entry, max_size=3, unique_by=lambda e: e["name"]),
    st.lists(st.one_of(good_entry, loose_entry), max_size=6),
)

# Addresses the lookup knows (tests/test_address_gcp.py's RESERVED and tests/test_gcp_ports.py's
# SHARED_LOADBALANCER_VIP ones), and self links the loader refuses.
addresses = st.sampled_from(
    [
        "kurl-shared",
        "kurl-shared",
        f"{SELF_LINK}kurl-shared",
        "kurl-api",
        "kurl-internal",
        "kurl-standard",
        "projects/kurl-test/regions/europe-west1/addresses/kurl-shared",
    ]
)
# Managed zones the lookup knows: kurl.example.com., internal.example.com., example.com.
records = st.fixed_dictionaries(
    {},
    optional={
        "managedZone": st.sampled_from(
            ["kurl-example-com", "kurl-private", "kurl-example-com-2", "-zone"]
        ),
        "name": st.sampled_from(
            [
                "admin.kurl.example.com",
                "api.kurl.example.com",
                "admin.other.org",
                "api",
                "API.kurl.example.com",
            ]
        ),
        "ttl": st.sampled_from([60, 0, 86401]),
    },
)
pairs = st.fixed_dictionaries(
    {},
    optional={
        "address": st.sampled_from(
            [
                "kurl-api",
                "kurl-internal",
                "kurl-standard",
                "projects/kurl-test/regions/europe-west1/addresses/kurl-api",
                "Bad Name",
                "",
            ]
        ),
        "networkTier": st.sampled_from(["PREMIUM", "STANDARD", "GOLD", "premium", 1]),
        "allowedClientCidrs": st.lists(
            st.sampled_from(["198.51.100.0/24", "0.0.0.0/0", "10.0.0.1/16", "x"]), max_size=2
        ),
        "dnsRecord": records,
        "subnetwork": st.just("kurl-subnet"),  # not the public front end's: refused
    },
)
# Public front ends the loader accepts (with scheme internal), so that the render sees them.
good_pairs = st.fixed_dictionaries(
    {"allowedClientCidrs": st.just(PAIR_CLIENTS)},
    optional={
        "address": st.sampled_from(["kurl-api", f"{SELF_LINK}kurl-api", "kurl-standard"]),
        "networkTier": st.sampled_from(["PREMIUM", "PREMIUM", "STANDARD"]),
        "dnsRecord": st.sampled_from(
            [PUBLIC_RECORD, {"managedZone": "kurl-example-com-2", "name": "admin.example.com"}]
        ),
    },
)
moves = st.sampled_from(
    [
        {"frontEnd": "v2"},
        {"frontEnd": "v2", "address": "kurl-shared-v2"},
        {"frontEnd": "v2", "address": "kurl-api-v2"},
        {"frontEnd": "fr", "address": "kurl-shared-v2"},
        {"frontEnd": "fr"},
        {"frontEnd": "public"},
        {
            "frontEnd": "v1",
            "dnsRecord": {"managedZone": "kurl-private", "name": "k.internal.example.com"},
        },
    ]
)


def configs() -> st.SearchStrategy[dict[str, Any]]:
    top: dict[str, st.SearchStrategy[Any]] = {
        "kurl-lb:name": st.sampled_from(["kurl", "abcdefghi", "abcdefghijklmnop"]),
        "kurl-lb:port": st.sampled_from([6443, 443, 8800, 7443]),
        "kurl-lb:healthCheck": st.fixed_dictionaries(
            {},
            optional={
                "protocol": st.sampled_from(["tcp", "https", "https", "http", "HTTPS", ""]),
                "intervalSeconds": st.sampled_from([1, 5, 10, 300]),
            },
        ),
        "kurl-lb:extraPorts": extra_ports,
        "kurl-lb:addressMove": moves,
        "kurl-lb:frontEnd": st.sampled_from(["v1", "v2"]),
    }
    gcp: dict[str, st.SearchStrategy[Any]] = {
        "address": addresses,
        "dnsRecord": st.just({"managedZone": "kurl-private", "name": "api.internal.example.com"}),
    }

    def build(
        changes: dict[str, Any],
        internal: bool,
        clients: bool,
        section: dict[str, Any],
        registered: list[bool],
        pair: Any,
        junk: dict[str, Any],
    ) -> Any:
        config = copy.deepcopy(GCP_DEV)
        config.update(changes)
        config["kurl-lb:gcp"].update(section)
        if internal:
            config["kurl-lb:scheme"] = "internal"
            config["kurl-lb:gcp"]["subnetwork"] = SUBNET
            if not clients:  # an internal front end defaults to the subnetwork's range
                del config["kurl-lb:allowedClientCidrs"]
        for primary, flag in zip(config["kurl-lb:primaries"], registered, strict=True):
            primary["registered"] = flag
        if pair is not None:
            config["kurl-lb:gcp"]["publicFrontEnd"] = pair
        for key, value in junk.items():
            if key == "publicFrontEnd":
                config["kurl-lb:gcp"][key] = value
            else:
                config[f"kurl-lb:{key}"] = value
        return config

    junk = st.dictionaries(
        st.sampled_from(["extraPorts", "publicFrontEnd", "healthCheck"]), anything, max_size=1
    )
    return st.builds(
        build,
        st.fixed_dictionaries({}, optional=top),
        st.sampled_from([True, True, False]),
        st.booleans(),
        st.fixed_dictionaries({}, optional=gcp),
        st.lists(st.sampled_from([True, True, False]), min_size=3, max_size=3),
        st.one_of(st.none(), good_pairs, good_pairs, pairs),
        st.one_of(st.just({}), st.just({}), st.just({}), junk),
    )


def near_valid() -> st.SearchStrategy[dict[str, Any]]:
    """Mostly accepted configs with every #22 option (random ones are mostly refused): an
    internal front end on a SHARED_LOADBALANCER_VIP address or a public one, extra ports of
    unique names and ports, the public front end, an address move; the render's examples."""

    def build(
        top: dict[str, Any],
        internal: bool,
        entries: list[dict[str, Any]],
        given: bool,
        pair: dict[str, Any] | None,
        move: str | None,
        registered: list[bool],
    ) -> dict[str, Any]:
        config = copy.deepcopy(GCP_DEV)
        config.update(top)
        api = config.get("kurl-lb:port", 6443)
        taken = {api}
        extras = []
        for entry in entries:
            if entry["port"] not in taken:
                taken.add(entry["port"])
                extras.append(entry)
        config["kurl-lb:extraPorts"] = extras
        gcp = config["kurl-lb:gcp"]
        if internal:
            del config["kurl-lb:allowedClientCidrs"]
            config["kurl-lb:scheme"] = "internal"
            gcp.update(
                subnetwork=SUBNET, address="kurl-shared" if given else SELF_LINK + "kurl-shared"
            )
            if pair is not None:
                gcp["publicFrontEnd"] = pair
        elif given:
            gcp["address"] = "kurl-api"
        if move is not None:
            config["kurl-lb:addressMove"] = {"frontEnd": move}
            if "address" in gcp:
                config["kurl-lb:addressMove"]["address"] = (
                    "kurl-shared-v2" if internal else "kurl-api-v2"
                )
        for primary, flag in zip(config["kurl-lb:primaries"], [True, *registered], strict=True):
            primary["registered"] = flag
        return config

    tiers = st.sampled_from([("kurl-api", "PREMIUM"), ("kurl-standard", "STANDARD"), (None, None)])
    coherent_pairs = st.builds(
        lambda pair, tier: {
            **pair,
            **({"address": tier[0]} if tier[0] else {}),
            **({"networkTier": tier[1]} if tier[1] else {}),
        },
        good_pairs.map(
            lambda p: {k: v for k, v in p.items() if k not in ("address", "networkTier")}
        ),
        tiers,
    )
    top = st.fixed_dictionaries(
        {},
        optional={
            "kurl-lb:name": st.sampled_from(["kurl", "abcdefghi", "abcdefghijklmnop"]),
            "kurl-lb:port": st.sampled_from([6443, 443, 7443]),
            "kurl-lb:healthCheck": st.fixed_dictionaries(
                {},
                optional={
                    "protocol": st.sampled_from(["tcp", "https"]),
                    "intervalSeconds": st.sampled_from([1, 5, 300]),
                },
            ),
        },
    )
    return st.builds(
        build,
        top,
        st.booleans(),
        st.lists(
            st.builds(
                _same_port,
                st.fixed_dictionaries({"name": good_names, "port": good_ports}),
                st.booleans(),
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda e: e["name"],
        ),
        st.booleans(),
        st.one_of(st.none(), coherent_pairs, coherent_pairs),
        st.sampled_from([None, None, "v2", "fr"]),
        st.lists(st.booleans(), min_size=2, max_size=2),
    )


def test_the_loader_refuses_cleanly_or_accepts() -> None:
    @_settings()
    @given(configs())
    def check(config: dict[str, Any]) -> None:
        message = loader_message(config, "gcp")
        if message is not None:
            assert "\n  - kurl-lb:" in message, message  # each problem names its key path

    check()


# --- what an accepted config renders --------------------------------------------------------------


def _physical(graph: Graph, link: str) -> str:
    """The logical name of the resource a mocked id or self link names."""
    found = link.rsplit("/", 1)[-1]
    assert found.endswith(PHYSICAL), link
    return found.removesuffix(PHYSICAL)


def _extras(config: dict[str, Any]) -> list[tuple[str, int]]:
    return [(e["name"], int(e["port"])) for e in config.get("kurl-lb:extraPorts") or []]


def _prefixes(config: dict[str, Any]) -> dict[str, bool]:
    """Each front end's name prefix (docs/gcp.md: `<name>` for v1, else `<name>-<label>`) ->
    whether it is the public one beside an internal front end."""
    name = config.get("kurl-lb:name", "kurl")

    def prefix(label: str) -> str:
        return name if label == "v1" else f"{name}-{label}"

    current = config.get("kurl-lb:frontEnd", "v1")
    out = {prefix(current): False}
    move = config.get("kurl-lb:addressMove")
    if move:
        out.setdefault(prefix(move["frontEnd"]), False)
    if config["kurl-lb:gcp"].get("publicFrontEnd"):
        out[prefix("public")] = True
    return out


def check_gcp(config: dict[str, Any], graph: Graph) -> None:
    """What an accepted config renders follows GCP's rules for names, forwarding rules,
    backend services, health checks, firewall rules and instance group memberships."""
    name = config.get("kurl-lb:name", "kurl")
    api = int(config.get("kurl-lb:port", 6443))
    extras = _extras(config)
    health = config.get("kurl-lb:healthCheck")
    https = isinstance(health, dict) and health.get("protocol") == "https"
    internal = config["kurl-lb:scheme"] == "internal"
    by_name: dict[tuple[str, str], Any] = {(r.type, r.name): r for r in graph.custom}

    for r in graph.custom:
        if r.type == RECORD:  # its GCP name is the record's DNS name
            assert str(r.inputs["name"]).endswith("."), r.inputs
        elif r.type != MEMBERSHIP:  # a membership has no name of its own
            assert GCP_NAME.fullmatch(r.name), r.name
            assert len(r.name) + AUTONAME <= GCP_NAME_MAX, r.name

    # Health checks: the API's of the asked protocol on the API port, each extra port's TCP.
    checks = {r.name: r.inputs for r in graph.of_type(HC)}
    assert set(checks) == {f"{name}-hc", *(f"{name}-hc-{e}" for e, _ in extras)}
    for hc in checks.values():
        assert 1 <= hc["timeoutSec"] <= hc["checkIntervalSec"] <= 300, hc
    api_hc = checks[f"{name}-hc"]
    if https:
        assert api_hc["httpsHealthCheck"] == {"port": api, "requestPath": "/readyz"}
        assert "tcpHealthCheck" not in api_hc
    else:
        assert api_hc["tcpHealthCheck"] == {"port": api} and "httpsHealthCheck" not in api_hc
    for e, port in extras:
        assert checks[f"{name}-hc-{e}"]["tcpHealthCheck"] == {"port": port}

    # Instance groups and memberships: one membership per registered primary, in its zone.
    groups = {r.name: r for r in graph.of_type(GROUP)}
    registered = [p for p in config["kurl-lb:primaries"] if p.get("registered") is True]
    members = Counter(r.name for r in graph.of_type(MEMBERSHIP))
    assert members == Counter(f"{name}-member-{p['name']}" for p in registered), members
    for p in registered:
        member = by_name[(MEMBERSHIP, f"{name}-member-{p['name']}")].inputs
        assert member["zone"] == p["zone"]
        assert member["instanceGroup"] == f"{name}-{p['zone']}{PHYSICAL}"
        assert f"{name}-{p['zone']}" in groups

    # Forwarding rules, by front end: the API's and each extra port's, on one IP.
    prefixes = _prefixes(config)
    rules = {r.name: r.inputs for r in graph.of_type(RULE)}
    expected = {
        f"{prefix}-fr{suffix}"
        for prefix in prefixes
        for suffix in ["", *(f"-{e}" for e, _ in extras)]
    }
    assert set(rules) == expected, (sorted(rules), sorted(expected))
    assert len(graph.of_type(RULE)) == len(expected)
    reserved = {v["address"]: v for v in RESERVED.values()}
    ips: dict[str, str] = {}
    for prefix, public in prefixes.items():
        scheme = "INTERNAL" if internal and not public else "EXTERNAL"
        stem = f"{name}-public" if public else name  # its backend services and firewall rules
        mine = {f"{prefix}-fr": (api, None), **{f"{prefix}-fr-{e}": (p, e) for e, p in extras}}
        ip = {rules[rule]["ipAddress"] for rule in mine}
        assert len(ip) == 1, (prefix, ip)  # the front end's rules share its IP
        ips[prefix] = ip.pop()
        created = by_name.get((ADDRESS, f"{prefix}-ip"))
        if created is not None:
            assert created.inputs["addressType"] == scheme
        for rule, (port, extra) in mine.items():
            inputs = rules[rule]
            assert inputs["ports"] == [str(port)] and inputs["ipProtocol"] == "TCP"
            assert inputs["loadBalancingScheme"] == scheme
            if scheme == "INTERNAL":
                assert inputs["subnetwork"] == SUBNET and "networkTier" not in inputs
            else:
                assert "subnetwork" not in inputs and "network" not in inputs
                # A forwarding rule's tier is its address's.
                tier = (
                    created.inputs["networkTier"]
                    if created is not None
                    else reserved[ips[prefix]]["networkTier"]
                )
                assert inputs["networkTier"] == tier, (rule, inputs, tier)
            # Its backend service: of its scheme, over every instance group, checked by the
            # port's health check.
            backend_name = _physical(graph, inputs["backendService"])
            suffix = "" if extra is None else f"-{extra}"
            assert backend_name == f"{stem}-backend{suffix}", (rule, backend_name)
            backend = by_name[(BACKEND, backend_name)].inputs
            assert backend["loadBalancingScheme"] == scheme and backend["protocol"] == "TCP"
            assert ("network" in backend) == (scheme == "INTERNAL")
            assert _physical(graph, backend["healthChecks"]) == f"{name}-hc{suffix}"
            assert sorted(b["group"].rsplit("/", 1)[-1] for b in backend["backends"]) == sorted(
                f"{g}{PHYSICAL}" for g in groups
            )
            assert {b["balancingMode"] for b in backend["backends"]} == {"CONNECTION"}
            # Its firewall rule admits the port to the scheme's probers (and the clients).
            label = "allow-api" if extra is None else f"allow-port-{extra}"
            firewall = by_name[(FIREWALL, f"{stem}-{label}")].inputs
            assert firewall["allows"] == [{"protocol": "tcp", "ports": [str(port)]}]
            assert firewall["sourceRanges"][: len(PROBERS[scheme])] == PROBERS[scheme]
            if public:
                assert firewall["sourceRanges"][len(PROBERS[scheme]) :] == PAIR_CLIENTS
        if scheme == "INTERNAL" and extras:
            # Internal forwarding rules share an IP only when it is reserved for that.
            assert reserved[ips[prefix]].get("purpose") == SHARED, ips[prefix]
    assert len(set(ips.values())) == len(ips), ips  # one IP per front end
    assert len(graph.of_type(BACKEND)) == len(graph.of_type(FIREWALL))
    assert len(graph.of_type(BACKEND)) == (1 + len(extras)) * len(set(prefixes.values()))

    out = graph.outputs
    if extras:
        assert sorted(out["extraPortAddresses"]) == sorted(e for e, _ in extras)
        for e, port in extras:
            assert out["extraPortAddresses"][e].endswith(f":{port}")
    else:
        assert "extraPortAddresses" not in out
    assert ("publicLoadBalancerHost" in out) == any(prefixes.values())


def _ips(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """Each created address its own IP, by its front end's label (tests/conftest.py's mock gives
    every one GCP_IP), so that one front end's IP is seen to be no other's."""
    ip = next(
        (ip for end, ip in LABEL_IPS.items() if args.name.endswith(end)),
        args.inputs.get("address", GCP_IP),
    )
    return {**ADDRESS_OUTPUTS(args), "address": ip}


ADDRESS_OUTPUTS = conftest.OUTPUTS[ADDRESS]  # the shared mock, before the patch below
LABEL_IPS = {"-public-ip": "34.120.0.30", "-v2-ip": "34.120.0.20", "-fr-ip": "34.120.0.40"}


def _render(config: dict[str, Any]) -> tuple[str, Any]:
    return render_outcome(run, config)  # a top-level function: in_child pickles it


# The keys a deploy-time check names: a looked-up address of the wrong type, subnetwork,
# purpose or tier; a record outside its managed zone's DNS name.
LOOKED_UP = re.compile(
    r"  - (publicFrontEnd\.|addressMove\.)?(address|dnsRecord\.name)(: |\.networkTier)"
)


def _looked_up(message: str) -> bool:
    lines = message.split("\n")[1:]
    return bool(lines) and all(LOOKED_UP.match(line) for line in lines)


def test_the_full_render_is_clean_deterministic_and_follows_gcp() -> None:
    @_settings(RENDER_SHARE)
    @given(st.one_of(configs(), near_valid(), near_valid()))
    def check(config: dict[str, Any]) -> None:
        graph = accepted(in_child(_render, config), _looked_up)
        if graph is None:
            return
        check_gcp(config, graph)
        again = run(encoded(config, text=True))
        assert shape(again) == shape(graph)
        assert json.dumps(again.outputs, sort_keys=True) == json.dumps(
            graph.outputs, sort_keys=True
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(conftest.OUTPUTS, ADDRESS, _ips)
        check()


# A front end's forwarding rules are `<prefix>-fr` and `<prefix>-fr-<port name>` (`<prefix>`:
# `<name>` for v1, `<name>-<label>` for any other): an address move to the label `fr` with an
# extra port named `fr` would name two rules `kurl-fr-fr`. Found by this file's render property;
# the rule forwarding_rule_names_are_unique refuses it, naming the port.
COLLISION = with_changes(
    GCP_DEV,
    {"extraPorts": [{"name": "fr", "port": 8800}], "addressMove": {"frontEnd": "fr"}},
)


def test_a_front_end_label_and_a_port_name_never_make_one_rule_name() -> None:
    kind, result = in_child(_render, COLLISION)
    assert kind == "refused", result
    message, types = result
    assert_good_message(message)
    assert types == ["pulumi:pulumi:Stack"]
    assert "kurl-lb:extraPorts[0].name: makes two forwarding rules named kurl-fr-fr" in message
