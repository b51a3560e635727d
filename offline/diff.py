"""Compares two recorded graphs like `pulumi preview --diff` compares a program with its state:
resources are matched by URN; a changed input is an update, or a replacement when the provider
cannot change it in place (offline.replacements)."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from typing import Any

from .graph import Graph, RecordedResource
from .replacements import replacing_rule, rules_for

CREATE, DELETE, UPDATE, REPLACE = "+", "-", "~", "+-"
# The order `pulumi preview` prints its summary in.
ACTIONS = {CREATE: "create", UPDATE: "update", REPLACE: "replace", DELETE: "delete"}
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Reason:
    """An input that forces a replacement, and where the provider says so."""

    property: str
    source: str
    via: str = ""  # the replaced or new resource whose output the input takes, if that is why
    condition: str = ""  # for rows that replace on some changes only: which ones

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "source": self.source,
            "via": self.via or None,
            "condition": self.condition or None,
        }

    def __str__(self) -> str:
        return f"{self.property} (new {self.via})" if self.via else self.property


@dataclass(frozen=True)
class Change:
    op: str  # "+", "-", "~" or "+-"
    urn: str
    type: str
    name: str
    properties: list[str] = field(default_factory=list)  # changed input paths
    reasons: tuple[Reason, ...] = ()  # replacements: the inputs that force it
    checked: bool = True  # a replacement table covers the type (so an update is known in place)

    @property
    def action(self) -> str:
        return ACTIONS[self.op]

    @property
    def in_place(self) -> bool | None:
        """Updates: True when the provider updates in place, None when no table says."""
        if self.op == REPLACE:
            return False
        if self.op == UPDATE:
            return True if self.checked else None
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.action,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "properties": self.properties,
            "inPlace": self.in_place,
            "replaceReasons": [r.to_json() for r in self.reasons],
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


def top_level(path: str) -> str:
    """`healthCheck.interval` -> `healthCheck`, `subnets[1]` -> `subnets`, `[protect]` -> ``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _direct_reasons(old: RecordedResource, new: RecordedResource, paths: list[str]) -> list[Reason]:
    reasons = []
    for prop in dict.fromkeys(top_level(p) for p in paths):
        rule = replacing_rule(new.type, prop, old.inputs, new.inputs) if prop else None
        if rule is not None:
            reasons.append(Reason(prop, rule.source, condition=rule.condition))
    return reasons


def dependency_order(graph: Graph) -> list[str]:
    """The graph's URNs, each after its parent and what it depends on, ties broken by URN."""
    resources = {r.urn: r for r in graph.resources}
    needs: dict[str, set[str]] = {}
    users: dict[str, list[str]] = {}
    for urn, r in resources.items():
        deps = {
            r.parent,
            *r.dependencies,
            *(u for us in r.property_dependencies.values() for u in us),
        }
        needs[urn] = {d for d in deps if d in resources and d != urn}
        for d in needs[urn]:
            users.setdefault(d, []).append(urn)
    ready = [urn for urn, n in needs.items() if not n]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        urn = heapq.heappop(ready)
        order.append(urn)
        for user in users.get(urn, []):
            needs[user].discard(urn)
            if not needs[user]:
                heapq.heappush(ready, user)
    # A cycle cannot come from a program (a registration waits for what it depends on).
    return order + sorted(set(resources) - set(order))


def diff(before: Graph, after: Graph) -> list[Change]:
    """Creates, updates, replacements and deletes that turn `before` into `after` (the stack
    itself excluded: its outputs are not inputs)."""
    old = {r.urn: r for r in before.resources}
    new = {r.urn: r for r in after.resources}
    kept = [u for u in new if u in old and new[u].type != STACK_TYPE]
    paths: dict[str, list[str]] = {}
    reasons: dict[str, list[Reason]] = {}
    for urn in kept:
        paths[urn] = changed_paths(old[urn].inputs, new[urn].inputs)
        if old[urn].protect != new[urn].protect:
            paths[urn].append("[protect]")
        reasons[urn] = _direct_reasons(old[urn], new[urn], paths[urn])

    # A replaced (or new) resource has new outputs (ID, ARN, name): every input taken from them
    # changes too, as in `pulumi preview`, where they are unknown until the new one exists. Such an
    # input replaces its resource in turn when the provider cannot update it, and so on.
    created = {u for u in new if u not in old}
    settled = False
    while not settled:
        settled = True
        for urn in kept:
            resource = new[urn]
            for prop, deps in resource.property_dependencies.items():
                via = next((d for d in deps if d in created or reasons.get(d)), None)
                if via is None:
                    continue
                if prop not in {top_level(p) for p in paths[urn]}:
                    paths[urn].append(prop)
                if any(r.property == prop for r in reasons[urn]):
                    continue
                rule = replacing_rule(resource.type, prop, old[urn].inputs, resource.inputs)
                if rule is not None:
                    reason = Reason(prop, rule.source, new[via].name, rule.condition)
                    reasons[urn].append(reason)
                    settled = False

    # Each resource after what it depends on, as the program registers them, and in one stable
    # order where its async work could settle either way: the plan is the same on every run.
    changes: list[Change] = []
    for urn in dependency_order(after):
        r = new[urn]
        if urn in created:
            changes.append(Change(CREATE, urn, r.type, r.name))
        elif paths.get(urn):
            op = REPLACE if reasons[urn] else UPDATE
            checked = rules_for(r.type) is not None
            changes.append(
                Change(op, urn, r.type, r.name, paths[urn], tuple(reasons[urn]), checked)
            )
    changes += [
        Change(DELETE, urn, old[urn].type, old[urn].name)
        for urn in dependency_order(before)
        if urn not in new
    ]
    return changes


def summary(changes: list[Change]) -> dict[str, int]:
    counts = dict.fromkeys(ACTIONS.values(), 0)
    for c in changes:
        counts[c.action] += 1
    return counts
