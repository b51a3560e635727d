"""Shared fixtures: the project's program run under the mock engine with realistic outputs.

Every run resets Pulumi's process-global state (offline.recorder.record does it), so tests do
not leak resources or config into each other.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import pytest
from pulumi.runtime import settings

from offline.analyzer import PolicyGate, policy_gate
from offline.recorder import Graph, PreviewMocks, main_program, program_directory, record

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = {
    "subnet-0a1b2c3d4e5f60711": "10.0.1.0/24",
    "subnet-0a1b2c3d4e5f60722": "10.0.2.0/24",
    "subnet-0a1b2c3d4e5f60733": "10.0.3.0/24",
}


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:elasticloadbalancing:{REGION}:123456789012:{kind}/{name}/0123456789abcdef"


# Computed outputs by type token, camelCase as on the wire (stelvio-style templates).
OUTPUTS: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "aws:lb/loadBalancer:LoadBalancer": lambda a: {
        "arn": _arn("loadbalancer/net", a.name),
        "dnsName": f"{a.name}-0123456789abcdef.elb.{REGION}.amazonaws.com",
    },
    "aws:lb/targetGroup:TargetGroup": lambda a: {"arn": _arn("targetgroup", a.name)},
    "aws:lb/listener:Listener": lambda a: {"arn": _arn("listener/net", a.name)},
    "aws:ec2/securityGroup:SecurityGroup": lambda a: {"arn": f"arn:aws:ec2:sg/{a.name}"},
}

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
AZURE_RG = "kurl-dev-rg"
AZURE_LB_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{AZURE_RG}/providers/Microsoft.Network"
    "/loadBalancers/kurl-lb"
)
AZURE_IP = "20.0.0.10"
OUTPUTS.update(
    {
        "azure-native:network:PublicIPAddress": lambda a: {"ipAddress": AZURE_IP},
        "azure-native:network:LoadBalancer": lambda a: {"id": AZURE_LB_ID},
    }
)

GCP_PROJECT = "kurl-test"
GCP_IP = "34.120.0.10"
GCP_API = f"https://www.googleapis.com/compute/v1/projects/{GCP_PROJECT}"


def _gcp_physical(name: str) -> str:
    return f"{name}-a1b2c3d"  # as Pulumi auto-naming would


OUTPUTS.update(
    {
        "gcp:compute/address:Address": lambda a: {
            "address": a.inputs.get("address", GCP_IP),
            "selfLink": f"{GCP_API}/regions/us-central1/addresses/{_gcp_physical(a.name)}",
        },
        "gcp:compute/instanceGroup:InstanceGroup": lambda a: {
            "name": _gcp_physical(a.name),
            "selfLink": (
                f"{GCP_API}/zones/{a.inputs['zone']}/instanceGroups/{_gcp_physical(a.name)}"
            ),
        },
        "gcp:compute/regionHealthCheck:RegionHealthCheck": lambda a: {
            "id": f"projects/{GCP_PROJECT}/regions/us-central1/healthChecks/{_gcp_physical(a.name)}"
        },
        "gcp:compute/regionBackendService:RegionBackendService": lambda a: {
            "id": f"projects/{GCP_PROJECT}/regions/us-central1/backendServices/"
            f"{_gcp_physical(a.name)}"
        },
    }
)

INVOKES: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {
    "gcp:compute/getSubnetwork:getSubnetwork": lambda a: {"ipCidrRange": "10.20.0.0/20"},
    "azure-native:authorization:getClientConfig": lambda a: {
        "subscriptionId": SUBSCRIPTION,
        "tenantId": "t",
        "clientId": "c",
        "objectId": "o",
    },
    "aws:ec2/getVpc:getVpc": lambda a: {"id": a.args["id"], "cidrBlock": VPC_CIDR},
    "aws:ec2/getSubnet:getSubnet": lambda a: {
        "id": a.args["id"],
        "cidrBlock": SUBNET_CIDRS[a.args["id"]],
    },
}

AWS_DEV: dict[str, Any] = {
    "aws:region": REGION,
    "kurl-lb:cloud": "aws",
    "kurl-lb:scheme": "internal",
    "kurl-lb:allowedClientCidrs": ["10.0.0.0/16"],
    "kurl-lb:tags": {"team": "platform"},
    "kurl-lb:aws": {
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetIds": list(SUBNET_CIDRS),
        "instanceSecurityGroupId": "sg-0a1b2c3d4e5f60799",
    },
    "kurl-lb:primaries": [
        {"name": "primary-1", "address": "10.0.1.10", "registered": True},
        {"name": "primary-2", "address": "10.0.2.10"},
        {"name": "primary-3", "address": "10.0.3.10"},
    ],
}


def _nic(name: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{AZURE_RG}/providers/Microsoft.Network"
        f"/networkInterfaces/{name}-nic"
    )


AZURE_DEV: dict[str, Any] = {
    "azure-native:location": "eastus",
    "azure:subscriptionId": SUBSCRIPTION,
    "kurl-lb:cloud": "azure",
    "kurl-lb:scheme": "public",
    "kurl-lb:allowedClientCidrs": ["203.0.113.0/24"],
    "kurl-lb:tags": {"team": "platform"},
    "kurl-lb:azure": {
        "resourceGroupName": AZURE_RG,
        "networkSecurityGroupName": "primaries-nsg",
    },
    "kurl-lb:primaries": [
        {"name": "primary-1", "nicId": _nic("primary-1"), "registered": True},
        {"name": "primary-2", "nicId": _nic("primary-2")},
        {"name": "primary-3", "nicId": _nic("primary-3"), "ipConfigurationName": "ipcfg"},
    ],
}


GCP_DEV: dict[str, Any] = {
    "gcp:project": GCP_PROJECT,
    "gcp:region": "us-central1",
    "kurl-lb:cloud": "gcp",
    "kurl-lb:scheme": "public",
    "kurl-lb:allowedClientCidrs": ["203.0.113.0/24"],
    "kurl-lb:tags": {"team": "platform"},
    "kurl-lb:gcp": {"network": "kurl-vpc", "targetTags": ["kurl-primary"]},
    "kurl-lb:primaries": [
        {"name": "primary-1", "zone": "us-central1-a", "instance": "vm-1", "registered": True},
        {"name": "primary-2", "zone": "us-central1-b", "instance": "vm-2"},
        {"name": "primary-3", "zone": "us-central1-a", "instance": "vm-3"},
    ],
}


def share_venv(directory: Path) -> None:
    """Give a copy of this project the virtualenv its Pulumi.yaml names (`.venv`): the gate runs a
    program with its own virtualenv's interpreter and rejects a missing one."""
    (directory / ".venv").symlink_to(sys.prefix, target_is_directory=True)


