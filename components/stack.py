"""The stack program's one mapping: stack config keys onto the component's Args fields.

`STACK_TABLE` says it once: the top-level `kurl-lb:` keys, the cloud's section
(`kurl-lb:aws.vpcId`: every other field of the cloud's Args) and the provider settings the
component takes as arguments (`aws:region`). The same table turns a problem's Args path back
into the stack key path, so stack users read `kurl-lb:aws.vpcId: ...` with the
`pulumi config set` advice, while the checks themselves run once, in the component.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.rpc import UNKNOWN
from pydantic.alias_generators import to_camel

from .args import DECLARATIONS
from .base import KurlLoadBalancer
from .checked import ArgsCheck, check_args
from .declare import (
    SECRET_ARGS,
    Declaration,
    Spec,
    form_of,
    is_input,
    record_specs,
    unwrap_input,
)
from .problems import ArgsError, ConfigError, Problem, Words, one_of, shown

NAMESPACE = "kurl-lb"
DEFAULT_NAME = "kurl"


@dataclass(frozen=True)
class StackTable:
    """Stack config keys -> Args fields (snake_case), per cloud."""

    # `kurl-lb:<key>` for these fields on every cloud; every other field of a cloud's Args
    # lives in its section, `kurl-lb:<cloud>.<key>`.
    top_level: tuple[str, ...]
    # Args field -> (provider setting, an example value for the advice), per cloud.
    provider: Mapping[str, Mapping[str, tuple[str, str]]]
    # Provider settings their providers also read from the environment.
    provider_env: Mapping[str, str]

    def fields(self, cloud: str) -> dict[str, str]:
        """Stack key (below `kurl-lb:`, or a provider setting) -> Args field, for `cloud`."""
        decl = DECLARATIONS[cloud]
        out = {to_camel(f): f for f in self.top_level if f in decl.specs}
        out.update({key: f for f, (key, _) in self.provider[cloud].items()})
        out.update({f"{cloud}.{s.key}": n for n, s in self.section(cloud).items()})
        return out

    def section(self, cloud: str) -> dict[str, Spec]:
        """The Args fields of `cloud` that live in its section."""
        provider = self.provider[cloud]
        return {
            n: s
            for n, s in DECLARATIONS[cloud].specs.items()
            if n not in self.top_level and n not in provider and n != SECRET_ARGS
        }

    def order(self, cloud: str) -> dict[str, int]:
        """Args keys (camelCase) in the order the stack lists them: name, the top-level keys,
        the cloud's section, the provider settings."""
        keys = ["name", *(to_camel(f) for f in self.top_level)]
        keys += [s.key for s in self.section(cloud).values()]
        keys += [to_camel(f) for f in self.provider[cloud]]
        return {k: i for i, k in enumerate(keys)}

    def words(self, cloud: str) -> Words:
        """How the stack names an Args key (camelCase) in messages: `aws.targetType`,
        `aws:region`; in full (`True`) with the namespace: `kurl-lb:aws.targetType`."""
        provider = {to_camel(f): key for f, (key, _) in self.provider[cloud].items()}
        section = {s.key for s in self.section(cloud).values()}

        def words(key: str, full: bool) -> str:
            if key in provider:
                return provider[key]
            head = key.split(".")[0]  # a path inside a record: `publicFrontEnd.subnetIds`
            stack_key = f"{cloud}.{key}" if head in section else key
            return f"{NAMESPACE}:{stack_key}" if full else stack_key

        return words


STACK_TABLE = StackTable(
    top_level=(
        "scheme",
        "port",
        "allowed_client_cidrs",
        "deletion_protection",
        "tags",
        "health_check",
        "primaries",
        "front_end",
        "address_move",
        "extra_ports",
    ),
    provider={
        "aws": {"region": ("aws:region", "us-east-1")},
        "azure": {
            "location": ("azure-native:location", "eastus"),
            "subscription_id": ("azure:subscriptionId", "<subscription ID>"),
        },
        "gcp": {"region": ("gcp:region", "us-central1"), "project": ("gcp:project", "my-project")},
    },
    provider_env={"aws:region": "AWS_REGION", "azure:subscriptionId": "ARM_SUBSCRIPTION_ID"},
)
PROVIDER_KEYS = tuple(key for p in STACK_TABLE.provider.values() for key, _ in p.values())

# Bounds on what one config value may hold (the real ones nest 3 levels and hold a few dozen
# items): deeper or bigger values are refused before pydantic or a message touches them.
MAX_DEPTH = 16
MAX_ITEMS = 10_000


