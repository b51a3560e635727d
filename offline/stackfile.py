"""Reads a project's Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config
to a program: a flat map of `namespace:key` -> string, objects and lists as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Stands for a value only the stack's secrets provider can decrypt; plain letters, so that it
# passes the checks of any tag or name it stands in for (previews still show it as [secret]).
SECRET_PLACEHOLDER = "secret"


class StackFileError(Exception):
    """The project or stack file is missing or malformed (exit code 2)."""


class MissingStackFile(StackFileError):
    """The project or stack file does not exist (e.g. at an older revision)."""


@dataclass
class StackFiles:
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _strip_secrets(value: Any, key: str, found: list[str], path: str = "") -> Any:
    """Replace `secure:` values (which only the stack's secrets provider can decrypt)."""
    if _is_secure(value):
        found.append(key + path)
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _strip_secrets(v, key, found, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secrets(v, key, found, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


# What a project or stack file may hold once YAML aliases are expanded (a few hundred bytes of
# nested anchors can stand for billions of items), and its size on disk. Real ones hold a few
# hundred values.
MAX_NODES = 100_000
MAX_BYTES = 1_000_000


def _expanded_size(data: Any, path: Path) -> int:
    """How many values `data` holds with every alias expanded, counted without expanding them
    (each shared node once, memoized); refuses cycles (`&a [*a]`) and sizes over MAX_NODES."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    todo: list[tuple[Any, bool]] = [(data, False)]
    while todo:
        node, done = todo.pop()
        if not isinstance(node, (dict, list)) or (id(node) in sizes and not done):
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        if not done:
            if id(node) in active:
                raise StackFileError(f"{path}: a YAML alias refers to itself")
            active.add(id(node))
            todo.append((node, True))
            todo += [(c, False) for c in children]
            continue
        active.discard(id(node))
        size = 1 + sum(sizes.get(id(c), 1) for c in children)
        if size > MAX_NODES:
            raise StackFileError(
                f"{path} expands to more than {MAX_NODES} values (YAML anchors and aliases); "
                "refusing to read it"
            )
        sizes[id(node)] = size
    return sizes.get(id(data), 1)


def _load_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MissingStackFile(f"{path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise StackFileError(f"{path} is larger than {MAX_BYTES} bytes; refusing to read it")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path} is not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{path} is not UTF-8 text: {exc}") from None
    except (RecursionError, ValueError, TypeError, AttributeError) as exc:
        # The YAML reader's own limits: nesting, numbers too long to convert, odd tags.
        reason = "nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise StackFileError(f"{path} cannot be read: {reason}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path} must be a YAML mapping")
    _expanded_size(data, path)
    return data


def _printable(text: str) -> str:
    """`text` with non-printable characters (NUL, newlines, NEL...) escaped, for messages."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_stack(directory: Path, stack: str) -> StackFiles:
    try:
        return _read_stack(directory, stack)
    except (RecursionError, ValueError, TypeError, AttributeError) as exc:
        # Values the reader cannot turn into config (a mapping where a key belongs, numbers
        # too long to print, values nested too deeply): a stack file error, never a crash.
        reason = "a value nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise StackFileError(
            f"Pulumi.{stack}.yaml in {directory} cannot be read as stack config: {reason}"
        ) from None


def _read_stack(directory: Path, stack: str) -> StackFiles:
    project_file = _load_yaml(directory / "Pulumi.yaml")
    project = project_file.get("name")
    if not isinstance(project, str) or not project:
        raise StackFileError(f"{directory / 'Pulumi.yaml'} has no project name")
    config_dir = directory / str(project_file.get("stackConfigDir", "."))
    stack_path = config_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.is_file():
        available = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml")
        )
        raise MissingStackFile(
            f"no stack config {stack_path.name} in {config_dir}; stacks here: "
            + (", ".join(available) or "none")
        )
    stack_file = _load_yaml(stack_path)
    result = StackFiles(project=project, stack=stack, config={})

    # Project-level config: defaults for keys the stack does not set.
    for key, spec in (project_file.get("config") or {}).items():
        full = _full_key(key, project)
        if isinstance(spec, dict):
            for name in ("default", "value"):
                if name in spec:
                    result.config[full] = _encode(spec[name])
        else:
            result.config[full] = _encode(spec)

    raw = stack_file.get("config") or {}
    if not isinstance(raw, dict):
        raise StackFileError(f"{stack_path}: config must be a mapping")
    for key, value in raw.items():
        full = _full_key(str(key), project)
        secrets: list[str] = []
        value = _strip_secrets(value, full, secrets)
        if secrets:
            result.secret_keys.append(full)
            result.warnings.extend(
                f"{s} is a secret: offline preview cannot decrypt it and uses "
                f"{SECRET_PLACEHOLDER!r} instead"
                for s in secrets
            )
        try:
            result.config[full] = _encode(value)
        except (RecursionError, ValueError, TypeError) as exc:
            raise StackFileError(
                f"{stack_path}: {_printable(full)}: cannot be read: {exc}"
            ) from None
    if stack_file.get("environment"):
        result.warnings.append(
            f"{stack_path.name} imports Pulumi ESC environments; their values are not resolved "
            "offline"
        )
    return result


def _encode(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return _scalar(value)
