"""Three-valued verdicts: a check is violated, passes, or cannot be verified at preview.

A `Tri` is True, False or unknown; an unknown one carries what made it unknown ("target group
'api' property targetType"), so a rule can name the resource and property it could not read.
Combined with Kleene logic: `known_false & unknown` is False, so an unknown value only matters
when the verdict really depends on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation

from .props import MISSING, is_unknown

# The marker of an unverified mandatory check; the offline gate keys its exit code 3 on it.
UNVERIFIED = "cannot verify at preview"


@dataclass(frozen=True)
class Tri:
    value: bool | None  # None: unknown at preview
    unknown: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        raise TypeError("a Tri is not a bool: test .value (True, False or None)")

    def __and__(self, other: Tri) -> Tri:
        if self.value is False:
            return self
        if other.value is False:
            return other
        if self.value and other.value:
            return TRUE
        return Tri(None, _merge(self.unknown, other.unknown))

    def __or__(self, other: Tri) -> Tri:
        if self.value is True:
            return self
        if other.value is True:
            return other
        if self.value is False and other.value is False:
            return FALSE
        return Tri(None, _merge(self.unknown, other.unknown))

    def __invert__(self) -> Tri:
        return self if self.value is None else Tri(not self.value)


TRUE = Tri(True)
FALSE = Tri(False)


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(x for x in b if x not in a)


def where(resource: PolicyResource, prop: str) -> str:
    kind = resource.resource_type.rsplit(":", 1)[-1]
    return f"{kind} '{resource.name}' property {prop}"


def test(value: Any, predicate: Callable[[Any], bool], resource: PolicyResource, prop: str) -> Tri:
    """predicate(value) as a Tri; unknown (naming resource.prop) when the value is."""
    if is_unknown(value):
        return Tri(None, (where(resource, prop),))
    return TRUE if predicate(value) else FALSE


def unknown(resource: PolicyResource, prop: str) -> Tri:
    return Tri(None, (where(resource, prop),))


def any_of(tris: Iterable[Tri]) -> Tri:
    result = FALSE
    for t in tris:
        result = result | t
    return result


def all_of(tris: Iterable[Tri]) -> Tri:
    result = TRUE
    for t in tris:
        result = result & t
    return result


def shown(value: Any, default: str) -> str:
    """A value as a message shows it: omitted ones name the provider default."""
    return f"omitted ({default})" if value is MISSING else f'"{value}"'


class Reporter:
    """Reports each (resource, message) once; unknown verdicts as "cannot verify at preview"."""

    def __init__(self, report: ReportViolation) -> None:
        self._report = report
        self._seen: set[tuple[str, str]] = set()

    def __call__(self, message: str, urn: str) -> None:
        if (urn, message) not in self._seen:
            self._seen.add((urn, message))
            self._report(message, urn)

    def judge(self, verdict: Tri, urn: str, violation: str, check: str) -> None:
        """Report `violation` when the verdict is True; an unverified result when unknown."""
        if verdict.value is True:
            self(violation, urn)
        elif verdict.value is None:
            self(
                f"{UNVERIFIED}: {check}: {'; '.join(verdict.unknown)} unknown during preview. "
                "Not a pass: `pulumi up` runs this check again with the value known; give it a "
                "value known at preview (a literal or stack config) to have it checked now.",
                urn,
            )

    def missing(self, urn: str, policy: str, what: str) -> None:
        """Report an unverified result for a piece whose path is not complete at preview: `what`
        names the piece and what is missing (a front end created inside an `.apply` over an
        unknown value does not exist until `pulumi up`)."""
        self(
            f"{UNVERIFIED}: {policy}: {what}. Not a pass: a front-end piece created inside an "
            "`.apply` over a value unknown at preview (an ARN, an ID) is registered only at "
            "`pulumi up`, where this check runs again; create it outside the `.apply` (pass the "
            "Output itself as the input) to have it checked now.",
            urn,
        )
