"""AzureKurlLb's Args, declared once, and the rules across their fields."""

from collections.abc import Collection, Iterator, Mapping
from typing import Annotated, Any, NotRequired, TypedDict

import pulumi
from pydantic.alias_generators import to_camel

from ..declare import Declaration, Opt, Subject, declared, each, moved, rule
from ..problems import Problem, ref, shown
from ..scalars import (
    AzureDnsRecordName,
    AzureDnsZoneName,
    AzureName,
    AzureNicId,
    AzurePublicIpId,
    AzureResourceGroup,
    AzureVnetId,
    DomainNameLabel,
    IPv4Cidr,
    PrivateIPv4,
)
from .common import (
    MOVE,
    MOVE_KEY,
    PAIR_KEY,
    PRIMARY_NAME,
    SHARED_RULES,
    ExtraPorts,
    FrontEnd,
    HealthCheckArgs,
    MoveLabel,
    TagRules,
    by_mode,
    check_tags,
    move_keys,
    target_port,
)


@declared
class AzurePrimaryArgs(TypedDict):
    """A kURL primary behind the load balancer."""

    name: Annotated[str, Opt(check=PRIMARY_NAME, example="primary-1")]
    """Unique name (a lowercase DNS label); the primary's registration is named after it."""

    registered: NotRequired[Annotated[bool, Opt(False)]]
    (
        "True once the primary has joined the cluster: only then does it get load balancer "
        "traffic. Default false, so that primaries are added in stages."
    )

    nic_id: NotRequired[Annotated[pulumi.Input[str], Opt(check=AzureNicId)]]
    """Resource ID of the VM's network interface (`backendPool: nic`)."""

    ip_configuration_name: NotRequired[
        Annotated[
            pulumi.Input[str], Opt("ipconfig1", check=AzureName, form="IP configuration name")
        ]
    ]
    """IP configuration of that NIC (default `ipconfig1`)."""

    address: NotRequired[Annotated[pulumi.Input[str], Opt(check=PrivateIPv4, example="10.1.0.4")]]
    """Private IPv4 address of the VM (`backendPool: ip`)."""


# Azure DNS record set TTLs: 1 to 2147483647 seconds (Azure DNS, "DNS zones and records").
DNS_TTL_MAX = 2_147_483_647


@declared
class AzureDnsRecordArgs(TypedDict):
    """An A record in a public Azure DNS zone naming the front end: an alias record set of its
    public IP (it follows the IP's address)."""

    zone_name: Annotated[str, Opt(check=AzureDnsZoneName, example="example.com")]
    """Name of the Azure DNS zone (a public zone, `Microsoft.Network/dnsZones`), its DNS name."""

    name: Annotated[str, Opt(check=AzureDnsRecordName, example="k8s.example.com")]
    (
        "The record's fully qualified name, without the trailing dot, ending in `.<zoneName>` "
        "(or the zone's name itself): the API address nodes use."
    )

    resource_group_name: NotRequired[
        Annotated[pulumi.Input[str], Opt(check=AzureResourceGroup, form="resource group name")]
    ]
    """Resource group of the zone (default: `resourceGroupName`)."""

    ttl: NotRequired[Annotated[int, Opt(60, ge=1, le=DNS_TTL_MAX)]]
    (
        "Seconds resolvers may keep the answer (1-2147483647, default 60): how long clients "
        "may still reach an old address after the record's target changed."
    )


# Declared once, for the Args and the address move (`moved(...)`: the same check, no default).
PublicIpId = Annotated[pulumi.Input[str], Opt(check=AzurePublicIpId)]
DomainLabel = Annotated[pulumi.Input[str], Opt(check=DomainNameLabel)]
DnsRecord = AzureDnsRecordArgs


@declared
class AzureAddressMoveArgs(TypedDict):
    """A planned move of the API address: the front end added beside the one nodes use
    (docs/runbook.md section 6)."""

    front_end: MoveLabel
    (
        "Label of the new front end: another label than `frontEnd` (its resources are named "
        "`<name>-<label>-...`), or the same one when the move only adds a `dnsRecord`."
    )

    # moved(...) builds the type at runtime, which mypy cannot read as an annotation.
    public_ip_id: NotRequired[moved(PublicIpId)]  # type: ignore[valid-type]
    """As `publicIpId`, for the new front end."""

    domain_name_label: NotRequired[moved(DomainLabel)]  # type: ignore[valid-type]
    """As `domainNameLabel`, for the new front end."""

    dns_record: NotRequired[moved(DnsRecord)]  # type: ignore[valid-type]
    """As `dnsRecord`, for the new front end."""


