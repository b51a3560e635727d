"""Args checked against the stack config models: known values when the component is built,
outputs when they resolve.

An Args dict is laid out as a stack config (`aws.vpcId`, `primaries[0].address`) and checked by
the same models and rules, so a component and a stack report the same problems. A value that is
an output is not known yet: it stands as an `Unknown` in the config. Pydantic errors at an
unknown value are dropped; a rule that touches one raises `Unresolved` (or fails on the
stand-in) and is deferred. When an output resolves, its value is checked in the config with the
other known values, and the input it feeds fails on a problem; rules left deferred run once every
output has resolved, and in an update the registrations wait for them (`ArgsCheck.gate`).
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn, TypeVar

import pulumi
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from .args import (
    AwsKurlNlbArgs,
    AwsPrimaryArgs,
    AzureKurlLbArgs,
    AzurePrimaryArgs,
    GcpKurlLbArgs,
    GcpPrimaryArgs,
    HealthCheckArgs,
)
from .config import STACK_MODELS, ConfigError, Problem, Rule, rules_for
from .config.core import NAMESPACE, _structural_problem, nested_models, shown

SECRET_SHOWN = "[secret]"
T = TypeVar("T")

Loc = tuple[str | int, ...]

# Args fields that are provider settings in a stack config (what the rules check against).
PROVIDER_FIELDS: dict[str, dict[str, str]] = {
    "aws": {"region": "aws:region"},
    "azure": {"location": "azure-native:location", "subscription_id": "azure:subscriptionId"},
    "gcp": {"region": "gcp:region", "project": "gcp:project"},
}
SECRET_ARGS = "secret_args"
# Args defaults that stack config has no default for (a stack always says its scheme).
ARGS_DEFAULTS: dict[str, dict[str, Any]] = {"azure": {"scheme": "public"}}


class Unresolved(Exception):
    """A rule read a value that is not known yet."""


class Unknown:
    """Stands for an output in the config the rules read. It is "given" (not None, truthy);
    anything else a rule does with it raises Unresolved, so the rule is deferred."""

    def __init__(self, loc: Loc) -> None:
        self.loc = loc

    def __repr__(self) -> str:
        return f"<unknown {self.loc}>"

    def __bool__(self) -> bool:
        return True

    def _unresolved(self, *_: Any, **__: Any) -> NoReturn:
        raise Unresolved(self.loc)

    __str__ = __format__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _unresolved
    __hash__ = __len__ = __iter__ = __contains__ = __getitem__ = _unresolved
    __add__ = __radd__ = __int__ = __index__ = _unresolved

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unresolved(self.loc)


def is_output(value: Any) -> bool:
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def _leaves(value: Any) -> Iterator[Any]:
    """`value` and everything inside its dicts and lists."""
    yield value
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)


def has_output(value: Any) -> bool:
    """Whether `value` is an output or holds one (in a dict or list)."""
    return any(is_output(v) for v in _leaves(value))


def map_input(value: Any, fn: Callable[[Any], T]) -> pulumi.Input[T]:
    """`fn(value)`, or an output of it when `value` holds an output: what a component does
    with an Input argument that may be either."""
    if has_output(value):
        return pulumi.Output.from_input(value).apply(fn)
    return fn(value)


@dataclass
class ArgsConfig:
    """An Args dict laid out as a stack config, with Unknown where outputs are."""

    cloud: str
    data: dict[str, Any]
    provider: dict[str, Any]
    secrets: set[str]  # Args names (camelCase) whose values are secrets
    outputs: dict[Loc, Any] = field(default_factory=dict)  # config loc -> the user's output
    arg_locs: dict[str, Loc] = field(default_factory=dict)  # Args name -> its config loc


def _leaf(value: Any, loc: Loc, outputs: dict[Loc, Any], *, records: bool = False) -> Any:
    """`value` with outputs replaced by Unknown. Lists and, with `records`, records (a
    primary, a health check) are walked; any other value holding an output (tags) is one
    unknown."""
    if isinstance(value, (list, tuple)):
        return [_leaf(v, (*loc, i), outputs, records=records) for i, v in enumerate(value)]
    if records and isinstance(value, Mapping) and not is_output(value):
        return {k: _leaf(v, (*loc, k), outputs) for k, v in value.items()}
    if has_output(value):
        outputs[loc] = value
        return Unknown(loc)
    return value


def _record(value: Any) -> Any:
    """A record's (primary's, health check's) snake_case keys as the config's camelCase."""
    if isinstance(value, Mapping):
        return {to_camel(k) if isinstance(k, str) else k: v for k, v in value.items()}
    return value


ARGS_TYPES: dict[str, Any] = {"aws": AwsKurlNlbArgs, "azure": AzureKurlLbArgs, "gcp": GcpKurlLbArgs}
RECORDS: dict[str, dict[str, Any]] = {
    "aws": {"primaries": AwsPrimaryArgs, "health_check": HealthCheckArgs},
    "azure": {"primaries": AzurePrimaryArgs, "health_check": HealthCheckArgs},
    "gcp": {"primaries": GcpPrimaryArgs, "health_check": HealthCheckArgs},
}


def _is_input(annotation: Any) -> bool:
    """Whether an Args annotation is `pulumi.Input[...]`: a Union with an Output in it (which
    pulumi.Input names by a forward reference)."""
    return any(
        a is pulumi.Output
        or typing.get_origin(a) is pulumi.Output
        or (isinstance(a, typing.ForwardRef) and a.__forward_arg__.startswith("Output"))
        for a in typing.get_args(annotation)
    )


def _hints(args_type: Any) -> dict[str, Any]:
    """An Args TypedDict's fields and their annotations, NotRequired unwrapped."""
    return {
        key: typing.get_args(a)[0] if typing.get_origin(a) is typing.NotRequired else a
        for key, a in args_type.__annotations__.items()
    }


