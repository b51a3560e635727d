"""Reads a project's Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config
to a program: a flat map of `namespace:key` -> string, objects and lists as JSON.

YAML is read with the CLI's semantics (Go's yaml.v3 and Pulumi's config values; checked against
`pulumi config --json` of the CLI), not PyYAML's YAML 1.1:
- plain scalars resolve as YAML 1.2: only true/True/TRUE and false/False/FALSE are booleans
  (`yes`, `on` are strings), `~`/null/empty are null, integers take 0x/0o/0b, a leading 0
  (octal) and `_`; timestamps become Go's time.Time.String() (`2025-12-31` is
  "2025-12-31 00:00:00 +0000 UTC"), never Python dates;
- a top-level value is passed as a string (`port: 0x1F` is "31", `flag: True` is "true", an
  empty value is ""), objects and lists as JSON;
- a mapping that repeats a key is an error, as in the CLI ("mapping key ... already defined");
- `secure:` values are decrypted with the passphrase provider when the passphrase is available
  (offline/passphrase.py), else passed as SECRET_PLACEHOLDER and reported by key.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .passphrase import BadCiphertext, Crypter, IncorrectPassphrase, passphrase_from_env

# Stands for a value only the stack's secrets provider can decrypt: plain letters, so that it
# passes the checks of any tag or name it stands in for (a field it cannot stand in for, such as an
# address, is reported as a secret the preview cannot decrypt).
# What the program gets for a secret it cannot decrypt: the engine's unknown value (rpc.UNKNOWN in
# the Python SDK), so the program treats it as unknown, like an output (docs/config.md).
SECRET_PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# What a decrypted secret is shown as wherever it would be printed.
SECRET_SHOWN = "[secret]"


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
    # Secrets left as SECRET_PLACEHOLDER (no passphrase): key paths, e.g. kurl-lb:tags.owner.
    undecrypted: list[str] = field(default_factory=list)
    # Decrypted secret values: never to be printed (the CLI scrubs them from its output).
    plaintexts: list[str] = field(default_factory=list)
    main: str | None = None  # Pulumi.yaml `main`: the program's file or folder
    runtime_options: dict[str, Any] = field(default_factory=dict)  # Pulumi.yaml runtime.options


# --- YAML as the CLI reads it ---------------------------------------------------------------

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], math.inf),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], -math.inf),
    **dict.fromkeys([".nan", ".NaN", ".NAN"], math.nan),
}
_INT64 = 2**63
_TAGS = "tag:yaml.org,2002:"


def _go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64) (then ParseUint) as yaml.v3 calls it, `_` removed first."""
    plain = text.replace("_", "")
    match = re.fullmatch(
        r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", plain
    )
    if not match:
        return None
    sign, digits = match.groups()
    lower = digits.lower()
    if lower.startswith(("0x", "0o", "0b")):
        value = int(lower[2:], {"x": 16, "o": 8, "b": 2}[lower[1]])
    elif digits.startswith("0") and len(digits) > 1:
        value = int(digits[1:], 8)  # Go's base 0: a leading 0 is octal
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    return value if -_INT64 <= value < 2 * _INT64 else None


_PLAIN = "!kurl-lb/plain"  # the tag _Loader gives untagged plain scalars, resolved below


# libyaml when present (a stack listing a thousand primaries composes 10x faster).
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Composes nodes only; plain scalars without a tag keep the marker tag _PLAIN, so that
    `_resolve` (not PyYAML's YAML 1.1 resolvers) decides what they are."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?))?"
)


