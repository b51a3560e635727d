"""Stack config: the `kurl-lb:` keys, validated before any resource is registered.

Two phases, both reporting every problem they find in one message:
1. structure (pydantic): types, formats, ranges, unknown keys, keys another cloud uses;
2. rules across fields (`_rules_*`): hairpinning, registration, cross-references.
The second phase runs only when the first passed, since its rules read a whole, typed config.
Each field's `form` (the allowed form) is used both in error messages and in docs/config.md.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeAlias, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

NAMESPACE = "kurl-lb"
STACK_TAG = "kurl-lb-stack"
Cloud = Literal["aws", "azure", "gcp"]

# Pulumi auto-naming appends "-" and 7 random characters; AWS LB and target group names are
# at most 32 characters. The longest suffix we add to those names is "-nlb" (4 characters).
PULUMI_SUFFIX = 8
AWS_NAME_LIMIT = 32
LONGEST_AWS_NAME_SUFFIX = len("-nlb")
NAME_MAX = 16  # DESIGN.md's limit; 16 + 4 + 8 = 28 <= 32 (tests/test_docs.py checks the sum)


def field(default: Any = ..., *, form: str, doc: str, **kwargs: Any) -> Any:
    """A model field carrying its allowed form (for errors) and its meaning (for docs)."""
    return Field(default, description=doc, json_schema_extra={"form": form}, **kwargs)


# --- scalar types with their own format checks -------------------------------------------------


def _private_ipv4(value: str) -> str:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("is not an IPv4 address") from None
    if not address.is_private:
        raise ValueError("is not a private IPv4 address")
    return str(address)


def _ipv4_cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError("has no prefix length")
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"is not an IPv4 CIDR block ({exc})") from None
    return str(network)


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"is not {what}")
        return value

    return AfterValidator(check)


PrivateIPv4 = Annotated[str, AfterValidator(_private_ipv4)]
IPv4Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
DnsLabel = Annotated[str, _pattern(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", "a lowercase DNS label")]
ResourcePrefix = Annotated[
    str,
    _pattern(rf"[a-z]([a-z0-9-]{{0,{NAME_MAX - 2}}}[a-z0-9])?", "a valid name prefix"),
    AfterValidator(lambda v: _reject_internal_prefix(v)),
]


def _reject_internal_prefix(value: str) -> str:
    # AWS rejects load balancer names that begin with "internal-".
    if value.startswith("internal-"):
        raise ValueError('must not begin with "internal-" (AWS reserves it for LB names)')
    return value


AWS_ID = {
    "vpc": r"vpc-[0-9a-f]{8}([0-9a-f]{9})?",
    "subnet": r"subnet-[0-9a-f]{8}([0-9a-f]{9})?",
    "sg": r"sg-[0-9a-f]{8}([0-9a-f]{9})?",
    "instance": r"i-[0-9a-f]{8}([0-9a-f]{9})?",
}
VpcId = Annotated[str, _pattern(AWS_ID["vpc"], "a VPC ID")]
SubnetId = Annotated[str, _pattern(AWS_ID["subnet"], "a subnet ID")]
SecurityGroupId = Annotated[str, _pattern(AWS_ID["sg"], "a security group ID")]
InstanceId = Annotated[str, _pattern(AWS_ID["instance"], "an EC2 instance ID")]
AwsZone = Annotated[str, _pattern(r"all|[a-z]{2}(-[a-z]+)+-\d[a-z]", "an availability zone or all")]

_AZ_ID = (
    r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}/providers/Microsoft\.Network"
)
AzureNicId = Annotated[
    str,
    _pattern(_AZ_ID + r"/networkInterfaces/[-\w.]{1,80}", "a network interface resource ID"),
]
AzureVnetId = Annotated[
    str, _pattern(_AZ_ID + r"/virtualNetworks/[-\w.]{2,64}", "a virtual network resource ID")
]
AzureName = Annotated[str, _pattern(r"[-\w.()]{1,80}", "an Azure resource name")]
DomainNameLabel = Annotated[str, _pattern(r"[a-z][a-z0-9-]{1,61}[a-z0-9]", "a DNS name label")]
GcpName = Annotated[str, _pattern(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", "a GCP resource name")]
GcpRef = Annotated[
    str,
    _pattern(
        r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?|(https://www\.googleapis\.com/compute/v1/)?projects/[-a-z0-9.:]+/[-/a-z0-9]+",
        "a GCP resource name or self link",
    ),
]
GcpZone = Annotated[str, _pattern(r"[a-z]+-[a-z]+\d+-[a-z]", "a GCP zone")]

_FORM_CIDRS = "list of IPv4 CIDR blocks, e.g. [10.0.0.0/16, 203.0.113.7/32]"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


# --- health checks: one shape, each cloud's ranges and defaults --------------------------------


class AwsHealthCheck(_Model):
    interval_seconds: int = field(
        10, ge=5, le=300, form="integer 5-300", doc="Seconds between checks of one target."
    )
    healthy_threshold: int = field(
        3, ge=2, le=10, form="integer 2-10", doc="Passes before a target is healthy."
    )
    unhealthy_threshold: int = field(
        3, ge=2, le=10, form="integer 2-10", doc="Failures before a target is unhealthy."
    )

    @property
    def timeout_seconds(self) -> int:
        # AWS: 2-120 s and below the interval; 10 s is the TCP default.
        return max(2, min(10, self.interval_seconds - 1))


class AzureHealthCheck(_Model):
    interval_seconds: int = field(
        5, ge=5, le=300, form="integer 5-300", doc="Seconds between probes (Azure minimum 5)."
    )
    unhealthy_threshold: int = field(
        2,
        ge=1,
        le=100,
        form="integer 1-100",
        doc="Azure probeThreshold: consecutive failures to take a backend out, and passes to "
        "put it back (Azure has one threshold for both).",
    )


class GcpHealthCheck(_Model):
    interval_seconds: int = field(
        5, ge=1, le=300, form="integer 1-300", doc="Seconds between checks (checkIntervalSec)."
    )
    healthy_threshold: int = field(
        2, ge=1, le=10, form="integer 1-10", doc="Passes before a backend is healthy."
    )
    unhealthy_threshold: int = field(
        2, ge=1, le=10, form="integer 1-10", doc="Failures before a backend is unhealthy."
    )

    @property
    def timeout_seconds(self) -> int:
        # GCP requires timeoutSec <= checkIntervalSec; 5 s is its default.
        return min(5, self.interval_seconds)


# --- primaries ----------------------------------------------------------------------------------


class _Primary(_Model):
    name: DnsLabel = field(
        form="lowercase DNS label, e.g. primary-1",
        doc="Unique name; registrations are named after it.",
    )
    registered: bool = field(
        False,
        form="true or false",
        doc="true once the primary has joined the cluster; only then it gets LB traffic.",
    )


class AwsPrimary(_Primary):
    address: PrivateIPv4 | None = field(
        None, form="private IPv4 address, e.g. 10.0.1.10", doc="IP target (targetType ip)."
    )
    instance_id: InstanceId | None = field(
        None,
        form="EC2 instance ID, e.g. i-0123456789abcdef0",
        doc="Instance target (targetType instance).",
    )
    zone: AwsZone | None = field(
        None,
        form="availability zone of aws:region, e.g. us-east-1a, or all",
        doc="Attachment availability zone; `all` for IP targets outside the VPC.",
    )


class AzurePrimary(_Primary):
    nic_id: AzureNicId | None = field(
        None,
        form="/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/"
        "networkInterfaces/<nic>",
        doc="NIC of the VM (backendPool nic).",
    )
    ip_configuration_name: AzureName = field(
        "ipconfig1", form="IP configuration name", doc="IP configuration of that NIC."
    )
    address: PrivateIPv4 | None = field(
        None, form="private IPv4 address, e.g. 10.1.0.4", doc="VM address (backendPool ip)."
    )


class GcpPrimary(_Primary):
    zone: GcpZone = field(
        form="zone of gcp:region, e.g. us-central1-a", doc="Zone of the VM; one group per zone."
    )
    instance: GcpRef = field(
        form="instance name or self link", doc="The VM (name, or self link in another project)."
    )


# --- cloud settings -----------------------------------------------------------------------------


class AwsSettings(_Model):
    vpc_id: VpcId = field(form="VPC ID, e.g. vpc-0123456789abcdef0", doc="VPC of the NLB.")
    subnet_ids: list[SubnetId] = field(
        form="list of subnet IDs, one per availability zone",
        doc="Subnets the NLB lives in (one per AZ).",
        min_length=1,
    )
    target_type: Literal["ip", "instance"] = field(
        "ip",
        form="ip or instance",
        doc="How primaries are registered; internal NLBs need ip (hairpinning).",
    )
    instance_security_group_id: SecurityGroupId | None = field(
        None,
        form="security group ID, e.g. sg-0123456789abcdef0",
        doc="Security group of the primaries: gets ingress from the NLB, and admits hairpin.",
    )
    load_balancer_security_group: bool = field(
        True,
        form="true or false",
        doc="Attach a security group to the NLB. Only possible at creation.",
    )
    cross_zone: bool = field(True, form="true or false", doc="Cross-zone load balancing.")
    preserve_client_ip: bool = field(
        False,
        form="true or false",
        doc="Client IP preservation; breaks hairpinning, rejected for internal NLBs.",
    )


class AzureSettings(_Model):
    resource_group_name: AzureName = field(
        form="resource group name", doc="Resource group of the public IP and LB."
    )
    backend_pool: Literal["nic", "ip"] = field(
        "nic", form="nic or ip", doc="Backend pool membership: by NIC (kURL page) or by IP."
    )
    virtual_network_id: AzureVnetId | None = field(
        None,
        form="/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/"
        "virtualNetworks/<vnet>",
        doc="Virtual network of the primaries (backendPool ip only).",
    )
    network_security_group_name: AzureName | None = field(
        None, form="NSG name", doc="NSG of the primaries: gets the inbound rule for the port."
    )
    network_security_rule_priority: int = field(
        310, ge=100, le=4096, form="integer 100-4096", doc="Priority of that NSG rule."
    )
    domain_name_label: DomainNameLabel | None = field(
        None,
        form="DNS label, 3-63 characters",
        doc="Gives the public IP a stable FQDN used as loadBalancerAddress.",
    )


class GcpSettings(_Model):
    network: GcpRef = field(form="VPC network name or self link", doc="Network of the VMs.")
    subnetwork: GcpRef | None = field(
        None, form="subnetwork name or self link", doc="Subnetwork (scheme internal only)."
    )
    network_tier: Literal["PREMIUM", "STANDARD"] = field(
        "PREMIUM", form="PREMIUM or STANDARD", doc="Tier of the address and forwarding rule."
    )
    target_tags: list[GcpName] = field(
        form="list of network tags",
        doc="Tags of the primaries; the firewall rule targets them.",
        min_length=1,
    )


# --- the stack ---------------------------------------------------------------------------------


class _Stack(_Model):
    cloud: Cloud = field(form="aws, azure or gcp", doc="Which component the stack builds.")
    name: ResourcePrefix = field(
        "kurl",
        form="[a-z][a-z0-9-]{0,15}, not ending in '-', not starting with 'internal-'",
        doc="Prefix of every resource name.",
    )
    scheme: Literal["internal", "public"] = field(
        form="internal or public", doc="Internal or internet-facing load balancer."
    )
    port: int = field(
        6443, ge=1, le=65535, form="integer 1-65535", doc="API port on LB and targets."
    )
    allowed_client_cidrs: list[IPv4Cidr] | None = field(
        None, form=_FORM_CIDRS, doc="Who may reach the API through the LB.", min_length=1
    )
    deletion_protection: bool = field(
        True, form="true or false", doc="Protect the LB front end from deletion."
    )
    tags: dict[str, str] = field(
        default_factory=dict, form="map of string to string", doc="Tags/labels on every resource."
    )
    # Provider settings the stack was validated against (aws:region, gcp:region, ...).
    _provider: dict[str, str] = PrivateAttr(default_factory=dict)

    def provider_setting(self, key: str) -> str | None:
        return self._provider.get(key)

    @property
    def registered(self) -> list[str]:
        return [p.name for p in self.primaries if p.registered]  # type: ignore[attr-defined]

    @property
    def pending(self) -> list[str]:
        return [p.name for p in self.primaries if not p.registered]  # type: ignore[attr-defined]


class AwsStack(_Stack):
    cloud: Literal["aws"] = field(form="aws", doc="Which component the stack builds.")
    health_check: AwsHealthCheck = field(
        default_factory=AwsHealthCheck, form="object", doc="Target group health check."
    )
    primaries: list[AwsPrimary] = field(
        form="list of primaries", doc="Primaries in join order.", min_length=1
    )
    aws: AwsSettings = field(form="object", doc="AWS settings.")


class AzureStack(_Stack):
    cloud: Literal["azure"] = field(form="azure", doc="Which component the stack builds.")

    @property
    def location(self) -> str | None:
        return self.provider_setting("azure-native:location")

    health_check: AzureHealthCheck = field(
        default_factory=AzureHealthCheck, form="object", doc="Load balancer health probe."
    )
    primaries: list[AzurePrimary] = field(
        form="list of primaries", doc="Primaries in join order.", min_length=1
    )
    azure: AzureSettings = field(form="object", doc="Azure settings.")


class GcpStack(_Stack):
    cloud: Literal["gcp"] = field(form="gcp", doc="Which component the stack builds.")

    @property
    def region(self) -> str | None:
        return self.provider_setting("gcp:region")

    health_check: GcpHealthCheck = field(
        default_factory=GcpHealthCheck, form="object", doc="Regional TCP health check."
    )
    primaries: list[GcpPrimary] = field(
        form="list of primaries", doc="Primaries in join order.", min_length=1
    )
    gcp: GcpSettings = field(form="object", doc="GCP settings.")


StackConfig: TypeAlias = AwsStack | AzureStack | GcpStack
STACK_MODELS: dict[str, type[_Stack]] = {"aws": AwsStack, "azure": AzureStack, "gcp": GcpStack}


# --- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str  # as Pulumi users write it: kurl-lb:primaries[1].address
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """Every problem of a stack config, in one message."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"invalid stack config ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def key_path(loc: Sequence[str | int]) -> str:
    out = NAMESPACE + ":"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += part if i == 0 else f".{part}"
    return out


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, dict):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _field_by_alias(model: type[BaseModel], alias: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if alias in (info.alias, name):
            return info
    return None


def _locate(
    model: type[BaseModel], loc: Sequence[str | int]
) -> tuple[type[BaseModel], FieldInfo | None]:
    """The model owning the last key of `loc`, and that key's field (None when unknown)."""
    owner, info = model, None
    for i, part in enumerate(loc):
        if isinstance(part, int):
            continue
        info = _field_by_alias(owner, part)
        if info is None or i == len(loc) - 1:
            break
        models = _unwrap(info.annotation)
        if not models:
            break
        owner = models[0]
    return owner, info


def _form(info: FieldInfo | None) -> str | None:
    extra = info.json_schema_extra if info else None
    return extra.get("form") if isinstance(extra, dict) else None  # type: ignore[return-value]


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(info.alias or name for name, info in model.model_fields.items())


def _structural_problem(model: type[_Stack], err: Any, cloud: str) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    # Errors raised inside a nested validator carry the function name in loc; drop it.
    loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
    path = key_path(loc)
    owner, info = _locate(model, loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        return Problem(
            path,
            f"unknown key (or not used with cloud {cloud}); allowed here: {_allowed_keys(owner)}",
        )
    form = _form(info)
    allowed = f"; allowed: {form}" if form else ""
    if kind == "missing":
        return Problem(path, f"is required{allowed}")
    value = err.get("input")
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return Problem(path, f"{json.dumps(value)} {msg}{allowed}")
    return Problem(path, f"{json.dumps(value, default=str)} is invalid: {msg}{allowed}")


# --- rules across fields ------------------------------------------------------------------------

HAIRPIN = (
    "a primary reaching the API through the LB (hairpinning) must come back through it with a "
    "source address the LB accepts"
)


def _rules_common(cfg: _Stack) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(cfg.primaries):  # type: ignore[attr-defined]
        if p.name in seen:
            problems.append(
                Problem(
                    key_path(["primaries", i, "name"]),
                    f'"{p.name}" is also primaries[{seen[p.name]}].name; names must be unique',
                )
            )
        seen.setdefault(p.name, i)
    if not cfg.registered:
        problems.append(
            Problem(
                key_path(["primaries"]),
                "no primary is registered; set registered: true on the first primary (the one "
                "kURL is installed on) so the LB has a target",
            )
        )
    for key in cfg.tags:
        if key == STACK_TAG:
            problems.append(
                Problem(key_path(["tags", key]), f"{STACK_TAG} is set by kurl-lb itself")
            )
    return problems


def _duplicates(values: Sequence[tuple[int, str | None]], field_name: str) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, value in values:
        if value is None:
            continue
        if value in first:
            problems.append(
                Problem(
                    key_path(["primaries", i, field_name]),
                    f'"{value}" is also primaries[{first[value]}].{field_name}; each primary is '
                    "a different target",
                )
            )
        first.setdefault(value, i)
    return problems


def _rules_aws(cfg: AwsStack, provider: Mapping[str, str]) -> list[Problem]:
    aws = cfg.aws
    problems: list[Problem] = []
    if cfg.scheme == "internal" and aws.target_type == "instance":
        problems.append(
            Problem(
                key_path(["aws", "targetType"]),
                '"instance" cannot be used with scheme internal: internal NLBs do not support '
                "hairpinning or loopback with instance targets (client IP is preserved, so a "
                "primary reaching itself through the NLB drops the reply); use targetType ip",
            )
        )
    if cfg.scheme == "internal" and aws.preserve_client_ip:
        problems.append(
            Problem(
                key_path(["aws", "preserveClientIp"]),
                "true cannot be used with scheme internal: NLBs with client IP preservation do "
                "not support hairpinning, so primaries could not reach the API through the NLB",
            )
        )
    for i, p in enumerate(cfg.primaries):
        if aws.target_type == "ip":
            if p.address is None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "address"]),
                        "is required with targetType ip; allowed: private IPv4 address",
                    )
                )
            if p.instance_id is not None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "instanceId"]),
                        "is only used with aws.targetType instance; give address instead",
                    )
                )
        else:
            if p.instance_id is None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "instanceId"]),
                        "is required with targetType instance; allowed: EC2 instance ID",
                    )
                )
            if p.address is not None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "address"]),
                        "is only used with aws.targetType ip; give instanceId instead",
                    )
                )
        region = provider.get("aws:region")
        if p.zone and p.zone != "all" and region and not p.zone.startswith(region):
            problems.append(
                Problem(
                    key_path(["primaries", i, "zone"]),
                    f'"{p.zone}" is not in aws:region {region}; allowed: {region}<letter> or all',
                )
            )
    problems += _duplicates([(i, p.address) for i, p in enumerate(cfg.primaries)], "address")
    problems += _duplicates([(i, p.instance_id) for i, p in enumerate(cfg.primaries)], "instanceId")
    if len(set(aws.subnet_ids)) != len(aws.subnet_ids):
        problems.append(Problem(key_path(["aws", "subnetIds"]), "lists a subnet twice; one per AZ"))
    if cfg.scheme == "public" and cfg.allowed_client_cidrs is None:
        problems.append(
            Problem(
                key_path(["allowedClientCidrs"]),
                "is required for a public NLB (it is never silently 0.0.0.0/0): list your "
                "clients and the nodes' egress (NAT) IPs, which hairpinned traffic comes from; "
                f"allowed: {_FORM_CIDRS}",
            )
        )
    cidrs = [ipaddress.IPv4Network(c) for c in cfg.allowed_client_cidrs or []]
    if (
        cfg.scheme == "internal"
        and aws.load_balancer_security_group
        and aws.instance_security_group_id is None
        and cidrs
    ):
        for i, p in enumerate(cfg.primaries):
            if p.address and not any(ipaddress.IPv4Address(p.address) in c for c in cidrs):
                problems.append(
                    Problem(
                        key_path(["primaries", i, "address"]),
                        f'"{p.address}" is outside allowedClientCidrs: {HAIRPIN}, and without '
                        "aws.instanceSecurityGroupId the NLB security group only admits "
                        "allowedClientCidrs; add the primaries' subnets to allowedClientCidrs or "
                        "set aws.instanceSecurityGroupId",
                    )
                )
    if (
        not aws.load_balancer_security_group
        and not aws.preserve_client_ip
        and cfg.scheme == "public"
        and ipaddress.IPv4Network("0.0.0.0/0") not in cidrs
    ):
        problems.append(
            Problem(
                key_path(["aws", "loadBalancerSecurityGroup"]),
                "false with a public NLB and preserveClientIp false leaves no place to enforce "
                "allowedClientCidrs (targets only see the NLB's own addresses); keep the NLB "
                "security group, or list 0.0.0.0/0 in allowedClientCidrs to accept that",
            )
        )
    return problems


