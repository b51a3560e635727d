"""AwsKurlNlb's Args, declared once, and the rules across their fields."""

import ipaddress
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any, NotRequired, TypedDict

import pulumi
from pydantic.alias_generators import to_camel

from ..declare import Declaration, Opt, Subject, declared, each, moved, rule
from ..problems import Problem, ref, shown
from ..scalars import (
    AwsZone,
    EipAllocationId,
    HostedZoneId,
    InstanceId,
    IPv4Cidr,
    PrivateIPv4,
    Route53RecordName,
    SecurityGroupId,
    SubnetId,
    VpcId,
)
from .common import (
    DEFAULT_FRONT_END,
    HAIRPIN,
    MOVE,
    MOVE_KEY,
    PAIR,
    PAIR_KEY,
    PAIR_LABEL,
    PRIMARY_NAME,
    SHARED_RULES,
    STACK_TAG,
    ExtraPorts,
    FrontEnd,
    HealthCheckArgs,
    MoveLabel,
    TagRules,
    by_mode,
    check_tags,
    networks,
)

CIDRS = "list of IPv4 CIDR blocks"


@declared
class AwsPrimaryArgs(TypedDict):
    """A kURL primary behind the NLB."""

    name: Annotated[str, Opt(check=PRIMARY_NAME, example="primary-1")]
    """Unique name (a lowercase DNS label); the primary's registration is named after it."""

    registered: NotRequired[Annotated[bool, Opt(False)]]
    (
        "True once the primary has joined the cluster: only then does it get load balancer "
        "traffic. Default false, so that primaries are added in stages."
    )

    address: NotRequired[Annotated[pulumi.Input[str], Opt(check=PrivateIPv4, example="10.0.1.10")]]
    """Private IPv4 address of the primary: its target with `targetType: ip`."""

    instance_id: NotRequired[
        Annotated[pulumi.Input[str], Opt(check=InstanceId, example="i-0123456789abcdef0")]
    ]
    """EC2 instance ID of the primary: its target with `targetType: instance`."""

    zone: NotRequired[
        Annotated[
            pulumi.Input[str],
            Opt(
                check=AwsZone, form=f"availability zone of {ref('region')}, e.g. us-east-1a, or all"
            ),
        ]
    ]
    """Availability zone of an IP target's attachment (`all` for IP targets outside the VPC)."""


@declared
class AwsDnsRecordArgs(TypedDict):
    """A Route 53 alias A record naming the NLB: the API address nodes use, so that replacing
    the NLB changes only the record's target."""

    zone_id: Annotated[pulumi.Input[str], Opt(check=HostedZoneId, example="Z0123456789ABCDEFGHIJ")]
    """ID of the Route 53 hosted zone the record is created in."""

    name: Annotated[str, Opt(check=Route53RecordName, example="api.kurl.example.com")]
    (
        "The record's fully qualified name, inside the zone's name (without the trailing "
        "dot): `loadBalancerAddress` and kURL's `load-balancer-address` then carry it."
    )


# The fields an address move may change, declared once for the Args and the move record.
Scheme = Annotated[str, Opt(choices=("internal", "public"))]
SubnetIds = Annotated[
    list[pulumi.Input[str]],
    Opt(
        check=list[SubnetId],
        form="list of subnet IDs, one per availability zone",
        min_length=1,
    ),
]
AllowedClientCidrs = Annotated[
    list[pulumi.Input[str]],
    Opt(check=list[IPv4Cidr], example="[10.0.0.0/16, 203.0.113.7/32]", min_length=1),
]
LoadBalancerSecurityGroup = Annotated[bool, Opt(True)]
HairpinSourceCidrs = Annotated[
    list[pulumi.Input[str]],
    Opt(check=list[IPv4Cidr], example="[198.51.100.7/32]", min_length=1),
]
ElasticIps = Annotated[bool, Opt(False)]
ElasticIpAllocationIds = Annotated[
    list[pulumi.Input[str]],
    Opt(
        check=list[EipAllocationId],
        form="list of Elastic IP allocation IDs (eipalloc-...), one per subnet in subnetIds order",
        min_length=1,
    ),
]
PrivateIpv4Addresses = Annotated[
    list[pulumi.Input[str]],
    Opt(
        check=list[PrivateIPv4],
        form="list of private IPv4 addresses, one per subnet in subnetIds order, each inside "
        "its subnet",
        example="[10.0.1.5, 10.0.2.5]",
        min_length=1,
    ),
]
DnsRecord = AwsDnsRecordArgs


