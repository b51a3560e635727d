"""The machinery every config model and rule uses: the model base, `field` and each field's
allowed form, `Problem`/`ConfigError`, the rule registry, pydantic-error translation and loading.

Validation has two phases, both reporting every problem they find in one message:
1. structure (pydantic): types, formats, ranges, unknown keys, keys another cloud uses;
2. rules across fields, registered with `@rule` beside the models they read.
The second phase runs only when the first passed, since rules read a whole, typed config.
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeVar, Union

import annotated_types
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from .scalars import Scalar

if TYPE_CHECKING:
    from .aws import AwsStack
    from .azure import AzureStack
    from .gcp import GcpStack
    from .shared import Stack

    StackConfig: TypeAlias = AwsStack | AzureStack | GcpStack

NAMESPACE = "kurl-lb"

# Bounds on what one config value may hold (the real ones nest 3 levels and hold a few dozen
# items): deeper or bigger values are refused before pydantic or a message touches them.
MAX_DEPTH = 16
MAX_ITEMS = 10_000
# What a message shows of one value, and how many problems one message lists.
MAX_SHOWN = 120
MAX_PROBLEMS = 20


class Model(BaseModel):
    """Base of every config object: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def _integer(value: Any) -> Any:
    """Integers as the Pulumi CLI passes them (a JSON number, or ASCII digits as text); floats
    (`1e3`, `6443.0`), booleans and other digits are refused, not rounded or guessed."""
    if isinstance(value, (bool, float)):
        raise ValueError("is not an integer")
    if isinstance(value, int):
        if value.bit_length() > 62:
            raise ValueError("is not an integer in range")
        return value
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            raise ValueError("is not an integer")
        return int(value)
    return value  # pydantic reports the type


Int = Annotated[int, BeforeValidator(_integer)]
"""Every integer field's type (see `_integer`)."""


# --- fields and their allowed forms -------------------------------------------------------------


def field(
    default: Any = ...,
    *,
    doc: str,
    form: str | None = None,
    example: str | None = None,
    **kwargs: Any,
) -> Any:
    """A model field carrying its meaning (for docs) and, when its type and constraints cannot
    say it, its allowed form (for errors and docs). `example` is appended to a derived form."""
    extra: dict[str, Any] = {
        k: v for k, v in (("form", form), ("example", example)) if v is not None
    }
    return Field(default, description=doc, json_schema_extra=extra, **kwargs)


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def one_of(words: Sequence[str]) -> str:
    """`a, b or c`."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _derived_form(annotation: Any, metadata: Sequence[Any] = (), plural: bool = False) -> str:
    """The allowed form a type and its constraints spell, e.g. `integer 5-300`, `ip or instance`."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _derived_form(args[0], [*metadata, *args[1:]], plural)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _derived_form(inner, metadata, plural)
    scalar = next((m for m in metadata if isinstance(m, Scalar)), None)
    if scalar is not None:
        return scalar.plural if plural else scalar.form
    if origin is list:
        return "list of " + _derived_form(args[0], plural=True)
    if origin is dict and args == (str, str):
        return "map of string to string"
    if origin is Literal:
        return one_of([str(a) for a in args])
    if annotation is bool:
        return "true or false"
    if annotation is int:
        low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
        high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
        return "integer" if low is None or high is None else f"integer {low}-{high}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    raise TypeError(f"no allowed form can be derived from {annotation!r}; give form=")


def form_of(info: FieldInfo | None) -> str | None:
    """A field's allowed form: given with `form=`, or derived from its type and constraints."""
    if info is None:
        return None
    extra = _extra(info)
    if "form" in extra:
        return str(extra["form"])
    form = _derived_form(info.annotation, info.metadata)
    return f"{form}, e.g. {extra['example']}" if "example" in extra else form


# --- problems -----------------------------------------------------------------------------------


