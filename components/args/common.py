"""What every component's Args have: the health check record, the rules that hold on every
cloud, and the helpers rules are written with.

No `from __future__ import annotations` in the modules that declare Args: the SDK's schema
analyzer reads the annotations as objects.
"""

import ipaddress
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired, TypedDict

from pydantic.alias_generators import to_camel

from ..declare import Opt, Subject, declared, form_of, rule, specs
from ..problems import Loc, Problem, ref, shown
from ..scalars import NAME_MAX, DnsLabel, FrontEndLabel, PortName

STACK_TAG = "kurl-lb-stack"
HAIRPIN = (
    "a primary reaching the API through the LB (hairpinning) must come back through it with a "
    "source address the LB accepts"
)
PRIMARY_NAME = DnsLabel  # a primary's name: its registration is named after it

# The front end nodes use (`front_end`) and the one an address move adds (`address_move`).
# The default front end's resources keep the names they always had (`<name>-nlb`); any other
# label is part of its resources' names (`<name>-v2-nlb`).
DEFAULT_FRONT_END = "v1"
FrontEnd = Annotated[str, Opt(DEFAULT_FRONT_END, check=FrontEndLabel, example="v2")]
MoveLabel = Annotated[str, Opt(check=FrontEndLabel, example="v2")]  # the move's: no default
MOVE = "address_move"
MOVE_KEY = "addressMove"  # the argument as secretArgs, stack keys and problems name it


