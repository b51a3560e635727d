"""How an option is declared once: a field of a component's Args TypedDict, with its type
(plain, or `pulumi.Input` where another resource's output may arrive), its description (the
docstring under it) and, in `Annotated` metadata, an `Opt`: default, checked type and allowed
form. From that one declaration come the Args type, the package schema (the SDK reads the
annotations and docstrings), the pydantic model that checks values, the stack config keys and
docs/config.md.

`@declared` keeps the full annotations for the checks and leaves the SDK's schema analyzer the
plain ones (it does not read `Annotated`).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import re
import textwrap
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, NotRequired, Required, TypeVar, Union

import pulumi
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

from .problems import Loc, one_of
from .scalars import Scalar

REQUIRED: Any = object()  # an Opt default that says "no default"
# The argument that names secret arguments (every Args type has it).
SECRET_ARGS = "secret_args"
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
"""The checked type of every integer field (see `_integer`)."""


@dataclass(frozen=True)
class Opt:
    """What an Args field's type and docstring cannot say.

    `check`: the type values are checked as (e.g. `VpcId`, `list[SubnetId]`), when it is more
    than the declared one; `form` replaces the allowed form derived from it, `example` is added
    to it; `ge`/`le`/`min_length` bound it; `choices` lists the values a string may take;
    `each` changes the fields of the record (or of each record of the list) this field holds:
    an Opt per field, or None for a field the record type has that this component refuses.
    """

    default: Any = REQUIRED
    check: Any = None
    form: str | None = None
    example: str | None = None
    ge: int | None = None
    le: int | None = None
    min_length: int | None = None
    choices: tuple[str, ...] | None = None
    each: tuple[tuple[str, Opt | None], ...] = ()


def moved(annotation: Any) -> Any:
    """An Args field's type for the address move record (`address_move`): the same checked
    type and allowed form, and no default: a field the move leaves out is the current front
    end's. Write `NotRequired[moved(Scheme)]` where the Args field is `Scheme`."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation
    inner, *meta = typing.get_args(annotation)
    meta = [dataclasses.replace(m, default=REQUIRED) if isinstance(m, Opt) else m for m in meta]
    return Annotated[inner, *meta]


def each(**changes: Opt | None) -> tuple[tuple[str, Opt | None], ...]:
    """`Opt.each` from keyword arguments: `each(interval_seconds=Opt(10, ge=5, le=300))`."""
    return tuple(sorted(changes.items()))


@dataclass(frozen=True)
class Spec:
    """One declared field, as the checks, the stack table and the docs read it."""

    name: str  # snake_case, as the Args type
    key: str  # camelCase, as the schema, messages and stack config
    declared: Any  # the annotation other programs see (Annotated and NotRequired removed)
    required: bool
    opt: Opt
    owner: type  # the TypedDict that declares it
    record: type | None  # the record TypedDict this field holds (or a list of), if any

    @property
    def doc(self) -> str:
        """The docstring under the field (read from source only when docs or the schema ask:
        checking a component never needs it)."""
        return docstrings(self.owner).get(self.name, "")

    @property
    def is_input(self) -> bool:
        return is_input(self.declared)

    @property
    def is_list(self) -> bool:
        return typing.get_origin(self.declared) is list

    @property
    def default(self) -> Any:
        return self.opt.default if self.opt.default is not REQUIRED else None


_T = TypeVar("_T")


def declared(cls: type[_T]) -> type[_T]:
    """Mark an Args or record TypedDict as a declaration (see the module docstring)."""
    full = dict(inspect.get_annotations(cls))
    cls.__kurl_declared__ = full  # type: ignore[attr-defined]
    cls.__annotations__ = {k: _plain(a) for k, a in full.items()}
    if cls.__doc__:
        # A class docstring is the schema's description: one line, no source indentation.
        cls.__doc__ = " ".join(cls.__doc__.split())
    return cls