def _rules_azure(cfg: AzureStack, provider: Mapping[str, str]) -> list[Problem]:
    az = cfg.azure
    problems: list[Problem] = []
    if cfg.scheme == "internal":
        problems.append(
            Problem(
                key_path(["scheme"]),
                '"internal" cannot be used on Azure: internal load balancers do not support '
                "hairpinning (a primary reaching the API through its own LB fails, "
                "intermittently); allowed: public",
            )
        )
    nic_mode = az.backend_pool == "nic"
    if nic_mode and az.virtual_network_id is not None:
        problems.append(
            Problem(
                key_path(["azure", "virtualNetworkId"]),
                "is only used with backendPool ip (NIC pools take the NIC's network)",
            )
        )
    if not nic_mode and az.virtual_network_id is None:
        problems.append(
            Problem(
                key_path(["azure", "virtualNetworkId"]),
                "is required with backendPool ip; allowed: virtual network resource ID",
            )
        )
    for i, p in enumerate(cfg.primaries):
        if nic_mode:
            if p.nic_id is None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "nicId"]),
                        "is required with backendPool nic; allowed: network interface resource ID",
                    )
                )
            if p.address is not None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "address"]),
                        "is only used with azure.backendPool ip; give nicId instead",
                    )
                )
        else:
            if p.address is None:
                problems.append(
                    Problem(
                        key_path(["primaries", i, "address"]),
                        "is required with backendPool ip; allowed: private IPv4 address",
                    )
                )
            for key in ("nic_id", "ip_configuration_name"):
                if key in p.model_fields_set:
                    problems.append(
                        Problem(
                            key_path(["primaries", i, to_camel(key)]),
                            "is only used with azure.backendPool nic",
                        )
                    )
    problems += _duplicates(
        [(i, p.nic_id and p.nic_id.lower()) for i, p in enumerate(cfg.primaries)], "nicId"
    )
    if nic_mode and not provider.get("azure:subscriptionId"):
        problems.append(
            Problem(
                "azure:subscriptionId",
                "is required with backendPool nic: NIC registrations use the classic azure "
                "provider, which needs it (pulumi config set azure:subscriptionId <id>, or set "
                "ARM_SUBSCRIPTION_ID)",
            )
        )
    if az.domain_name_label and not provider.get("azure-native:location"):
        problems.append(
            Problem(
                "azure-native:location",
                "is required with kurl-lb:azure.domainNameLabel (the FQDN is "
                "<label>.<location>.cloudapp.azure.com); e.g. pulumi config set "
                "azure-native:location eastus",
            )
        )
    problems += _duplicates([(i, p.address) for i, p in enumerate(cfg.primaries)], "address")
    if cfg.allowed_client_cidrs is None:
        problems.append(
            Problem(
                key_path(["allowedClientCidrs"]),
                "is required for a public load balancer (it is never silently 0.0.0.0/0): list "
                f"your clients; allowed: {_FORM_CIDRS}",
            )
        )
    return problems


