"""A value the user stored as a secret (`pulumi config set --secret`) reaches resource inputs
and stack outputs only as a secret: the engine passes the secret keys with the config
(set_all_config), and the recorder keeps secrets as {"secret": value} on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from offline.recorder import Graph
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, run_project, with_changes


def run_with_secrets(config: dict[str, Any], secret_keys: list[str]) -> Graph:
    return run_project(config, secret_keys=secret_keys)


def plain_texts(value: Any) -> list[str]:
    """Every string and number outside a {"secret": ...} wrapper."""
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return []
        return [t for k, v in value.items() for t in [k, *plain_texts(v)]]
    if isinstance(value, list):
        return [t for v in value for t in plain_texts(v)]
    return [str(value)] if isinstance(value, (str, int, float)) else []


def leaks(graph: Graph, secrets: list[str]) -> list[tuple[str, str]]:
    found = []
    for r in graph.resources:
        found += [(r.name, t) for t in plain_texts(r.inputs) if any(s in t for s in secrets)]
    found += [("outputs", t) for t in plain_texts(graph.outputs) if any(s in t for s in secrets)]
    return found


SECRET_TAG = "s3cr3t-value"

CASES = [
    pytest.param(
        with_changes(
            AWS_DEV,
            {
                "tags": {"team": SECRET_TAG},
                "allowedClientCidrs": ["10.0.0.0/16", "172.31.0.0/16"],
            },
        ),
        ["kurl-lb:tags", "kurl-lb:primaries", "kurl-lb:allowedClientCidrs"],
        [SECRET_TAG, "10.0.1.10", "172.31.0.0/16"],
        id="aws",
    ),
    pytest.param(
        with_changes(AZURE_DEV, {"tags": {"team": SECRET_TAG}}),
        ["kurl-lb:tags", "kurl-lb:primaries", "kurl-lb:allowedClientCidrs"],
        [SECRET_TAG, "primary-1-nic", "203.0.113.0/24"],
        id="azure",
    ),
    pytest.param(
        with_changes(GCP_DEV, {"tags": {"team": "s3cr3t"}}),
        ["kurl-lb:tags", "kurl-lb:primaries", "kurl-lb:allowedClientCidrs"],
        ["s3cr3t", "vm-1", "203.0.113.0/24"],
        id="gcp",
    ),
]


@pytest.mark.parametrize(("config", "secret_keys", "secrets"), CASES)
def test_secret_config_values_reach_resources_only_as_secrets(
    config: dict[str, Any], secret_keys: list[str], secrets: list[str]
) -> None:
    graph = run_with_secrets(config, secret_keys)
    assert leaks(graph, secrets) == []
    # ... and they do reach them, as secrets.
    wrapped = [
        v["secret"]
        for r in graph.resources
        for v in _secret_values(r.inputs)
        if isinstance(v.get("secret"), (str, list, dict))
    ]
    assert wrapped
    assert graph.outputs["registeredPrimaries"] == {"secret": ["primary-1"]}


def _secret_values(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return [value]
        return [s for v in value.values() for s in _secret_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _secret_values(v)]
    return []


def test_without_secret_keys_the_same_values_are_plain() -> None:
    config = CASES[0].values[0]
    graph = run_with_secrets(config, [])
    assert leaks(graph, [SECRET_TAG])
    assert graph.outputs["registeredPrimaries"] == ["primary-1"]


def test_a_secret_port_keeps_the_address_output_secret() -> None:
    graph = run_with_secrets({**AWS_DEV, "kurl-lb:port": 6443}, ["kurl-lb:port"])
    assert set(graph.outputs["loadBalancerAddress"]) == {"secret"}
    assert leaks(graph, []) == []
    listener = graph.by_name("kurl-listener")
    assert listener.inputs["port"] == {"secret": 6443}


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # what the gate passes for an undecryptable secret


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("aws.vpcId", UNKNOWN),  # a format check (VPC ID) would refuse the value itself
        ("primaries.0.address", UNKNOWN),
        ("allowedClientCidrs.0", UNKNOWN),
    ],
)
def test_a_secret_the_preview_cannot_decrypt_is_unknown_not_invalid(key: str, value: str) -> None:
    """An undecryptable `secure:` value reaches the program as the engine's unknown value: the
    checks that need it wait (like an output's), the stack renders, and what it feeds is an
    unknown secret."""
    config = with_changes(AWS_DEV, {key: value})
    graph = run_project(config, preview=True, secret_keys=[f"kurl-lb:{key.split('.')[0]}"])
    assert graph.by_name("kurl-nlb")
    fed = {
        "aws.vpcId": ("kurl-tg", "vpcId"),
        "primaries.0.address": ("kurl-target-primary-1", "targetId"),
        "allowedClientCidrs.0": ("kurl-clients-cidr-0", "cidrIpv4"),
    }[key]
    assert graph.by_name(fed[0]).inputs[fed[1]] == {"secret": UNKNOWN}


def test_a_plain_argument_the_preview_cannot_decrypt_is_named() -> None:
    """A value that decides which resources exist cannot wait: the check names the key."""
    from tests.conftest import run_failing

    message, _ = run_failing(with_changes(AWS_DEV, {"scheme": UNKNOWN}))
    assert f'kurl-lb:scheme: "{UNKNOWN}" is invalid' in message