def _shape_problems(args: Mapping[str, Any], args_type: Any, path: str) -> Iterator[Problem]:
    """Keys the Args type does not have, and outputs where a plain value must be: what
    decides which resources exist (and so their names) is known when the component is built."""
    hints = _hints(args_type)
    for key, value in args.items():
        where = f"{path}{to_camel(str(key))}"
        if key not in hints:
            allowed = ", ".join(hints)
            yield Problem(where, f"is not an argument of {args_type.__name__}; allowed: {allowed}")
            continue
        annotation = hints[key]
        if _is_input(annotation) or not is_output(value):
            continue
        if typing.get_origin(annotation) is list:
            yield Problem(
                where,
                "is an output; give a list (how many items it has decides the resources), "
                "whose items may be outputs",
            )
        else:
            yield Problem(
                where,
                "is an output, but it decides which resources exist, so it must be a plain "
                "value known when the component is built (name it in secretArgs to keep it "
                "secret)",
            )


def _whole_numbers(args: Mapping[str, Any], args_type: Any) -> dict[str, Any]:
    """`args` with integral floats as ints where the Args type says int: other languages'
    programs reach a component package over the wire, where every number is a float, and the
    SDK's provider host does not turn every one of them back (pulumi 3.272: `port: 6443`
    arrives as 6443.0). 6443.5 stays a float, refused by the check."""
    hints = _hints(args_type)
    return {
        k: int(v) if hints.get(k) is int and isinstance(v, float) and v.is_integer() else v
        for k, v in args.items()
    }


def with_whole_numbers(cloud: str, args: Mapping[str, Any]) -> dict[str, Any]:
    out = _whole_numbers(args, ARGS_TYPES[cloud])
    for key, record_type in RECORDS[cloud].items():
        value = out.get(key)
        if isinstance(value, Mapping):
            out[key] = _whole_numbers(value, record_type)
        elif isinstance(value, (list, tuple)):
            out[key] = [
                _whole_numbers(r, record_type) if isinstance(r, Mapping) else r for r in value
            ]
    return out