@declared
class AwsAddressMoveArgs(TypedDict):
    """A planned move of the API address: the front end added beside the one nodes use
    (docs/runbook.md section 6)."""

    front_end: MoveLabel
    (
        "Label of the new front end: another label than `frontEnd` (its resources are named "
        "`<name>-<label>-...`), or the same one when the move only adds a `dnsRecord`."
    )

    # moved(...) builds the type at runtime, which mypy cannot read as an annotation.
    scheme: NotRequired[moved(Scheme)]  # type: ignore[valid-type]
    """As `scheme`, for the new front end."""

    subnet_ids: NotRequired[moved(SubnetIds)]  # type: ignore[valid-type]
    """As `subnetIds`, for the new front end."""

    elastic_ips: NotRequired[moved(ElasticIps)]  # type: ignore[valid-type]
    """As `elasticIps`, for the new front end."""

    elastic_ip_allocation_ids: NotRequired[moved(ElasticIpAllocationIds)]  # type: ignore[valid-type]
    """As `elasticIpAllocationIds`, for the new front end."""

    private_ipv4_addresses: NotRequired[moved(PrivateIpv4Addresses)]  # type: ignore[valid-type]
    """As `privateIpv4Addresses`, for the new front end."""

    load_balancer_security_group: NotRequired[moved(LoadBalancerSecurityGroup)]  # type: ignore[valid-type]
    """As `loadBalancerSecurityGroup`, for the new front end."""

    allowed_client_cidrs: NotRequired[moved(AllowedClientCidrs)]  # type: ignore[valid-type]
    """As `allowedClientCidrs`, for the new front end."""

    hairpin_source_cidrs: NotRequired[moved(HairpinSourceCidrs)]  # type: ignore[valid-type]
    """As `hairpinSourceCidrs`, for the new front end."""

    dns_record: NotRequired[moved(DnsRecord)]  # type: ignore[valid-type]
    """As `dnsRecord`, for the new front end."""


@declared
class AwsPublicFrontEndArgs(TypedDict):
    """A public (internet-facing) NLB beside the internal one, on the same primaries: nodes use
    the internal NLB, admins and CI this one (kURL's `public-address`). Its own target groups,
    listeners, attachments and security group; IP targets with client IP preservation off, as
    the internal NLB's. Its resources are named `<name>-public-...`."""

    subnet_ids: SubnetIds
    (
        "Its subnets: public subnets (routed to an internet gateway), one per availability "
        "zone. They may be the internal NLB's (AWS allows several NLBs in one subnet)."
    )

    allowed_client_cidrs: NotRequired[AllowedClientCidrs]
    (
        "IPv4 CIDR blocks that may reach the API through the public NLB (admins, CI): as "
        "`allowedClientCidrs` for a public NLB, required there (never silently 0.0.0.0/0)."
    )

    hairpin_source_cidrs: NotRequired[HairpinSourceCidrs]
    (
        "The primaries' public egress addresses (NAT gateways' Elastic IPs or their own public "
        "IPs): a primary reaching the public NLB arrives from them. Required unless its "
        "`allowedClientCidrs` lists 0.0.0.0/0."
    )

    elastic_ips: NotRequired[ElasticIps]
    """As `elasticIps`, for the public NLB (default false)."""

    elastic_ip_allocation_ids: NotRequired[ElasticIpAllocationIds]
    """As `elasticIpAllocationIds`, for the public NLB; not with its `elasticIps`."""

    load_balancer_security_group: NotRequired[LoadBalancerSecurityGroup]
    """As `loadBalancerSecurityGroup`, for the public NLB (default true)."""

    dns_record: NotRequired[DnsRecord]
    (
        "A Route 53 alias record for the public NLB: kURL's `public-address` and "
        "`publicLoadBalancerHost` are then its name (else the NLB's DNS name). Another name "
        "than `dnsRecord`."
    )


