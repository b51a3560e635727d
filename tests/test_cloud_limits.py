"""What the clouds refuse at `pulumi up` is refused by the loader first, naming the key, and what
would crash it is a config error too (issue 16's categories, one example each; the property-based
suite in test_properties.py explores around them)."""

from __future__ import annotations

from typing import Any

import pytest

from components.kurl import checked_ip
from components.problems import ConfigError
from components.stack import check_stack
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, encode, with_changes

BASES = {"aws": AWS_DEV, "azure": AZURE_DEV, "gcp": GCP_DEV}
PROVIDER_KEYS = ("aws:region", "azure-native:location", "azure:subscriptionId", "gcp:project")


def parse(cloud: str, changes: dict[str, Any], raw: dict[str, str] | None = None) -> Any:
    config = encode(with_changes(BASES[cloud], changes))
    config.update(raw or {})
    provider = {k: v for k, v in config.items() if k.split(":")[0] in ("aws", "azure", "gcp")}
    provider.update({k: v for k, v in config.items() if k.startswith("azure-native:")})
    return check_stack(config, provider)[1]


def refused(cloud: str, changes: dict[str, Any], raw: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse(cloud, changes, raw)
    return str(info.value)


def tag_count(n: int) -> dict[str, str]:
    return {f"t{i}": "v" for i in range(n)}


REFUSED = [
    # (cloud, changes, fragments)
    ("aws", {"tags": tag_count(49)}, ["kurl-lb:tags", "at most 48 here"]),
    ("aws", {"tags": {"aws:owner": "x"}}, ["kurl-lb:tags.aws:owner", '"aws:" prefix']),
    ("aws", {"tags": {"k" * 129: "v"}}, ["129 characters, at most 128"]),
    ("aws", {"tags": {"team": "v" * 257}}, ["kurl-lb:tags.team", "257 characters"]),
    ("aws", {"tags": {"team": "a<b"}}, ["kurl-lb:tags.team", '"<" not allowed']),
    ("azure", {"tags": tag_count(50)}, ["kurl-lb:tags", "at most 49 here"]),
    ("azure", {"tags": {"a/b": "v"}}, ["kurl-lb:tags.a/b", "not allowed"]),
    ("azure", {"tags": {"Team": "x", "team": "y"}}, ["kurl-lb:tags.team", "ignoring case"]),
    ("azure", {"tags": {"KURL-LB-STACK": "x"}}, ["kurl-lb:tags.KURL-LB-STACK", "ignoring case"]),
    ("azure", {"port": 65535}, ["kurl-lb:port", "1-65534"]),
    ("gcp", {"tags": tag_count(64)}, ["kurl-lb:tags", "at most 63 here"]),
    ("gcp", {"tags": {"équipe": "x"}}, ["kurl-lb:tags.équipe", "not a valid label key"]),
    ("aws", {"name": "internal"}, ["kurl-lb:name", 'starting with "internal-"']),
    ("aws", {"name": "sg"}, ["kurl-lb:name", 'starting with "sg-"']),
    (
        "gcp",
        {
            # 16 + "-" + 39 + Pulumi's 8 = 64 characters
            "name": "k" * 16,
            **{f"primaries.{i}.zone": "northamericaxxxxxxxx-northeastxxxxxx1-a" for i in range(3)},
            "gcp:region": "northamericaxxxxxxxx-northeastxxxxxx1",
        },
        ["kurl-lb:primaries[0].zone", "RFC 1035"],
    ),
    ("gcp", {"primaries.0.zone": "us-central١-a"}, ["kurl-lb:primaries[0].zone", "GCP zone"]),
    ("aws", {"primaries.0.zone": "us-east-١a"}, ["kurl-lb:primaries[0].zone"]),
    ("aws", {"primaries.0.address": "0.0.0.0"}, ["kurl-lb:primaries[0].address", "private"]),
    ("aws", {"primaries.0.address": "127.0.0.1"}, ["kurl-lb:primaries[0].address"]),
    ("aws", {"primaries.0.address": "169.254.169.254"}, ["kurl-lb:primaries[0].address"]),
    ("aws", {"primaries.0.address": "224.0.0.5"}, ["kurl-lb:primaries[0].address"]),
    ("aws", {"primaries.0.address": "240.0.0.1"}, ["kurl-lb:primaries[0].address"]),
    (
        "aws",
        {"allowedClientCidrs": ["10.0.0.0/16", "10.0.0.0/255.255.0.0"]},
        ["kurl-lb:allowedClientCidrs[1]", "also allowedClientCidrs[0]"],
    ),
    (
        "gcp",
        {"gcp.targetTags": ["kurl-primary", "kurl-primary"]},
        ["kurl-lb:gcp.targetTags[1]", "list each tag once"],
    ),
    (
        "gcp",
        {"primaries.0.instance": "projects/kurl-test/zones/us-central1-b/instances/vm-1"},
        ["kurl-lb:primaries[0].instance", "not in the primary's zone"],
    ),
    ("aws", {"port": "1e3"}, ["kurl-lb:port", "is not an integer"]),
    ("aws", {"healthCheck": {"intervalSeconds": 1e3}}, ["healthCheck.intervalSeconds"]),
    ("aws", {"port": "9" * 5000}, ["kurl-lb:port", "is not an integer"]),
    ("azure", {"azure.resourceGroupName": "gruppe-ä"}, ["kurl-lb:azure.resourceGroupName"]),
]


@pytest.mark.parametrize(("cloud", "changes", "fragments"), REFUSED)
def test_what_the_cloud_refuses_is_refused_naming_the_key(
    cloud: str, changes: dict[str, Any], fragments: list[str]
) -> None:
    message = refused(cloud, changes)
    for fragment in fragments:
        assert fragment in message, message


def test_carrier_grade_nat_addresses_are_valid_targets() -> None:
    cfg = parse(
        "aws",
        {
            "allowedClientCidrs": ["100.64.0.0/10"],
            "primaries.0.address": "100.64.1.10",
        },
    )
    assert cfg["primaries"][0]["address"] == "100.64.1.10"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"kurl-lb:tags": "[" * 100_000 + "]" * 100_000}, "kurl-lb:tags"),
        ({"kurl-lb:primaries": "[" * 20 + "]" * 20}, "kurl-lb:primaries"),
        ({"kurl-lb:aws": '{"vpcId": ' + "1" * 5000 + "}"}, "kurl-lb:aws"),
    ],
)
def test_values_too_deep_or_too_long_are_config_errors(raw: dict[str, str], key: str) -> None:
    message = refused("aws", {}, raw)
    assert f"{key}: " in message


def test_control_characters_of_keys_and_values_are_shown_escaped() -> None:
    message = refused("aws", {"tags": {"a\nb\x85c": "x\x00y\u2028"}})
    assert "\n  - kurl-lb:tags.a\\x0ab\\x85c: " in message
    assert "x\\u0000y\\u2028" in message
    for line in message.split("\n"):
        assert all(c.isprintable() for c in line), repr(line)


def test_only_an_ipv4_address_is_pasted_into_the_alias_script() -> None:
    assert checked_ip("34.120.0.10") == "34.120.0.10"
    for hostile in ("34.120.0.10'; reboot; '", "$(reboot)", "", "::1", "34.120.0.10\n"):
        with pytest.raises(ValueError, match="not an IPv4 address"):
            checked_ip(hostile)
