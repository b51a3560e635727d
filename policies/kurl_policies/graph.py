"""A stack's resources indexed once, so stack policies stay linear in the number of resources.

Resources are related through `property_dependencies` (which input of which resource refers to
which resource) and `parent`: never through ARNs or IDs, which are unknown during preview.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from pulumi_policy import PolicyResource

# Every token a policy matches, so a test can check each against the installed provider SDKs.
KNOWN_TOKENS: set[str] = set()


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


class StackIndex:
    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        # urn -> [(referrer, property)] for every property dependency pointing at urn.
        self._referrers: dict[str, list[tuple[PolicyResource, str]]] = defaultdict(list)
        for resource in self.resources:
            for prop, deps in resource.property_dependencies.items():
                for dep in deps:
                    self._referrers[dep.urn].append((resource, prop))

    def of_type(self, matcher: re.Pattern[str]) -> list[PolicyResource]:
        return [r for r in self.resources if matcher.match(r.resource_type)]

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
