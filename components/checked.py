"""Args checked once, where the component is built: known values before anything registers,
outputs when they resolve.

The Args are checked by the pydantic model and the rules their declaration gives
(components/declare.py, components/args/). A value that is an output is not known yet: it
stands as an `Unknown` where the checks read it. Pydantic errors at an unknown value are
dropped; a rule that touches one raises `Unresolved` (or fails on the stand-in) and is deferred.
When an output resolves, its value is checked with the other known values, and the input it
feeds fails on a problem; rules left deferred run once every output has resolved, and in an
update the registrations wait for them (`ArgsCheck.gate`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, NoReturn, TypeVar, cast

import pulumi
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from .args.common import PAIR, PAIR_KEY, other_front_ends
from .declare import (
    SECRET_ARGS,
    Declaration,
    Spec,
    Subject,
    form_of,
    model,
    model_specs,
    record_specs,
    specs,
)
from .problems import ArgsError, Loc, Problem, shown, within
from .scalars import ResourcePrefix, Scalar

SECRET_SHOWN = "[secret]"
T = TypeVar("T")
A = TypeVar("A")


class Unresolved(Exception):
    """A rule read a value that is not known yet."""


class Unknown:
    """Stands for an output where the checks read it. It is "given" (not None, truthy);
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


def _pending(value: Any) -> bool:
    """Whether `value` holds an Unknown or an output (not known yet)."""
    return any(isinstance(v, Unknown) or is_output(v) for v in _leaves(value))


# --- the Args' shape, before their values ---------------------------------------------------------


def _shape_problems(
    args: Mapping[str, Any], fields: Mapping[str, Spec], type_name: str, where: Loc
) -> Iterator[Problem]:
    """Keys the Args type does not have, and outputs where a plain value must be: what
    decides which resources exist (and so their names) is known when the component is built."""
    for key, value in args.items():
        loc = (*where, to_camel(str(key)))
        spec = fields.get(key) if isinstance(key, str) else None
        if spec is None:
            allowed = ", ".join(s.name for s in fields.values())
            yield Problem(loc, f"is not an argument of {type_name}; allowed: {allowed}")
            continue
        if spec.is_input or not is_output(value):
            if spec.record is not None:
                records = value if isinstance(value, (list, tuple)) else [value]
                for i, r in enumerate(records):
                    if isinstance(r, Mapping):
                        at = (*loc, i) if spec.is_list else loc
                        yield from _shape_problems(r, record_specs(spec), spec.record.__name__, at)
            continue
        if spec.is_list:
            yield Problem(
                loc,
                "is an output; give a list (how many items it has decides the resources), "
                "whose items may be outputs",
            )
        else:
            yield Problem(
                loc,
                "is an output, but it decides which resources exist, so it must be a plain "
                "value known when the component is built (name it in secretArgs to keep it "
                "secret)",
            )


