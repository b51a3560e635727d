"""GcpKurlLb's Args, declared once, and the rules across their fields."""

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, NotRequired, TypedDict

import pulumi

from ..declare import Declaration, Opt, Subject, declared, each, moved, rule
from ..problems import Problem, ref, shown
from ..scalars import (
    PULUMI_SUFFIX,
    GcpAddressRef,
    GcpDnsRecordName,
    GcpInstanceRef,
    GcpManagedZoneName,
    GcpName,
    GcpNetworkRef,
    GcpSubnetworkRef,
    GcpZone,
    IPv4Cidr,
)
from .common import (
    DEFAULT_FRONT_END,
    MOVE,
    MOVE_KEY,
    PAIR,
    PAIR_KEY,
    PAIR_LABEL,
    PRIMARY_NAME,
    SHARED_RULES,
    ExtraPorts,
    FrontEnd,
    HealthCheckArgs,
    MoveLabel,
    TagRules,
    by_mode,
    check_tags,
    target_port,
)

GCP_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
GCP_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
GCP_API = "https://www.googleapis.com/compute/v1/"


@declared
class GcpPrimaryArgs(TypedDict):
    """A kURL primary behind the load balancer."""

    name: Annotated[str, Opt(check=PRIMARY_NAME, example="primary-1")]
    """Unique name (a lowercase DNS label); the primary's registration is named after it."""

    registered: NotRequired[Annotated[bool, Opt(False)]]
    (
        "True once the primary has joined the cluster: only then does it get load balancer "
        "traffic. Default false, so that primaries are added in stages."
    )

    zone: Annotated[str, Opt(check=GcpZone, form=f"zone of {ref('region')}, e.g. us-central1-a")]
    """Zone of the VM, in `region`; one instance group per zone."""

    instance: Annotated[
        pulumi.Input[str], Opt(check=GcpInstanceRef, form="instance name or self link")
    ]
    """The VM: its name, or its self link (`projects/<p>/zones/<zone>/instances/<name>`)."""


# Cloud DNS TTLs: the API documents no bounds beyond a 32-bit integer (RFC 2181 allows up to
# 2^31 - 1). A day at most: after a record update, clients keep the old answer up to the TTL.
DNS_TTL_MAX = 86400


@declared
class GcpDnsRecordArgs(TypedDict):
    """A Cloud DNS A record naming the API address (the load balancer's IP)."""

    managed_zone: Annotated[
        pulumi.Input[str], Opt(check=GcpManagedZoneName, example="kurl-example-com")
    ]
    """Name of the Cloud DNS managed zone (not its DNS name) the record is created in."""

    name: Annotated[str, Opt(check=GcpDnsRecordName, example="api.kurl.example.com")]
    (
        "The record's fully qualified name, without the trailing dot, inside the zone's DNS "
        "name: the API address nodes use (`loadBalancerAddress`)."
    )

    ttl: NotRequired[Annotated[int, Opt(60, ge=1, le=DNS_TTL_MAX)]]
    (
        "Seconds resolvers may cache the record (1-86400, default 60): how long "
        "clients keep the old IP after the record changes."
    )

    project: NotRequired[pulumi.Input[str]]
    """Project of the managed zone, when it is not the provider's."""


# Declared once, for the Args field and the address move's (`moved`).
Address = Annotated[
    pulumi.Input[str],
    Opt(
        check=GcpAddressRef,
        form="reserved regional address name or self link "
        "(projects/<p>/regions/<region>/addresses/<name>)",
    ),
]
NetworkTier = Annotated[str, Opt("PREMIUM", choices=("PREMIUM", "STANDARD"))]
DnsRecord = GcpDnsRecordArgs