def args_problems(cloud: str, args: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with the shape of `args` before its values are checked."""
    problems = list(_shape_problems(args, ARGS_TYPES[cloud], ""))
    for key, record_type in RECORDS[cloud].items():
        value = args.get(key)
        records = value if isinstance(value, (list, tuple)) else [value]
        for i, record in enumerate(records):
            if isinstance(record, Mapping):
                where = to_camel(key) + (f"[{i}]." if isinstance(value, (list, tuple)) else ".")
                problems += _shape_problems(record, record_type, where)
    return problems


def args_config(cloud: str, name: str, args: Mapping[str, Any]) -> ArgsConfig:
    """Lay out `args` (an Args dict of `cloud`'s component named `name`) as a stack config."""
    model = STACK_MODELS[cloud]
    section = nested_models(model.model_fields[cloud].annotation)[0]
    provider_fields = PROVIDER_FIELDS[cloud]
    out = ArgsConfig(cloud, {"cloud": cloud, "name": name}, {}, set())
    settings: dict[str, Any] = {}
    for key, value in args.items():
        if key == SECRET_ARGS:
            out.secrets = {to_camel(str(k)) for k in value or []}
            continue
        camel = to_camel(key)
        if key in provider_fields:
            loc: Loc = (provider_fields[key],)
            out.provider[provider_fields[key]] = _leaf(value, loc, out.outputs)
            out.arg_locs[camel] = loc
        elif key in section.model_fields:
            settings[camel] = _leaf(value, (cloud, camel), out.outputs)
            out.arg_locs[camel] = (cloud, camel)
        elif key in RECORDS[cloud]:
            records = (
                [_record(r) for r in value] if isinstance(value, (list, tuple)) else _record(value)
            )
            out.data[camel] = _leaf(records, (camel,), out.outputs, records=True)
        else:
            out.data[camel] = _leaf(value, (camel,), out.outputs)
        out.arg_locs.setdefault(camel, (camel,))
    out.data[cloud] = settings
    for key, value in ARGS_DEFAULTS.get(cloud, {}).items():
        out.data.setdefault(key, value)
    return out


def _texts(value: Any) -> Iterator[str]:
    """How messages would show `value` and each value inside it."""
    return (shown(v) for v in _leaves(value) if v is not None and not isinstance(v, Unknown))


def construct(model: type[BaseModel], data: Mapping[str, Any]) -> Any:
    """`model` from `data` without validation (pydantic checked every known value already),
    nested records too; defaults fill what `data` leaves out."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in data:
            continue
        value = data[key]
        nested = nested_models(info.annotation)
        if not _pending(value):
            # Known whole: validated (pydantic passed it already) for its normalized form.
            value = _adapter(info).validate_python(value)
        elif nested and isinstance(value, Mapping):
            value = construct(nested[0], value)
        elif nested and isinstance(value, list):
            value = [construct(nested[0], v) if isinstance(v, Mapping) else v for v in value]
        values[name] = value
    return model.model_construct(_fields_set=set(values), **values)


@functools.cache
def _adapter(info: FieldInfo) -> TypeAdapter[Any]:
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


def _pending(value: Any) -> bool:
    """Whether `value` holds an Unknown or an output (not known yet)."""
    return any(isinstance(v, Unknown) or is_output(v) for v in _leaves(value))


def _under(loc: Sequence[Any], unknown: Loc) -> bool:
    return tuple(loc[: len(unknown)]) == unknown


class ArgsCheck:
    """The checks of one component's Args; see the module docstring."""

    def __init__(self, component: str, name: str, config: ArgsConfig) -> None:
        self.component = component
        self.name = name
        self.config = config
        self.model = STACK_MODELS[config.cloud]
        self._complete: pulumi.Output[None] | None = None
        # Values messages never show: those of secret arguments, and secret outputs.
        self._hidden: set[str] = set()
        for arg in config.secrets:
            if arg in config.arg_locs:
                self._hidden.update(
                    _texts(_at({**config.data, **config.provider}, config.arg_locs[arg]))
                )
        self.view, self.deferred = self._check(config.data, config.provider)

    # --- the checks ---------------------------------------------------------------------------

    def _check(self, data: dict[str, Any], provider: dict[str, Any]) -> tuple[Any, list[Rule]]:
        """The config model of `data` (Unknowns left in place) and the rules deferred on them;
        raises on any problem of the known values."""
        unknown = list(_unknown_locs(data, provider))
        try:
            cfg = self.model.model_validate(data)
        except ValidationError as exc:
            problems = [
                _structural_problem(self.model, e, self.config.cloud)
                for e in exc.errors(include_url=False)
                if not any(_under(_clean(e["loc"]), u) for u in unknown)
            ]
            if problems or not unknown:
                self._fail(problems)
            cfg = construct(self.model, data)
        cfg._provider = dict(provider)
        deferred: list[Rule] = []
        problems = []
        for rule in rules_for(self.model):
            try:
                problems += list(rule.check(cfg))
            except Exception:
                if not unknown:
                    raise
                deferred.append(rule)  # it read an unknown value: run it when they resolve
        if problems:
            self._fail(problems)
        return cfg, deferred

    def _fail(self, problems: Sequence[Problem]) -> NoReturn:
        translated = [
            Problem(self._args_words(p.path), self._args_words(self._hide(p.message)))
            for p in problems
        ]
        raise ArgsError(self.component, self.name, translated)

    def _args_words(self, text: str) -> str:
        """A stack config path or message in the Args' words: `kurl-lb:aws.targetType` is
        `targetType`, `gcp:region` is `region`, and no `pulumi config set` advice."""
        cloud = self.config.cloud
        text = re.sub(r" \(pulumi config set [^)]*\)|; e\.g\. pulumi config set .*$", "", text)
        text = text.replace(f"{NAMESPACE}:", "")
        for arg, key in PROVIDER_FIELDS[cloud].items():
            text = text.replace(key, to_camel(arg))
        section = nested_models(self.model.model_fields[cloud].annotation)[0]
        keys = "|".join(info.alias or name for name, info in section.model_fields.items())
        return re.sub(rf"\b{cloud}\.({keys})\b", r"\1", text)

    def _hide(self, message: str) -> str:
        for text in sorted(self._hidden, key=len, reverse=True):
            message = message.replace(text, SECRET_SHOWN)
        return message

    def _resolved(self, values: Mapping[Loc, Any]) -> None:
        """Check the config with `values` (config loc -> resolved value) in place."""
        data = _replace(self.config.data, values)
        provider = _replace(self.config.provider, values)
        self._check(data, provider)

    # --- what the component passes on --------------------------------------------------------

    def checked(self, loc: Loc) -> pulumi.Output[Any]:
        """The user's output at `loc`, checked when it resolves."""
        output = pulumi.Output.from_input(self.config.outputs[loc])

        def check(resolved: list[Any]) -> Any:
            value, secret = resolved
            if secret:
                self._hidden.update(_texts(value))
            self._resolved({loc: value})
            return value

        return pulumi.Output.all(output, _is_secret(output)).apply(check)

    @property
    def complete(self) -> pulumi.Output[None] | None:
        """Resolves when every output did and the deferred rules passed; None when no rule was
        deferred."""
        if not self.deferred:
            return None
        if self._complete is None:
            locs = list(self.config.outputs)

            outputs = [pulumi.Output.from_input(self.config.outputs[loc]) for loc in locs]

            def check(resolved: list[Any]) -> None:
                values, secrets = resolved[: len(locs)], resolved[len(locs) :]
                for value, secret in zip(values, secrets, strict=True):
                    if secret:
                        self._hidden.update(_texts(value))
                self._resolved(dict(zip(locs, values, strict=True)))

            self._complete = pulumi.Output.all(*outputs, *(_is_secret(o) for o in outputs)).apply(
                check
            )
        return self._complete

    def gate(self, value: pulumi.Input[Any]) -> pulumi.Input[Any]:
        """`value`, held until the deferred rules passed (registrations are gated on them).

        Only in an update. A preview passes `value` as it is: gated, a registration whose
        target is known would turn unknown whenever another primary's output is (a new
        instance), and a preview would plan that registration replaced. The check still runs
        in a preview when every output is known: the SDK awaits every output before the
        program ends, so a problem fails the preview."""
        complete = self.complete
        if complete is None or pulumi.runtime.is_dry_run():
            return value
        return pulumi.Output.all(value, complete).apply(lambda both: both[0])

    def build_view(self) -> Any:
        """The config model components read: known values validated, outputs (checked) in
        place of the unknowns. Only the component reads it, knowing which fields may hold an
        output (the Input fields of its Args)."""
        if not self.config.outputs:
            return self.view
        values = {loc: self.checked(loc) for loc in self.config.outputs}
        view = construct(self.model, _replace(self.config.data, values))
        view._provider = _replace(self.config.provider, values)
        return view


def _is_secret(output: pulumi.Output[Any]) -> pulumi.Output[bool]:
    return pulumi.Output.from_input(output.is_secret())


def _at(tree: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            tree = tree[part]
        except (KeyError, IndexError, TypeError):
            return None
    return tree


def _clean(loc: Sequence[Any]) -> Loc:
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))


def _unknown_locs(*trees: Any) -> Iterator[Loc]:
    for tree in trees:
        yield from (v.loc for v in _leaves(tree) if isinstance(v, Unknown))


def _replace(tree: Any, values: Mapping[Loc, Any]) -> Any:
    if isinstance(tree, Unknown):
        return values.get(tree.loc, tree)
    if isinstance(tree, Mapping):
        return {k: _replace(v, values) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_replace(v, values) for v in tree]
    return tree


class ArgsError(ConfigError):
    """Every problem of a component's Args, named by the Args' field paths."""

    def __init__(self, component: str, name: str, problems: Sequence[Problem]) -> None:
        self.component = component
        self.name = name
        super().__init__(problems, header=f'{component} "{name}": invalid arguments')


def check_args(component: str, cloud: str, name: str, args: Mapping[str, Any]) -> ArgsCheck:
    """Check `args` of the component `component` named `name`; raises ArgsError on a problem
    of the known values."""
    if not isinstance(args, Mapping):
        raise TypeError(f"args must be a dict (an Args TypedDict), not {type(args).__name__}")
    args = with_whole_numbers(cloud, args)
    problems = args_problems(cloud, args)
    if problems:
        raise ArgsError(component, name, problems)
    return ArgsCheck(component, name, args_config(cloud, name, args))
