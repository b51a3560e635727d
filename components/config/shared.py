"""What every cloud's stack config has: the top-level keys, a primary's name and state, the rules
that hold on every cloud, and the helpers cloud rules are written with."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import BaseModel, PrivateAttr

from .core import Int, Model, Problem, field, form_of, key_path, rule, shown
from .scalars import DnsLabel, IPv4Cidr, ResourcePrefix

STACK_TAG = "kurl-lb-stack"
Cloud = Literal["aws", "azure", "gcp"]
Loc = tuple[str | int, ...]

HAIRPIN = (
    "a primary reaching the API through the LB (hairpinning) must come back through it with a "
    "source address the LB accepts"
)


class Primary(Model):
    name: DnsLabel = field(
        example="primary-1", doc="Unique name; registrations are named after it."
    )
    registered: bool = field(
        False, doc="true once the primary has joined the cluster; only then it gets LB traffic."
    )

    def targets(self, stack: Stack) -> dict[str, str | None]:
        """Keys (camelCase) naming the machine behind the LB; no two primaries may share one.
        Values are normalized as the cloud compares them (`stack` gives provider settings)."""
        return {}


class Stack(Model):
    # Said by each cloud's stack model, for the shared rules and docs/config.md.
    TITLE: ClassVar[str] = ""
    PUBLIC_LB: ClassVar[str] = "a public load balancer"  # "is required for <PUBLIC_LB>"
    CLIENTS_HINT: ClassVar[str] = ""  # who else allowedClientCidrs must list on this cloud
    # Whether an internal LB has default clients without allowedClientCidrs (the component
    # looks them up: AWS the VPC's CIDR, GCP the subnetwork's range); else the list is required.
    INTERNAL_CLIENTS_DEFAULTED: ClassVar[bool] = False

    cloud: Cloud = field(doc="Which component the stack builds.")
    name: ResourcePrefix = field("kurl", doc="Prefix of every resource name.")
    scheme: Literal["internal", "public"] = field(doc="Internal or internet-facing load balancer.")
    port: Int = field(6443, ge=1, le=65535, doc="API port on LB and targets.")
    allowed_client_cidrs: list[IPv4Cidr] | None = field(
        None,
        example="[10.0.0.0/16, 203.0.113.7/32]",
        doc="Who may reach the API through the LB. A public AWS NLB also needs the primaries' "
        "public egress IPs (their NAT gateways' or their own) in `aws.hairpinSourceCidrs`: "
        "a primary reaching the NLB's public address (hairpinning) arrives from one of them. "
        "Internal GCP load balancers default it to the subnetwork's range, internal AWS NLBs "
        "to the VPC's CIDR.",
        min_length=1,
    )
    deletion_protection: bool = field(True, doc="Protect the LB front end from deletion.")
    tags: dict[str, str] = field(default_factory=dict, doc="Tags/labels on every resource.")
    # Provider settings the stack was validated against (aws:region, gcp:region, ...).
    _provider: dict[str, str] = PrivateAttr(default_factory=dict)
    # Keys (below kurl-lb:, e.g. "tags") the user stored as secrets.
    _secret_keys: set[str] = PrivateAttr(default_factory=set)

    def provider_setting(self, key: str) -> str | None:
        return self._provider.get(key)

    def is_secret(self, key: str) -> bool:
        """Whether the user stored `kurl-lb:<key>` as a secret (camelCase key)."""
        return key in self._secret_keys

    @property
    def primary_list(self) -> Sequence[Primary]:
        return self.primaries  # type: ignore[attr-defined]

    @property
    def registered(self) -> list[str]:
        return [p.name for p in self.primary_list if p.registered]

    @property
    def pending(self) -> list[str]:
        return [p.name for p in self.primary_list if not p.registered]


# --- helpers for rules --------------------------------------------------------------------------


def duplicates(values: Sequence[tuple[int, str | None]], key: str, why: str) -> Iterator[Problem]:
    """Primaries (index, value of `key`) whose value an earlier primary already has."""
    first: dict[str, int] = {}
    for i, value in values:
        if value is None:
            continue
        if value in first:
            yield Problem(
                key_path(["primaries", i, key]),
                f"{shown(value)} is also primaries[{first[value]}].{key}; {why}",
            )
        first.setdefault(value, i)


def _alias(model: BaseModel, name: str) -> str:
    return type(model).model_fields[name].alias or name


def by_mode(
    mode: Loc,
    current: str,
    owner: Loc,
    obj: BaseModel,
    used_in: Mapping[str, Sequence[str]],
    note: str = "",
) -> Iterator[Problem]:
    """Keys of `obj` (at `owner`) that one value of the `mode` key uses, and every other forbids.

    `used_in` maps each mode value to field names of `obj` used only then. In the `current` mode
    a used field without a value is required (unless it has a default); in any other mode, a
    given one is rejected, pointing at the mode that uses it and at what to give instead.
    """
    # "Required" names the mode the config is in by its key's name alone; "only used with"
    # names the key to change as written from `obj`: bare beside it or at the top, else in full.
    sibling = len(mode) == 1 or mode[:-1] == owner
    mode_key = str(mode[-1]) if sibling else ".".join(str(p) for p in mode)
    instead = [
        _alias(obj, n)
        for n in used_in.get(current, ())
        if type(obj).model_fields[n].default is None
    ]
    for value, names in used_in.items():
        for name in names:
            path = key_path([*owner, _alias(obj, name)])
            given = getattr(obj, name)
            if value == current and given is None:
                form = form_of(type(obj).model_fields[name])
                yield Problem(path, f"is required with {mode[-1]} {value}{note}; allowed: {form}")
            elif value != current and name in obj.model_fields_set and given is not None:
                hint = f"; give {' or '.join(instead)} instead" if instead else ""
                yield Problem(path, f"is only used with {mode_key} {value}{note}{hint}")


# --- rules on every cloud -----------------------------------------------------------------------


@rule(Stack, "`primaries`: names unique; at least one primary `registered: true`.")
def primaries_are_named_once_and_one_is_registered(cfg: Stack) -> Iterator[Problem]:
    yield from duplicates(
        [(i, p.name) for i, p in enumerate(cfg.primary_list)], "name", "names must be unique"
    )
    if not cfg.registered:
        yield Problem(
            key_path(["primaries"]),
            "no primary is registered; set registered: true on the first primary (the one "
            "kURL is installed on) so the LB has a target",
        )


@rule(
    Stack,
    "No two primaries name the same target (`address`, `instanceId`, `nicId`, `instance`): "
    "each primary is a different machine.",
)
def primaries_are_different_targets(cfg: Stack) -> Iterator[Problem]:
    targets = [p.targets(cfg) for p in cfg.primary_list]
    for key in dict.fromkeys(k for t in targets for k in t):
        values = [(i, t.get(key)) for i, t in enumerate(targets)]
        yield from duplicates(values, key, "each primary is a different target")


@rule(
    Stack,
    "`allowedClientCidrs` is required for public load balancers on every cloud: it is never "
    "silently `0.0.0.0/0`. Internal AWS NLBs default it to the VPC's CIDR, internal GCP load "
    "balancers to the subnetwork's range; Azure has no internal load balancer.",
)
def clients_are_listed_when_public(cfg: Stack) -> Iterator[Problem]:
    defaulted = cfg.scheme == "internal" and cfg.INTERNAL_CLIENTS_DEFAULTED
    if cfg.allowed_client_cidrs is None and not defaulted:
        form = form_of(Stack.model_fields["allowed_client_cidrs"])
        yield Problem(
            key_path(["allowedClientCidrs"]),
            f"is required for {cfg.PUBLIC_LB} (it is never silently 0.0.0.0/0): list your "
            f"clients{cfg.CLIENTS_HINT}; allowed: {form}",
        )


@rule(Stack, f"`tags` must not set `{STACK_TAG}` (kurl-lb sets it to the stack name).")
def stack_tag_is_reserved(cfg: Stack) -> Iterator[Problem]:
    if STACK_TAG in cfg.tags:
        yield Problem(key_path(["tags", STACK_TAG]), f"{STACK_TAG} is set by kurl-lb itself")


@rule(
    Stack,
    "`allowedClientCidrs` lists each block once, however it is spelled (`10.0.0.0/8` and "
    "`10.0.0.0/255.0.0.0` are one block): two rules for one source are refused by the clouds.",
)
def client_cidrs_are_listed_once(cfg: Stack) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for i, cidr in enumerate(cfg.allowed_client_cidrs or []):
        if cidr in first:  # already normalized by the IPv4Cidr check
            yield Problem(
                key_path(["allowedClientCidrs", i]),
                f"{shown(cidr)} is also allowedClientCidrs[{first[cidr]}]; list each block once",
            )
        first.setdefault(cidr, i)


# --- tags: each cloud's rules, checked with the tag kurl-lb adds ----------------------------------


@dataclass(frozen=True)
class TagRules:
    """What one cloud accepts as tags (labels) on a resource, as its documentation says."""

    noun: str  # "tag", "label"
    limit: int  # per resource, ours included
    key_max: int
    value_max: int
    key_ok: Callable[[str], str | None]  # why a key is refused, or None
    value_ok: Callable[[str], str | None]
    ours: tuple[str, ...] = (STACK_TAG,)  # keys kurl-lb adds to every (or some) resource
    ignore_case: bool = False  # keys compared case-insensitively (Azure)


def check_tags(tags: Mapping[str, str], rules: TagRules) -> Iterator[Problem]:
    n = rules.noun
    total = {k.lower() if rules.ignore_case else k for k in (*tags, *rules.ours)}
    if len(total) > rules.limit:
        yield Problem(
            key_path(["tags"]),
            f"has {len(tags)} {n}s; with kurl-lb's own ({', '.join(rules.ours)}) a resource may "
            f"have at most {rules.limit}, so at most {rules.limit - len(rules.ours)} here",
        )
    seen: dict[str, str] = {}
    for key, value in tags.items():
        path = key_path(["tags", key])
        why = (
            f"key is {len(key)} characters, at most {rules.key_max}"
            if not 1 <= len(key) <= rules.key_max
            else rules.key_ok(key)
        )
        if why:
            yield Problem(path, f"{shown(key)} is not a valid {n} key: {why}")
        why = (
            f"{len(value)} characters, at most {rules.value_max}"
            if len(value) > rules.value_max
            else rules.value_ok(value)
        )
        if why:
            yield Problem(path, f"{shown(value)} is not a valid {n} value: {why}")
        if rules.ignore_case:
            folded = key.lower()
            if folded == STACK_TAG.lower() and key != STACK_TAG:
                yield Problem(path, f"is {STACK_TAG} ignoring case, which kurl-lb sets itself")
            elif folded in seen:
                yield Problem(
                    path,
                    f"is tags.{seen[folded]} ignoring case; the cloud compares {n} names "
                    "ignoring case",
                )
            seen.setdefault(folded, key)