@declared
class GcpAddressMoveArgs(TypedDict):
    """A planned move of the API address: the front end added beside the one nodes use
    (docs/runbook.md section 6)."""

    front_end: MoveLabel
    (
        "Label of the new front end: another label than `frontEnd` (its resources are named "
        "`<name>-<label>-...`), or the same one when the move only adds a `dnsRecord`."
    )

    # moved(...) builds the type at runtime, which mypy cannot read as an annotation.
    address: NotRequired[moved(Address)]  # type: ignore[valid-type]
    """As `address`, for the new front end."""

    network_tier: NotRequired[moved(NetworkTier)]  # type: ignore[valid-type]
    """As `networkTier`, for the new front end."""

    dns_record: NotRequired[moved(DnsRecord)]  # type: ignore[valid-type]
    """As `dnsRecord`, for the new front end."""


ClientCidrs = Annotated[
    list[pulumi.Input[str]],
    Opt(check=list[IPv4Cidr], example="[10.0.0.0/16, 203.0.113.7/32]", min_length=1),
]


@declared
class GcpPublicFrontEndArgs(TypedDict):
    """The external passthrough front end beside the internal one (`scheme: internal`): admins
    and CI reach the API through it, nodes keep the internal one (docs/gcp.md)."""

    address: NotRequired[Address]
    (
        "An existing reserved EXTERNAL regional address (name or self link, in `region`, in "
        "`networkTier`) for its forwarding rules, instead of the one kurl-lb creates. Deleting "
        "the stack leaves it."
    )

    network_tier: NotRequired[NetworkTier]
    """Tier of its address and forwarding rules: `PREMIUM` (default) or `STANDARD`."""

    allowed_client_cidrs: NotRequired[ClientCidrs]
    (
        "IPv4 CIDR blocks that may reach the API through the public front end (required: never "
        "silently `0.0.0.0/0`)."
    )

    dns_record: NotRequired[DnsRecord]
    (
        "A Cloud DNS A record for its IP, with another name than `dnsRecord`: "
        "`publicLoadBalancerHost` and kURL's `public-address` then carry its name."
    )


