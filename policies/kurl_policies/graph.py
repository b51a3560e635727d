"""A stack's resources indexed once, so stack policies stay linear in the number of resources.

Resources are related through `property_dependencies` (which input of which resource refers to
which resource) and, when the referring value is known, by value: an ARN, ID or self link read
from a lookup or from config names the resource it refers to (its `arn`/`id`/`selfLink` output,
or its physical name as a path segment). A reference that is unknown at preview and has no
dependency behind it is reported as unresolved, never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pulumi_policy import PolicyResource

from .props import MISSING, get, is_unknown
from .verdict import FALSE, Tri, unknown

# Every token a policy matches, so a test can check each against the installed provider SDKs.
KNOWN_TOKENS: set[str] = set()

_NAME_KEYS = ("name", "loadBalancerName", "backendAddressPoolName", "probeName")
_VALUE_KEYS = ("arn", "id", "selfLink")


def token_matcher(*tokens: str) -> re.Pattern[str]:
    """Matches type tokens, versioned azure-native ones included (`network/v20240301`)."""
    KNOWN_TOKENS.update(tokens)
    alternatives = []
    for token in tokens:
        package, module, name = token.split(":")
        alternatives.append(
            re.escape(package) + ":" + re.escape(module) + r"(/v[0-9a-z]+)?:" + re.escape(name)
        )
    return re.compile("^(" + "|".join(alternatives) + ")$")


@dataclass
class Refs:
    """What a reference property points at: resources in the stack, references to resources
    outside it (known values no resource matches), and whether some reference is unknown."""

    found: list[PolicyResource] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    unresolved: Tri = FALSE


class StackIndex:
    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        # urn -> [(referrer, property)] for every property dependency pointing at urn.
        self._referrers: dict[str, list[tuple[PolicyResource, str]]] = defaultdict(list)
        for resource in self.resources:
            for prop, deps in resource.property_dependencies.items():
                for dep in deps:
                    self._referrers[dep.urn].append((resource, prop))
        self._by_type: dict[str, list[PolicyResource]] = defaultdict(list)
        for resource in self.resources:
            self._by_type[resource.resource_type].append(resource)

    def of_type(self, matcher: re.Pattern[str]) -> list[PolicyResource]:
        return [r for kind, rs in self._by_type.items() if matcher.match(kind) for r in rs]

    def referrers(
        self, target: PolicyResource, matcher: re.Pattern[str], *props: str
    ) -> list[PolicyResource]:
        """Resources of a type whose `props` (any, when none given) depend on `target`."""
        seen: dict[str, PolicyResource] = {}
        for resource, prop in self._referrers.get(target.urn, []):
            if matcher.match(resource.resource_type) and (not props or prop in props):
                seen.setdefault(resource.urn, resource)
        return list(seen.values())

    @staticmethod
    def referenced(
        source: PolicyResource, matcher: re.Pattern[str], *props: str
    ) -> list[PolicyResource]:
        """Resources of a type that `source`'s `props` (any, when none given) depend on."""
        seen: dict[str, PolicyResource] = {}
        for prop, deps in source.property_dependencies.items():
            if props and prop not in props:
                continue
            for dep in deps:
                if matcher.match(dep.resource_type):
                    seen.setdefault(dep.urn, dep)
        return list(seen.values())

    def by_value(self, value: str, matcher: re.Pattern[str]) -> list[PolicyResource]:
        """Resources of a type a known reference value names."""
        segments = set(value.split("/"))
        found = []
        for resource in self.of_type(matcher):
            values = {get(resource.props, k) for k in _VALUE_KEYS}
            names = {get(resource.props, k) for k in _NAME_KEYS}
            names = {n for n in names if isinstance(n, str) and n and not is_unknown(n)}
            if value in values or names & segments or value in names:
                found.append(resource)
        return found

    def resolve(
        self, source: PolicyResource, prop: str, values: Iterable[object], matcher: re.Pattern[str]
    ) -> Refs:
        """The resources of a type that `values` (read from `source`'s `prop`) refer to.

        Dependencies link first (they survive unknown ARNs); known values link by value; an
        unknown value beyond the dependencies found is unresolved."""
        linked_by_dependency = self.referenced(source, matcher, prop)
        refs = Refs(found=list(linked_by_dependency))
        linked = {r.urn for r in refs.found}
        unknowns = 0
        for value in values:
            if value is MISSING or value == "":
                continue
            if is_unknown(value):
                unknowns += 1
                continue
            matches = self.by_value(str(value), matcher)
            for match in matches:
                if match.urn not in linked:
                    linked.add(match.urn)
                    refs.found.append(match)
            if not matches:
                refs.external.append(str(value))
        if unknowns > len(linked_by_dependency):
            refs.unresolved = unknown(source, prop)
        return refs