@declared
class AwsKurlNlbArgs(TypedDict):
    """Arguments of AwsKurlNlb: an AWS Network Load Balancer for a kURL control plane."""

    primaries: Annotated[list[AwsPrimaryArgs], Opt(form="list of primaries", min_length=1)]
    """The kURL primaries, in join order."""

    vpc_id: Annotated[pulumi.Input[str], Opt(check=VpcId, example="vpc-0123456789abcdef0")]
    """VPC of the NLB and the primaries."""

    subnet_ids: SubnetIds
    """Subnets the NLB lives in, one per availability zone."""

    scheme: Scheme
    """`internal` or `public` (internet-facing)."""

    port: NotRequired[Annotated[int, Opt(6443, ge=1, le=65535)]]
    """API port on the load balancer and the primaries (1-65535). Default 6443."""

    allowed_client_cidrs: NotRequired[AllowedClientCidrs]
    (
        "IPv4 CIDR blocks that may reach the API through the NLB. Required for a public NLB "
        "(which also needs the primaries' public egress IPs in `hairpinSourceCidrs`); an "
        "internal NLB defaults to the VPC's CIDR."
    )

    deletion_protection: NotRequired[Annotated[bool, Opt(True)]]
    """Protect the load balancer front end, and so the API address, from deletion. Default true."""

    tags: NotRequired[Annotated[pulumi.Input[dict[str, str]], Opt({})]]
    """Tags on every resource that takes them. The key `kurl-lb-stack` is reserved."""

    secret_args: NotRequired[list[str]]
    (
        "Names of arguments (camelCase: `primaries`, `scheme`) whose values are secrets: "
        "every resource input and output derived from them is a secret. The only way to make "
        "a plain argument secret; `pulumi.Input` arguments may also arrive as secret outputs."
    )

    region: NotRequired[pulumi.Input[str]]
    """AWS region of the provider; the primaries' zones are checked against it."""

    target_type: NotRequired[Annotated[str, Opt("ip", choices=("ip", "instance"))]]
    (
        "How primaries are registered: `ip` (default) or `instance`. Internal NLBs need `ip` "
        "(hairpinning)."
    )

    instance_security_group_id: NotRequired[
        Annotated[pulumi.Input[str], Opt(check=SecurityGroupId, example="sg-0123456789abcdef0")]
    ]
    """Security group of the primaries: gets ingress from the NLB, and admits hairpinned traffic."""

    load_balancer_security_group: NotRequired[LoadBalancerSecurityGroup]
    """Attach a security group to the NLB (default true). Only possible when the NLB is created."""

    cross_zone: NotRequired[Annotated[bool, Opt(True)]]
    """Cross-zone load balancing (default true)."""

    preserve_client_ip: NotRequired[Annotated[bool, Opt(False)]]
    """Client IP preservation (default false); it breaks hairpinning, so internal NLBs reject it."""

    hairpin_source_cidrs: NotRequired[HairpinSourceCidrs]
    (
        "Public NLB only: the primaries' public egress addresses (their NAT gateways' Elastic "
        "IPs or their own public IPs), admitted like `allowedClientCidrs`. Required for a "
        "public NLB unless `allowedClientCidrs` lists 0.0.0.0/0."
    )

    health_check: NotRequired[
        Annotated[
            HealthCheckArgs,
            Opt(
                {},
                each=each(
                    interval_seconds=Opt(10, ge=5, le=300),
                    healthy_threshold=Opt(3, ge=2, le=10),
                    unhealthy_threshold=Opt(3, ge=2, le=10),
                ),
            ),
        ]
    ]
    (
        "Target group health check, on each target group's port. `protocol: https` is an HTTPS "
        "`GET /readyz`, healthy on 200 only; an NLB fails open while every target is unhealthy, "
        "so kURL's first-primary preflight (a raw TCP listener) still gets through."
    )

    extra_ports: NotRequired[ExtraPorts]
    (
        "More TCP ports on every front end, forwarded to the same registered primaries, each "
        "with its own health check (docs/config.md). At most 5."
    )

    elastic_ips: NotRequired[ElasticIps]
    (
        "Public NLB only: give it one Elastic IP per subnet, created and protected with the NLB "
        "(`deletionProtection`), so its public addresses never change (default false). An "
        "existing NLB cannot take them (AWS keeps its subnets' addresses): do that as an "
        "address move."
    )

    elastic_ip_allocation_ids: NotRequired[ElasticIpAllocationIds]
    (
        "Public NLB only: existing Elastic IPs (allocation IDs) for the NLB, one per subnet in "
        "`subnetIds` order; not with `elasticIps`."
    )

    private_ipv4_addresses: NotRequired[PrivateIpv4Addresses]
    (
        "Internal NLB only: its private IPv4 address in each subnet, in `subnetIds` order; "
        "each inside its subnet's CIDR and not one of the 5 addresses AWS reserves in it "
        "(checked when the subnets are looked up)."
    )

    dns_record: NotRequired[DnsRecord]
    (
        "A Route 53 alias record for the NLB: the API address is then this name, and "
        "replacing the NLB is an update of the record (alias records answer with the NLB's "
        "TTL, 60 seconds)."
    )

    public_front_end: NotRequired[AwsPublicFrontEndArgs]
    (
        "With `scheme: internal`: a public NLB beside the internal one, on the same primaries "
        "(its own target groups, listeners and attachments, IP targets): nodes use the internal "
        "NLB, admins and CI the public one, whose host kURL trusts as `public-address`."
    )

    front_end: NotRequired[FrontEnd]
    (
        "Label of the front end nodes use (default `v1`, whose resources keep their first "
        "names). Changes only when an address move is finished (docs/runbook.md section 6)."
    )

    address_move: NotRequired[AwsAddressMoveArgs]
    (
        "A planned move of the API address, in two applies: with it, a second front end "
        "serves the same primaries beside the current one; after kURL and EKCO moved every "
        "node, `frontEnd` takes the new label, the moved fields take the new values, and "
        "`addressMove` is removed, which retires the old front end."
    )