@declared
class GcpKurlLbArgs(TypedDict):
    """Arguments of GcpKurlLb: a GCP passthrough Network Load Balancer for a kURL control plane."""

    primaries: Annotated[list[GcpPrimaryArgs], Opt(form="list of primaries", min_length=1)]
    """The kURL primaries, in join order."""

    region: Annotated[pulumi.Input[str], Opt(form="")]
    """Region of the load balancer; every primary's zone is in it."""

    network: Annotated[
        pulumi.Input[str], Opt(check=GcpNetworkRef, form="VPC network name or self link")
    ]
    """VPC network of the VMs: name or self link."""

    target_tags: Annotated[
        list[pulumi.Input[str]],
        Opt(check=list[GcpName], form="list of network tags", min_length=1),
    ]
    """Network tags of the primaries; the firewall rule targets them."""

    scheme: Annotated[str, Opt(choices=("internal", "public"))]
    """`internal` or `public` (external)."""

    port: NotRequired[Annotated[int, Opt(6443, ge=1, le=65535)]]
    """API port on the load balancer and the primaries (1-65535). Default 6443."""

    allowed_client_cidrs: NotRequired[ClientCidrs]
    (
        "IPv4 CIDR blocks that may reach the API through the load balancer. Required for an "
        "external load balancer; an internal one defaults to the subnetwork's range."
    )

    deletion_protection: NotRequired[Annotated[bool, Opt(True)]]
    """Protect the load balancer front end, and so the API address, from deletion. Default true."""

    tags: NotRequired[Annotated[pulumi.Input[dict[str, str]], Opt({})]]
    """Labels on every resource that takes them. The key `kurl-lb-stack` is reserved."""

    secret_args: NotRequired[list[str]]
    (
        "Names of arguments (camelCase: `primaries`, `scheme`) whose values are secrets: "
        "every resource input and output derived from them is a secret. The only way to make "
        "a plain argument secret; `pulumi.Input` arguments may also arrive as secret outputs."
    )

    project: NotRequired[pulumi.Input[str]]
    (
        "Project of the provider; tells an instance's name from its self link when checking "
        "that no VM is listed twice."
    )

    subnetwork: NotRequired[
        Annotated[
            pulumi.Input[str], Opt(check=GcpSubnetworkRef, form="subnetwork name or self link")
        ]
    ]
    """Subnetwork of an internal load balancer: name or self link."""

    network_tier: NotRequired[NetworkTier]
    """Tier of the address and forwarding rule: `PREMIUM` (default) or `STANDARD`."""

    address: NotRequired[Address]
    (
        "An existing reserved regional address (name or self link, in `region`) for the "
        "forwarding rule, instead of the one kurl-lb creates: EXTERNAL in `networkTier` for an "
        "external load balancer, INTERNAL in `subnetwork` for an internal one (checked when it "
        "is looked up). Deleting the stack leaves it."
    )

    dns_record: NotRequired[DnsRecord]
    (
        "A Cloud DNS A record for the load balancer's IP: `loadBalancerAddress` and the kURL "
        "flags then carry its name, and a new IP changes only the record."
    )

    health_check: NotRequired[
        Annotated[
            HealthCheckArgs,
            Opt(
                {},
                each=each(
                    interval_seconds=Opt(5, ge=1, le=300),
                    healthy_threshold=Opt(2, ge=1, le=10),
                    unhealthy_threshold=Opt(2, ge=1, le=10),
                ),
            ),
        ]
    ]
    """Regional health check."""

    extra_ports: NotRequired[ExtraPorts]
    (
        "More TCP ports on every front end, forwarded to the same registered primaries, each "
        "with its own forwarding rule, backend service and TCP health check (docs/gcp.md). At "
        "most 5. GCP does not translate ports: `targetPort` is `port`. An internal front end "
        "needs `address` with purpose SHARED_LOADBALANCER_VIP (its forwarding rules share it)."
    )

    public_front_end: NotRequired[GcpPublicFrontEndArgs]
    (
        "With `scheme: internal`: an external passthrough front end beside the internal one, "
        "to the same instance groups (its own EXTERNAL backend services and firewall rules). "
        "Nodes use the internal front end; kURL's `public-address` is this one's host."
    )

    front_end: NotRequired[FrontEnd]
    (
        "Label of the front end nodes use (default `v1`, whose resources keep their first "
        "names). Changes only when an address move is finished (docs/runbook.md section 6)."
    )

    address_move: NotRequired[GcpAddressMoveArgs]
    (
        "A planned move of the API address, in two applies: with it, a second front end "
        "serves the same primaries beside the current one; after kURL and EKCO moved every "
        "node, `frontEnd` takes the new label, the moved fields take the new values, and "
        "`addressMove` is removed, which retires the old front end."
    )


Gcp = Subject[GcpKurlLbArgs]


def health_check_timeout(hc: HealthCheckArgs) -> int:
    # GCP requires timeoutSec <= checkIntervalSec; 5 s is its default.
    return min(5, hc["interval_seconds"])


def _targets(s: Subject[Any], p: GcpPrimaryArgs) -> dict[str, str | None]:
    # A name and a self link may name one VM: compare projects/<p>/zones/<z>/instances/<n>.
    instance = str(p["instance"])
    if "/" not in instance:
        project = s.args.get("project") or "<gcp:project>"
        return {"instance": f"projects/{project}/zones/{p['zone']}/instances/{instance}"}
    return {"instance": instance.removeprefix(GCP_API)}


@rule("`gcp:region` must be set and every primary's `zone` must be in it.")
def zones_are_in_the_region(s: Gcp) -> Iterator[Problem]:
    region = s.args["region"]
    for i, p in enumerate(s.args["primaries"]):
        if p["zone"].rsplit("-", 1)[0] != region:
            yield Problem(
                ("primaries", i, "zone"),
                f"{shown(p['zone'])} is not in {ref('region')} {region}; allowed: "
                f"{region}-<letter>",
            )


