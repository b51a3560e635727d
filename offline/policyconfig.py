"""`--policy-pack-config FILE`: policy configuration in the Pulumi CLI's format, and the subset of
JSON Schema that policies' config schemas use. Plain Python: the CLI reads it before anything
heavy is imported, so a bad file fails at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "disabled", "remediate")


class PolicyConfigError(Exception):
    """The policy configuration file is missing or malformed (exit code 2)."""


PolicyConfig = dict[str, tuple[str | None, dict[str, Any]]]  # policy -> (level, properties)


def read_policy_config(path: Path) -> PolicyConfig:
    """A `--policy-pack-config` file as the Pulumi CLI reads it: a JSON object of policy name (or
    `all`) -> enforcement level, or -> object with an optional `enforcementLevel` and the
    policy's properties."""
    try:
        data = json.loads(path.read_text() or "{}")
    except OSError as exc:
        raise PolicyConfigError(f"--policy-pack-config {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(f"--policy-pack-config {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"--policy-pack-config {path} must be a JSON object")
    config: PolicyConfig = {}
    for name, value in data.items():
        level, properties = None, {}
        if isinstance(value, str):
            level = value
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
        else:
            raise PolicyConfigError(f"--policy-pack-config: {name}: must be a string or an object")
        if level is not None and level not in ENFORCEMENT_LEVELS:
            raise PolicyConfigError(
                f"--policy-pack-config: {name}: {level!r} is not an enforcement level "
                f"({', '.join(ENFORCEMENT_LEVELS)})"
            )
        config[name] = (level, properties)
    return config


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def schema_errors(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """The JSON-schema keywords policy config schemas use (type, enum, minimum, maximum, items,
    properties, required); a full validator would be a dependency for a handful of checks."""
    where = path or "config"
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            expected in ("integer", "number") and isinstance(value, bool)
        )
        if expected == "integer" and isinstance(value, float) and value.is_integer():
            ok = True
        if not ok:
            return [f"{where}: {json.dumps(value)} is not of type {expected}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {json.dumps(value)} is not one of {json.dumps(schema['enum'])}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} is greater than {schema['maximum']}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}: {key} is required")
        for key, sub in (schema.get("properties") or {}).items():
            if key in value and isinstance(sub, dict):
                errors += schema_errors(value[key], sub, key if not path else f"{path}.{key}")
    return errors