@dataclass
class StackArgs:
    """A stack's config mapped onto its component's Args (not checked yet: the component checks
    them), with the problems of keys that map onto nothing."""

    decl: Declaration
    name: str
    args: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    section_given: bool = True  # whether the stack has the cloud's section (`kurl-lb:aws`)

    @property
    def cloud(self) -> str:
        return self.decl.cloud

    def error(self, problems: Iterable[Problem], by_key: bool = True) -> ConfigError:
        """`problems` (in Args words) as the stack says them; `by_key`: in the order of the
        stack's keys (problems of single values; rules report in their own order)."""
        words = STACK_TABLE.words(self.cloud)
        problems = list(problems)
        if not self.section_given:
            # One problem for the missing section, not one per required key in it.
            section = {s.key for s in STACK_TABLE.section(self.cloud).values()}
            problems = [
                Problem((self.cloud,), "is required; allowed: object"),
                *(p for p in problems if not (p.loc[0] in section and len(p.loc) == 1)),
            ]
        shown = [self._stack_words(p) for p in problems]
        if by_key:
            order = STACK_TABLE.order(self.cloud)
            shown.sort(key=lambda p: order.get(str(p.loc[0]), len(order)))
        return ConfigError(shown, "invalid stack config", words)

    def check(self) -> ArgsCheck[Any]:
        """The component's check of these Args, without building anything; ConfigError in stack
        words, with the problems of keys that map onto nothing."""
        try:
            checked = check_args(self.decl, self.name, self.args)
        except ArgsError as exc:
            raise self.error([*self.problems, *exc.problems], exc.structural) from None
        if self.problems:
            raise self.error(self.problems)
        return checked

    def _stack_words(self, p: Problem) -> Problem:
        """`p` as the stack says it: with its advice, and a missing provider setting with the
        `pulumi config set` command that sets it."""
        message = p.message + p.advice
        for arg, (key, example) in STACK_TABLE.provider[self.cloud].items():
            if p.missing and p.loc == (to_camel(arg),):
                message = f"is required (pulumi config set {key} {example})"
        return dataclasses.replace(p, message=message, advice="")


# --- reading the stack's config ------------------------------------------------------------------


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
        return value  # the check then reports the type error with the key's allowed form
    except ValueError:  # e.g. Python's limit on digits converted to an integer
        raise ValueError("holds a number too long to read") from None


def _read(value: Any, structured: bool) -> Any:
    """A config value as the program reads it; ValueError when it cannot be read at all, or is
    too deep or too big to check."""
    decoded = _decode(value, structured)
    why = _bound(decoded)
    if why is not None:
        raise ValueError(why)
    return decoded


def _bound(value: Any) -> str | None:
    """Why a decoded value is too deep or too big to check, or None."""
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


def _each_record_field(spec: Spec, value: Any, fn: Callable[[Spec, Any], Any]) -> Any:
    """`value` (a record, or a list of them, of the record field `spec`) with `fn(field, v)`
    applied to each value of a field the record has."""
    fields = {s.key: s for s in record_specs(spec).values()}

    def record(r: Any) -> Any:
        if not isinstance(r, dict):
            return r
        return {k: fn(fields[k], v) if k in fields else v for k, v in r.items()}

    return [record(r) for r in value] if isinstance(value, list) else record(value)


def _strings_where_expected(spec: Spec, value: Any) -> Any:
    """`value` with numbers and booleans turned into strings wherever `spec` expects a string
    (through lists, string-keyed maps and records)."""
    if spec.record is not None:
        return _each_record_field(spec, value, _strings_where_expected)
    base = unwrap_input(spec.declared)
    if base is str:
        return _cli_string(value)
    origin = typing.get_origin(base)
    if origin is list and isinstance(value, list) and unwrap_input(typing.get_args(base)[0]) is str:
        return [_cli_string(v) for v in value]
    if origin is dict and isinstance(value, dict):
        return {k: _cli_string(v) for k, v in value.items()}
    return value


def _structured(spec: Spec) -> bool:
    base = unwrap_input(spec.declared)
    return spec.record is not None or typing.get_origin(base) in (list, dict)


def _unknown_secret() -> pulumi.Output[Any]:
    """An unknown secret: a `secure:` value the offline preview could not decrypt reaches the
    program as the engine's unknown sentinel, and is one (checks that need it wait for it)."""
    loop = asyncio.get_event_loop()
    value: asyncio.Future[Any] = loop.create_future()
    known: asyncio.Future[bool] = loop.create_future()
    secret: asyncio.Future[bool] = loop.create_future()
    value.set_result(None)
    known.set_result(False)
    secret.set_result(True)
    return pulumi.Output(set(), value, known, secret)