def _plain(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (NotRequired, Required):
        return origin[_plain(typing.get_args(annotation)[0])]
    if origin is Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def is_input(annotation: Any) -> bool:
    """Whether an annotation is `pulumi.Input[...]`: a Union with an Output in it (which
    pulumi.Input names by a forward reference)."""
    return any(
        a is pulumi.Output
        or typing.get_origin(a) is pulumi.Output
        or (isinstance(a, typing.ForwardRef) and a.__forward_arg__.startswith("Output"))
        for a in typing.get_args(annotation)
    )


def unwrap_input(annotation: Any) -> Any:
    """`T` of `pulumi.Input[T]`, or the annotation itself."""
    return typing.get_args(annotation)[0] if is_input(annotation) else annotation


@functools.cache
def specs(cls: type) -> dict[str, Spec]:
    """The declared fields of an Args or record TypedDict, by snake_case name."""
    full: dict[str, Any] = getattr(cls, "__kurl_declared__", None) or {}
    if not full:
        raise TypeError(f"{cls.__name__} is not @declared")
    out: dict[str, Spec] = {}
    for name, annotation in full.items():
        inner = annotation
        while typing.get_origin(inner) in (NotRequired, Required):
            inner = typing.get_args(inner)[0]
        opt = Opt()
        if typing.get_origin(inner) is Annotated:
            inner, *meta = typing.get_args(inner)
            opt = next((m for m in meta if isinstance(m, Opt)), opt)
        value = unwrap_input(inner)
        if typing.get_origin(value) is list:
            value = unwrap_input(typing.get_args(value)[0])
        record = value if typing.is_typeddict(value) else None
        out[name] = Spec(
            name=name,
            key=to_camel(name),
            declared=inner,
            required=name in cls.__required_keys__,  # type: ignore[attr-defined]
            opt=opt,
            owner=cls,
            record=record,
        )
    return out


@functools.cache
def docstrings(cls: type) -> dict[str, str]:
    """The docstring under each field of `cls`, read from its source as the SDK does."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out: dict[str, str] = {}
    for node, after in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            out[node.target.id] = " ".join(after.value.value.split())
    return out


# --- the checked type of each field ------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        validate_default=True,  # a record's default ({}) gets its fields' defaults
    )


def checked_type(spec: Spec) -> Any:
    """The type a known value of `spec` is checked as, constraints included."""
    opt = spec.opt
    if spec.record is not None:
        inner: Any = model(spec.record, opt.each)
        base: Any = list[inner] if spec.is_list else inner
    elif opt.check is not None:
        base = opt.check
    elif opt.choices is not None:
        base = Literal[opt.choices]
    else:
        base = _value_type(spec.declared)
    if spec.default is None and not spec.required:
        base = base | None
    return base


def _value_type(annotation: Any) -> Any:
    value = unwrap_input(annotation)
    origin = typing.get_origin(value)
    if origin is list:
        return list[_value_type(typing.get_args(value)[0])]  # type: ignore[misc]
    if value is int:
        return Int
    return value


def _field(spec: Spec) -> Any:
    opt = spec.opt
    bounds = {
        k: v
        for k, v in (("ge", opt.ge), ("le", opt.le), ("min_length", opt.min_length))
        if v is not None
    }
    default = opt.default if opt.default is not REQUIRED else ... if spec.required else None
    field: Any = Field
    if isinstance(default, (dict, list)):
        value = default
        return field(default_factory=lambda: type(value)(value), **bounds)
    return field(default, **bounds)


@functools.cache
def model(cls: type, each: tuple[tuple[str, Opt | None], ...] = ()) -> type[BaseModel]:
    """The pydantic model that checks known values of the TypedDict `cls` (camelCase keys),
    with `each`'s changes (see Opt.each)."""
    changes = dict(each)
    # Fields refused by this component (unknown keys here) and secret_args (no value to check)
    # are left out; the others take this component's Opt where `each` gives one.
    kept = {
        name: dataclasses.replace(spec, opt=changes.get(name) or spec.opt)
        for name, spec in specs(cls).items()
        if not ((name in changes and changes[name] is None) or name == SECRET_ARGS)
    }
    fields: dict[str, Any] = {name: (checked_type(s), _field(s)) for name, s in kept.items()}
    suffix = "".join(f"_{k}" for k, _ in each)
    built: type[BaseModel] = create_model(f"{cls.__name__}{suffix}", __base__=_Model, **fields)
    built.__kurl_specs__ = kept  # type: ignore[attr-defined]
    return built


def model_specs(m: type[BaseModel]) -> dict[str, Spec]:
    """The fields of a model `model` built, as declared (with its Opt.each changes)."""
    specs: dict[str, Spec] = getattr(m, "__kurl_specs__")  # noqa: B009 (set by `model`)
    return specs


def record_specs(spec: Spec) -> dict[str, Spec]:
    """The fields a record field's records take on this component (Opt.each applied)."""
    assert spec.record is not None
    return model_specs(model(spec.record, spec.opt.each))


# --- allowed forms ------------------------------------------------------------------------------


def form_of(spec: Spec) -> str:
    """A field's allowed form: given with `form=`, or derived from its checked type."""
    opt = spec.opt
    if opt.form is not None:
        return opt.form
    if opt.choices is not None:
        form = one_of(list(opt.choices))
    elif spec.record is not None:
        form = "list of objects" if spec.is_list else "object"
    else:
        base = opt.check if opt.check is not None else _value_type(spec.declared)
        form = _derived_form(base, bounds=(opt.ge, opt.le))
    # A scalar's form may already carry its own example: the field's replaces it.
    if opt.example:
        return f"{form.split(', e.g. ')[0]}, e.g. {opt.example}"
    return form


def _derived_form(
    annotation: Any, plural: bool = False, bounds: tuple[Any, Any] = (None, None)
) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        scalar = next((m for m in args[1:] if isinstance(m, Scalar)), None)
        if scalar is not None:
            return scalar.plural if plural else scalar.form
        return _derived_form(args[0], plural, bounds)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _derived_form(inner, plural, bounds)
    if origin is list:
        return "list of " + _derived_form(args[0], plural=True)
    if origin is dict and args == (str, str):
        return "map of string to string"
    if origin is Literal:
        return one_of([str(a) for a in args])
    if annotation is bool:
        return "true or false"
    if annotation is int:
        low, high = bounds
        return "integer" if low is None or high is None else f"integer {low}-{high}"
    if annotation is str:
        return "string"
    raise TypeError(f"no allowed form can be derived from {annotation!r}; give form=")


# --- rules across fields ------------------------------------------------------------------------

A = TypeVar("A")


@dataclass(frozen=True)
class Subject(Generic[A]):
    """What a rule checks: a component's name, its Args view (defaults filled in, values
    normalized; outputs not resolved yet stand as `Unknown`) and its declaration."""

    name: str
    args: A
    decl: Declaration
    given: frozenset[Loc] = frozenset()  # where the user gave a value (not a default)


@dataclass(frozen=True)
class Rule:
    """A check across fields, yielding `Problem`s."""

    description: str  # one Markdown line; docs/config.md lists it
    check: Callable[[Subject[Any]], Iterator[Any]]

    @property
    def name(self) -> str:
        return self.check.__name__


def rule(description: str) -> Callable[[Callable[[Subject[A]], Iterator[Any]]], Rule]:
    """Make a rule of a check function (each module lists its rules in a tuple)."""

    def make(check: Callable[[Subject[A]], Iterator[Any]]) -> Rule:
        return Rule(" ".join(description.split()), check)

    return make


@dataclass(frozen=True)
class Declaration:
    """A component's declaration: its Args type, its rules and what messages and docs say of it."""

    cloud: Literal["aws", "azure", "gcp"]
    component: str  # AwsKurlNlb
    args: type
    rules: tuple[Rule, ...]  # shared ones first, in the order problems are reported
    title: str  # AWS
    public_lb: str  # "a public NLB": "is required for <public_lb>"
    # Keys (camelCase) naming the machine behind the LB for a primary, normalized as the cloud
    # compares them; no two primaries may share one.
    targets: Callable[[Subject[Any], Any], dict[str, str | None]]
    clients_hint: str = ""  # who else allowedClientCidrs must list on this cloud
    # Whether an internal LB has default clients without allowedClientCidrs (the component
    # looks them up: AWS the VPC's CIDR, GCP the subnetwork's range); else the list is required.
    internal_clients_defaulted: bool = False
    # Keys (camelCase) other clouds have that this one refuses, each with why: reported with
    # that reason instead of "unknown key" (Azure: `publicFrontEnd`), in the stack's cloud
    # section or at the top level, and among the component's Args.
    refused: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def specs(self) -> dict[str, Spec]:
        return specs(self.args)

    @property
    def model(self) -> type[BaseModel]:
        return model(self.args)