def _timestamp(text: str) -> str | None:
    """A YAML timestamp as the CLI passes it: Go's time.Time.String() of what yaml.v3 parsed
    (`2025-12-31` -> `2025-12-31 00:00:00 +0000 UTC`); None when `text` is no timestamp."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    g = match.groups()
    hour, minute, second, fraction, zone = g[3:8] if g[3] is not None else (*g[8:12], None)
    try:
        moment = datetime.datetime(
            int(g[0]), int(g[1]), int(g[2]), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    digits = (fraction or ".")[1:10].rstrip("0")
    out = moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{digits}" if digits else "")
    if zone in (None, "Z") or zone[1:] == "00:00":
        return out + " +0000 UTC"
    offset = zone.replace(":", "")
    return f"{out} {offset} {offset}"


def _go_float(value: float) -> str:
    """A float as Go's encoding/json writes it (shortest digits, exponent only when tiny/huge)."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        return re.sub(r"e([+-])0(\d)", r"e\1\2", repr(value))
    return format(decimal.Decimal(repr(value)), "f")


def _top_level(node: yaml.ScalarNode) -> str:
    """A top-level config scalar as the CLI passes it: resolved as YAML, then as a string."""
    value = _resolve(node)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _resolve(node: yaml.ScalarNode) -> Any:
    """A scalar inside an object or list, as yaml.v3 decodes it into interface{}."""
    text = node.value
    if node.tag not in (_PLAIN, _TAGS + "int", _TAGS + "float", _TAGS + "bool", _TAGS + "null"):
        return text  # quoted, block, !!str or another tag: a string
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if node.tag == _PLAIN and (moment := _timestamp(text)) is not None:
        return moment
    number = _go_int(text)
    if number is not None:
        return number
    if _FLOAT.fullmatch(text.replace("_", "")):
        return float(text.replace("_", ""))
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    return text  # timestamps too: yaml.v3 keeps them as the string written


class _Reader:
    """Turns composed YAML nodes into values; `where` names the file in errors."""

    def __init__(self, where: Path) -> None:
        self.where = where

    def error(self, node: yaml.Node, message: str) -> StackFileError:
        return StackFileError(f"{self.where}:{node.start_mark.line + 1}: {message}")

    def pairs(self, node: yaml.MappingNode) -> Iterator[tuple[str, yaml.Node]]:
        """A mapping's (key, value node) pairs, merges (`<<`) applied, repeated keys refused."""
        seen: dict[str, int] = {}
        merged: list[tuple[str, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.value == "<<" and key_node.tag in (_PLAIN, _TAGS + "merge"):
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise self.error(source, "map merge requires map or sequence of maps")
                    merged += [(k, v) for k, v in self.pairs(source)]
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, "a mapping key must be a scalar")
            key = key_node.value
            if key in seen:
                raise self.error(
                    key_node, f'mapping key "{key}" already defined at line {seen[key]}'
                )
            seen[key] = key_node.start_mark.line + 1
            yield key, value_node
        for key, value_node in merged:
            if key not in seen:  # explicit keys win over merged ones
                seen[key] = 0
                yield key, value_node

    def value(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return {key: self.value(v) for key, v in self.pairs(node)}
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v) for v in node.value]
        assert isinstance(node, yaml.ScalarNode)
        return _resolve(node)


def _compose(path: Path) -> tuple[_Reader, yaml.MappingNode | None]:
    if not path.is_file():
        raise MissingStackFile(f"{path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise StackFileError(f"{path} is larger than {MAX_BYTES} bytes; refusing to read it")
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path} is not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{path} is not UTF-8 text: {exc}") from None
    except RecursionError:
        raise StackFileError(f"{path} cannot be read: it nests too deeply") from None
    if node is not None:
        _expanded_size(node, path)
    reader = _Reader(path)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in _NULLS):
        return reader, None
    if not isinstance(node, yaml.MappingNode):
        raise StackFileError(f"{path} must be a YAML mapping")
    return reader, node


def _load_yaml(path: Path) -> dict[str, Any]:
    reader, node = _compose(path)
    return reader.value(node) if node is not None else {}


# --- secrets --------------------------------------------------------------------------------


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