def _has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return bool(value == UNKNOWN)


def _unknowns(spec: Spec, value: Any) -> Any:
    """`value` with the unknown sentinel turned into an unknown secret output wherever `spec`
    takes an output. A plain field keeps it: a value that decides which resources exist cannot
    be unknown, and its check fails naming the key."""
    if spec.record is not None:
        return _each_record_field(spec, value, _unknowns)
    if spec.is_input:
        return _unknown_secret() if _has_unknown(value) else value
    if spec.is_list and isinstance(value, list) and is_input(typing.get_args(spec.declared)[0]):
        return [_unknown_secret() if _has_unknown(v) else v for v in value]
    return value


def stack_args(
    config: Mapping[str, Any],
    provider: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
) -> StackArgs:
    """Map a stack's config (full keys: `kurl-lb:cloud`, ...) onto its component's Args.

    `provider` holds the provider settings (`aws:region`, `gcp:region`); `secret_keys` the full
    keys stored as secrets: the Args name them in `secret_args`, so that every value read from
    them stays secret. Raises ConfigError for a missing or unknown cloud and for values that
    cannot be read at all; keys that map onto nothing are `problems`, reported with the Args'.
    """
    prefix = NAMESPACE + ":"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    cloud = raw.get("cloud")
    if not isinstance(cloud, str) or cloud not in DECLARATIONS:
        got = "is required" if cloud is None else f"{shown(cloud)} is not a cloud"
        allowed = one_of(list(DECLARATIONS))
        raise ConfigError(
            [Problem(("cloud",), f"{got}; allowed: {allowed}")],
            "invalid stack config",
            lambda key, full: f"{NAMESPACE}:{key}",
        )
    decl = DECLARATIONS[cloud]
    words = STACK_TABLE.words(cloud)
    fields = STACK_TABLE.fields(cloud)
    out = StackArgs(decl, DEFAULT_NAME, {})
    unreadable: list[Problem] = []
    top = [to_camel(f) for f in STACK_TABLE.top_level if f in decl.specs]
    allowed_top = ", ".join(["cloud", "name", *top, cloud])

    def unknown(loc: tuple[str | int, ...], allowed: str) -> Problem:
        return Problem(
            loc, f"unknown key (or not used with cloud {cloud}); allowed here: {allowed}"
        )

    def take(stack_key: str, loc_key: str, value: Any) -> None:
        spec = decl.specs[fields[stack_key]]
        try:
            decoded = _read(value, _structured(spec))
        except ValueError as exc:
            unreadable.append(Problem((loc_key,), f"{exc}; allowed: {form_of(spec)}"))
            return
        if decoded == "" and _structured(spec):
            # `kurl-lb:tags:` with nothing after it: the CLI passes an empty string.
            out.problems.append(
                Problem((loc_key,), f"is empty (the key has no value); allowed: {form_of(spec)}")
            )
            return
        decoded = _strings_where_expected(spec, decoded)
        if spec.record is not None:
            out.problems.extend(_unknown_record_keys(spec, (loc_key,), decoded, unknown))
            decoded = _known_record_keys(spec, decoded)
        out.args[spec.name] = _unknowns(spec, decoded)

    for key, value in raw.items():
        if key == "cloud":
            continue
        if key == "name":
            out.name = value if isinstance(value, str) else _cli_string(value)
        elif key == cloud:
            try:
                section = _read(value, True)
            except ValueError as exc:
                unreadable.append(Problem((cloud,), f"{exc}; allowed: object"))
                continue
            if not isinstance(section, dict):
                out.problems.append(
                    Problem(
                        (cloud,),
                        f"{shown(section)} is invalid: Input should be an object; allowed: object",
                    )
                )
                continue
            keys = [s.key for s in STACK_TABLE.section(cloud).values()]
            for sub, sub_value in section.items():
                if sub in decl.refused:
                    out.problems.append(Problem((cloud, sub), decl.refused[sub]))
                    continue
                if f"{cloud}.{sub}" not in fields:
                    out.problems.append(unknown((cloud, sub), ", ".join(keys)))
                    continue
                take(f"{cloud}.{sub}", sub, sub_value)
        elif key in top:
            take(key, key, value)
        elif key in decl.refused:
            out.problems.append(Problem((key,), decl.refused[key]))
        else:
            out.problems.append(unknown((key,), allowed_top))
    if unreadable:
        raise ConfigError(unreadable, "invalid stack config", words)
    out.section_given = cloud in raw
    for arg, (key, _) in STACK_TABLE.provider[cloud].items():
        if provider and provider.get(key) is not None:
            out.args[arg] = provider[key]
    secrets = _secret_args(decl, {k[len(prefix) :] for k in secret_keys if k.startswith(prefix)})
    if secrets:
        out.args[SECRET_ARGS] = secrets
    return out