Aws = Subject[AwsKurlNlbArgs]


def health_check_timeout(hc: HealthCheckArgs) -> int:
    # AWS: 2-120 s and below the interval; 10 s is the TCP default.
    return max(2, min(10, hc["interval_seconds"] - 1))


def _targets(s: Subject[Any], p: AwsPrimaryArgs) -> dict[str, str | None]:
    return {"address": p.get("address"), "instanceId": p.get("instance_id")}  # type: ignore[dict-item]


# --- rules --------------------------------------------------------------------------------------


@rule(
    "`scheme: internal` rejects `targetType: instance` and `preserveClientIp: true`: both "
    "break hairpinning (a primary reaching the API through the NLB)."
)
def internal_nlb_can_hairpin(s: Aws) -> Iterator[Problem]:
    a = s.args
    if a["scheme"] != "internal":
        return
    if a["target_type"] == "instance":
        yield Problem(
            ("targetType",),
            '"instance" cannot be used with scheme internal: internal NLBs do not support '
            "hairpinning or loopback with instance targets (client IP is preserved, so a "
            "primary reaching itself through the NLB drops the reply); use targetType ip",
        )
    if a["preserve_client_ip"]:
        yield Problem(
            ("preserveClientIp",),
            "true cannot be used with scheme internal: NLBs with client IP preservation do "
            "not support hairpinning, so primaries could not reach the API through the NLB",
        )


@rule(
    "`targetType: ip` needs `address` on every primary (and no `instanceId`); "
    "`targetType: instance` needs `instanceId` (and no `address`)."
)
def primaries_match_the_target_type(s: Aws) -> Iterator[Problem]:
    # An internal NLB can only use ip (internal_nlb_can_hairpin says so): check the primaries
    # against ip there too, so the config gets one piece of advice, not two opposite ones.
    target_type = "ip" if s.args["scheme"] == "internal" else s.args["target_type"]
    used_in = {"ip": ["address"], "instance": ["instance_id"]}
    for i, p in enumerate(s.args["primaries"]):
        yield from by_mode(
            "target_type", target_type, ("primaries", i), p, AwsPrimaryArgs, used_in, s.given
        )


@rule(
    "`zone` is only used with `targetType: ip`: AWS rejects an availability zone on an "
    "instance target's attachment (the instance's own zone is used)."
)
def zones_are_only_for_ip_targets(s: Aws) -> Iterator[Problem]:
    if s.args["target_type"] != "instance" or s.args["scheme"] == "internal":
        return  # internal + instance: the targetType problem comes first
    for i, p in enumerate(s.args["primaries"]):
        if p.get("zone") is not None:
            yield Problem(
                ("primaries", i, "zone"),
                f'"{p.get("zone")}" is only used with {ref("target_type")} ip: AWS rejects an '
                "availability zone for instance targets (the instance's own zone is used); "
                "remove it",
            )