class _Secrets:
    """Decrypts `secure:` values when the stack's passphrase is available."""

    def __init__(self, stack_file: dict[str, Any], stack_path: Path) -> None:
        self.stack_path = stack_path
        self.provider = stack_file.get("secretsprovider") or "passphrase"
        self.salt = stack_file.get("encryptionsalt")
        self._crypter: Crypter | None = None
        self._tried = False

    def reason(self) -> str:
        """Why a secret stays undecrypted (after crypter() returned None)."""
        if self.provider != "passphrase" or not isinstance(self.salt, str):
            return (
                f"the stack uses the {self.provider} secrets provider, which needs its service"
                if self.provider != "passphrase"
                else f"{self.stack_path.name} has no encryptionsalt"
            )
        return (
            "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's "
            "passphrase to check it"
        )

    def crypter(self) -> Crypter | None:
        if not self._tried:
            self._tried = True
            passphrase = passphrase_from_env()
            if (
                self.provider == "passphrase"
                and isinstance(self.salt, str)
                and passphrase is not None
            ):
                try:
                    self._crypter = Crypter.from_state(passphrase, self.salt)
                except IncorrectPassphrase as exc:
                    raise StackFileError(
                        f"{self.stack_path}: {exc}: the passphrase in PULUMI_CONFIG_PASSPHRASE "
                        "(or PULUMI_CONFIG_PASSPHRASE_FILE) does not open its encryptionsalt"
                    ) from None
        return self._crypter


def _open_secrets(
    value: Any, key: str, secrets: _Secrets, result: StackFiles, path: str = ""
) -> tuple[Any, bool]:
    """`value` with its `secure:` values decrypted (or SECRET_PLACEHOLDER); and whether any."""
    if _is_secure(value):
        crypter = secrets.crypter()
        if crypter is None:
            result.undecrypted.append(key + path)
            return SECRET_PLACEHOLDER, True
        try:
            plaintext = crypter.decrypt(value["secure"])
        except BadCiphertext as exc:
            raise StackFileError(f"{secrets.stack_path}: {key}{path}: secure value {exc}") from None
        result.plaintexts.append(plaintext)
        return plaintext, True
    found = False
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k], secret = _open_secrets(v, key, secrets, result, f"{path}.{k}")
            found |= secret
        return out, found
    if isinstance(value, list):
        items = []
        for i, v in enumerate(value):
            item, secret = _open_secrets(v, key, secrets, result, f"{path}[{i}]")
            items.append(item)
            found |= secret
        return items, found
    return value, False


# --- the stack ------------------------------------------------------------------------------


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _json_default(value: Any) -> Any:
    raise TypeError(f"cannot encode {value!r}")


def _go_json(value: Any) -> Any:
    """Values as Go's encoding/json writes them: integral floats below 1e21 without `.0`."""
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise ValueError("infinity or NaN")
        return int(value) if value.is_integer() and abs(value) < 1e21 else value
    if isinstance(value, dict):
        return {k: _go_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_json(v) for v in value]
    return value


def _encode_object(value: Any, where: str) -> str:
    try:
        return json.dumps(_go_json(value), default=_json_default)
    except (RecursionError, ValueError, TypeError) as exc:
        raise StackFileError(f"{where}: {exc} cannot be passed as config (JSON)") from None


