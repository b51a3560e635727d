"""Policies run in-process, the way pulumi-policy's own tests run them: `policy.validate(args,
report)` with StackValidationArgs built from a program recorded under the mock engine, exactly as
the SDK's Analyzer servicer builds them (unknown-checking proxies, resolved property
dependencies, parents). No gRPC, no subprocess: fast enough for every rule in both directions."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from offline.recorder import Graph, PreviewMocks, record
from tests.conftest import PROJECT_ROOT

if str(PROJECT_ROOT / "policies") not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT / "policies"))

from kurl_policies.verdict import UNVERIFIED


@dataclass(frozen=True)
class Finding:
    urn: str
    message: str

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def unverified(self) -> bool:
        return self.message.startswith(UNVERIFIED)


def stack_args(graph: Graph, config: dict[str, Any] | None = None) -> StackValidationArgs:
    resources: dict[str, PolicyResource] = {}
    for r in graph.resources:
        props = unknown_checking_proxy(
            deserialize_properties(json_format.MessageToDict(r.wire_inputs))
        )
        opts = PolicyResourceOptions(
            r.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent or None
        )
        resources[r.urn] = PolicyResource(r.type, props, r.urn, r.name, opts, None, None, [], {})
    for r in graph.resources:
        resource = resources[r.urn]
        resource.parent = resources.get(r.parent)
        resource.dependencies = [resources[d] for d in r.dependencies if d in resources]
        resource.property_dependencies = {
            k: [resources[u] for u in v if u in resources]
            for k, v in r.property_dependencies.items()
        }
    return StackValidationArgs(list(resources.values()), config or {"apiPorts": [6443]})


def run_policy(
    policy: StackValidationPolicy,
    program: Callable[[], None],
    *,
    preview: bool = True,
    config: dict[str, Any] | None = None,
) -> list[Finding]:
    mocks = PreviewMocks(outputs=_ComputedOutputs(), preview=preview)
    graph = record(program, project="foreign", stack="ci", config={}, mocks=mocks)
    found: list[Finding] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(Finding(urn or "", message))

    policy.validate(stack_args(graph, config), report)
    return found


class _ComputedOutputs(dict[str, Any]):
    """In an update, every resource gets the computed outputs programs link resources with."""

    def get(self, key: str, default: Any = None) -> Callable[[Any], dict[str, str]]:
        return lambda a: {
            "arn": f"arn:test:{a.typ}:{a.name}",
            "selfLink": f"links/{a.name}",
            "id": f"/ids/{a.name}",
            # azure-native resources output their Azure name (loadBalancerName -> name)
            "name": next((v for k, v in a.inputs.items() if k.endswith("Name")), a.name)
            if a.typ.startswith("azure-native:")
            else a.inputs.get("name", a.name),
        }