@rule(
    "`scheme: internal` needs `subnetwork` and the PREMIUM tier; `subnetwork` is rejected for "
    "external load balancers."
)
def internal_lb_has_a_subnetwork(s: Gcp) -> Iterator[Problem]:
    if s.args["front_end"] == PAIR_LABEL:
        return  # the public front end beside an internal one: the subnetwork is the internal one's
    yield from by_mode(
        "scheme",
        s.args["scheme"],
        (),
        s.args,
        GcpKurlLbArgs,
        {"internal": ["subnetwork"]},
        s.given,
        note=" (the internal address and forwarding rule live on it)",
    )
    if s.args["scheme"] == "internal" and s.args["network_tier"] != "PREMIUM":
        yield Problem(
            ("networkTier",),
            f"{shown(s.args['network_tier'])} cannot be used with scheme internal; internal "
            "addresses are always PREMIUM",
        )


def link_region(link: str) -> str | None:
    """The region a self link names (`.../regions/<r>/...`), None for a plain name."""
    if "/regions/" not in link:
        return None
    return link.split("/regions/", 1)[1].split("/", 1)[0]


@rule(
    "An `address` self link is in `gcp:region`: a forwarding rule takes addresses of its own "
    "region."
)
def address_is_in_the_region(s: Gcp) -> Iterator[Problem]:
    address = s.args.get("address")
    if address is None:
        return
    text = str(address)  # an output is not known yet: the rule runs when it resolves
    region = link_region(text)
    if region is not None and region != s.args["region"]:
        yield Problem(
            ("address",),
            f"{shown(text)} is in region {region}, not in {ref('region')} "
            f"{s.args['region']}; allowed: an address of {s.args['region']} (name or self link)",
        )


@rule(
    "An address move to a new front end gives it its own `address` and `dnsRecord` name when "
    "the current front end has them: two forwarding rules cannot serve one IP on one port, and "
    "one zone cannot hold two A records of one name."
)
def new_front_end_has_its_own_address(s: Gcp) -> Iterator[Problem]:
    move = s.args.get("address_move")
    if move is None or move["front_end"] == s.args["front_end"]:
        return
    address, theirs = s.args.get("address"), move.get("address")
    if address is not None:
        if theirs is None:
            yield Problem(
                (MOVE_KEY, "address"),
                f"is required: the front end nodes use has {ref('address')} {shown(str(address))}"
                ", and the new one needs another reserved address; allowed: "
                "reserved regional address name or self link",
            )
        elif str(theirs).rsplit("/", 1)[-1] == str(address).rsplit("/", 1)[-1]:
            yield Problem(
                (MOVE_KEY, "address"),
                f"{shown(str(theirs))} is {ref('address')} of the front end nodes use; the new "
                "front end needs another reserved address",
            )
    record, new = s.args.get("dns_record"), move.get("dns_record")
    if record is not None:
        if new is None:
            yield Problem(
                (MOVE_KEY, "dnsRecord"),
                f"is required: the front end nodes use is named {shown(record['name'])} "
                f"({ref('dns_record')}), and the new one needs a record of another name (to "
                "point the same name at a new load balancer, no move is needed: the record "
                "follows the IP)",
            )
        elif new["name"] == record["name"]:
            yield Problem(
                (MOVE_KEY, "dnsRecord", "name"),
                f"{shown(new['name'])} is {ref('dns_record')} name of the front end nodes use; "
                "the new front end needs another name",
            )


# An internal IP several forwarding rules share (GCP, "Internal passthrough Network Load Balancer
# forwarding rules that use a common IP address"): reserved with this purpose.
SHARED_VIP = "SHARED_LOADBALANCER_VIP"