def _whole_numbers(args: Mapping[str, Any], fields: Mapping[str, Spec]) -> dict[str, Any]:
    """`args` with integral floats as ints where the Args type says int: other languages'
    programs reach a component package over the wire, where every number is a float, and the
    SDK's provider host does not turn every one of them back (pulumi 3.272: `port: 6443`
    arrives as 6443.0). 6443.5 stays a float, refused by the check."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        spec = fields.get(key)
        if spec is not None and spec.declared is int and isinstance(value, float):
            value = int(value) if value.is_integer() else value
        elif spec is not None and spec.record is not None:
            inner = record_specs(spec)
            if isinstance(value, Mapping):
                value = _whole_numbers(value, inner)
            elif isinstance(value, (list, tuple)):
                value = [_whole_numbers(r, inner) if isinstance(r, Mapping) else r for r in value]
        out[key] = value
    return out


# --- laying the Args out for the checks -----------------------------------------------------------


def _leaf(value: Any, loc: Loc, outputs: dict[Loc, Any], *, records: bool = False) -> Any:
    """`value` with outputs replaced by Unknown. Lists and, with `records`, records (a
    primary, a health check) are walked; any other value holding an output (tags) is one
    unknown."""
    if isinstance(value, (list, tuple)):
        return [_leaf(v, (*loc, i), outputs, records=records) for i, v in enumerate(value)]
    if records and isinstance(value, Mapping) and not is_output(value):
        # A record in a record (addressMove.dnsRecord, publicFrontEnd.dnsRecord) is walked too.
        return {
            to_camel(k): _leaf(v, (*loc, to_camel(k)), outputs, records=isinstance(v, Mapping))
            for k, v in value.items()
        }
    if has_output(value):
        outputs[loc] = value
        return Unknown(loc)
    return value


def _given(data: Mapping[str, Any]) -> frozenset[Loc]:
    """Where the user gave a value: each argument, and each field of a record."""
    out: set[Loc] = set()
    for key, value in data.items():
        out.add((key,))
        records = value if isinstance(value, list) else [value]
        for i, r in enumerate(records):
            if isinstance(r, Mapping):
                at: Loc = (key, i) if isinstance(value, list) else (key,)
                out.update((*at, k) for k in r)
    return frozenset(out)


@functools.cache
def _adapter(info: FieldInfo) -> TypeAdapter[Any]:
    annotation: Any = info.annotation
    if info.metadata:
        annotation = typing.Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


def _nested(info: FieldInfo) -> type[BaseModel] | None:
    annotation = info.annotation
    for arg in (annotation, *typing.get_args(annotation)):
        inner = typing.get_args(arg)[0] if typing.get_origin(arg) is list else arg
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def view_of(m: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The Args view (snake_case keys, defaults filled in) of `data` (camelCase), whose known
    values pydantic passed already: each known value normalized as pydantic validates it,
    pending ones (Unknowns, outputs) left in place, records walked."""
    out: dict[str, Any] = {}
    for name, info in m.model_fields.items():
        key = info.alias or name
        nested = _nested(info)
        if key not in data:
            default = info.get_default(call_default_factory=True)
            out[name] = _dump(_adapter(info).validate_python(default)) if nested else default
            continue
        value = data[key]
        if not _pending(value):
            out[name] = _dump(_adapter(info).validate_python(value))
        elif nested is not None and isinstance(value, Mapping):
            out[name] = view_of(nested, value)
        elif nested is not None and isinstance(value, list):
            out[name] = [_record_view(nested, v) for v in value]
        else:
            out[name] = value
    return out


def _record_view(m: type[BaseModel], value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return view_of(m, value) if _pending(value) else m.model_validate(value).model_dump()


def _structural(m: type[BaseModel], err: Any) -> Problem:
    """A pydantic error as a problem: the key path, the bad value, the allowed form."""
    loc: Loc = _clean(err["loc"])
    spec = _spec_at(m, loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _owner_at(m, loc)
        allowed = ", ".join(s.key for s in model_specs(owner).values())
        return Problem(loc, f"unknown key; allowed here: {allowed}")
    form = form_of(spec) if spec is not None else ""
    allowed = f"; allowed: {form}" if form else ""
    if kind == "missing":
        return Problem(loc, f"is required{allowed}", missing=True)
    value = shown(err.get("input"))
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return Problem(loc, f"{value} {msg}{allowed}")
    return Problem(loc, f"{value} is invalid: {msg}{allowed}")


def _owner_at(m: type[BaseModel], loc: Loc) -> type[BaseModel]:
    owner = m
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = next((i for n, i in owner.model_fields.items() if part in (i.alias, n)), None)
        nested = _nested(info) if info is not None else None
        if nested is None:
            break
        owner = nested
    return owner


def _spec_at(m: type[BaseModel], loc: Loc) -> Spec | None:
    """The field the last key of `loc` names, or the deepest one it is inside (`tags.team`
    is inside `tags`)."""
    owner: type[BaseModel] | None = m
    found = None
    for part in loc:
        if isinstance(part, int):
            continue
        spec = (
            next((s for s in model_specs(owner).values() if s.key == part), None) if owner else None
        )
        if spec is None:
            break
        found = spec
        owner = model(spec.record, spec.opt.each) if spec.record is not None else None
    return found


def _clean(loc: Sequence[Any]) -> Loc:
    # Errors raised inside a nested validator carry the function name in loc; drop it.
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))