@rule("Every primary's `zone` is in `aws:region` (or `all`).")
def zones_are_in_the_region(s: Aws) -> Iterator[Problem]:
    region = s.args.get("region")
    for i, p in enumerate(s.args["primaries"]):
        zone = p.get("zone")
        if zone and zone != "all" and region and not str(zone).startswith(str(region)):
            yield Problem(
                ("primaries", i, "zone"),
                f"{shown(zone)} is not in {ref('region')} {region}; allowed: {region}<letter> "
                "or all",
            )


@rule("`subnetIds` has no duplicates (one subnet per availability zone).")
def subnets_are_listed_once(s: Aws) -> Iterator[Problem]:
    subnets = s.args["subnet_ids"]
    if len(set(subnets)) != len(subnets):
        yield Problem(("subnetIds",), "lists a subnet twice; one per AZ")


STATIC_ADDRESSES = ("elastic_ip_allocation_ids", "private_ipv4_addresses")


def own_static_addresses(a: Any, field: str) -> Any:
    """A front end's `field` (one of STATIC_ADDRESSES). The public front end's view
    (publicFrontEnd) inherits the internal NLB's `privateIpv4Addresses`, which are not its own:
    an internet-facing NLB has public addresses only (its record does not declare the field)."""
    if (
        field == "private_ipv4_addresses"
        and a["front_end"] == PAIR_LABEL
        and a["scheme"] == "public"
    ):
        return None
    return a.get(field)


@rule(
    "Static addresses match the scheme: `elasticIps` and `elasticIpAllocationIds` (one or the "
    "other) only with `scheme: public`, `privateIpv4Addresses` only with `scheme: internal`; "
    "each list has one entry per subnet, in `subnetIds` order."
)
def static_addresses_match_the_scheme(s: Aws) -> Iterator[Problem]:
    a: Any = s.args  # read by field name from a list
    allocations = a.get("elastic_ip_allocation_ids")
    private = own_static_addresses(a, "private_ipv4_addresses")
    if a["scheme"] == "internal":
        if a["elastic_ips"]:
            yield Problem(
                ("elasticIps",),
                "true cannot be used with scheme internal: an Elastic IP is a public address "
                "and an internal NLB has private addresses only; fix them with "
                "privateIpv4Addresses instead",
            )
        if allocations is not None:
            yield Problem(
                ("elasticIpAllocationIds",),
                "is only used with scheme public (Elastic IPs are public addresses); fix an "
                "internal NLB's addresses with privateIpv4Addresses instead",
            )
    elif private is not None:
        yield Problem(
            ("privateIpv4Addresses",),
            "is only used with scheme internal (an internet-facing NLB's addresses are "
            "public); fix them with elasticIps or elasticIpAllocationIds instead",
        )
    if a["elastic_ips"] and allocations is not None:
        yield Problem(
            ("elasticIpAllocationIds",),
            "cannot be used with elasticIps true: give existing Elastic IPs here or let "
            "kurl-lb create them (elasticIps true), not both",
        )
    subnets = len(a["subnet_ids"])
    for field in STATIC_ADDRESSES:
        values = own_static_addresses(a, field)
        if values is not None and len(values) != subnets:
            yield Problem(
                (to_camel(field),),
                f"has {len(values)} entries and {ref('subnet_ids')} has {subnets}: give one "
                "per subnet, in subnetIds order",
            )


@rule(
    "`elasticIpAllocationIds` and `privateIpv4Addresses` list each address once: an NLB needs "
    "its own address in each subnet."
)
def static_addresses_are_listed_once(s: Aws) -> Iterator[Problem]:
    a: Any = s.args  # read by field name from a list
    for field in STATIC_ADDRESSES:
        first: dict[str, int] = {}
        for i, value in enumerate(own_static_addresses(a, field) or []):
            if value in first:
                yield Problem(
                    (to_camel(field), i),
                    f"{shown(value)} is also {to_camel(field)}[{first[value]}]; each subnet "
                    "needs its own address",
                )
            first.setdefault(value, i)