def escape(text: str) -> str:
    """`text` with every character that is not printable (controls such as NUL and newline, NEL,
    line and paragraph separators, bidi overrides, surrogates) shown as a Python escape: a key
    or value can never start a line of its own in a log, or hide what follows it."""
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(c: str) -> str:
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(value: Any) -> str:
    """A value as messages show it: JSON, at most MAX_SHOWN characters; never raises (values
    too deep or numbers too long to print are described instead)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<integer of about {int(value.bit_length() * 0.30103)} digits>"
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (ValueError, RecursionError, TypeError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


@dataclass(frozen=True)
class Problem:
    path: str  # as Pulumi users write it: kurl-lb:primaries[1].address
    message: str

    def __str__(self) -> str:
        return escape(f"{self.path}: {self.message}")


class ConfigError(Exception):
    """Every problem of a stack config, in one message (the first MAX_PROBLEMS of them)."""

    def __init__(self, problems: Sequence[Problem], header: str = "invalid stack config"):
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{header} ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems[:MAX_PROBLEMS]]
        if count > MAX_PROBLEMS:
            lines.append(f"  - ... and {count - MAX_PROBLEMS} more")
        super().__init__("\n".join(lines))


def key_path(loc: Sequence[str | int]) -> str:
    """`kurl-lb:primaries[1].address`; a key too long to show is cut (Problem escapes it)."""
    out = NAMESPACE + ":"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if len(part) <= MAX_SHOWN else part[: MAX_SHOWN - 3] + "..."
            out += key if i == 0 else f".{key}"
    return out


# --- rules across fields ------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
Check = Callable[[M], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    model: type[BaseModel]  # the rule runs on configs of this stack model (or a subclass)
    description: str  # one Markdown line; docs/config.md lists it
    check: Callable[[Any], Iterable[Problem]]

    @property
    def name(self) -> str:
        return self.check.__name__


RULES: list[Rule] = []


def rule(model: type[M], description: str) -> Callable[[Check[M]], Check[M]]:
    """Register a rule across fields of `model` stacks, in the order problems are reported."""

    def register(check: Check[M]) -> Check[M]:
        RULES.append(Rule(model, " ".join(description.split()), check))
        return check

    return register


def rules_for(model: type[BaseModel]) -> list[Rule]:
    return [r for r in RULES if issubclass(model, r.model)]


# --- pydantic errors as problems ----------------------------------------------------------------


def nested_models(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return nested_models(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, dict):
        return [m for arg in typing.get_args(annotation) for m in nested_models(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def field_by_alias(model: type[BaseModel], alias: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if alias in (info.alias, name):
            return info
    return None


def _locate(
    model: type[BaseModel], loc: Sequence[str | int]
) -> tuple[type[BaseModel], FieldInfo | None]:
    """The model owning the last key of `loc`, and that key's field (None when unknown)."""
    owner, info = model, None
    for i, part in enumerate(loc):
        if isinstance(part, int):
            continue
        info = field_by_alias(owner, part)
        if info is None or i == len(loc) - 1:
            break
        models = nested_models(info.annotation)
        if not models:
            break
        owner = models[0]
    return owner, info


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(info.alias or name for name, info in model.model_fields.items())