GCP_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
GCP_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


def _rules_gcp(cfg: GcpStack, provider: Mapping[str, str]) -> list[Problem]:
    gcp = cfg.gcp
    problems: list[Problem] = []
    region = provider.get("gcp:region")
    if not region:
        problems.append(
            Problem("gcp:region", "is required (pulumi config set gcp:region us-central1)")
        )
    for i, p in enumerate(cfg.primaries):
        if region and p.zone.rsplit("-", 1)[0] != region:
            problems.append(
                Problem(
                    key_path(["primaries", i, "zone"]),
                    f'"{p.zone}" is not in gcp:region {region}; allowed: {region}-<letter>',
                )
            )
    problems += _duplicates([(i, p.instance) for i, p in enumerate(cfg.primaries)], "instance")
    if cfg.scheme == "internal":
        if gcp.subnetwork is None:
            problems.append(
                Problem(
                    key_path(["gcp", "subnetwork"]),
                    "is required with scheme internal (the internal address and forwarding "
                    "rule live on it); allowed: subnetwork name or self link",
                )
            )
        if gcp.network_tier != "PREMIUM":
            problems.append(
                Problem(
                    key_path(["gcp", "networkTier"]),
                    f'"{gcp.network_tier}" cannot be used with scheme internal; internal '
                    "addresses are always PREMIUM",
                )
            )
    elif gcp.subnetwork is not None:
        problems.append(
            Problem(key_path(["gcp", "subnetwork"]), "is only used with scheme internal")
        )
    if cfg.scheme == "public" and cfg.allowed_client_cidrs is None:
        problems.append(
            Problem(
                key_path(["allowedClientCidrs"]),
                "is required for an external load balancer (it is never silently 0.0.0.0/0); "
                f"allowed: {_FORM_CIDRS}",
            )
        )
    for key, value in cfg.tags.items():
        if not GCP_LABEL_KEY.fullmatch(key) or not GCP_LABEL_VALUE.fullmatch(value):
            problems.append(
                Problem(
                    key_path(["tags", key]),
                    f"{json.dumps(key)}: {json.dumps(value)} is not a GCP label; allowed: key "
                    "[a-z][a-z0-9_-]{0,62}, value [a-z0-9_-]{0,63}",
                )
            )
    return problems