@rule(
    "An address move to a new front end gives it addresses of its own: no Elastic IP "
    "allocation ID or private IPv4 address of the current front end (an address serves one "
    "NLB), and a `dnsRecord` of its own (another name than the current `dnsRecord`)."
)
def moved_addresses_are_new(s: Aws) -> Iterator[Problem]:
    a: Any = s.args  # read by field name from a list
    move = a.get(MOVE)
    if move is None or move["front_end"] == a["front_end"]:
        return
    for field in STATIC_ADDRESSES:
        ours = set(a.get(field) or [])
        for i, value in enumerate(move.get(field) or []):
            if value in ours:
                yield Problem(
                    (MOVE_KEY, to_camel(field), i),
                    f"{shown(value)} is also in {to_camel(field)}, which the current front end "
                    "uses: an address serves one NLB; give the new front end its own",
                )
    record = a.get("dns_record")
    theirs = move.get("dns_record") or record
    if record is not None and theirs["name"] == record["name"]:
        yield Problem(
            (MOVE_KEY, "dnsRecord"),
            f"{'is' if move.get('dns_record') else 'is missing, so the new front end takes'} "
            f"{shown(record['name'])}, the current front end's record ({ref('dns_record')}): "
            "a record names one NLB. Give the new front end another name (the new API "
            "address); or, to keep this name as the API address, change the fields at top "
            "level without addressMove: the record then follows the replaced NLB",
        )


@rule(
    "`scheme: internal` without `instanceSecurityGroupId` but with `allowedClientCidrs`: every "
    "primary's `address` must lie inside `allowedClientCidrs` (hairpinned traffic arrives with "
    "the primary's own address)."
)
def hairpin_sources_are_admitted(s: Aws) -> Iterator[Problem]:
    a = s.args
    cidrs = networks(a["allowed_client_cidrs"])
    if not (
        a["scheme"] == "internal"
        and a["load_balancer_security_group"]
        and a.get("instance_security_group_id") is None
        and cidrs
    ):
        return
    for i, p in enumerate(a["primaries"]):
        address = p.get("address")
        if address and not any(ipaddress.IPv4Address(address) in c for c in cidrs):
            yield Problem(
                ("primaries", i, "address"),
                f"{shown(address)} is outside allowedClientCidrs: {HAIRPIN}, and without "
                f"{ref('instance_security_group_id')} the NLB security group only admits "
                "allowedClientCidrs; add the primaries' subnets to allowedClientCidrs or "
                f"set {ref('instance_security_group_id')}",
            )


@rule(
    "`loadBalancerSecurityGroup: false` on a public NLB needs `preserveClientIp: true` or "
    "`0.0.0.0/0` listed: otherwise nothing could enforce `allowedClientCidrs`."
)
def public_clients_are_enforced(s: Aws) -> Iterator[Problem]:
    a = s.args
    if (
        not a["load_balancer_security_group"]
        and not a["preserve_client_ip"]
        and a["scheme"] == "public"
        and ipaddress.IPv4Network("0.0.0.0/0") not in networks(a["allowed_client_cidrs"])
    ):
        yield Problem(
            ("loadBalancerSecurityGroup",),
            "false with a public NLB and preserveClientIp false leaves no place to enforce "
            "allowedClientCidrs (targets only see the NLB's own addresses); keep the NLB "
            "security group, or list 0.0.0.0/0 in allowedClientCidrs to accept that",
        )


def _hairpin_rules_needed(a: AwsKurlNlbArgs) -> bool:
    """Whether kurl-lb manages a rule that admits clients by address on a public NLB: the NLB
    security group, or (without one) the primaries' group when client IPs are preserved."""
    return (
        a["scheme"] == "public"
        and ipaddress.IPv4Network("0.0.0.0/0") not in networks(a["allowed_client_cidrs"])
        and (
            a["load_balancer_security_group"]
            or (a["preserve_client_ip"] and a.get("instance_security_group_id") is not None)
        )
    )


@rule(
    "A public NLB needs `hairpinSourceCidrs` (the primaries' NAT gateways' or own public IPs) "
    "unless `allowedClientCidrs` lists `0.0.0.0/0`: a primary reaching the NLB's public "
    "address arrives from its public egress IP, which no security group reference matches. "
    "Internal NLBs reject it."
)
def public_hairpin_sources_are_listed(s: Aws) -> Iterator[Problem]:
    a = s.args
    loc = ("hairpinSourceCidrs",)
    if a["scheme"] == "internal" and a.get("hairpin_source_cidrs") is not None:
        yield Problem(
            loc,
            "is only used with scheme public (an internal NLB sees a primary's own private "
            f"address, admitted through {ref('instance_security_group_id')} or "
            "allowedClientCidrs)",
        )
    if _hairpin_rules_needed(a) and a.get("hairpin_source_cidrs") is None:
        yield Problem(
            loc,
            f"is required with scheme public: {HAIRPIN}, and a primary reaches the NLB's public "
            "address from its NAT gateway's public IP (or its own public IP), which the rule "
            "for the primaries' security group cannot match; list those addresses as /32s, "
            "e.g. [198.51.100.7/32] (the VPC's NAT gateways: aws ec2 describe-nat-gateways "
            f"--filter Name=vpc-id,Values={a['vpc_id']} --query "
            "'NatGateways[].NatGatewayAddresses[].PublicIp')",
        )


