"""Compares two recorded graphs like `pulumi preview --diff` compares a program with its state:
resources are matched by URN; a changed input is an update."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .recorder import Graph

CREATE, DELETE, UPDATE = "+", "-", "~"
ACTIONS = {CREATE: "create", UPDATE: "update", DELETE: "delete"}


@dataclass(frozen=True)
class Change:
    op: str  # "+", "-" or "~"
    urn: str
    type: str
    name: str
    properties: list[str] = field(default_factory=list)  # changed input paths, for updates

    @property
    def action(self) -> str:
        return ACTIONS[self.op]

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.action,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "properties": self.properties,
        }


def changed_paths(before: Any, after: Any, path: str = "") -> list[str]:
    """Input property paths whose values differ (`healthCheck.interval`, `subnets[1]`)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after)):
            sub = f"{path}.{key}" if path else key
            if key not in before or key not in after:
                out.append(sub)
            else:
                out += changed_paths(before[key], after[key], sub)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            p
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for p in changed_paths(b, a, f"{path}[{i}]")
        ]
    return [] if before == after else [path]


def diff(before: Graph, after: Graph) -> list[Change]:
    """Creates, deletes and updates that turn `before` into `after` (the stack itself excluded:
    its outputs are not inputs)."""
    old = {r.urn: r for r in before.resources}
    new = {r.urn: r for r in after.resources}
    changes: list[Change] = []
    for urn, r in new.items():
        if urn not in old:
            changes.append(Change(CREATE, urn, r.type, r.name))
        elif r.type != "pulumi:pulumi:Stack":
            paths = changed_paths(old[urn].inputs, r.inputs)
            if old[urn].protect != r.protect:
                paths.append("[protect]")
            if paths:
                changes.append(Change(UPDATE, urn, r.type, r.name, paths))
    changes += [Change(DELETE, urn, r.type, r.name) for urn, r in old.items() if urn not in new]
    return changes


def summary(changes: list[Change]) -> dict[str, int]:
    counts = dict.fromkeys(ACTIONS.values(), 0)
    for c in changes:
        counts[c.action] += 1
    return counts