_RULES = {"aws": _rules_aws, "azure": _rules_azure, "gcp": _rules_gcp}


# --- loading ------------------------------------------------------------------------------------


def _decode(value: Any, structured: bool) -> Any:
    """Config values arrive as strings; objects and lists as JSON (as the Pulumi CLI sends them)."""
    if not structured or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # pydantic then reports the type error with the key's allowed form


def _is_structured(info: FieldInfo) -> bool:
    origin = typing.get_origin(info.annotation)
    args = typing.get_args(info.annotation)
    return (
        bool(_unwrap(info.annotation))
        or origin in (list, dict)
        or any(typing.get_origin(a) in (list, dict) for a in args)
    )


def parse_stack_config(
    config: Mapping[str, Any], provider: Mapping[str, str] | None = None
) -> StackConfig:
    """Validate the `kurl-lb:` keys of a stack (full keys, e.g. `kurl-lb:cloud`).

    `provider` holds provider config the rules check against (`aws:region`, `gcp:region`).
    Raises ConfigError naming every problem.
    """
    provider = provider or {}
    prefix = NAMESPACE + ":"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    cloud = raw.get("cloud")
    if cloud not in STACK_MODELS:
        got = "is required" if cloud is None else f"{json.dumps(cloud)} is not a cloud"
        raise ConfigError([Problem(key_path(["cloud"]), f"{got}; allowed: aws, azure or gcp")])
    model = STACK_MODELS[cloud]
    data: dict[str, Any] = {}
    for key, value in raw.items():
        info = _field_by_alias(model, key)
        data[key] = _decode(value, info is not None and _is_structured(info))
    try:
        cfg = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            [_structural_problem(model, e, cloud) for e in exc.errors(include_url=False)]
        ) from None
    problems = _rules_common(cfg) + _RULES[cloud](cfg, provider)  # type: ignore[operator]
    if problems:
        raise ConfigError(problems)
    cfg._provider = dict(provider)
    return cfg  # type: ignore[return-value]


PROVIDER_KEYS = (
    "aws:region",
    "azure-native:location",
    "azure:subscriptionId",
    "gcp:project",
    "gcp:region",
)
# Provider settings their providers also read from the environment.
PROVIDER_ENV = {"aws:region": "AWS_REGION", "azure:subscriptionId": "ARM_SUBSCRIPTION_ID"}


def load_stack_config() -> StackConfig:
    """Read and validate the running stack's config; a bad config stops the program cleanly."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    # The whole config map, so that unknown `kurl-lb:` keys (typos) are reported too.
    everything: dict[str, Any] = dict(runtime_config.CONFIG.get())
    provider = {k: everything[k] for k in PROVIDER_KEYS if k in everything}
    for key, env in PROVIDER_ENV.items():
        if key not in provider and os.environ.get(env):
            provider[key] = os.environ[env]
    try:
        return parse_stack_config(everything, provider)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