_AWS_SIGNS = "_.:/=+-@"


def _aws_tag_text(text: str) -> str | None:
    """AWS tag keys and values: letters, digits and spaces of any script, and _ . : / = + - @."""
    bad = sorted(
        {c for c in text if unicodedata.category(c)[0] not in "LNZ" and c not in _AWS_SIGNS}
    )
    if bad:
        return (
            f"{shown(''.join(bad[:5]))} not allowed; allowed: letters, digits, spaces, {_AWS_SIGNS}"
        )
    return None


def _aws_tag_key(key: str) -> str | None:
    if key.lower().startswith("aws:"):
        return 'the "aws:" prefix is reserved for AWS'
    return _aws_tag_text(key)


AWS_TAGS = TagRules(
    noun="tag",
    limit=50,
    key_max=128,
    value_max=256,
    key_ok=_aws_tag_key,
    value_ok=_aws_tag_text,
    ours=(STACK_TAG, "Name"),  # Name: on the NLB security group
)


@rule(
    "`tags` are tags AWS accepts: at most 50 per resource with kurl-lb's own (`kurl-lb-stack`, "
    "`Name`), keys 1-128 and values 0-256 characters of letters, digits, spaces and "
    "`_.:/=+-@`, no key starting with `aws:`."
)
def tags_are_aws_tags(s: Aws) -> Iterator[Problem]:
    yield from check_tags(s.args["tags"], AWS_TAGS)  # type: ignore[arg-type]


# Security group rules per group and direction (AWS's default quota); the NLB group also gets
# the hairpin rule from the primaries' group.
AWS_RULES_PER_GROUP = 60


@rule(
    "`name` gives names AWS accepts: the NLB and target group (`<name>-nlb-...`, "
    "`<name>-tg-...`) must not start with `internal-`, the NLB security group "
    "(`<name>-nlb-sg-...`) not with `sg-`; `allowedClientCidrs` fits one security group "
    f"(at most {AWS_RULES_PER_GROUP - 1} blocks besides the hairpin rule; with `extraPorts` "
    "each port has its own rules, so at most 60 / ports - 1)."
)
def aws_names_and_rules_are_accepted(s: Aws) -> Iterator[Problem]:
    for suffix, what in (("-nlb", "load balancer"), ("-tg", "target group")):
        if (s.name + suffix).startswith("internal-"):
            yield Problem(
                ("name",),
                f"{shown(s.name)} makes the {what} name {s.name}{suffix}-..., and AWS "
                'refuses names starting with "internal-"; choose another name',
            )
    if s.args["load_balancer_security_group"] and (s.name + "-nlb-sg").startswith("sg-"):
        yield Problem(
            ("name",),
            f"{shown(s.name)} makes the security group name {s.name}-nlb-sg-..., and AWS "
            'refuses security group names starting with "sg-"; choose another name',
        )
    clients = s.args["allowed_client_cidrs"] or []
    ports = 1 + len(s.args.get("extra_ports") or [])
    most = AWS_RULES_PER_GROUP // ports - 1
    if len(clients) > most:
        per_port = f" per port ({ports}: port and extraPorts)" if ports > 1 else ""
        yield Problem(
            ("allowedClientCidrs",),
            f"lists {len(clients)} blocks; each is one rule of the NLB security group"
            f"{per_port}, which takes at most {AWS_RULES_PER_GROUP} inbound rules (AWS quota) "
            f"with the hairpin rule: list at most {most} (e.g. merge them into wider blocks)",
        )


# AWS: load balancer and target group names are at most 32 characters; pulumi-aws appends "-"
# and 7 random characters to the logical name.
AWS_NAME_MAX, AUTONAME_SUFFIX = 32, 8