@rule(
    "`extraPorts` on GCP: `targetPort` is `port` (passthrough load balancers deliver packets "
    "to the port clients connect to); on an internal load balancer `address` is required, "
    "reserved with purpose SHARED_LOADBALANCER_VIP, because each extra port is one more "
    "forwarding rule on the front end's IP."
)
def extra_ports_fit_passthrough(s: Gcp) -> Iterator[Problem]:
    extras = s.args.get("extra_ports") or []
    for i, extra in enumerate(extras):
        if target_port(extra) != extra["port"]:
            yield Problem(
                ("extraPorts", i, "targetPort"),
                f"{target_port(extra)} is not extraPorts[{i}].port {extra['port']}: GCP "
                "passthrough load balancers do not translate ports (packets reach the primaries "
                f"on the port clients connect to); allowed: {extra['port']}, or leave "
                "targetPort out",
            )
    if extras and s.args["scheme"] == "internal" and s.args.get("address") is None:
        yield Problem(
            ("address",),
            "is required with extraPorts on an internal load balancer: each extra port is one "
            "more forwarding rule on the front end's IP, and internal forwarding rules share an "
            f"IP only when it is reserved with purpose {SHARED_VIP} (an address kurl-lb "
            "creates cannot take that purpose later without a new IP); reserve one with "
            "`gcloud compute addresses create <name> --region <region> --subnet <subnetwork> "
            f"--purpose {SHARED_VIP}`; allowed: reserved regional address name or self link",
        )


@rule(
    "`publicFrontEnd.dnsRecord` has another name than `dnsRecord` and `addressMove.dnsRecord`: "
    "one zone holds one A record of a name."
)
def public_front_end_has_its_own_record(s: Gcp) -> Iterator[Problem]:
    pair = s.args.get("public_front_end")
    record = pair.get("dns_record") if pair else None
    if record is None:
        return
    move = s.args.get("address_move")
    for key, other in (
        ("dnsRecord", s.args.get("dns_record")),
        (f"{MOVE_KEY}.dnsRecord", move.get("dns_record") if move else None),
    ):
        if other is not None and other["name"] == record["name"]:
            yield Problem(
                (PAIR_KEY, "dnsRecord", "name"),
                f"{shown(record['name'])} is also {key}.name; the public front end needs a "
                "record of another name",
            )


def _label(pattern: re.Pattern[str], what: str) -> Callable[[str], str | None]:
    return lambda text: None if pattern.fullmatch(text) else f"allowed: {what}"


GCP_LABELS = TagRules(
    noun="label",
    limit=64,
    key_max=63,
    value_max=63,
    key_ok=_label(GCP_LABEL_KEY, "[a-z][a-z0-9_-]{0,62} (ASCII)"),
    value_ok=_label(GCP_LABEL_VALUE, "[a-z0-9_-]{0,63} (ASCII)"),
)


@rule(
    "`tags` are GCP labels: at most 64 per resource with `kurl-lb-stack`, keys "
    "`[a-z][a-z0-9_-]{0,62}`, values `[a-z0-9_-]{0,63}` (ASCII)."
)
def tags_are_labels(s: Gcp) -> Iterator[Problem]:
    yield from check_tags(s.args["tags"], GCP_LABELS)  # type: ignore[arg-type]


# Names of the GCP resources the component creates (before Pulumi's 8-character suffix).
GCP_NAME_SUFFIXES = ("ip", "hc", "backend", "fr", "allow-api")
RFC1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
GCP_NAME_MAX = 63


@rule(
    "Every GCP name kurl-lb derives (`<name>-<zone>` instance groups, `<name>-hc`, ...) is "
    f"an RFC 1035 name of at most {GCP_NAME_MAX} characters with Pulumi's suffix."
)
def gcp_names_are_rfc1035(s: Gcp) -> Iterator[Problem]:
    derived: list[tuple[tuple[str | int, ...], str]] = [
        (("name",), f"{s.name}-{suffix}") for suffix in GCP_NAME_SUFFIXES
    ]
    zones: dict[str, int] = {}
    for i, p in enumerate(s.args["primaries"]):
        zones.setdefault(p["zone"], i)
    derived += [(("primaries", i, "zone"), f"{s.name}-{z}") for z, i in zones.items()]
    for loc, name in derived:
        if not RFC1035.fullmatch(name) or len(name) + PULUMI_SUFFIX > GCP_NAME_MAX:
            yield Problem(
                loc,
                f"makes the GCP name {shown(name)} (+ {PULUMI_SUFFIX} characters Pulumi adds), "
                f"which is not an RFC 1035 name of at most {GCP_NAME_MAX} characters",
            )