@declared
class AzureKurlLbArgs(TypedDict):
    """Arguments of AzureKurlLb: a public Standard Azure Load Balancer for a kURL control plane."""

    primaries: Annotated[list[AzurePrimaryArgs], Opt(form="list of primaries", min_length=1)]
    """The kURL primaries, in join order."""

    resource_group_name: Annotated[
        pulumi.Input[str], Opt(check=AzureResourceGroup, form="resource group name")
    ]
    """Resource group of the public IP, the load balancer and the NSG rule."""

    scheme: NotRequired[Annotated[str, Opt("public", choices=("internal", "public"))]]
    """`public` (the default and the only value: internal Azure load balancers cannot hairpin)."""

    port: NotRequired[Annotated[int, Opt(6443, ge=1, le=65535)]]
    """API port on the load balancer and the primaries (1-65535). Default 6443."""

    allowed_client_cidrs: NotRequired[
        Annotated[
            list[pulumi.Input[str]],
            Opt(check=list[IPv4Cidr], example="[10.0.0.0/16, 203.0.113.7/32]", min_length=1),
        ]
    ]
    (
        "IPv4 CIDR blocks that may reach the API through the load balancer (required): the "
        "NSG rule admits them."
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

    location: NotRequired[pulumi.Input[str]]
    """Azure location (`eastus`); required with `domainNameLabel`, whose DNS name holds it."""

    subscription_id: NotRequired[pulumi.Input[str]]
    (
        "Subscription of the classic azure provider the NIC pool associations use (default: "
        "the one azure-native is configured with)."
    )

    backend_pool: NotRequired[Annotated[str, Opt("nic", choices=("nic", "ip"))]]
    """Backend pool membership: `nic` (default, the kURL page's way) or `ip`."""

    virtual_network_id: NotRequired[Annotated[pulumi.Input[str], Opt(check=AzureVnetId)]]
    """Resource ID of the primaries' virtual network (`backendPool: ip` only)."""

    network_security_group_name: NotRequired[
        Annotated[pulumi.Input[str], Opt(check=AzureName, form="NSG name")]
    ]
    (
        "NSG of the primaries: gets the inbound rule for the port. It must be in "
        "`resourceGroupName` (the rule is created in that resource group)."
    )

    network_security_rule_priority: NotRequired[Annotated[int, Opt(310, ge=100, le=4096)]]
    """Priority of that NSG rule (100-4096, default 310)."""

    domain_name_label: NotRequired[DomainLabel]
    """Gives the public IP kurl-lb creates a stable FQDN, used as the load balancer address."""

    public_ip_id: NotRequired[PublicIpId]
    (
        "Resource ID of an existing public IP for the frontend (Standard SKU, static, IPv4, in "
        "the load balancer's location, not in use elsewhere): no public IP is created, and the "
        "address is its FQDN when it has a DNS name label, else its IP. Not with "
        "`domainNameLabel`."
    )

    dns_record: NotRequired[DnsRecord]
    (
        "An A record in a public Azure DNS zone, an alias of the frontend's public IP: the "
        "API address is then the record's name, which outlives the public IP."
    )

    health_check: NotRequired[
        Annotated[
            HealthCheckArgs,
            Opt(
                {},
                each=each(
                    interval_seconds=Opt(5, ge=5, le=300),
                    healthy_threshold=None,
                    unhealthy_threshold=Opt(2, ge=1, le=100),
                ),
            ),
        ]
    ]
    (
        "Load balancer health probe (`healthyThreshold` is not used on Azure). With `protocol: "
        "https` the probe is HTTPS `GET /readyz` on the API port (healthy on 200 only) and sets "
        "`noHealthyBackendsBehavior: AllProbedUp`: while every primary is probed down the load "
        "balancer still sends new flows to all of them, so kURL's first-primary preflight (a raw "
        "TCP listener on the API port, dialled through the load balancer) passes (docs/azure.md)."
    )

    extra_ports: NotRequired[ExtraPorts]
    (
        "More TCP ports on every front end, forwarded to the same registered primaries, each "
        "with its own health check (docs/config.md). At most 5. On Azure each is one more "
        "load-balancing rule and TCP probe on the one load balancer; `targetPort` is neither the "
        "API port nor another extra port's, and equals `port` during an address move to a new "
        "front end (docs/azure.md)."
    )

    front_end: NotRequired[FrontEnd]
    (
        "Label of the front end nodes use (default `v1`, whose resources keep their first "
        "names). Changes only when an address move is finished (docs/runbook.md section 6)."
    )

    address_move: NotRequired[AzureAddressMoveArgs]
    (
        "A planned move of the API address, in two applies: with it, a second front end "
        "serves the same primaries beside the current one; after kURL and EKCO moved every "
        "node, `frontEnd` takes the new label, the moved fields take the new values, and "
        "`addressMove` is removed, which retires the old front end."
    )


Azure = Subject[AzureKurlLbArgs]


def _targets(s: Subject[Any], p: AzurePrimaryArgs) -> dict[str, str | None]:
    # Azure resource IDs are case-insensitive.
    nic = p.get("nic_id")
    return {"nicId": nic and str(nic).lower(), "address": p.get("address")}  # type: ignore[dict-item]


@rule("`scheme` must be `public`: internal Azure load balancers cannot hairpin.")
def load_balancer_is_public(s: Azure) -> Iterator[Problem]:
    if s.args["scheme"] == "internal":
        yield Problem(
            ("scheme",),
            '"internal" cannot be used on Azure: internal load balancers do not support '
            "hairpinning (a primary reaching the API through its own LB fails, "
            "intermittently); allowed: public",
        )


@rule(
    "`backendPool: nic` needs `nicId` on every primary; `backendPool: ip` needs `address` on "
    "every primary and `virtualNetworkId`, and rejects `nicId`/`ipConfigurationName`."
)
def members_match_the_backend_pool(s: Azure) -> Iterator[Problem]:
    pool = s.args["backend_pool"]
    yield from by_mode(
        "backend_pool",
        pool,
        (),
        s.args,
        AzureKurlLbArgs,
        {"ip": ["virtual_network_id"]},
        s.given,
        note=" (an IP pool names its network; a NIC pool takes each NIC's)",
    )
    used_in = {"nic": ["nic_id", "ip_configuration_name"], "ip": ["address"]}
    for i, p in enumerate(s.args["primaries"]):
        yield from by_mode(
            "backend_pool", pool, ("primaries", i), p, AzurePrimaryArgs, used_in, s.given
        )


@rule("`domainNameLabel` needs `azure-native:location` (it is part of the FQDN).")
def provider_settings_are_given(s: Azure) -> Iterator[Problem]:
    if s.args.get("domain_name_label") and not s.args.get("location"):
        yield Problem(
            ("location",),
            f"is required with {ref('domain_name_label', full=True)} (the FQDN is "
            "<label>.<location>.cloudapp.azure.com)",
            advice="; e.g. pulumi config set azure-native:location eastus",
        )


# --- stable addresses and the address move ------------------------------------------------------


def moved_keys(s: Subject[Any]) -> frozenset[str] | None:
    """In the view of the front end an address move adds (components/checked.py runs every rule
    on it too): the keys the move gives, camelCase; None in the current front end's view."""
    if s.args.get(MOVE) is not None or not any(loc[:1] == (MOVE_KEY,) for loc in s.given):
        return None
    return move_keys(s.given)


def address_source(args: Mapping[str, Any], given: Collection[str] | None) -> tuple[Any, Any]:
    """A front end's (`public_ip_id`, `domain_name_label`). An address move that gives one of
    them drops the other, which its front end would otherwise take from the current one: a move
    from a created public IP to a given one (or back) names only the new one. `given`: the keys
    the move gives (camelCase), None for the current front end."""
    pip, label = args.get("public_ip_id"), args.get("domain_name_label")
    if given is not None:
        if "publicIpId" in given and "domainNameLabel" not in given:
            label = None
        elif "domainNameLabel" in given and "publicIpId" not in given:
            pip = None
    return pip, label


def _move_view(args: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The new front end's Args (the move's fields in place) and the keys the move gives."""
    move = {k: v for k, v in args[MOVE].items() if k != "front_end" and v is not None}
    return {**args, **move}, frozenset(to_camel(k) for k in move)


@rule(
    "`publicIpId` and `domainNameLabel` exclude each other (a given public IP keeps its own DNS "
    "name label); an address move that gives one of them drops the other for its front end."
)
def public_ip_is_given_or_created(s: Azure) -> Iterator[Problem]:
    pip, label = address_source(s.args, moved_keys(s))
    if pip is not None and label is not None:
        yield Problem(
            ("domainNameLabel",),
            f"is only used with a public IP kurl-lb creates, and {ref('public_ip_id')} gives an "
            "existing one (its DNS name label is set on that IP); give one of them",
        )


@rule(
    "A new front end (`addressMove.frontEnd` another label) has a public IP of its own: a public "
    "IP serves one frontend, so the move gives another `publicIpId`, or none (a created one), "
    "when the current front end has a `publicIpId`."
)
def new_front_end_has_its_own_public_ip(s: Azure) -> Iterator[Problem]:
    move: Any = s.args.get(MOVE)
    current = s.args.get("public_ip_id")
    if not move or move["front_end"] == s.args["front_end"] or current is None:
        return
    theirs, given = _move_view(s.args)
    pip, _ = address_source(theirs, given)
    if pip is None:
        return
    if "publicIpId" not in given:
        yield Problem(
            (MOVE_KEY, "publicIpId"),
            f"is required: the new front end {shown(move['front_end'])} cannot share "
            f"{ref('public_ip_id')} with the current one (a public IP serves one frontend); give "
            "another public IP's resource ID, or domainNameLabel for one kurl-lb creates",
        )
    elif str(pip).lower() == str(current).lower():
        yield Problem(
            (MOVE_KEY, "publicIpId"),
            f"{shown(pip)} is also {ref('public_ip_id')}, the current front end's: a public IP "
            "serves one frontend; give the new front end another public IP",
        )


@rule(
    "`dnsRecord.name` is in `dnsRecord.zoneName`: it ends in `.<zoneName>` (or is the zone's "
    "name, its apex)."
)
def dns_record_is_in_its_zone(s: Azure) -> Iterator[Problem]:
    record: Any = s.args.get("dns_record")
    if not record:
        return
    name, zone = record["name"], record["zone_name"]
    if name != zone and not name.endswith("." + zone):
        yield Problem(
            ("dnsRecord", "name"),
            f"{shown(name)} is not in the zone {shown(zone)} (dnsRecord.zoneName); allowed: a "
            f"name ending in .{zone}, or {zone} itself",
        )


@rule(
    "During an address move to a new front end, each front end's `dnsRecord` has its own "
    "name: one record set points at one public IP."
)
def front_ends_have_their_own_records(s: Azure) -> Iterator[Problem]:
    move: Any = s.args.get(MOVE)
    own: Any = s.args.get("dns_record")
    if not move or move["front_end"] == s.args["front_end"] or not own:
        return
    theirs = move.get("dns_record") or own
    if theirs["name"] == own["name"] and theirs["zone_name"] == own["zone_name"]:
        yield Problem(
            (MOVE_KEY, "dnsRecord"),
            f"names {shown(own['name'])}, as {ref('dns_record')} does: one record set cannot "
            f"point at both front ends; give the new front end {shown(move['front_end'])} a "
            "dnsRecord with another name (the new API address). To keep the name and change "
            "its target, change the current front end instead (docs/azure.md)",
        )


AZURE_TAG_FORBIDDEN = "<>%&\\?/"


def _azure_tag_name(key: str) -> str | None:
    bad = sorted(set(key) & set(AZURE_TAG_FORBIDDEN))
    return (
        f"{shown(''.join(bad))} not allowed (Azure refuses {AZURE_TAG_FORBIDDEN})" if bad else None
    )


AZURE_TAGS = TagRules(
    noun="tag",
    limit=50,
    key_max=512,
    value_max=256,
    key_ok=_azure_tag_name,
    value_ok=lambda value: None,
    ignore_case=True,
)


@rule(
    "`tags` are tags Azure accepts: at most 50 per resource with `kurl-lb-stack`, names of "
    "1-512 characters without `<>%&\\?/`, unique ignoring case (also against `kurl-lb-stack`), "
    "values up to 256 characters."
)
def tags_are_azure_tags(s: Azure) -> Iterator[Problem]:
    yield from check_tags(s.args["tags"], AZURE_TAGS)  # type: ignore[arg-type]


# Azure load-balancing rules take frontend and backend ports 1-65534.
AZURE_PORT_MAX = 65534


@rule(f"`port` is at most {AZURE_PORT_MAX} (Azure load-balancing rules).")
def port_fits_a_rule(s: Azure) -> Iterator[Problem]:
    if s.args["port"] > AZURE_PORT_MAX:
        yield Problem(
            ("port",),
            f"{s.args['port']} is refused by Azure load-balancing rules (frontend and backend "
            f"ports 1-{AZURE_PORT_MAX}); allowed: integer 1-{AZURE_PORT_MAX}",
        )


def _floating_why(port: int, target: int) -> str:
    """Why an extra port cannot reuse a backend port another rule on the pool has."""
    return (
        "Azure refuses two load-balancing rules on one backend pool and backend port unless "
        "they use floating IP, which delivers to the frontend IP: the primaries would then hold "
        f"that IP on their loopback, and a primary's own call to the front end on {port} would "
        f"stay on the primary, at port {port} instead of {target}"
    )


@rule(
    f"`extraPorts` on Azure: each `port` at most {AZURE_PORT_MAX} (Azure load-balancing "
    "rules); each `targetPort` neither the API `port` nor another extra port's `targetPort` "
    "(one backend port per rule on the one backend pool without floating IP); during an "
    "address move to a new front end, `targetPort` equals `port` (that front end's rules use "
    "floating IP, docs/azure.md)."
)
def extra_ports_have_their_own_backend_ports(s: Azure) -> Iterator[Problem]:
    extras = s.args.get("extra_ports") or []
    api = s.args["port"]
    move: Any = s.args.get(MOVE)
    new_label = move["front_end"] if move and move["front_end"] != s.args["front_end"] else None
    first: dict[int, int] = {}
    for i, extra in enumerate(extras):
        port, target = extra["port"], target_port(extra)
        at = ("extraPorts", i, "targetPort")
        if port > AZURE_PORT_MAX:
            yield Problem(
                ("extraPorts", i, "port"),
                f"{port} is refused by Azure load-balancing rules (frontend ports "
                f"1-{AZURE_PORT_MAX}); allowed: integer 1-{AZURE_PORT_MAX}",
            )
        if port == api:
            continue  # the shared rule names it
        if target == api:
            yield Problem(
                at,
                f"{target} is the API port ({ref('port')}), which the API's rule already "
                f"forwards to: {_floating_why(port, target)}; allowed: a targetPort other than "
                f"{api}, e.g. {port} (or leave it out) with the service listening there",
            )
        elif target in first:
            yield Problem(
                at,
                f"{target} is also extraPorts[{first[target]}].targetPort: "
                f"{_floating_why(port, target)}; allowed: a targetPort no other extra port has",
            )
        elif new_label is not None and target != port:
            yield Problem(
                at,
                f"{target} differs from port {port} during an address move to the new front "
                f"end {shown(new_label)} ({ref(MOVE)}): its rules use floating IP (a second "
                f"rule on the same backend port), so the primaries hold its IP on their "
                f"loopback and a primary's own call to it on {port} stays on the primary, "
                f"where nothing listens on {port}; allowed during the move: targetPort {port} "
                "(or add this remapped port after the move)",
            )
        first.setdefault(target, i)


# `publicFrontEnd` (AWS and GCP: a public front end beside an internal one) is not an Azure key.
NO_PAIR = (
    "is not used on Azure: Azure has no internal/public pair. An internal Azure load balancer "
    'does not hairpin ("Outbound flow from a backend VM to a frontend of an internal Load '
    "Balancer will fail\", Azure Load Balancer limitations), and kURL's primaries reach the API "
    "through the load balancer, so kurl-lb builds one public Standard load balancer on Azure, "
    "which nodes, admins and CI all use (restrict it with allowedClientCidrs). Remove "
    'publicFrontEnd (docs/azure.md, "What hairpins on Azure")'
)


AZURE = Declaration(
    cloud="azure",
    component="AzureKurlLb",
    args=AzureKurlLbArgs,
    rules=(
        *SHARED_RULES,
        load_balancer_is_public,
        members_match_the_backend_pool,
        provider_settings_are_given,
        tags_are_azure_tags,
        port_fits_a_rule,
        public_ip_is_given_or_created,
        new_front_end_has_its_own_public_ip,
        dns_record_is_in_its_zone,
        front_ends_have_their_own_records,
        extra_ports_have_their_own_backend_ports,
    ),
    title="Azure",
    public_lb="a public load balancer",
    targets=_targets,
    refused={PAIR_KEY: NO_PAIR},
)
