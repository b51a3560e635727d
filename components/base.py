"""What the three load balancer components share: checking their Args, secrets, their outputs."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pulumi
from pydantic.alias_generators import to_camel

from .args import STACK_TAG
from .args.common import DEFAULT_FRONT_END, MOVE, MOVE_KEY, PAIR, PAIR_KEY, with_move, with_pair
from .checked import ArgsCheck, check_args, map_input
from .declare import Declaration
from .problems import Loc

Registration = TypeVar("Registration", bound=pulumi.CustomResource)
Args = TypeVar("Args", bound=Mapping[str, Any])


@dataclass(frozen=True)
class FrontEnd(Generic[Args]):
    """One front end of the component: what clients connect to (the NLB with its listener; the
    public IP with its frontend configuration and rule; the address with its forwarding rule),
    and the DNS records that name it."""

    label: str
    args: Args  # the Args it is built from: an address move's fields in place for the new one
    current: bool  # nodes use it now
    next: bool  # an address move adds it, or (same label) adds a DNS record to it
    dns_records: list[Any] = field(default_factory=list)  # the records naming it, each once
    public: bool = False  # the public front end beside an internal one (publicFrontEnd)

    def prefix(self, name: str) -> str:
        """Its resources' name prefix: `name` for the default front end (the names it always
        had), `name-<label>` for any other."""
        return name if self.label == DEFAULT_FRONT_END else f"{name}-{self.label}"


def front_ends(args: Mapping[str, Any]) -> list[FrontEnd[Any]]:
    """The current front end, then the one an address move adds (none when the move keeps the
    label: the current one then also gets the move's DNS record), then the public one beside
    them (publicFrontEnd)."""
    label = args["front_end"]
    own = [args["dns_record"]] if args.get("dns_record") else []
    out = [FrontEnd(label, args, current=True, next=False, dns_records=own)]
    moved = with_move(args)
    if moved is not None:
        new_label = moved["front_end"] = args[MOVE]["front_end"]
        theirs = [moved["dns_record"]] if moved.get("dns_record") else []
        if new_label == label:
            records = [*own, *(r for r in theirs if all(r["name"] != o["name"] for o in own))]
            out = [FrontEnd(label, moved, current=True, next=True, dns_records=records)]
        else:
            out.append(FrontEnd(new_label, moved, current=False, next=True, dns_records=theirs))
    pair = with_pair(args)
    if pair is not None:
        theirs = [pair["dns_record"]] if pair.get("dns_record") else []
        out.append(
            FrontEnd(
                pair["front_end"], pair, current=False, next=False, dns_records=theirs, public=True
            )
        )
    return out


class KurlLoadBalancer(pulumi.ComponentResource, Generic[Registration, Args]):
    """Base of AwsKurlNlb, AzureKurlLb and GcpKurlLb.

    Outputs (identical on every cloud; each component declares them again with their
    descriptions, as the package schema reads them from the component's own class):
    `load_balancer_host`, `load_balancer_address`, `registered_primaries`, `pending_primaries`,
    `front_end`, and during an address move `next_front_end`, `next_load_balancer_host`,
    `next_load_balancer_address` (None without a move); `public_load_balancer_host` and
    `public_load_balancer_address` with a public front end beside the internal one (None
    without); `extra_port_addresses`, each extra port's name -> `host:port` on the front end
    nodes use (on the public one too with publicFrontEnd: `public_extra_port_addresses`).
    Child resources: `registrations`, registered primary name -> the one resource that puts it
    behind the LB (AWS target group attachment, Azure NIC association, GCP instance group
    membership; each cloud also names it in its own words: attachments, memberships).
    """

    load_balancer_host: pulumi.Output[str]
    load_balancer_address: pulumi.Output[str]
    registered_primaries: pulumi.Output[list[str]]
    pending_primaries: pulumi.Output[list[str]]
    front_end: pulumi.Output[str]
    next_front_end: pulumi.Output[str | None]
    next_load_balancer_host: pulumi.Output[str | None]
    next_load_balancer_address: pulumi.Output[str | None]
    extra_port_addresses: pulumi.Output[dict[str, str]]
    # public_load_balancer_host, public_load_balancer_address and public_extra_port_addresses
    # are set on every cloud but declared (in the schema) only where publicFrontEnd exists.

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A class docstring is the package schema's description: one line, no indentation.
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            cls.__doc__ = " ".join(cls.__doc__.split())

    def __init__(
        self,
        type_token: str,
        decl: Declaration,
        name: str,
        args: Args,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        # Checked before anything is registered: bad arguments create nothing.
        self.args_check: ArgsCheck[Args] = check_args(decl, name, args)
        super().__init__(type_token, name, None, opts)
        # The checked Args, defaults filled in; outputs the user handed in sit in its Input
        # fields, checked when they resolve (components/checked.py).
        self.args: Args = self.args_check.build_view()
        self.secrets = self.args_check.secrets
        self.registrations: dict[str, Registration] = {}
        names = [p["name"] for p in self.args["primaries"]]
        registered = [p["name"] for p in self.args["primaries"] if p["registered"]]
        self.registered_primaries = self._output("primaries", registered)
        self.pending_primaries = self._output(
            "primaries", [n for n in names if n not in registered]
        )
        # The front ends to build: each component builds every one (`front_ends`), then hands
        # `_finish` each one's load balancer host by label.
        self.front_ends: list[FrontEnd[Args]] = front_ends(self.args)

    def extra_outputs(self) -> dict[str, pulumi.Output[Any]]:
        """Cloud-specific stack outputs (GCP: nodePortAliasScript)."""
        return {}

    def secret_if(self, arg: str, value: Any) -> Any:
        """`value` as a secret output when it was derived from an argument named in
        `secretArgs` (camelCase), else as is. (Logical names, hence URNs, are never secret.)"""
        if arg in self.secrets:
            return pulumi.Output.secret(value)
        return value

    # --- where a front end's values come from -------------------------------------------------

    def field_argument(self, fe: FrontEnd[Any], field: str) -> str:
        """The argument `fe`'s `field` (snake_case) comes from, as secretArgs names it:
        `publicFrontEnd` for a field the public front end's record declares (given or
        defaulted: never the top level's), `addressMove` when the move gives it to the front
        end it adds, else the field's own (camelCase)."""
        if fe.public:
            pair: Mapping[str, Any] = self.args.get(PAIR) or {}
            return PAIR_KEY if field in pair else to_camel(field)
        move: Mapping[str, Any] = self.args.get(MOVE) or {}
        moved = not fe.current and move.get(field) is not None
        return MOVE_KEY if moved else to_camel(field)

    def field_loc(self, fe: FrontEnd[Any], field: str, *rest: str | int) -> Loc:
        """Where the user gave `fe`'s `field`, as problems name it: at the top level, or in
        addressMove or publicFrontEnd."""
        key: Loc = (to_camel(field), *rest)
        argument = self.field_argument(fe, field)
        return (argument, *key) if argument in (MOVE_KEY, PAIR_KEY) else key

    # --- a front end's DNS records --------------------------------------------------------------

    def record_argument(self, fe: FrontEnd[Any], record: Mapping[str, Any]) -> str:
        """The argument a front end's DNS record comes from, as secretArgs and problems name it:
        `dnsRecord` for the current front end's, `addressMove` for the one a move adds,
        `publicFrontEnd` for the public front end's. A move that keeps the label gives the
        current front end both records; their names tell them apart (they differ: a rule)."""
        if fe.public:
            return PAIR_KEY
        if not fe.next:
            return "dnsRecord"
        own = self.args.get("dns_record")
        mine = fe.current and own is not None and record["name"] == own["name"]
        return "dnsRecord" if mine else MOVE_KEY

    def record_loc(self, fe: FrontEnd[Any], record: Mapping[str, Any], *key: str) -> Loc:
        """Where the user gave a record's `key`, as problems name it: `dnsRecord.<key>`, or
        under addressMove or publicFrontEnd."""
        argument = self.record_argument(fe, record)
        return ("dnsRecord", *key) if argument == "dnsRecord" else (argument, "dnsRecord", *key)

    def record_secret(self, fe: FrontEnd[Any], record: Mapping[str, Any]) -> bool:
        """Whether a record's values are secret: `dnsRecord` in secretArgs makes every record
        secret (a move's and the public front end's too), the record's own argument its own."""
        return "dnsRecord" in self.secrets or self.record_argument(fe, record) in self.secrets

    def record_sec(self, fe: FrontEnd[Any], record: Mapping[str, Any], value: Any) -> Any:
        """`value` of `record`, secret when the record is."""
        return pulumi.Output.secret(value) if self.record_secret(fe, record) else value

    def record_name_part(self, fe: FrontEnd[Any], record: Mapping[str, Any]) -> str:
        """A record's FQDN as part of a resource name: a digest when the record is secret (a
        URN is never secret)."""
        fqdn = str(record["name"])
        return (
            hashlib.sha256(fqdn.encode()).hexdigest()[:12]
            if self.record_secret(fe, record)
            else fqdn
        )

    def _output(self, arg: str, value: list[str]) -> pulumi.Output[list[str]]:
        return pulumi.Output.from_input(self.secret_if(arg, value))

    def _tags(self, extra: Mapping[str, str] | None = None, stack: str | None = None) -> Any:
        """The user's tags, then `extra`, then kurl-lb's stack tag (`stack`, default the stack's
        name); an output when the user's tags are one."""
        ours = {**(extra or {}), STACK_TAG: stack or pulumi.get_stack()}
        return map_input(self.args["tags"], lambda tags: {**(tags or {}), **ours})

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _finish(self, hosts: Mapping[str, pulumi.Input[str]]) -> None:
        """Set the shared outputs from each front end's load balancer host (by label) and
        register them with the cloud-specific ones, last. A front end's address is its DNS
        record's name when it has one, else its load balancer's host."""
        port = self.secret_if("port", str(self.args["port"]))
        current = next(f for f in self.front_ends if f.current)
        self.front_end = pulumi.Output.from_input(current.label)
        own = self.args.get("dns_record")
        self.load_balancer_host = pulumi.Output.from_input(
            self.secret_if("dnsRecord", own["name"]) if own else hosts[current.label]
        )
        self.load_balancer_address = pulumi.Output.concat(self.load_balancer_host, ":", port)
        moved = next((f for f in self.front_ends if f.next), None)
        if moved is None:
            self.next_front_end = pulumi.Output.from_input(None)
            self.next_load_balancer_host = pulumi.Output.from_input(None)
            self.next_load_balancer_address = pulumi.Output.from_input(None)
        else:
            record = moved.args.get("dns_record")
            self.next_front_end = pulumi.Output.from_input(moved.label)
            host: pulumi.Output[str] = pulumi.Output.from_input(
                self.secret_if(MOVE_KEY, record["name"]) if record else hosts[moved.label]
            )
            self.next_load_balancer_host = host
            self.next_load_balancer_address = pulumi.Output.concat(host, ":", port)
        public = next((f for f in self.front_ends if f.public), None)
        if public is None:
            self.public_load_balancer_host: pulumi.Output[str | None] = pulumi.Output.from_input(
                None
            )
            self.public_load_balancer_address: pulumi.Output[str | None] = pulumi.Output.from_input(
                None
            )
        else:
            record = public.args.get("dns_record")
            host = pulumi.Output.from_input(
                self.secret_if(PAIR_KEY, record["name"]) if record else hosts[public.label]
            )
            self.public_load_balancer_host = host
            self.public_load_balancer_address = pulumi.Output.concat(host, ":", port)
        self.extra_port_addresses = self._port_addresses(self.load_balancer_host)
        self.public_extra_port_addresses = self._port_addresses(self.public_load_balancer_host)
        self.register_outputs(
            {
                "loadBalancerHost": self.load_balancer_host,
                "loadBalancerAddress": self.load_balancer_address,
                **self.primary_outputs(),
                **self.address_outputs(),
                **self.port_outputs(),
                **self.extra_outputs(),
            }
        )

    def _port_addresses(self, host: pulumi.Output[Any]) -> pulumi.Output[dict[str, str]]:
        extras = self.args.get("extra_ports") or []
        ports = {e["name"]: str(e["port"]) for e in extras}
        return pulumi.Output.all(host, self.secret_if("extraPorts", ports)).apply(
            lambda hp: {n: f"{hp[0]}:{p}" for n, p in hp[1].items()} if hp[0] else {}
        )

    def port_outputs(self) -> dict[str, pulumi.Output[Any]]:
        """extraPortAddresses with extraPorts; publicLoadBalancerHost,
        publicLoadBalancerAddress (and publicExtraPortAddresses) with publicFrontEnd."""
        out: dict[str, pulumi.Output[Any]] = {}
        if self.args.get("extra_ports"):
            out["extraPortAddresses"] = self.extra_port_addresses
        if any(f.public for f in self.front_ends):
            out["publicLoadBalancerHost"] = self.public_load_balancer_host
            out["publicLoadBalancerAddress"] = self.public_load_balancer_address
            if self.args.get("extra_ports"):
                out["publicExtraPortAddresses"] = self.public_extra_port_addresses
        return out

    def address_outputs(self) -> dict[str, pulumi.Output[Any]]:
        """frontEnd, and during an address move nextFrontEnd, nextLoadBalancerHost and
        nextLoadBalancerAddress: what the offline gate reads to tell a planned move's steps
        (offline/address.py)."""
        out: dict[str, pulumi.Output[Any]] = {"frontEnd": self.front_end}
        if any(f.next for f in self.front_ends):
            out["nextFrontEnd"] = self.next_front_end
            out["nextLoadBalancerHost"] = self.next_load_balancer_host
            out["nextLoadBalancerAddress"] = self.next_load_balancer_address
        return out

    def primary_outputs(self) -> dict[str, pulumi.Output[list[str]]]:
        """registeredPrimaries and pendingPrimaries (secret when `primaries` is)."""
        return {
            "registeredPrimaries": self.registered_primaries,
            "pendingPrimaries": self.pending_primaries,
        }