def _under(loc: Sequence[Any], unknown: Loc) -> bool:
    return tuple(loc[: len(unknown)]) == unknown


def _unknown_locs(tree: Any) -> list[Loc]:
    return [v.loc for v in _leaves(tree) if isinstance(v, Unknown)]


def _replace(tree: Any, values: Mapping[Loc, Any]) -> Any:
    if isinstance(tree, Unknown):
        return values.get(tree.loc, tree)
    if isinstance(tree, Mapping):
        return {k: _replace(v, values) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_replace(v, values) for v in tree]
    return tree


def _texts(value: Any) -> Iterator[str]:
    """How messages would show `value` and each value inside it."""
    return (shown(v) for v in _leaves(value) if v is not None and not _pending(v))


def _name_problems(name: str) -> list[Problem]:
    """The component's name is the prefix of every resource name it derives."""
    scalar = next(m for m in typing.get_args(ResourcePrefix) if isinstance(m, Scalar))
    try:
        TypeAdapter(ResourcePrefix).validate_python(name)
    except ValidationError as exc:
        msg = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        return [Problem(("name",), f"{shown(name)} {msg}; allowed: {scalar.form}")]
    return []


def _others(subject: Subject[Any]) -> list[tuple[str, Subject[Any], frozenset[str]]]:
    """The Args as each other front end sees them (an address move's, the public one), by the
    argument that adds it, with the keys (camelCase) that argument decides for it: those the
    move gives; every field the public front end's record declares, given or defaulted (its
    record overlays them all). Every rule checks them too, so each front end is as valid as
    the current one."""
    out = []
    for key, args in other_front_ends(subject.args):
        given = {loc[1:] for loc in subject.given if loc[:1] == (key,) and len(loc) > 1}
        keys = {str(loc[1]) for loc in subject.given if len(loc) == 2 and loc[0] == key}
        if key == PAIR_KEY:
            keys |= {to_camel(field) for field in subject.args[PAIR]}
        other = Subject(subject.name, args, subject.decl, subject.given | given)
        out.append((key, other, frozenset(keys)))
    return out


def _relocated(
    found: list[Problem], problems: list[Problem], key: str, keys: frozenset[str]
) -> list[Problem]:
    """Problems of another front end's Args not found already, named where the value comes
    from: in `key` (addressMove, publicFrontEnd) for a field in `keys`, else the field itself,
    saying it is that front end's problem."""
    seen = {(p.loc, p.message) for p in found}
    out = []
    for p in problems:
        if (p.loc, p.message) in seen:
            continue
        # A key the message names is that front end's too when `key` decides it.
        p = dataclasses.replace(p, message=within(p.message, key, keys))
        if p.loc and p.loc[0] in keys:
            out.append(dataclasses.replace(p, loc=(key, *p.loc)))
        else:
            out.append(
                dataclasses.replace(p, message=f"{p.message} (for the front end {key} adds)")
            )
    return out