@rule(
    "Each extra port's target group (`<name>[-<front end label>]-<port name>-tg`, on every "
    "front end) fits AWS's 32-character names with the 8 characters pulumi-aws appends."
)
def extra_port_names_fit(s: Aws) -> Iterator[Problem]:
    label = s.args["front_end"]
    prefix = s.name if label == DEFAULT_FRONT_END else f"{s.name}-{label}"
    room = AWS_NAME_MAX - AUTONAME_SUFFIX - len(prefix) - len("--tg")
    for i, extra in enumerate(s.args.get("extra_ports") or []):
        group = f"{prefix}-{extra['name']}-tg"
        if len(group) + AUTONAME_SUFFIX > AWS_NAME_MAX:
            yield Problem(
                ("extraPorts", i, "name"),
                f"{shown(extra['name'])} makes the target group name {group}-xxxxxxx, longer "
                f"than AWS's {AWS_NAME_MAX} characters; give a name of at most {max(room, 0)} "
                f"characters (or a shorter {ref('name')} or front end label)",
            )


@rule(
    "An extra port's name is no front end's label (`frontEnd`, `addressMove.frontEnd`, "
    "`public`): its resources are named `<name>-<port name>-...` beside `<name>-<label>-...`."
)
def extra_port_names_are_not_labels(s: Aws) -> Iterator[Problem]:
    a: Any = s.args
    labels = {a["front_end"], PAIR_LABEL, (a.get(MOVE) or {}).get("front_end")} - {None}
    # A front end's prefix and a port name make another front end's prefix: `v2` and `x`
    # name `<name>-v2-x-tg` as the front end `v2-x` names its API target group.
    prefixes = {s.name if label == DEFAULT_FRONT_END else f"{s.name}-{label}" for label in labels}
    for i, extra in enumerate(a.get("extra_ports") or []):
        if extra["name"] in labels or any(f"{p}-{extra['name']}" in prefixes for p in prefixes):
            yield Problem(
                ("extraPorts", i, "name"),
                f"{shown(extra['name'])} is a front end's label, or makes one with another "
                f"label, and the port's resources (<prefix>-{extra['name']}-tg, ...) would take "
                "that front end's names; give the port another name",
            )


@rule(
    "`publicFrontEnd.dnsRecord` is another record than `dnsRecord` and the address move's: "
    "another name, or the same name in another hosted zone (split-horizon DNS)."
)
def public_record_is_its_own(s: Aws) -> Iterator[Problem]:
    a: Any = s.args
    pair = a.get(PAIR) or {}
    record = pair.get("dns_record")
    if record is None:
        return
    others = (
        ("dns_record", a.get("dns_record")),
        (MOVE, (a.get(MOVE) or {}).get("dns_record")),
    )
    for key, other in others:
        if (
            other is not None
            and other["name"] == record["name"]
            and isinstance(other["zone_id"], str)
            and other["zone_id"] == record["zone_id"]
        ):
            yield Problem(
                (PAIR_KEY, "dnsRecord", "name"),
                f"{shown(record['name'])} in zone {shown(record['zone_id'])} is also the record "
                f"in {ref(key)}: a record names one NLB; give the public NLB another name (or "
                "the same name in another hosted zone: split-horizon DNS)",
            )


AWS = Declaration(
    cloud="aws",
    component="AwsKurlNlb",
    args=AwsKurlNlbArgs,
    rules=(
        *SHARED_RULES,
        internal_nlb_can_hairpin,
        primaries_match_the_target_type,
        zones_are_only_for_ip_targets,
        zones_are_in_the_region,
        subnets_are_listed_once,
        static_addresses_match_the_scheme,
        static_addresses_are_listed_once,
        moved_addresses_are_new,
        hairpin_sources_are_admitted,
        public_clients_are_enforced,
        public_hairpin_sources_are_listed,
        tags_are_aws_tags,
        aws_names_and_rules_are_accepted,
        extra_port_names_fit,
        extra_port_names_are_not_labels,
        public_record_is_its_own,
    ),
    title="AWS",
    public_lb="a public NLB",
    targets=_targets,
    clients_hint=" (the primaries' NAT gateway or own public IPs go in "
    f"{ref('hairpin_source_cidrs')})",
    internal_clients_defaulted=True,  # the VPC's CIDR
)
