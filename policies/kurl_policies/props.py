"""Reading resource properties without ever touching an unknown (preview) value, and reading them
as the provider will (coercions).

The policy SDK wraps properties in proxies that raise UnknownValueError on an unknown value, and
then turns the WHOLE policy into an advisory "can't run policy during preview" note. The pack reads
properties through `get`, which returns UNKNOWN instead of raising; rules decide what an unknown
means (a "cannot verify at preview" result, never a silent pass).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

# The engine's unknown sentinels, one per value kind, as the policy SDK defines them.
_UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
MISSING: Any = None  # an omitted property: the provider default applies

DEFAULT_API_PORTS = [6443]
API_PORTS_SCHEMA = {
    "apiPorts": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 65535},
        "default": DEFAULT_API_PORTS,
        "description": "Ports of the Kubernetes API; only load balancers serving them are judged.",
    }
}


def _raw(value: Any) -> Any:
    """The plain value behind a policy SDK proxy (its `__target`), without the unknown check."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__getitem__"):
        return value
    try:
        return value["__target"]
    except (KeyError, TypeError, IndexError):
        return value


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def get(props: Any, *path: str | int) -> Any:
    """props[path...]; UNKNOWN if any step is unknown, MISSING (None) if absent."""
    value = props
    for key in path:
        value = _raw(value)
        if is_unknown(value):
            return UNKNOWN
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return MISSING
    value = _raw(value)
    return UNKNOWN if is_unknown(value) else value


def items(props: Any, *path: str | int) -> list[Any]:
    """The elements of a list property (empty when missing or unknown; see `elements`)."""
    value = elements(props, *path)
    return [] if is_unknown(value) else value


def elements(props: Any, *path: str | int) -> Any:
    """The elements of a list property: a list, or UNKNOWN when the list itself is unknown. A
    single value where the provider also takes a list (GCP healthChecks) is a list of one."""
    value = get(props, *path)
    if is_unknown(value):
        return UNKNOWN
    if value is MISSING or value == "":
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    return [_raw(v) for v in value]


def api_ports(args: Any) -> set[int]:
    configured = args.get_config().get("apiPorts") if args.get_config() else None
    return {int(p) for p in (configured or DEFAULT_API_PORTS)}


def as_port(value: Any) -> Any:
    """A port as the provider reads it (numeric strings too); UNKNOWN, MISSING, or None."""
    if is_unknown(value):
        return UNKNOWN
    if value is MISSING or isinstance(value, bool):
        return MISSING
    if isinstance(value, float):
        return int(value) if value.is_integer() else MISSING
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return MISSING


def as_bool(value: Any) -> Any:
    """A boolean as a bridged provider reads it: "true"/"false" strings (any case) too."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool) or value is MISSING:
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return MISSING


def enum(value: Any) -> Any:
    """An enum value compared as the provider compares it: case-insensitively (lower case)."""
    if is_unknown(value) or value is MISSING:
        return value
    return str(value).strip().lower()


def covers(port_spec: Any, ports: Iterable[int]) -> Any:
    """Whether a port, "a-b" range or "80,443" list names any of `ports` (UNKNOWN if unknown)."""
    if is_unknown(port_spec):
        return UNKNOWN
    if port_spec is MISSING:
        return False
    wanted = set(ports)
    for part in str(port_spec).split(","):
        part = part.strip()
        if "-" in part:
            low, _, high = part.partition("-")
            if low.isdigit() and high.isdigit() and any(int(low) <= p <= int(high) for p in wanted):
                return True
        elif part.isdigit() and int(part) in wanted:
            return True
    return False


def last_segment(reference: Any, kind: str) -> Any:
    """The name after `/<kind>/` in an ID or self link (case-insensitive kind); UNKNOWN or None."""
    if is_unknown(reference):
        return UNKNOWN
    if not isinstance(reference, str):
        return None
    parts = reference.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == kind.lower():
            return parts[i + 1]
    return None