def encode(config: dict[str, Any]) -> dict[str, str]:
    """Config as the Pulumi CLI hands it to a program: strings, objects and lists as JSON."""
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, (dict, list)):
            out[key] = json.dumps(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


T = TypeVar("T")


def in_child(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a forked child: a run failing inside an output leaves futures holding the
    error alive in this process until an unrelated later compile() fails (CPython 3.11: "AST
    constructor recursion depth mismatch")."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(fn, args)


def run_project(
    config: dict[str, Any],
    *,
    preview: bool = False,
    graph: Graph | None = None,
    secret_keys: list[str] | None = None,
    outputs: Mapping[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = OUTPUTS,
    invokes: Mapping[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = INVOKES,
) -> Graph:
    """Run this project's __main__.py for a stack `test` with `config`; `secret_keys` are the
    keys the engine says are secret (as PULUMI_CONFIG_SECRET_KEYS); `outputs` and `invokes`
    what the mocks compute and answer."""
    mocks = PreviewMocks(outputs=outputs, invokes=invokes, preview=preview)
    with program_directory(PROJECT_ROOT):
        return record(
            main_program(PROJECT_ROOT),
            project="kurl-lb",
            stack="test",
            config=encode(config),
            secret_keys=secret_keys,
            mocks=mocks,
            graph=graph,
        )


def run_program(
    program: Callable[[], Any],
    *,
    outputs: Mapping[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = OUTPUTS,
    preview: bool = False,
    graph: Graph | None = None,
) -> Graph:
    """`program` (components built in a test) as the root of a stack `test` under the mock
    engine, with the computed `outputs` and the lookups of INVOKES; pass `graph` to see what it
    registered before it failed."""
    return record(
        program,
        project="kurl-lb",
        stack="test",
        config={},
        mocks=PreviewMocks(outputs=outputs, invokes=INVOKES, preview=preview),
        graph=graph,
    )


def run_failing(config: dict[str, Any]) -> tuple[str, Graph]:
    """Run a config that must be rejected; return the error message and what was registered."""
    graph = Graph(project="kurl-lb", stack="test")
    with pytest.raises(pulumi.RunError) as info:
        run_project(config, graph=graph)
    return str(info.value), graph


BadConfigCase = tuple[str, dict[str, Any], list[str]]


def bad_config_params(cases: list[BadConfigCase]) -> list[Any]:
    """(id, changes, message fragments) cases as pytest params of (changes, fragments)."""
    return [pytest.param(changes, fragments, id=name) for name, changes, fragments in cases]


def assert_rejected(base: dict[str, Any], changes: dict[str, Any], fragments: list[str]) -> None:
    """The changed config stops the program with one message holding every fragment, and
    nothing but the stack itself was registered."""
    message, graph = run_failing(with_changes(base, changes))
    assert message.startswith("invalid stack config")
    for fragment in fragments:
        assert fragment in message
    assert [r.type for r in graph.resources] == ["pulumi:pulumi:Stack"]


DELETE = object()


def with_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with changes at key paths below `kurl-lb:`, e.g.
    `{"aws.targetType": "instance", "primaries.0.address": DELETE}`; a full key (`gcp:region`)
    is set as is."""
    config = copy.deepcopy(base)
    for path, value in changes.items():
        if ":" in path:
            parts: list[Any] = [path]
        else:
            head, *rest = path.split(".")
            parts = [f"kurl-lb:{head}"] + [int(p) if p.isdigit() else p for p in rest]
        target: Any = config
        for part in parts[:-1]:
            target = target[part]
        if value is DELETE:
            del target[parts[-1]]
        else:
            target[parts[-1]] = value
    return config


@pytest.fixture
def aws_dev() -> dict[str, Any]:
    return copy.deepcopy(AWS_DEV)


@pytest.fixture
def azure_dev() -> dict[str, Any]:
    return copy.deepcopy(AZURE_DEV)


@pytest.fixture
def gcp_dev() -> dict[str, Any]:
    return copy.deepcopy(GCP_DEV)


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyGate]:
    """This project's policy pack, started once per test process (its own process, as the gate
    starts it; an xdist worker keeps it for every module it runs), for in-process previews
    (tests/inprocess.py) and the policy tests. Nothing a test does configures it: a pack with
    policy config is a gate of its own (test_gate_boundary.py)."""
    with policy_gate(PROJECT_ROOT / "policies") as running:
        yield running


@pytest.fixture(autouse=True)
def _reset_pulumi() -> Iterator[None]:
    yield
    settings.ROOT.set(None)
