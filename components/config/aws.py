"""AWS stack config (`cloud: aws`): its models and the rules across their fields."""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Iterator
from typing import Literal

from .core import Int, Model, Problem, field, key_path, rule, shown, stack_model
from .scalars import (
    AwsZone,
    InstanceId,
    IPv4Cidr,
    PrivateIPv4,
    SecurityGroupId,
    SubnetId,
    VpcId,
)
from .shared import HAIRPIN, STACK_TAG, Primary, Stack, TagRules, by_mode, check_tags


class AwsHealthCheck(Model):
    interval_seconds: Int = field(10, ge=5, le=300, doc="Seconds between checks of one target.")
    healthy_threshold: Int = field(3, ge=2, le=10, doc="Passes before a target is healthy.")
    unhealthy_threshold: Int = field(3, ge=2, le=10, doc="Failures before a target is unhealthy.")

    @property
    def timeout_seconds(self) -> int:
        # AWS: 2-120 s and below the interval; 10 s is the TCP default.
        return max(2, min(10, self.interval_seconds - 1))


class AwsPrimary(Primary):
    address: PrivateIPv4 | None = field(None, example="10.0.1.10", doc="IP target (targetType ip).")
    instance_id: InstanceId | None = field(
        None, example="i-0123456789abcdef0", doc="Instance target (targetType instance)."
    )
    zone: AwsZone | None = field(
        None,
        form="availability zone of aws:region, e.g. us-east-1a, or all",
        doc="Attachment availability zone; `all` for IP targets outside the VPC.",
    )

    def targets(self, stack: Stack) -> dict[str, str | None]:
        return {"address": self.address, "instanceId": self.instance_id}


class AwsSettings(Model):
    vpc_id: VpcId = field(example="vpc-0123456789abcdef0", doc="VPC of the NLB.")
    subnet_ids: list[SubnetId] = field(
        form="list of subnet IDs, one per availability zone",
        doc="Subnets the NLB lives in (one per AZ).",
        min_length=1,
    )
    target_type: Literal["ip", "instance"] = field(
        "ip", doc="How primaries are registered; internal NLBs need ip (hairpinning)."
    )
    instance_security_group_id: SecurityGroupId | None = field(
        None,
        example="sg-0123456789abcdef0",
        doc="Security group of the primaries: gets ingress from the NLB, and admits hairpin.",
    )
    load_balancer_security_group: bool = field(
        True, doc="Attach a security group to the NLB. Only possible at creation."
    )
    cross_zone: bool = field(True, doc="Cross-zone load balancing.")
    preserve_client_ip: bool = field(
        False, doc="Client IP preservation; breaks hairpinning, rejected for internal NLBs."
    )
    hairpin_source_cidrs: list[IPv4Cidr] | None = field(
        None,
        example="[198.51.100.7/32]",
        doc="Public NLB only: the primaries' public egress addresses (their NAT gateways' "
        "Elastic IPs, or their own public IPs). A primary reaching the NLB's public address "
        "arrives from one of them, so kurl-lb admits them where it admits `allowedClientCidrs`. "
        "Required for a public NLB unless `allowedClientCidrs` lists `0.0.0.0/0`.",
        min_length=1,
    )


@stack_model("aws")
class AwsStack(Stack):
    TITLE = "AWS"
    PUBLIC_LB = "a public NLB"
    CLIENTS_HINT = " (the primaries' NAT gateway or own public IPs go in aws.hairpinSourceCidrs)"
    INTERNAL_CLIENTS_DEFAULTED = True  # the VPC's CIDR

    cloud: Literal["aws"] = field(doc="Which component the stack builds.")
    health_check: AwsHealthCheck = field(
        default_factory=AwsHealthCheck, doc="Target group health check."
    )
    primaries: list[AwsPrimary] = field(
        form="list of primaries", doc="Primaries in join order.", min_length=1
    )
    aws: AwsSettings = field(doc="AWS settings.")


@rule(
    AwsStack,
    "`scheme: internal` rejects `targetType: instance` and `preserveClientIp: true`: both "
    "break hairpinning (a primary reaching the API through the NLB).",
)
def internal_nlb_can_hairpin(cfg: AwsStack) -> Iterator[Problem]:
    if cfg.scheme != "internal":
        return
    if cfg.aws.target_type == "instance":
        yield Problem(
            key_path(["aws", "targetType"]),
            '"instance" cannot be used with scheme internal: internal NLBs do not support '
            "hairpinning or loopback with instance targets (client IP is preserved, so a "
            "primary reaching itself through the NLB drops the reply); use targetType ip",
        )
    if cfg.aws.preserve_client_ip:
        yield Problem(
            key_path(["aws", "preserveClientIp"]),
            "true cannot be used with scheme internal: NLBs with client IP preservation do "
            "not support hairpinning, so primaries could not reach the API through the NLB",
        )