def with_move(args: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Args as the front end an address move adds sees them: the move's fields in place of
    the top-level ones (the move itself left out, its label not applied); None without a
    move."""
    move = args.get(MOVE)
    if not isinstance(move, Mapping):
        return None
    fields = {k: v for k, v in move.items() if k != "front_end" and v is not None}
    return {**args, **fields, MOVE: None}


def move_keys(given: Iterable[Loc]) -> frozenset[str]:
    """The keys (camelCase) an address move gives, from where the user gave values."""
    return frozenset(str(loc[1]) for loc in given if len(loc) == 2 and loc[0] == MOVE_KEY)


# The move fields that never need a new front end: a DNS record is added beside it.
SAME_FRONT_END_FIELDS = frozenset({"dns_record"})

# The public front end beside an internal one (`public_front_end`, AWS and GCP): nodes use the
# internal front end, admins and CI the public one. Its resources are named `<name>-public-...`.
PAIR = "public_front_end"
PAIR_KEY = "publicFrontEnd"
PAIR_LABEL = "public"


class PublicView(dict[str, Any]):
    """The Args as the public front end sees them (rules tell it from the Args by its type)."""


def with_pair(args: Mapping[str, Any]) -> PublicView | None:
    """The Args as the public front end sees them: every field its record declares (given or
    defaulted) in place of the top-level one, scheme public, its label; None without one."""
    pair = args.get(PAIR)
    if not isinstance(pair, Mapping):
        return None
    fixed = {"scheme": "public", "front_end": PAIR_LABEL, MOVE: None, PAIR: None}
    return PublicView({**args, **pair, **fixed})


def other_front_ends(args: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Args as each front end besides the current one sees them, by the argument that adds
    it (addressMove, publicFrontEnd)."""
    views = ((MOVE_KEY, with_move(args)), (PAIR_KEY, with_pair(args)))
    return [(key, view) for key, view in views if view is not None]


# --- the health check -----------------------------------------------------------------------------

READYZ = "/readyz"  # the API server's readiness path, anonymous by default (docs/config.md)
HealthCheckProtocol = Annotated[str, Opt("tcp", choices=("tcp", "https"))]


@declared
class HealthCheckArgs(TypedDict):
    """Health check of the API port. Defaults differ per cloud (docs/config.md)."""

    protocol: NotRequired[HealthCheckProtocol]
    (
        "`tcp` (default): a TCP connect to the API port, which kURL's first-primary load "
        "balancer preflight also passes. `https`: `GET /readyz` on the API port, healthy on "
        "200 only, which needs the API server's anonymous access to `/readyz` (kURL leaves "
        "it on; docs/config.md says how to check). To go back from `https`, write `tcp` "
        "(AWS keeps an HTTPS check's path and matcher when the key is only removed)."
    )

    interval_seconds: NotRequired[int]
    """Seconds between checks of one primary."""

    healthy_threshold: NotRequired[int]
    """Consecutive passes before a primary is healthy (not used on Azure)."""

    unhealthy_threshold: NotRequired[int]
    """Consecutive failures before a primary is unhealthy (Azure: its probe threshold)."""


@declared
class ExtraPortArgs(TypedDict):
    """One more TCP port on every front end, forwarded to the same registered primaries (e.g.
    kotsadm's NodePort 8800)."""

    name: Annotated[str, Opt(check=PortName, example="kotsadm")]
    """Unique short name (a lowercase DNS label): its resources and outputs are named after it."""

    port: Annotated[int, Opt(ge=1, le=65535, example=8800)]
    """Port clients connect to on the load balancer (1-65535), not the API port."""

    target_port: NotRequired[Annotated[int, Opt(ge=1, le=65535)]]
    (
        "Port on the primaries (1-65535). Default: `port`. Its health check is a TCP connect "
        "to this port, or the API's health check when it is the API port."
    )


EXTRA_PORTS_MAX = 5
ExtraPorts = Annotated[list[ExtraPortArgs], Opt(form="list of {name, port, targetPort}")]


def target_port(extra: Mapping[str, Any]) -> int:
    """An extra port's port on the primaries."""
    return int(extra.get("target_port") or extra["port"])


# --- helpers for rules --------------------------------------------------------------------------


def duplicates(
    values: Sequence[tuple[int, str | None]], key: str, why: str, owner: str = "primaries"
) -> Iterator[Problem]:
    """Items of the list `owner` (index, value of `key`) whose value an earlier item already
    has."""
    first: dict[str, int] = {}
    for i, value in values:
        if value is None:
            continue
        if value in first:
            yield Problem(
                (owner, i, key),
                f"{shown(value)} is also {owner}[{first[value]}].{key}; {why}",
            )
        first.setdefault(value, i)


def by_mode(
    mode: str,
    current: str,
    owner: Loc,
    obj: Mapping[str, Any],
    record: type,
    used_in: Mapping[str, Sequence[str]],
    given: Container[Loc],
    note: str = "",
) -> Iterator[Problem]:
    """Keys of `obj` (a record of type `record` at `owner`, or the Args themselves at `()`) that
    one value of the `mode` field uses, and every other forbids.

    `used_in` maps each mode value to field names of `obj` used only then. In the `current` mode
    a used field without a value is required (unless it has a default); in any other mode, one
    the user gave (`given` holds its loc) is rejected, pointing at the mode that uses it and at
    what to give instead.
    """
    fields = specs(record)
    # "Only used with" names the mode key as the reader writes it from `obj`: bare beside it,
    # else through ref (the stack says `aws.targetType` from a primary).
    mode_key = to_camel(mode) if not owner else ref(mode)
    instead = [fields[n].key for n in used_in.get(current, ()) if fields[n].default is None]
    for value, names in used_in.items():
        for name in names:
            spec = fields[name]
            loc = (*owner, spec.key)
            if value == current and obj.get(name) is None:
                yield Problem(
                    loc,
                    f"is required with {to_camel(mode)} {value}{note}; allowed: {form_of(spec)}",
                )
            elif value != current and loc in given and obj.get(name) is not None:
                hint = f"; give {' or '.join(instead)} instead" if instead else ""
                yield Problem(loc, f"is only used with {mode_key} {value}{note}{hint}")


# --- rules on every cloud -----------------------------------------------------------------------


@rule("`primaries`: names unique; at least one primary `registered: true`.")
def primaries_are_named_once_and_one_is_registered(s: Subject[Any]) -> Iterator[Problem]:
    primaries = s.args["primaries"]
    yield from duplicates(
        [(i, p["name"]) for i, p in enumerate(primaries)], "name", "names must be unique"
    )
    if not any(p["registered"] for p in primaries):
        yield Problem(
            ("primaries",),
            "no primary is registered; set registered: true on the first primary (the one "
            "kURL is installed on) so the LB has a target",
        )


@rule(
    "No two primaries name the same target (`address`, `instanceId`, `nicId`, `instance`): "
    "each primary is a different machine."
)
def primaries_are_different_targets(s: Subject[Any]) -> Iterator[Problem]:
    targets = [s.decl.targets(s, p) for p in s.args["primaries"]]
    for key in dict.fromkeys(k for t in targets for k in t):
        values = [(i, t.get(key)) for i, t in enumerate(targets)]
        yield from duplicates(values, key, "each primary is a different target")


@rule(
    "`allowedClientCidrs` is required for public load balancers on every cloud: it is never "
    "silently `0.0.0.0/0`. Internal AWS NLBs default it to the VPC's CIDR, internal GCP load "
    "balancers to the subnetwork's range; Azure has no internal load balancer."
)
def clients_are_listed_when_public(s: Subject[Any]) -> Iterator[Problem]:
    defaulted = s.args["scheme"] == "internal" and s.decl.internal_clients_defaulted
    if s.args["allowed_client_cidrs"] is None and not defaulted:
        form = form_of(specs(s.decl.args)["allowed_client_cidrs"])
        yield Problem(
            ("allowedClientCidrs",),
            f"is required for {s.decl.public_lb} (it is never silently 0.0.0.0/0): list your "
            f"clients{s.decl.clients_hint}; allowed: {form}",
        )


@rule(f"`tags` must not set `{STACK_TAG}` (kurl-lb sets it to the stack name).")
def stack_tag_is_reserved(s: Subject[Any]) -> Iterator[Problem]:
    if STACK_TAG in s.args["tags"]:
        yield Problem(("tags", STACK_TAG), f"{STACK_TAG} is set by kurl-lb itself")


@rule(
    "`allowedClientCidrs` lists each block once, however it is spelled (`10.0.0.0/8` and "
    "`10.0.0.0/255.0.0.0` are one block): two rules for one source are refused by the clouds."
)
def client_cidrs_are_listed_once(s: Subject[Any]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for i, cidr in enumerate(s.args["allowed_client_cidrs"] or []):
        if cidr in first:  # already normalized by the IPv4Cidr check
            yield Problem(
                ("allowedClientCidrs", i),
                f"{shown(cidr)} is also allowedClientCidrs[{first[cidr]}]; list each block once",
            )
        first.setdefault(cidr, i)


@rule(
    "`addressMove` adds a front end beside the current one: `addressMove.frontEnd` is a new "
    "label, or the current one when the move only adds a `dnsRecord` (the record then points "
    "at the front end nodes use); a move that changes nothing is refused."
)
def address_move_moves_the_address(s: Subject[Any]) -> Iterator[Problem]:
    move = s.args.get(MOVE)
    if move is None:
        return
    current = s.args["front_end"]
    changed = [
        k
        for k, v in move.items()
        if k != "front_end" and v is not None and (k not in s.args or v != s.args[k])
    ]
    if move["front_end"] != current:
        return
    others = [k for k in changed if k not in SAME_FRONT_END_FIELDS]
    if others:
        keys = ", ".join(f"addressMove.{to_camel(k)}" for k in others)
        yield Problem(
            (MOVE_KEY, "frontEnd"),
            f"{shown(current)} is the front end nodes use now ({ref('front_end')}); {keys} "
            "need a new front end beside it: give addressMove.frontEnd another label, e.g. "
            f"{_next_label(current)}",
        )
    elif not changed:
        yield Problem(
            (MOVE_KEY,),
            "moves nothing: give the new front end another label in addressMove.frontEnd "
            "(with what changes), or a new dnsRecord; remove addressMove once a move is done",
        )


def _next_label(label: str) -> str:
    stem = label.rstrip("0123456789")
    digits = label[len(stem) :]
    return f"{stem}{int(digits) + 1}" if digits and stem else "v2"


@rule(
    f"A front end label other than `{DEFAULT_FRONT_END}` is part of its resources' names: "
    f"`name`, `-` and the label fit in {NAME_MAX} characters."
)
def front_end_labels_fit_names(s: Subject[Any]) -> Iterator[Problem]:
    if isinstance(s.args, PublicView):
        return  # the public front end's label: reported once, at publicFrontEnd, below
    move = s.args.get(MOVE) or {}
    for loc, label in (
        (("frontEnd",), s.args["front_end"]),
        ((MOVE_KEY, "frontEnd"), move.get("front_end")),
        ((PAIR_KEY,), PAIR_LABEL if s.args.get(PAIR) is not None else None),
    ):
        if label and label != DEFAULT_FRONT_END and len(s.name) + 1 + len(label) > NAME_MAX:
            yield Problem(
                loc,
                f"{shown(label)} makes resource names start with {s.name}-{label}, longer than "
                f"{NAME_MAX} characters (the cloud's name limits); use a shorter "
                + ("name" if loc == (PAIR_KEY,) else "label or name"),
            )


@rule(
    "`extraPorts`: names and ports unique, no port the API's `port`; at most 5 (GCP's "
    "forwarding rules and the clouds' listener quotas)."
)
def extra_ports_are_distinct(s: Subject[Any]) -> Iterator[Problem]:
    extras = s.args.get("extra_ports") or []
    if len(extras) > EXTRA_PORTS_MAX:
        yield Problem(
            ("extraPorts",), f"has {len(extras)} ports; at most {EXTRA_PORTS_MAX} are allowed"
        )
    for key, why in (("name", "names must be unique"), ("port", "each port is forwarded once")):
        values = [(i, str(e[key])) for i, e in enumerate(extras)]
        yield from duplicates(values, key, why, owner="extraPorts")
    for i, extra in enumerate(extras):
        if extra["port"] == s.args["port"]:
            yield Problem(
                ("extraPorts", i, "port"),
                f"{extra['port']} is the API port ({ref('port')}); give another port",
            )


@rule(
    "`publicFrontEnd` adds a public front end beside an internal one: only with `scheme: "
    "internal` (nodes use the internal front end; an address move keeps it internal too); "
    "its label `public` is no other front end's."
)
def public_front_end_pairs_an_internal_one(s: Subject[Any]) -> Iterator[Problem]:
    if s.args.get(PAIR) is None:
        return
    if s.args["scheme"] != "internal":
        yield Problem(
            (PAIR_KEY,),
            f"is only used with {ref('scheme')} internal: nodes use the internal front end, "
            f"admins and CI the public one; with scheme public, remove {PAIR_KEY}",
        )
    move = s.args.get(MOVE) or {}
    for loc, label in (
        (("frontEnd",), s.args["front_end"]),
        ((MOVE_KEY, "frontEnd"), move.get("front_end")),
    ):
        if label == PAIR_LABEL:
            yield Problem(
                loc,
                f"{shown(PAIR_LABEL)} is the label of the front end {PAIR_KEY} adds; use another",
            )


SHARED_RULES = (
    primaries_are_named_once_and_one_is_registered,
    primaries_are_different_targets,
    clients_are_listed_when_public,
    stack_tag_is_reserved,
    client_cidrs_are_listed_once,
    address_move_moves_the_address,
    front_end_labels_fit_names,
    extra_ports_are_distinct,
    public_front_end_pairs_an_internal_one,
)


def networks(cidrs: Sequence[Any] | None) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(c) for c in cidrs or []]


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
            ("tags",),
            f"has {len(tags)} {n}s; with kurl-lb's own ({', '.join(rules.ours)}) a resource may "
            f"have at most {rules.limit}, so at most {rules.limit - len(rules.ours)} here",
        )
    seen: dict[str, str] = {}
    for key, value in tags.items():
        loc = ("tags", key)
        why = (
            f"key is {len(key)} characters, at most {rules.key_max}"
            if not 1 <= len(key) <= rules.key_max
            else rules.key_ok(key)
        )
        if why:
            yield Problem(loc, f"{shown(key)} is not a valid {n} key: {why}")
        why = (
            f"{len(value)} characters, at most {rules.value_max}"
            if len(value) > rules.value_max
            else rules.value_ok(value)
        )
        if why:
            yield Problem(loc, f"{shown(value)} is not a valid {n} value: {why}")
        if rules.ignore_case:
            folded = key.lower()
            if folded == STACK_TAG.lower() and key != STACK_TAG:
                yield Problem(loc, f"is {STACK_TAG} ignoring case, which kurl-lb sets itself")
            elif folded in seen:
                yield Problem(
                    loc,
                    f"is tags.{seen[folded]} ignoring case; the cloud compares {n} names "
                    "ignoring case",
                )
            seen.setdefault(folded, key)
