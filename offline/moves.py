"""What the API-address gate knows of planned moves and DNS names (docs/runbook.md section 6.3).

A planned move takes two applies, told apart by the stack outputs both revisions export
(components/base.py): step 1 adds a front end beside the one nodes use (`nextFrontEnd` appears),
step 2, once kURL and EKCO moved every node, makes it the one nodes use (`frontEnd` becomes the
old `nextFrontEnd`) and retires the old one. Step 1 creates only, so it never moves the address;
in step 2 the deletes of the retired front end and the new `loadBalancerAddress` are the move the
stack planned, while replacing or updating what nodes now use still blocks. Abandoning a move
(removing `addressMove` without finishing it) deletes a front end nodes may already use: it blocks.

With a DNS record as the API address, replacing or deleting a load balancer front end while the
record stays and the address does not change is an update of the record, not an address move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .address import (
    ADDRESS_OUTPUT,
    ADDRESS_PROCEDURE,
    DEFAULT_FRONT_END,
    FRONT_END_OUTPUT,
    NEXT_ADDRESS_OUTPUT,
    NEXT_FRONT_END_OUTPUT,
    REPLACE_PROCEDURE,
    AddressChange,
    protection,
)
from .diff import DELETE, REPLACE, Change
from .graph import UNKNOWN, Graph, RecordedResource
from .replacements import FRONT_END_TYPES

STARTED, UNDERWAY, FINISHED, ABANDONED = "started", "underway", "finished", "abandoned"
_AWS_RECORD = "aws:route53/record:Record"
_AZ_RECORDS = ("azure-native:network:RecordSet", "azure-native:dns:RecordSet")
_GCP_RECORD = "gcp:dns/recordSet:RecordSet"
DNS_RECORD_TYPES = frozenset({_AWS_RECORD, *_AZ_RECORDS, _GCP_RECORD})
# Route 53 answers alias records with the target's TTL, 60 s for an ELB (Route 53 developer
# guide, "Choosing between alias and non-alias records").
ALIAS_TTL_SECONDS = 60


def _text(graph: Graph, key: str) -> str | None:
    value = graph.outputs.get(key)
    if isinstance(value, dict) and "secret" in value:
        value = value["secret"]
    return value if isinstance(value, str) and value != UNKNOWN else None


def _front_end(graph: Graph) -> str | None:
    """The label of the front end nodes use; a kurl-lb stack from before labels had v1."""
    if FRONT_END_OUTPUT in graph.outputs:
        return _text(graph, FRONT_END_OUTPUT)
    return DEFAULT_FRONT_END if ADDRESS_OUTPUT in graph.outputs else None


@dataclass(frozen=True)
class AddressMove:
    """A planned move of the API address, as the plan from one revision to the next takes it."""

    step: str  # started, underway, finished or abandoned
    front_end: str  # the front end nodes use before the plan
    next_front_end: str  # the one the move adds
    address: str | None  # loadBalancerAddress before the plan, when known
    next_address: str | None  # the move's address, when known

    def note(self) -> str:
        new = self.next_address or "the new address (nextLoadBalancerAddress, after pulumi up)"
        now = self.address or "the current address"
        flags = (
            f"`ha load-balancer-address={self.next_address}` (the nextKurlInstallFlags output)"
            if self.next_address
            else "the nextKurlInstallFlags output (known after pulumi up)"
        )
        same = self.next_front_end == self.front_end
        added = (
            f"a DNS record is added to front end {self.front_end}"
            if same
            else f"front end {self.next_front_end} is added beside {self.front_end}"
        )
        if self.step == STARTED:
            return (
                f"address move, step 1: {added}; nodes keep using {now}. "
                f"After pulumi up, re-run kURL's installer on ONE primary with {flags}; leave the "
                f"current front end serving until EKCO has moved every node ({ADDRESS_PROCEDURE})."
            )
        if self.step == UNDERWAY:
            return (
                f"address move underway: nodes move from {now} "
                f"to {new}; finish it once EKCO has moved every node ({ADDRESS_PROCEDURE})."
            )
        if self.step == FINISHED:
            retired = "" if same else f"; front end {self.front_end} is retired"
            return (
                f"address move, step 2: nodes use {new} from now on{retired}. Apply only after "
                f"kURL's run on the one primary finished and every node's kubeconfig names the "
                f"new address ({ADDRESS_PROCEDURE})."
            )
        return (
            f"the address move to front end {self.next_front_end} ({new}) is abandoned: if kURL "
            "was re-run with its address, nodes use it now"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "frontEnd": self.front_end,
            "nextFrontEnd": self.next_front_end,
            "address": self.address,
            "nextAddress": self.next_address,
        }


def planned_move(before: Graph, after: Graph) -> AddressMove | None:
    """The step of a planned move this plan takes, if any."""
    front, nxt = _front_end(before), _text(before, NEXT_FRONT_END_OUTPUT)
    new_front, new_next = _front_end(after), _text(after, NEXT_FRONT_END_OUTPUT)
    address = _text(before, ADDRESS_OUTPUT)
    if new_next is not None and new_front is not None and new_front == front:
        step = UNDERWAY if new_next == nxt else STARTED
        known = _text(after, NEXT_ADDRESS_OUTPUT)
        return AddressMove(step, new_front, new_next, address, known)
    if nxt is not None and front is not None and new_next is None:
        known = _text(before, NEXT_ADDRESS_OUTPUT)
        step = FINISHED if new_front == nxt else ABANDONED if new_front == front else ""
        if step:
            return AddressMove(step, front, nxt, address, known)
    return None


def judge(
    found: list[AddressChange], changes: list[Change], before: Graph, after: Graph
) -> tuple[list[AddressChange], list[str], AddressMove | None]:
    """The address changes that still block once planned moves and DNS names are taken into
    account, the notes saying why the others do not, and the planned move."""
    move = planned_move(before, after)
    notes = [move.note()] if move else []
    kept: list[AddressChange] = []
    for c in found:
        if move and move.step == FINISHED and _retired(c, before, after):
            notes.append(f"retired with front end {move.front_end}: {_retire_note(c, before)}")
            continue
        if move and move.step == ABANDONED and c.kind == "delete":
            c = dataclasses.replace(
                c, detail=f"{c.detail} (abandoning the move to front end {move.next_front_end})"
            )
        record = _dns_keeps_address(c, changes, before, after)
        if record is not None:
            notes.append(_dns_note(c, record))
            continue
        kept.append(c)
    return kept, notes, move


def _retired(c: AddressChange, before: Graph, after: Graph) -> bool:
    """A delete of a front end (what nodes used) or the address output taking the move's
    address: the planned step 2. Replacements and in-place moves still block."""
    if c.kind == "delete":
        return True
    if c.kind == "output":
        return _text(after, ADDRESS_OUTPUT) == _text(before, NEXT_ADDRESS_OUTPUT)
    return False


def _retire_note(c: AddressChange, before: Graph) -> str:
    if c.kind == "output":
        return f"output {c.name} {c.detail}"
    why = {
        "protect": f" (protected: pulumi up refuses until it is unprotected, `pulumi state "
        f"unprotect '{c.urn}'`)",
        "attribute": " (its deletion protection is on: turn it off first, docs/runbook.md 6.3)",
        None: "",
    }[protection(before, c.urn)]
    return f"{c.type} {c.name} is deleted{why}"


def _host(address: str | None) -> str | None:
    return address.rsplit(":", 1)[0].lower().rstrip(".") if address else None


def record_names(resource: RecordedResource) -> Iterable[str]:
    """The FQDN a DNS record resource holds, lowercase without the trailing dot."""
    i = resource.inputs
    if resource.type == _AWS_RECORD or resource.type == _GCP_RECORD:
        name = i.get("name")
        if isinstance(name, str) and name != UNKNOWN:
            yield name.lower().rstrip(".")
    elif resource.type in _AZ_RECORDS:
        relative, zone = i.get("relativeRecordSetName"), i.get("zoneName")
        if isinstance(relative, str) and isinstance(zone, str) and UNKNOWN not in (relative, zone):
            zone = zone.lower().rstrip(".")
            yield zone if relative == "@" else f"{relative.lower()}.{zone}"


def _dns_keeps_address(
    c: AddressChange, changes: list[Change], before: Graph, after: Graph
) -> RecordedResource | None:
    """The DNS record that holds the API address through this front end change, if one does:
    the address is known and the same before and after, it is the record's name, and the
    record stays (it is not replaced or deleted)."""
    if c.kind not in ("replace", "delete") or c.type not in FRONT_END_TYPES:
        return None
    host = _host(_text(before, ADDRESS_OUTPUT))
    if host is None or host != _host(_text(after, ADDRESS_OUTPUT)):
        return None
    gone = {x.urn for x in changes if x.op in (REPLACE, DELETE)}
    for r in after.resources:
        if r.type in DNS_RECORD_TYPES and r.urn not in gone and host in record_names(r):
            return r
    return None


def _dns_note(c: AddressChange, record: RecordedResource) -> str:
    ttl = record.inputs.get("ttl")
    if record.type == _AWS_RECORD and not isinstance(ttl, int):
        ttl = ALIAS_TTL_SECONDS
    seconds = f"{ttl} s" if isinstance(ttl, int) else "the record's TTL"
    verb = {"replace": "is replaced", "delete": "is deleted"}[c.kind]
    return (
        f"{c.type} {c.name} {verb}{c.detail}: not an API address move, the address is the DNS "
        f"record {record.name}, which pulumi up points at the front end the plan leaves; "
        f"resolvers keep the old answer for up to {seconds}, so calls may fail that long "
        f"after the old front end goes ({REPLACE_PROCEDURE})."
    )