@rule(
    AwsStack,
    "`targetType: ip` needs `address` on every primary (and no `instanceId`); "
    "`targetType: instance` needs `instanceId` (and no `address`).",
)
def primaries_match_the_target_type(cfg: AwsStack) -> Iterator[Problem]:
    # An internal NLB can only use ip (internal_nlb_can_hairpin says so): check the primaries
    # against ip there too, so the config gets one piece of advice, not two opposite ones.
    target_type = "ip" if cfg.scheme == "internal" else cfg.aws.target_type
    used_in = {"ip": ["address"], "instance": ["instance_id"]}
    for i, p in enumerate(cfg.primaries):
        yield from by_mode(("aws", "targetType"), target_type, ("primaries", i), p, used_in)


@rule(
    AwsStack,
    "`zone` is only used with `targetType: ip`: AWS rejects an availability zone on an "
    "instance target's attachment (the instance's own zone is used).",
)
def zones_are_only_for_ip_targets(cfg: AwsStack) -> Iterator[Problem]:
    if cfg.aws.target_type != "instance" or cfg.scheme == "internal":
        return  # internal + instance: the targetType problem comes first
    for i, p in enumerate(cfg.primaries):
        if p.zone is not None:
            yield Problem(
                key_path(["primaries", i, "zone"]),
                f'"{p.zone}" is only used with aws.targetType ip: AWS rejects an availability '
                "zone for instance targets (the instance's own zone is used); remove it",
            )


@rule(AwsStack, "Every primary's `zone` is in `aws:region` (or `all`).")
def zones_are_in_the_region(cfg: AwsStack) -> Iterator[Problem]:
    region = cfg.provider_setting("aws:region")
    for i, p in enumerate(cfg.primaries):
        if p.zone and p.zone != "all" and region and not p.zone.startswith(region):
            yield Problem(
                key_path(["primaries", i, "zone"]),
                f"{shown(p.zone)} is not in aws:region {region}; allowed: {region}<letter> or all",
            )


@rule(AwsStack, "`subnetIds` has no duplicates (one subnet per availability zone).")
def subnets_are_listed_once(cfg: AwsStack) -> Iterator[Problem]:
    if len(set(cfg.aws.subnet_ids)) != len(cfg.aws.subnet_ids):
        yield Problem(key_path(["aws", "subnetIds"]), "lists a subnet twice; one per AZ")


@rule(
    AwsStack,
    "`scheme: internal` without `instanceSecurityGroupId` but with `allowedClientCidrs`: every "
    "primary's `address` must lie inside `allowedClientCidrs` (hairpinned traffic arrives with "
    "the primary's own address).",
)
def hairpin_sources_are_admitted(cfg: AwsStack) -> Iterator[Problem]:
    aws = cfg.aws
    cidrs = [ipaddress.IPv4Network(c) for c in cfg.allowed_client_cidrs or []]
    if not (
        cfg.scheme == "internal"
        and aws.load_balancer_security_group
        and aws.instance_security_group_id is None
        and cidrs
    ):
        return
    for i, p in enumerate(cfg.primaries):
        if p.address and not any(ipaddress.IPv4Address(p.address) in c for c in cidrs):
            yield Problem(
                key_path(["primaries", i, "address"]),
                f"{shown(p.address)} is outside allowedClientCidrs: {HAIRPIN}, and without "
                "aws.instanceSecurityGroupId the NLB security group only admits "
                "allowedClientCidrs; add the primaries' subnets to allowedClientCidrs or "
                "set aws.instanceSecurityGroupId",
            )


@rule(
    AwsStack,
    "`loadBalancerSecurityGroup: false` on a public NLB needs `preserveClientIp: true` or "
    "`0.0.0.0/0` listed: otherwise nothing could enforce `allowedClientCidrs`.",
)
def public_clients_are_enforced(cfg: AwsStack) -> Iterator[Problem]:
    aws = cfg.aws
    cidrs = [ipaddress.IPv4Network(c) for c in cfg.allowed_client_cidrs or []]
    if (
        not aws.load_balancer_security_group
        and not aws.preserve_client_ip
        and cfg.scheme == "public"
        and ipaddress.IPv4Network("0.0.0.0/0") not in cidrs
    ):
        yield Problem(
            key_path(["aws", "loadBalancerSecurityGroup"]),
            "false with a public NLB and preserveClientIp false leaves no place to enforce "
            "allowedClientCidrs (targets only see the NLB's own addresses); keep the NLB "
            "security group, or list 0.0.0.0/0 in allowedClientCidrs to accept that",
        )