def _unknown_record_keys(
    spec: Spec, at: tuple[str | int, ...], value: Any, unknown: Any
) -> list[Problem]:
    """Keys of the record(s) at `at` its type does not have, records inside it too (the address
    move's `dnsRecord`)."""
    fields = {s.key: s for s in record_specs(spec).values()}
    allowed = ", ".join(fields)
    records = value if isinstance(value, list) else [value]
    problems = []
    for i, r in enumerate(records):
        if isinstance(r, dict):
            here = (*at, i) if isinstance(value, list) else at
            for k, v in r.items():
                if k not in fields:
                    problems.append(unknown((*here, k), allowed))
                elif fields[k].record is not None:
                    problems += _unknown_record_keys(fields[k], (*here, k), v, unknown)
    return problems


def _known_record_keys(spec: Spec, value: Any) -> Any:
    """The record(s) with their known keys as Args field names, records inside them too."""
    fields = {s.key: s for s in record_specs(spec).values()}

    def record(r: Any) -> Any:
        if not isinstance(r, dict):
            return r
        return {
            fields[k].name: _known_record_keys(fields[k], v) if fields[k].record else v
            for k, v in r.items()
            if k in fields
        }

    return [record(r) for r in value] if isinstance(value, list) else record(value)


def _secret_args(decl: Declaration, secret: set[str]) -> list[str]:
    """The Args names (camelCase) of the stack keys stored as secrets: a secret section names
    each of its fields."""
    names: list[str] = []
    for key in sorted(secret):
        head = key.split(".", 1)[0].split("[", 1)[0]
        if head == decl.cloud:
            names += [s.key for s in STACK_TABLE.section(decl.cloud).values()]
        elif head in {to_camel(f) for f in STACK_TABLE.top_level}:
            names.append(head)
    return list(dict.fromkeys(names))


def check_stack(
    config: Mapping[str, Any],
    provider: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
) -> tuple[StackArgs, Any]:
    """Map and check a stack's config without building anything: the mapped Args and their
    checked view (what the component reads); ConfigError in stack words."""
    stack = stack_args(config, provider, secret_keys)
    return stack, stack.check().view


def read_stack() -> StackArgs:
    """The running stack's config, mapped onto its component's Args."""
    from pulumi.runtime import config as runtime_config

    # The whole config map, so that unknown `kurl-lb:` keys (typos) are reported too.
    everything: dict[str, Any] = dict(runtime_config.CONFIG.get())
    provider = {k: everything[k] for k in PROVIDER_KEYS if k in everything}
    for key, env in STACK_TABLE.provider_env.items():
        if key not in provider and os.environ.get(env):
            provider[key] = os.environ[env]
    # The keys the engine says are secret (PULUMI_CONFIG_SECRET_KEYS, set_all_config).
    secret_keys = [k for k in everything if runtime_config.is_config_secret(k)]
    try:
        return stack_args(everything, provider, secret_keys)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def build_load_balancer(stack: StackArgs) -> KurlLoadBalancer[Any, Any]:
    """The stack's component; a problem stops the program before anything is registered, with
    every problem named by its stack key."""
    try:
        if stack.problems:
            stack.check()  # raises: keys that map onto nothing, with the Args' own problems
        return _component(stack)
    except ArgsError as exc:
        raise pulumi.RunError(str(stack.error(exc.problems, exc.structural))) from None
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def _component(stack: StackArgs) -> KurlLoadBalancer[Any, Any]:
    """The component of the stack's cloud, importing only that cloud's SDK."""
    args: Any = stack.args
    if stack.cloud == "aws":
        from .aws import AwsKurlNlb

        return AwsKurlNlb(stack.name, args)
    if stack.cloud == "azure":
        from .azure import AzureKurlLb

        return AzureKurlLb(stack.name, args)
    from .gcp import GcpKurlLb

    return GcpKurlLb(stack.name, args)