@rule(
    "An `instance` self link is in the primary's `zone` (an instance group holds instances of "
    "its zone); `targetTags` lists each tag once."
)
def instances_are_in_their_zone(s: Gcp) -> Iterator[Problem]:
    for i, p in enumerate(s.args["primaries"]):
        instance = str(p["instance"])
        if "/zones/" in instance:
            link_zone = instance.split("/zones/", 1)[1].split("/", 1)[0]
            if link_zone != p["zone"]:
                yield Problem(
                    ("primaries", i, "instance"),
                    f"{shown(instance)} is in zone {link_zone}, not in the primary's zone "
                    f"{p['zone']}; allowed: an instance of zone {p['zone']}",
                )
    first: dict[Any, int] = {}
    for i, tag in enumerate(s.args["target_tags"]):
        if tag in first:
            yield Problem(
                ("targetTags", i),
                f"{shown(tag)} is also targetTags[{first[tag]}]; list each tag once",
            )
        first.setdefault(tag, i)


def forwarding_rule_names(
    name: str, labels: list[str], ports: list[str]
) -> list[tuple[str, str, str | None]]:
    """Every forwarding rule's name (label, name, port name or None for the API's), as
    components/gcp.py names them: `<prefix>-fr` and `<prefix>-fr-<port name>` per front end,
    `<prefix>` `<name>` for the default label and `<name>-<label>` for any other."""
    out: list[tuple[str, str, str | None]] = []
    for label in labels:
        prefix = name if label == DEFAULT_FRONT_END else f"{name}-{label}"
        out.append((label, f"{prefix}-fr", None))
        out += [(label, f"{prefix}-fr-{p}", p) for p in ports]
    return out


@rule(
    "No two forwarding rules get one name: a front end's label and an extra port's name "
    "never combine into another front end's rule name (`<name>-<label>-fr` and "
    "`<name>-fr-<port name>`)."
)
def forwarding_rule_names_are_unique(s: Gcp) -> Iterator[Problem]:
    a: Any = s.args
    labels = [a["front_end"]]
    move = a.get(MOVE) or {}
    if move.get("front_end") and move["front_end"] != a["front_end"]:
        labels.append(move["front_end"])
    if a.get(PAIR) is not None:
        labels.append(PAIR_LABEL)
    ports = [e["name"] for e in a.get("extra_ports") or []]
    first: dict[str, tuple[str, str | None]] = {}
    for label, rule_name, port in forwarding_rule_names(s.name, labels, ports):
        if rule_name not in first:
            first[rule_name] = (label, port)
            continue
        other_label, other_port = first[rule_name]
        which = port if port is not None else other_port
        loc = (
            ("extraPorts", ports.index(which), "name")
            if which is not None
            else ((MOVE_KEY, "frontEnd") if label == move.get("front_end") else ("frontEnd",))
        )
        yield Problem(
            loc,
            f"makes two forwarding rules named {rule_name} (front ends {shown(other_label)} "
            f"and {shown(label)}); give the port or the front end another name",
        )


GCP = Declaration(
    cloud="gcp",
    component="GcpKurlLb",
    args=GcpKurlLbArgs,
    rules=(
        *SHARED_RULES,
        zones_are_in_the_region,
        internal_lb_has_a_subnetwork,
        address_is_in_the_region,
        new_front_end_has_its_own_address,
        extra_ports_fit_passthrough,
        forwarding_rule_names_are_unique,
        public_front_end_has_its_own_record,
        tags_are_labels,
        gcp_names_are_rfc1035,
        instances_are_in_their_zone,
    ),
    title="GCP",
    public_lb="an external load balancer",
    targets=_targets,
    internal_clients_defaulted=True,  # the subnetwork's range
)