def _hairpin_rules_needed(cfg: AwsStack) -> bool:
    """Whether kurl-lb manages a rule that admits clients by address on a public NLB: the NLB
    security group, or (without one) the primaries' group when client IPs are preserved."""
    aws = cfg.aws
    cidrs = [ipaddress.IPv4Network(c) for c in cfg.allowed_client_cidrs or []]
    return (
        cfg.scheme == "public"
        and ipaddress.IPv4Network("0.0.0.0/0") not in cidrs
        and (
            aws.load_balancer_security_group
            or (aws.preserve_client_ip and aws.instance_security_group_id is not None)
        )
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
    AwsStack,
    "A public NLB needs `hairpinSourceCidrs` (the primaries' NAT gateways' or own public IPs) "
    "unless `allowedClientCidrs` lists `0.0.0.0/0`: a primary reaching the NLB's public "
    "address arrives from its public egress IP, which no security group reference matches. "
    "Internal NLBs reject it.",
)
def public_hairpin_sources_are_listed(cfg: AwsStack) -> Iterator[Problem]:
    path = key_path(["aws", "hairpinSourceCidrs"])
    if cfg.scheme == "internal" and cfg.aws.hairpin_source_cidrs is not None:
        yield Problem(
            path,
            "is only used with scheme public (an internal NLB sees a primary's own private "
            "address, admitted through aws.instanceSecurityGroupId or allowedClientCidrs)",
        )
    if _hairpin_rules_needed(cfg) and cfg.aws.hairpin_source_cidrs is None:
        yield Problem(
            path,
            f"is required with scheme public: {HAIRPIN}, and a primary reaches the NLB's public "
            "address from its NAT gateway's public IP (or its own public IP), which the rule "
            "for the primaries' security group cannot match; list those addresses as /32s, "
            "e.g. [198.51.100.7/32] (the VPC's NAT gateways: aws ec2 describe-nat-gateways "
            f"--filter Name=vpc-id,Values={cfg.aws.vpc_id} --query "
            "'NatGateways[].NatGatewayAddresses[].PublicIp')",
        )


@rule(
    AwsStack,
    "`tags` are tags AWS accepts: at most 50 per resource with kurl-lb's own (`kurl-lb-stack`, "
    "`Name`), keys 1-128 and values 0-256 characters of letters, digits, spaces and "
    "`_.:/=+-@`, no key starting with `aws:`.",
)
def tags_are_aws_tags(cfg: AwsStack) -> Iterator[Problem]:
    yield from check_tags(cfg.tags, AWS_TAGS)


# Security group rules per group and direction (AWS's default quota); the NLB group also gets
# the hairpin rule from the primaries' group.
AWS_RULES_PER_GROUP = 60


@rule(
    AwsStack,
    "`name` gives names AWS accepts: the NLB and target group (`<name>-nlb-...`, "
    "`<name>-tg-...`) must not start with `internal-`, the NLB security group "
    "(`<name>-nlb-sg-...`) not with `sg-`; `allowedClientCidrs` fits one security group "
    f"(at most {AWS_RULES_PER_GROUP - 1} blocks besides the hairpin rule).",
)
def aws_names_and_rules_are_accepted(cfg: AwsStack) -> Iterator[Problem]:
    for suffix, what in (("-nlb", "load balancer"), ("-tg", "target group")):
        if (cfg.name + suffix).startswith("internal-"):
            yield Problem(
                key_path(["name"]),
                f"{shown(cfg.name)} makes the {what} name {cfg.name}{suffix}-..., and AWS "
                'refuses names starting with "internal-"; choose another name',
            )
    if cfg.aws.load_balancer_security_group and (cfg.name + "-nlb-sg").startswith("sg-"):
        yield Problem(
            key_path(["name"]),
            f"{shown(cfg.name)} makes the security group name {cfg.name}-nlb-sg-..., and AWS "
            'refuses security group names starting with "sg-"; choose another name',
        )
    clients = cfg.allowed_client_cidrs or []
    if len(clients) > AWS_RULES_PER_GROUP - 1:
        yield Problem(
            key_path(["allowedClientCidrs"]),
            f"lists {len(clients)} blocks; each is one rule of the NLB security group, which "
            f"takes at most {AWS_RULES_PER_GROUP} inbound rules (AWS quota) with the hairpin "
            f"rule: list at most {AWS_RULES_PER_GROUP - 1} (e.g. merge them into wider blocks)",
        )