def _structural_problem(model: type[BaseModel], err: Any, cloud: str) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    # Errors raised inside a nested validator carry the function name in loc; drop it.
    loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
    path = key_path(loc)
    owner, info = _locate(model, loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        return Problem(
            path,
            f"unknown key (or not used with cloud {cloud}); allowed here: {_allowed_keys(owner)}",
        )
    form = form_of(info)
    allowed = f"; allowed: {form}" if form else ""
    if kind == "missing":
        return Problem(path, f"is required{allowed}")
    value = shown(err.get("input"))
    msg = err["msg"].removeprefix("Value error, ")
    if err.get("input") == "" and info is not None and _is_structured(info):
        # `kurl-lb:tags:` with nothing after it: the CLI passes an empty string.
        return Problem(path, f"is empty (the key has no value){allowed}")
    if kind == "value_error":
        return Problem(path, f"{value} {msg}{allowed}")
    return Problem(path, f"{value} is invalid: {msg}{allowed}")


# --- loading ------------------------------------------------------------------------------------

# cloud -> its stack model; each cloud module registers its own with `@stack_model`.
STACK_MODELS: dict[str, type[Stack]] = {}
S = TypeVar("S", bound="Stack")


def stack_model(cloud: str) -> Callable[[type[S]], type[S]]:
    def register(model: type[S]) -> type[S]:
        STACK_MODELS[cloud] = model
        return model

    return register


def _decode(value: Any, structured: bool) -> Any:
    """Config values arrive as strings; objects and lists as JSON (as the Pulumi CLI sends them).
    Raises ValueError("...") when the JSON cannot be read into a value at all."""
    if not structured or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except RecursionError:
        raise ValueError(f"nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError:
        return value  # pydantic then reports the type error with the key's allowed form
    except ValueError:  # e.g. Python's limit on digits converted to an integer
        raise ValueError("holds a number too long to read") from None


def _bound(value: Any) -> str | None:
    """Why a decoded value is too deep or too big to validate, or None."""
    items, stack = 0, [(value, 1)]
    while stack:
        current, depth = stack.pop()
        items += 1
        if depth > MAX_DEPTH:
            return f"nests deeper than {MAX_DEPTH} levels"
        if items > MAX_ITEMS:
            return f"holds more than {MAX_ITEMS} items"
        if isinstance(current, dict):
            stack += [(v, depth + 1) for v in current.values()]
        elif isinstance(current, list):
            stack += [(v, depth + 1) for v in current]
        elif isinstance(current, int) and current.bit_length() > 200:
            return "holds a number too long to read"
    return None


def _cli_string(value: Any) -> Any:
    """A number or boolean where a string is expected, as the string it was written as: the
    CLI stores `pulumi config set --path 'kurl-lb:tags.costcenter' 1234` as the number 1234."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    return value


def as_strings(annotation: Any, value: Any) -> Any:
    """`value` with numbers and booleans turned into strings wherever `annotation` expects a
    string (through Optional, Annotated, lists, string-keyed maps and nested models)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return as_strings(args[0], value)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return as_strings(inner[0], value) if len(inner) == 1 else value
    if origin is list and isinstance(value, list):
        return [as_strings(args[0], v) for v in value]
    if origin is dict and isinstance(value, dict):
        return {k: as_strings(args[1], v) for k, v in value.items()}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            info = field_by_alias(annotation, key)
            out[key] = as_strings(info.annotation, item) if info is not None else item
        return out
    if annotation is str:
        return _cli_string(value)
    return value


def _is_structured(info: FieldInfo) -> bool:
    origin = typing.get_origin(info.annotation)
    args = typing.get_args(info.annotation)
    return (
        bool(nested_models(info.annotation))
        or origin in (list, dict)
        or any(typing.get_origin(a) in (list, dict) for a in args)
    )


def parse_stack_config(
    config: Mapping[str, Any],
    provider: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
) -> StackConfig:
    """Validate the `kurl-lb:` keys of a stack (full keys, e.g. `kurl-lb:cloud`).

    `provider` holds provider config the rules check against (`aws:region`, `gcp:region`);
    `secret_keys` the full keys the user stored as secrets (the components pass every value
    read from them to resources and outputs as secrets). Raises ConfigError naming every problem.
    """
    prefix = NAMESPACE + ":"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    cloud = raw.get("cloud")
    if not isinstance(cloud, str) or cloud not in STACK_MODELS:
        got = "is required" if cloud is None else f"{shown(cloud)} is not a cloud"
        allowed = one_of(list(STACK_MODELS))
        raise ConfigError([Problem(key_path(["cloud"]), f"{got}; allowed: {allowed}")])
    model = STACK_MODELS[cloud]
    data: dict[str, Any] = {}
    unreadable: list[Problem] = []
    for key, value in raw.items():
        info = field_by_alias(model, key)
        try:
            decoded = _decode(value, info is not None and _is_structured(info))
            why = _bound(decoded)
            if why is not None:
                raise ValueError(why)
        except ValueError as exc:
            form = form_of(info)
            unreadable.append(Problem(key_path([key]), f"{exc}; allowed: {form or 'not set'}"))
            continue
        data[key] = as_strings(info.annotation, decoded) if info is not None else decoded
    if unreadable:
        raise ConfigError(unreadable)
    try:
        cfg = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            [_structural_problem(model, e, cloud) for e in exc.errors(include_url=False)]
        ) from None
    cfg._provider = dict(provider or {})
    cfg._secret_keys = {k[len(prefix) :] for k in secret_keys if k.startswith(prefix)}
    problems = [p for r in rules_for(model) for p in r.check(cfg)]
    if problems:
        raise ConfigError(problems)
    return cfg  # type: ignore[return-value]


PROVIDER_KEYS = (
    "aws:region",
    "azure-native:location",
    "azure:subscriptionId",
    "gcp:project",
    "gcp:region",
)
# Provider settings their providers also read from the environment.
PROVIDER_ENV = {"aws:region": "AWS_REGION", "azure:subscriptionId": "ARM_SUBSCRIPTION_ID"}


def load_stack_config() -> StackConfig:
    """Read and validate the running stack's config; a bad config stops the program cleanly."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    # The whole config map, so that unknown `kurl-lb:` keys (typos) are reported too.
    everything: dict[str, Any] = dict(runtime_config.CONFIG.get())
    provider = {k: everything[k] for k in PROVIDER_KEYS if k in everything}
    for key, env in PROVIDER_ENV.items():
        if key not in provider and os.environ.get(env):
            provider[key] = os.environ[env]
    # The keys the engine says are secret (PULUMI_CONFIG_SECRET_KEYS, set_all_config).
    secret_keys = [k for k in everything if runtime_config.is_config_secret(k)]
    try:
        return parse_stack_config(everything, provider, secret_keys)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
