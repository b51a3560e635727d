"""Reading resource properties without ever touching an unknown (preview) value.

The policy SDK wraps properties in proxies that raise UnknownValueError on an unknown value, and
then turns the WHOLE policy into an advisory "can't run policy during preview" note. Mandatory
checks read properties through `get`, which returns UNKNOWN instead of raising, and decide what an
unknown means themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

# The engine's unknown sentinels (pulumi_policy.proxy), one per value kind.
_UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
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
    """The elements of a list property (empty when missing or unknown)."""
    value = get(props, *path)
    if value is MISSING or is_unknown(value) or isinstance(value, (str, Mapping)):
        return []
    return [_raw(v) for v in value]


def api_ports(args: StackValidationArgs | Any) -> set[int]:
    configured = args.get_config().get("apiPorts") if args.get_config() else None
    return {int(p) for p in (configured or DEFAULT_API_PORTS)}


def as_port(value: Any) -> int | None:
    if value is MISSING or is_unknown(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def covers(port_spec: Any, ports: Iterable[int]) -> bool:
    """Whether a port, "a-b" range or "80,443" list names any of `ports`."""
    if port_spec is MISSING or is_unknown(port_spec):
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
