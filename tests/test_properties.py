"""Property-based tests (hypothesis) of everything a user can type into stack config, on the
three clouds, through the loader, the full render under the mock engine and the stack-file reader:

- no exception escapes but the config error (ConfigError / pulumi.RunError / StackFileError);
- nothing but the stack is registered when the config is refused;
- every message line names a key path and shows no raw control character;
- every accepted config renders, twice to the same graph, with no duplicate URN, with tags,
  labels, names and addresses each cloud accepts (checked here against the clouds' documented
  rules, independently of components/args), and no rule open to 0.0.0.0/0 unless asked for.

`make test` runs a bounded, derandomized number of examples (KURL_LB_EXAMPLES, default 15);
`make fuzz` runs thousands per cloud with fresh randomness.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.problems import ConfigError
from components.stack import check_stack
from offline.recorder import Graph
from offline.stackfile import StackFileError, read_stack
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, encode, run_project

EXAMPLES = int(os.environ.get("KURL_LB_EXAMPLES", "15"))
FUZZ = os.environ.get("KURL_LB_FUZZ") == "1"
RENDER_SHARE = 0.5  # the full render is ~100 times slower than the loader: fewer examples


def _settings(share: float = 1.0) -> Any:
    return settings(
        max_examples=max(5, int(EXAMPLES * share)),
        deadline=None,
        derandomize=not FUZZ,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


BASES = {"aws": AWS_DEV, "azure": AZURE_DEV, "gcp": GCP_DEV}
CLOUDS = sorted(BASES)

# --- strategies ---------------------------------------------------------------------------------

CONTROL = ["\x00", "\n", "\r", "\x1b", "\x85", "\u2028", "\u202e", "\t", "\x7f"]
nasty_text = st.one_of(
    st.text(max_size=12),
    st.text(
        alphabet=st.sampled_from([*"aZ9-_ .:/=+@<>%&\\?", *CONTROL, "é", "٣", "Ⅻ"]), max_size=20
    ),
    st.sampled_from(
        [
            "",
            "aws:x",
            "AWS:Name",
            "kurl-lb-stack",
            "Kurl-Lb-Stack",
            "Name",
            "team",
            "Team",
            "x" * 64,
            "x" * 129,
            "y" * 257,
            "y" * 513,
            "1e3",
            "1" * 5000,
            "internal",
            "sg",
            "a.b",
        ]
    ),
)
ADDRESSES = [
    "10.0.1.10",
    "10.0.2.10",
    "10.0.1.010",
    "100.64.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "0.0.0.0",
    "127.0.0.1",
    "169.254.1.1",
    "224.0.0.5",
    "240.0.0.1",
    "255.255.255.255",
    "8.8.8.8",
    "192.0.2.1",
    "198.18.0.1",
    "10.0.1.10 ",
    "١٠.0.0.1",
    "::1",
]
CIDRS = [
    "10.0.0.0/16",
    "10.0.0.0/255.255.0.0",
    "10.0.0.0/016",
    "0.0.0.0/0",
    "203.0.113.0/24",
    "10.0.0.1/16",
    "100.64.0.0/10",
    "10.0.0.0",
    "172.31.0.0/16",
    "1.2.3.4/32",
]
numbers = st.one_of(
    st.integers(-10, 70000),
    st.sampled_from(
        [
            0,
            1,
            65534,
            65535,
            65536,
            "6443",
            "1e3",
            1e3,
            6443.0,
            True,
            "٦٤٤٣",
            " 6443",
            "+6443",
            "1" * 5000,
            float("inf"),
            float("nan"),
            "0x1f",
        ]
    ),
    st.integers(4400, 6000).map(lambda n: 10**n),  # more digits than Python converts to text
)
json_leaf = st.one_of(st.none(), st.booleans(), numbers, nasty_text, st.sampled_from(ADDRESSES))
json_values = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)
    ),
    max_leaves=12,
)
deep_text = st.integers(1, 50_000).map(lambda n: "[" * n + "]" * n)
anything = st.one_of(json_values, deep_text)

names = st.one_of(st.sampled_from(["kurl", "internal", "sg", "a", "k8s-api", "x" * 16]), nasty_text)
tags = st.one_of(
    st.dictionaries(nasty_text, st.one_of(nasty_text, json_leaf), max_size=6),
    st.integers(45, 70).map(lambda n: {f"t{i}": "v" for i in range(n)}),
)
ZONES = {
    "aws": ["us-east-1a", "us-east-1b", "eu-west-1a", "all", "us-east-١a"],
    "azure": [],
    "gcp": [
        "us-central1-a",
        "us-central1-b",
        "us-central1-f",
        "europe-west4-a",
        "northamerica-northeast1-a",
        "us-central١-a",
    ],
}


def primaries(cloud: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "name": st.sampled_from(["primary-1", "primary-2", "p3", "P4", "a" * 64, "x_y"]),
        "registered": st.one_of(st.booleans(), st.sampled_from(["true", "yes", 1, "maybe"])),
    }
    if cloud == "aws":
        fields["address"] = st.sampled_from(ADDRESSES)
        fields["instanceId"] = st.sampled_from(["i-0123456789abcdef0", "i-01234567", "i-xyz"])
        fields["zone"] = st.sampled_from(ZONES["aws"])
    if cloud == "azure":
        nic = AZURE_DEV["kurl-lb:primaries"][0]["nicId"]
        fields["nicId"] = st.sampled_from(
            [nic, nic.upper(), nic.replace("primary-1", "p2"), nic + "é", "nic"]
        )
        fields["ipConfigurationName"] = st.sampled_from(["ipconfig1", "ip.", "é", "a" * 81])
        fields["address"] = st.sampled_from(ADDRESSES)
    if cloud == "gcp":
        fields["zone"] = st.sampled_from(ZONES["gcp"])
        fields["instance"] = st.sampled_from(
            [
                "vm-1",
                "vm-2",
                "VM",
                "projects/kurl-test/zones/us-central1-a/instances/vm-1",
                "projects/kurl-test/zones/us-central1-b/instances/vm-9",
                "https://www.googleapis.com/compute/v1/projects/other-proj/zones/us-central1-a/instances/vm-1",
                "projects/kurl-test/global/networks/vm-1",
            ]
        )
    primary = st.fixed_dictionaries({}, optional=fields)
    return st.lists(primary, min_size=0, max_size=4)


def settings_for(cloud: str) -> st.SearchStrategy[dict[str, Any]]:
    if cloud == "aws":
        optional = {
            "vpcId": st.sampled_from(["vpc-0a1b2c3d4e5f60718", "vpc-1", "vpc-0A1B2C3D"]),
            "subnetIds": st.lists(
                st.sampled_from(
                    [
                        "subnet-0a1b2c3d4e5f60711",
                        "subnet-0a1b2c3d4e5f60722",
                        "subnet-0a1b2c3d4e5f60733",
                        "subnet-x",
                    ]
                ),
                max_size=4,
            ),
            "targetType": st.sampled_from(["ip", "instance", "lambda"]),
            "instanceSecurityGroupId": st.sampled_from(["sg-0a1b2c3d4e5f60799", "sg-1"]),
            "loadBalancerSecurityGroup": st.booleans(),
            "crossZone": st.booleans(),
            "preserveClientIp": st.booleans(),
        }
    elif cloud == "azure":
        vnet = AZURE_DEV["kurl-lb:primaries"][0]["nicId"].replace(
            "networkInterfaces/primary-1-nic", "virtualNetworks/vnet"
        )
        optional = {
            "resourceGroupName": st.sampled_from(["kurl-dev-rg", "rg.", "rg(1)", "é-rg", "a" * 91]),
            "backendPool": st.sampled_from(["nic", "ip", "both"]),
            "virtualNetworkId": st.sampled_from([vnet, vnet + "/x"]),
            "networkSecurityGroupName": st.sampled_from(["primaries-nsg", "-nsg", "n" * 81]),
            "networkSecurityRulePriority": numbers,
            "domainNameLabel": st.sampled_from(["kurl-api", "ab", "Kurl", "k" * 64]),
        }
    else:
        optional = {
            "network": st.sampled_from(
                [
                    "kurl-vpc",
                    "projects/kurl-test/global/networks/kurl-vpc",
                    "projects/p/zones/z/instances/x",
                    "VPC",
                ]
            ),
            "subnetwork": st.sampled_from(
                ["kurl-subnet", "projects/kurl-test/regions/us-central1/subnetworks/s"]
            ),
            "networkTier": st.sampled_from(["PREMIUM", "STANDARD", "premium"]),
            "targetTags": st.lists(
                st.sampled_from(["kurl-primary", "kurl-primary", "Tag", "t"]), max_size=3
            ),
        }
    return st.fixed_dictionaries({}, optional=optional)


def health(cloud: str) -> st.SearchStrategy[dict[str, Any]]:
    keys = ["intervalSeconds", "healthyThreshold", "unhealthyThreshold"]
    optional: dict[str, st.SearchStrategy[Any]] = {k: numbers for k in keys}
    optional["protocol"] = st.sampled_from(["tcp", "https", "HTTPS", "http", "ssl", 1])
    return st.fixed_dictionaries({}, optional=optional)


# Extra ports: names (valid, too long, capitals, duplicates), ports (the API's, out of range).
port_names = st.sampled_from(["kotsadm", "api443", "k", "toolongname", "Kots", "-x", "kotsadm"])
extra_port = st.fixed_dictionaries(
    {"name": port_names, "port": st.sampled_from([8800, 443, 6443, 0, 65536, "8800", 30000])},
    optional={"targetPort": st.sampled_from([8800, 6443, 443, 30880, 0, 70000])},
)
extra_ports = st.lists(extra_port, max_size=6)
valid_extra_ports = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["kotsadm", "api443", "metrics", "k"]),
            "port": st.integers(1, 65535),
        }
    ),
    max_size=3,
    unique_by=(lambda e: e["name"], lambda e: e["port"]),
).filter(lambda ports: all(e["port"] != 6443 for e in ports))


def configs(cloud: str) -> st.SearchStrategy[dict[str, Any]]:
    """A stack config: the cloud's dev config with some keys replaced by generated values (of
    the key's shape or anything at all), and sometimes unknown keys."""
    keys: dict[str, st.SearchStrategy[Any]] = {
        "kurl-lb:name": names,
        "kurl-lb:scheme": st.sampled_from(["internal", "public", "private", ""]),
        "kurl-lb:port": numbers,
        "kurl-lb:allowedClientCidrs": st.lists(st.sampled_from(CIDRS), max_size=4),
        "kurl-lb:deletionProtection": st.sampled_from([True, False, "true", "no", 2]),
        "kurl-lb:tags": tags,
        "kurl-lb:primaries": primaries(cloud),
        f"kurl-lb:{cloud}": settings_for(cloud),
        "kurl-lb:healthCheck": health(cloud),
        "kurl-lb:extraPorts": extra_ports,
        "kurl-lb:cloud": st.sampled_from([cloud, "oci", ""]),
    }
    # Mostly the key's own shape, sometimes any value at all.
    changes = st.dictionaries(
        st.sampled_from(sorted(keys)),
        st.none(),  # placeholder, replaced below
        max_size=4,
    ).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {k: st.one_of(keys[k], keys[k], keys[k], anything) for k in chosen}
        )
    )
    extra = st.dictionaries(
        st.one_of(nasty_text, st.just("kurl-lb:primary")).map(
            lambda k: k if k.startswith("kurl-lb:") else f"kurl-lb:{k}"
        ),
        anything,
        max_size=1,
    )

    def build(change: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
        config = copy.deepcopy(BASES[cloud])
        config.update(change)
        config.update(unknown)
        return config

    return st.builds(build, changes, st.one_of(st.just({}), st.just({}), extra))


def near_valid(cloud: str) -> st.SearchStrategy[dict[str, Any]]:
    """The dev config with values of the right shape, mostly valid: the accepted configs the
    render properties need (random configs are mostly refused)."""
    label = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
    keys: dict[str, st.SearchStrategy[Any]] = {
        "kurl-lb:name": st.one_of(
            st.from_regex(r"[a-z]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True),
            st.sampled_from(["internal", "sg", "sg-x", "internal-x"]),
        ),
        "kurl-lb:port": st.integers(1, 65535).map(str),
        "kurl-lb:allowedClientCidrs": st.lists(
            st.sampled_from([*CIDRS[:5], "100.64.0.0/10", "172.31.0.0/16"]),
            min_size=1,
            max_size=3,
        ),
        "kurl-lb:tags": st.dictionaries(
            st.one_of(label, nasty_text), st.one_of(label, st.text(max_size=5)), max_size=5
        ),
        "kurl-lb:deletionProtection": st.booleans(),
        "kurl-lb:extraPorts": valid_extra_ports,
        "kurl-lb:healthCheck": st.fixed_dictionaries(
            {}, optional={"protocol": st.sampled_from(["tcp", "https"])}
        ),
    }
    changes = st.fixed_dictionaries({}, optional=keys)
    return st.builds(lambda c: {**copy.deepcopy(BASES[cloud]), **c}, changes)


def encoded(config: dict[str, Any], text: bool = False) -> dict[str, Any]:
    """As the CLI passes config (text, objects and lists as JSON); values that JSON cannot hold
    (numbers too long to print) are passed as they are, which the loader must survive too, or
    with `text` (as the engine can only pass text) as a number of 5000 digits."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        try:
            out.update(encode({key: value}))
        except (ValueError, TypeError, RecursionError):
            out[key] = "9" * 5000 if text else value
    return out


# --- properties of messages ---------------------------------------------------------------------

LINE = re.compile(r"  - (kurl-lb:|aws:|azure:|azure-native:|gcp:|\.\.\. and )")


def render_outcome(run: Callable[..., Graph], config: dict[str, Any]) -> tuple[str, Any]:
    """One render of `config` (as the CLI passes it) by `run(config, graph=...)`: ("ok", the
    graph), ("refused", the message and the types registered) or ("failed", the message of a
    deploy-time check that failed a resource). Run it in a forked child (conftest.in_child)."""
    graph = Graph(project="kurl-lb", stack="test")
    try:
        run(encoded(config, text=True), graph=graph)
    except pulumi.RunError as exc:
        return "refused", (str(exc), [r.type for r in graph.resources])
    except Exception as exc:
        return "failed", str(exc)
    return "ok", graph


def accepted(outcome: tuple[str, Any], failed: Callable[[str], bool] | None = None) -> Graph | None:
    """The graph of a render_outcome, checked to hold each URN once; None for a config refused
    (checked: a good message, nothing registered but the stack) or, where `failed` allows the
    message, for a deploy-time check (a lookup's answer) that failed a resource."""
    kind, result = outcome
    if kind == "refused":
        message, types = result
        assert_good_message(message)
        assert types == ["pulumi:pulumi:Stack"]
        return None
    if kind == "failed":
        assert failed is not None and "invalid arguments" in result and failed(result), result
        return None
    graph: Graph = result
    urns = [r.urn for r in graph.resources]
    assert len(urns) == len(set(urns)), "duplicate URNs"
    return graph


def loader_message(config: dict[str, Any], cloud: str) -> str | None:
    """What the stack program's loader says of `config` (as the CLI passes it): None when it
    accepts it, else its message, checked to be a good one."""
    try:
        check_stack(encoded(config), provider(cloud))
    except ConfigError as exc:
        assert_good_message(str(exc))
        return str(exc)
    return None


def assert_good_message(message: str) -> None:
    lines = message.split("\n")
    assert lines[0].startswith("invalid stack config ("), message
    assert len(lines) > 1
    for line in lines[1:]:
        assert LINE.match(line), line
        assert all(c.isprintable() for c in line), repr(line)


def provider(cloud: str) -> dict[str, str]:
    keys = (
        "aws:region",
        "azure-native:location",
        "azure:subscriptionId",
        "gcp:project",
        "gcp:region",
    )
    return {k: v for k, v in BASES[cloud].items() if k in keys}


# --- properties of accepted configs (the clouds' documented rules) ------------------------------

AWS_TAG_SIGNS = set("_.:/=+-@")


def _aws_tag_text(text: str) -> bool:
    return all(unicodedata.category(c)[0] in "LNZ" or c in AWS_TAG_SIGNS for c in text)


def check_tags(cloud: str, graph: Graph) -> None:
    for r in graph.custom:
        found = r.inputs.get("labels" if cloud == "gcp" else "tags")
        if found is None:
            continue
        if set(found) == {"secret"}:
            found = found["secret"]
        if cloud == "aws":
            assert len(found) <= 50
            for k, v in found.items():
                assert 1 <= len(k) <= 128 and len(v) <= 256, (k, v)
                assert _aws_tag_text(k) and _aws_tag_text(v), (k, v)
                assert not k.lower().startswith("aws:"), k
        elif cloud == "azure":
            assert len(found) <= 50
            assert len({k.lower() for k in found}) == len(found)
            for k, v in found.items():
                assert 1 <= len(k) <= 512 and len(v) <= 256
                assert not set(k) & set("<>%&\\?/"), k
        else:
            assert len(found) <= 64
            for k, v in found.items():
                assert re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", k, re.ASCII), k
                assert re.fullmatch(r"[a-z0-9_-]{0,63}", v, re.ASCII), v


PHYSICAL_SUFFIX = 8  # "-" and 7 characters of Pulumi auto-naming
RFC1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)
PRIVATE = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
]


def check_names_and_addresses(cloud: str, graph: Graph) -> None:
    for r in graph.custom:
        if r.type in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
            assert not r.name.startswith("internal-") and len(r.name) + PHYSICAL_SUFFIX <= 32
        if r.type == "aws:ec2/securityGroup:SecurityGroup":
            assert not r.name.startswith("sg-")
        if r.type.startswith("gcp:") and r.type != (
            "gcp:compute/instanceGroupMembership:InstanceGroupMembership"
        ):
            assert RFC1035.fullmatch(r.name) and len(r.name) + PHYSICAL_SUFFIX <= 63, r.name
        targets = []
        if r.type == "aws:lb/targetGroupAttachment:TargetGroupAttachment":
            target = r.inputs["targetId"]
            targets = [target] if re.fullmatch(r"[0-9.]+", str(target)) else []
        for backend in r.inputs.get("backendAddressPools", []):
            targets += [a["ipAddress"] for a in backend.get("loadBalancerBackendAddresses", [])]
        for target in targets:
            address = ipaddress.ip_address(target)
            assert any(address in n for n in PRIVATE), target
        for rule in r.inputs.get("loadBalancingRules", []):
            assert 1 <= rule["frontendPort"] <= 65534 and 1 <= rule["backendPort"] <= 65534


def open_to_world(graph: Graph) -> bool:
    text = json.dumps([r.inputs for r in graph.resources])
    return "0.0.0.0/0" in text


def shape(graph: Graph) -> list[Any]:
    return sorted(
        json.dumps([r.urn, r.inputs, sorted(r.dependencies), r.parent], sort_keys=True)
        for r in graph.resources
    )


# --- the properties -----------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_loader_refuses_cleanly_or_accepts(cloud: str) -> None:
    @_settings()
    @given(configs(cloud))
    def check(config: dict[str, Any]) -> None:
        loader_message(config, cloud)

    check()


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_full_render_is_clean_deterministic_and_cloud_valid(cloud: str) -> None:
    @_settings(RENDER_SHARE)
    @given(st.one_of(configs(cloud), near_valid(cloud)))
    def check(config: dict[str, Any]) -> None:
        graph = accepted(render_outcome(run_project, config))
        if graph is None:
            return
        check_tags(cloud, graph)
        check_names_and_addresses(cloud, graph)
        asked = "0.0.0.0/0" in json.dumps(config.get("kurl-lb:allowedClientCidrs"))
        assert asked or not open_to_world(graph)
        again = run_project(encoded(config, text=True))
        assert shape(again) == shape(graph)

    check()


YAML_SNIPPETS = [
    "  kurl-lb:when: 2024-01-01\n",
    "  kurl-lb:at: 2024-01-01T10:00:00Z\n",
    "  kurl-lb:port: 1e3\n",
    "  kurl-lb:port: 6443.0\n",
    "  kurl-lb:port: " + "9" * 5000 + "\n",
    "  kurl-lb:tags: !!set {a, b}\n",
    "  kurl-lb:tags: !!binary aGVsbG8=\n",
    "  kurl-lb:tags: {}\n",
    "  kurl-lb:tags: {x: 1234}\n",
    "  kurl-lb:tags: {? [a]: b}\n",
    "  1: one\n",
    "  null: nothing\n",
    "  true: yes\n",
    "  kurl-lb:name: &n kurl\n  kurl-lb:x: *n\n",
    "  kurl-lb:a: &a [x, x, x, x, x, x, x, x, x, x]\n  kurl-lb:b: &b [*a, *a, *a, *a, *a, *a,"
    " *a, *a, *a, *a]\n  kurl-lb:c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "  kurl-lb:d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "  kurl-lb:x: &x [*x]\n",
    "  kurl-lb:deep: " + "[" * 5000 + "]" * 5000 + "\n",
    "  kurl-lb:tags: {secure: v1:abc}\n",
    "  kurl-lb:tags:\n    a: {secure: v1:abc}\n",
    "  kurl-lb:cloud: [aws]\n",
    '  kurl-lb:ctl: "\\0\\x85\\u2028\\e"\n',
    "  kurl-lb:tab:\tx\n",
    "  kurl-lb:dup: 1\n  kurl-lb:dup: 2\n",
]


def stack_text(config: dict[str, Any], snippets: list[str]) -> str:
    try:
        text = yaml.safe_dump({"config": config}, allow_unicode=True)
    except ValueError:  # a number too long to print: write it the way a user would
        text = "config:\n  kurl-lb:port: " + "9" * 5000 + "\n"
    return text + "".join(snippets)


def stack_texts(cloud: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(stack_text, configs(cloud), st.lists(st.sampled_from(YAML_SNIPPETS), max_size=2)),
        st.text(max_size=200).map(lambda t: "config:\n  " + t),
        st.sampled_from(["", "config:", "config: 3", "- a", "config: {kurl-lb:cloud: aws}", "\0"]),
    )


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_stack_file_reader_refuses_cleanly_or_passes_config_on(
    cloud: str, tmp_path: Path
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: kurl-lb\nruntime: python\n")
    stack_file = tmp_path / "Pulumi.fuzz.yaml"

    @_settings()
    @given(stack_texts(cloud))
    def check(text: str) -> None:
        stack_file.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            files = read_stack(tmp_path, "fuzz")
        except StackFileError as exc:
            assert str(exc)
            return
        assert all(isinstance(v, str) for v in files.config.values())
        try:
            check_stack(files.config, provider(cloud))
        except ConfigError as exc:
            assert_good_message(str(exc))

    check()