# What a project or stack file may hold once YAML aliases are expanded (a few hundred bytes of
# nested anchors can stand for billions of items), and its size on disk. Real ones hold a few
# hundred values.
MAX_NODES = 100_000
MAX_BYTES = 1_000_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size(root: yaml.Node, path: Path) -> int:
    """How many nodes `root` stands for with every alias expanded, counted without expanding
    them (an aliased node is one object, counted once and memoized); refuses cycles
    (`&a [*a]`) and sizes over MAX_NODES."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    todo: list[tuple[yaml.Node, bool]] = [(root, False)]
    while todo:
        node, done = todo.pop()
        children = _children(node)
        if not children or (id(node) in sizes and not done):
            continue
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
    return sizes.get(id(root), 1)


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
    config_dir = directory / str(project_file.get("stackConfigDir") or ".")
    stack_path = config_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.is_file():
        available = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml")
        )
        raise MissingStackFile(
            f"no stack config {stack_path.name} in {config_dir}; stacks here: "
            + (", ".join(available) or "none")
        )
    reader, root = _compose(stack_path)
    stack_file = reader.value(root) if root is not None else {}
    result = StackFiles(project=project, stack=stack, config={})
    main = project_file.get("main")
    if main is not None and not isinstance(main, str):
        raise StackFileError(f"{directory / 'Pulumi.yaml'}: main must be a path")
    result.main = main
    runtime = project_file.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    result.runtime_options = options if isinstance(options, dict) else {}

    # Project-level config: defaults for keys the stack does not set.
    for key, spec in (project_file.get("config") or {}).items():
        full = _full_key(key, project)
        if isinstance(spec, dict):
            for name in ("default", "value"):
                if name in spec:
                    result.config[full] = _encode(spec[name], full)
        else:
            result.config[full] = _encode(spec, full)

    config_node = next((v for k, v in reader.pairs(root) if k == "config"), None) if root else None
    if config_node is not None and not isinstance(config_node, yaml.MappingNode):
        if not (
            isinstance(config_node, yaml.ScalarNode)
            and config_node.tag == _PLAIN
            and config_node.value in _NULLS
        ):
            raise StackFileError(f"{stack_path}: config must be a mapping")
        config_node = None
    secrets = _Secrets(stack_file, stack_path)
    for key, node in reader.pairs(config_node) if config_node is not None else ():
        full = _full_key(key, project)
        if isinstance(node, yaml.ScalarNode):
            result.config[full] = _top_level(node)
            continue
        value, secret = _open_secrets(reader.value(node), full, secrets, result)
        if secret:
            result.secret_keys.append(full)
        result.config[full] = value if isinstance(value, str) else _encode_object(value, full)
    if result.undecrypted:
        why = secrets.reason()
        result.warnings.extend(
            f"{path} is a secret the offline preview cannot decrypt ({why}); it is unknown "
            "there, like an output"
            for path in result.undecrypted
        )
    if stack_file.get("environment"):
        result.warnings.append(
            f"{stack_path.name} imports Pulumi ESC environments; their values are not resolved "
            "offline"
        )
    return result


def _encode(value: Any, where: str) -> str:
    if isinstance(value, (dict, list)):
        return _encode_object(value, where)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


# --- messages -------------------------------------------------------------------------------


def explain_secrets(message: str, files: StackFiles) -> str:
    """A program's error message, as offline shows it: a problem line about a secret it could
    not decrypt says so (instead of judging the placeholder), and no decrypted value shows."""
    lines = []
    for line in message.splitlines():
        for path in files.undecrypted:
            if line.lstrip().startswith(f"- {path}:") and SECRET_PLACEHOLDER in line:
                indent = line[: len(line) - len(line.lstrip())]
                line = (
                    f"{indent}- {path}: is a secret the offline preview cannot decrypt, so it "
                    "cannot check it; set PULUMI_CONFIG_PASSPHRASE (or "
                    "PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's passphrase"
                )
                break
        lines.append(line)
    return scrub("\n".join(lines) + ("\n" if message.endswith("\n") else ""), files.plaintexts)


def scrub(text: str, plaintexts: list[str]) -> str:
    """`text` with every decrypted secret, quoted as JSON or as written, shown as [secret]."""
    for plaintext in sorted(set(plaintexts), key=len, reverse=True):
        if not plaintext:
            continue
        quoted = json.dumps(plaintext)
        text = text.replace(quoted, json.dumps(SECRET_SHOWN))
        text = text.replace(json.dumps(plaintext, ensure_ascii=False), json.dumps(SECRET_SHOWN))
        text = text.replace(f'"{plaintext}"', f'"{SECRET_SHOWN}"')
        text = text.replace(f"'{plaintext}'", f"'{SECRET_SHOWN}'")
    return text