class ArgsCheck(Generic[A]):
    """The checks of one component's Args; see the module docstring."""

    def __init__(self, decl: Declaration, name: str, args: Mapping[str, Any]) -> None:
        self.decl = decl
        self.name = name
        self.model = model(decl.args)
        self.outputs: dict[Loc, Any] = {}  # loc -> the user's output
        self.secrets: set[str] = {to_camel(str(k)) for k in args.get(SECRET_ARGS) or []}
        fields = specs(decl.args)
        data: dict[str, Any] = {}
        for key, value in args.items():
            if key == SECRET_ARGS:
                continue
            record = fields[key].record is not None
            data[to_camel(key)] = _leaf(value, (to_camel(key),), self.outputs, records=record)
        self.data = data
        self.given = _given(data)
        self._complete: pulumi.Output[None] | None = None
        # Values messages never show: those of secret arguments, and secret outputs.
        self._hidden: set[str] = set()
        for arg in self.secrets:
            if arg in data:
                self._hidden.update(_texts(data[arg]))
        self.view, self.deferred = self._check(data)

    # --- the checks ---------------------------------------------------------------------------

    def _check(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """The Args view of `data` (Unknowns left in place) and the rules deferred on them;
        raises on any problem of the known values."""
        unknown = _unknown_locs(data)
        problems = _name_problems(self.name)
        try:
            validated = self.model.model_validate(data)
        except ValidationError as exc:
            problems += [
                _structural(self.model, e)
                for e in exc.errors(include_url=False)
                if not any(_under(_clean(e["loc"]), u) for u in unknown)
            ]
            if problems or not unknown:
                self._fail(problems, structural=True)
            view = view_of(self.model, data)
        else:
            if problems:
                self._fail(problems, structural=True)
            view = validated.model_dump()
        subject = Subject(self.name, view, self.decl, self.given)
        others = _others(subject)
        deferred = []
        for rule in self.decl.rules:
            try:
                found = list(rule.check(subject))
                for key, other, keys in others:
                    found += _relocated(found, list(rule.check(other)), key, keys)
                problems += found
            except Exception:
                if not unknown:
                    raise
                deferred.append(rule)  # it read an unknown value: run it when they resolve
        if problems:
            self._fail(problems)
        return view, deferred

    def _fail(self, problems: Sequence[Problem], structural: bool = False) -> NoReturn:
        hidden = [dataclasses.replace(p, message=self._hide(p.message)) for p in problems]
        raise ArgsError(self.decl.component, self.name, hidden, structural)

    def _hide(self, message: str) -> str:
        for text in sorted(self._hidden, key=len, reverse=True):
            message = message.replace(text, SECRET_SHOWN)
        return message

    def _resolved(self, values: Mapping[Loc, Any]) -> None:
        """Check the Args with `values` (loc -> resolved value) in place."""
        self._check(_replace(self.data, values))

    # --- what the component passes on --------------------------------------------------------

    def checked(self, loc: Loc) -> pulumi.Output[Any]:
        """The user's output at `loc`, checked when it resolves."""
        output = pulumi.Output.from_input(self.outputs[loc])

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
            locs = list(self.outputs)
            outputs = [pulumi.Output.from_input(self.outputs[loc]) for loc in locs]

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

    def build_view(self) -> A:
        """The Args view components read: known values checked and normalized, defaults filled
        in, the user's outputs (checked when they resolve) where they were. Only the component
        reads it, knowing which fields may hold an output (the Input fields of its Args)."""
        if not self.outputs:
            return cast(A, self.view)
        values = {loc: self.checked(loc) for loc in self.outputs}
        return cast(A, view_of(self.model, _replace(self.data, values)))


def _is_secret(output: pulumi.Output[Any]) -> pulumi.Output[bool]:
    return pulumi.Output.from_input(output.is_secret())


def check_args(decl: Declaration, name: str, args: Mapping[str, Any]) -> ArgsCheck[Any]:
    """Check `args` of `decl`'s component named `name`; raises ArgsError on a problem of the
    known values."""
    if not isinstance(args, Mapping):
        raise TypeError(f"args must be a dict (an Args TypedDict), not {type(args).__name__}")
    fields = specs(decl.args)
    args = _whole_numbers(args, fields)
    problems = [
        dataclasses.replace(p, message=decl.refused[str(p.loc[0])])
        if len(p.loc) == 1 and str(p.loc[0]) in decl.refused
        else p
        for p in _shape_problems(args, fields, decl.args.__name__, ())
    ]
    if problems:
        raise ArgsError(decl.component, name, problems, structural=True)
    return ArgsCheck(decl, name, args)
