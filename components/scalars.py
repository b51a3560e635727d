"""String types with their own format check and allowed form (addresses, names, cloud IDs).

Each type is `Annotated[str, Scalar(...)]`: the Scalar checks the value and names its form, which
error messages and docs/config.md use unless a field gives a more specific one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

# Pulumi auto-naming appends "-" and 7 random characters; AWS LB and target group names are
# at most 32 characters. The longest suffix we add to those names is "-nlb" (4 characters).
PULUMI_SUFFIX = 8
AWS_NAME_LIMIT = 32
LONGEST_AWS_NAME_SUFFIX = len("-nlb")
NAME_MAX = 16  # 16 + 4 + 8 = 28 <= 32 (tests/test_docs.py checks the sum)


@dataclass(frozen=True)
class Scalar:
    """A string type's check (raises ValueError("is not ...")) and its allowed form."""

    form: str
    check: Callable[[str], str]
    plural_form: str | None = None

    @property
    def plural(self) -> str:
        return self.plural_form or self.form + "s"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


def _article(noun: str) -> str:
    return "an" if noun[0].lower() in "aeio" else "a"


def matching(regex: str, form: str, what: str | None = None) -> Scalar:
    """A Scalar accepting strings that match `regex` whole; errors say "is not a <what>"."""
    compiled = re.compile(regex)
    what = what or form

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"is not {_article(what)} {what}")
        return value

    return Scalar(form, check)


# Where a machine behind the LB may live: RFC 1918 and carrier-grade NAT space (RFC 6598), the
# ranges AWS accepts for IP targets and every cloud accepts for VPC/VNet subnets. Python's
# `is_private` says the opposite for 100.64.0.0/10 and also admits 0.0.0.0/8, loopback,
# link-local and reserved ranges, which no cloud can send traffic to.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
PRIVATE_FORM = (
    "private IPv4 address (in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10)"
)


def _private_ipv4(value: str) -> str:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("is not an IPv4 address") from None
    if not any(address in net for net in PRIVATE_RANGES):
        raise ValueError(
            "is not a private IPv4 address: in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or "
            "100.64.0.0/10 (not 0.0.0.0, loopback, link-local, multicast, reserved or public)"
        )
    return str(address)


def _ipv4_cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError("has no prefix length")
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"is not an IPv4 CIDR block ({exc})") from None
    return str(network)


def _resource_prefix(value: str) -> str:
    if not _PREFIX.fullmatch(value):
        raise ValueError("is not a valid name prefix")
    # AWS rejects load balancer names that begin with "internal-".
    if value.startswith("internal-"):
        raise ValueError('must not begin with "internal-" (AWS reserves it for LB names)')
    return value


_PREFIX = re.compile(rf"[a-z]([a-z0-9-]{{0,{NAME_MAX - 2}}}[a-z0-9])?")

# --- every cloud --------------------------------------------------------------------------------

PrivateIPv4 = Annotated[str, Scalar(PRIVATE_FORM, _private_ipv4, "private IPv4 addresses")]
IPv4Cidr = Annotated[str, Scalar("IPv4 CIDR block", _ipv4_cidr)]
# A lowercase DNS label (letters, digits, '-' inside), as hosts and record names use them.
_LDH_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DNS_NAME_MAX = 253  # characters of a DNS name, without the trailing dot
DnsLabel = Annotated[str, matching(_LDH_LABEL, "lowercase DNS label")]
# A front end's label: part of its resources' names (`<name>-<label>-nlb`), so short.
FRONT_END_MAX = 8
FrontEndLabel = Annotated[
    str,
    matching(
        rf"[a-z]([a-z0-9-]{{0,{FRONT_END_MAX - 2}}}[a-z0-9])?",
        f"a lowercase letter, then at most {FRONT_END_MAX - 1} lowercase letters, digits or "
        "'-', not ending in '-'",
        "front end label",
    ),
]
# An extra port's name: part of its resources' names beside the front end label, so as short.
PortName = Annotated[
    str,
    matching(
        rf"[a-z]([a-z0-9-]{{0,{FRONT_END_MAX - 2}}}[a-z0-9])?",
        f"a lowercase letter, then at most {FRONT_END_MAX - 1} lowercase letters, digits or "
        "'-', not ending in '-'",
        "port name",
    ),
]
ResourcePrefix = Annotated[
    str,
    Scalar(
        f"[a-z][a-z0-9-]{{0,{NAME_MAX - 1}}}, not ending in '-', not starting with 'internal-'",
        _resource_prefix,
    ),
]

# --- AWS ----------------------------------------------------------------------------------------

_AWS_ID = "-[0-9a-f]{8}([0-9a-f]{9})?"
VpcId = Annotated[str, matching("vpc" + _AWS_ID, "VPC ID")]
SubnetId = Annotated[str, matching("subnet" + _AWS_ID, "subnet ID")]
SecurityGroupId = Annotated[str, matching("sg" + _AWS_ID, "security group ID")]
InstanceId = Annotated[str, matching("i" + _AWS_ID, "EC2 instance ID")]
AwsZone = Annotated[str, matching(r"all|[a-z]{2}(-[a-z]+)+-[0-9][a-z]", "availability zone or all")]
EipAllocationId = Annotated[str, matching("eipalloc" + _AWS_ID, "Elastic IP allocation ID")]
# Route 53 hosted zone IDs: "Z" and uppercase letters or digits, at most 32 characters in all
# (the API's HostedZone.Id; terraform-provider-aws validates alias zone IDs as 1-32 characters).
# The "/hostedzone/" form some APIs return is refused: give the bare ID.
HostedZoneId = Annotated[
    str,
    matching(
        r"Z[A-Z0-9]{1,31}",
        "Route 53 hosted zone ID (Z and uppercase letters or digits, at most 32 characters)",
        "Route 53 hosted zone ID",
    ),
]


def _route53_name(value: str) -> str:
    """A fully qualified DNS name as a record's name: lowercase labels of letters, digits and
    '-' (not at either end), at least two labels, at most 253 characters, no trailing dot."""
    if value.endswith("."):
        raise ValueError("ends with a dot; give the name without it")
    labels = value.split(".")
    if len(value) > DNS_NAME_MAX or len(labels) < 2:
        raise ValueError("is not a fully qualified DNS name (two labels or more, 253 characters)")
    for label in labels:
        if not _ROUTE53_LABEL.fullmatch(label):
            raise ValueError(
                f"is not a DNS name: label {label!r} is not 1-63 lowercase letters, digits or "
                "'-', starting and ending with a letter or digit"
            )
    return value


_ROUTE53_LABEL = re.compile(_LDH_LABEL)
Route53RecordName = Annotated[
    str,
    Scalar(
        "fully qualified DNS name, lowercase, without the trailing dot, e.g. api.example.com",
        _route53_name,
    ),
]

# --- Azure --------------------------------------------------------------------------------------

# Azure naming rules (ASCII: Python's \w and \d also match other scripts' letters and digits).
# Resource groups: 1-90 of letters, digits, _ - . ( ), not ending in "."; network resources
# (NIC, NSG, IP configuration, VNet): letters, digits, _ - ., starting with a letter or digit
# and ending with a letter, digit or _.
_AZ_RG = r"[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]"


def _az_name(low: int, high: int) -> str:
    return rf"[A-Za-z0-9]([-A-Za-z0-9_.]{{{max(low - 2, 0)},{high - 2}}}[A-Za-z0-9_])" + (
        "?" if low <= 1 else ""
    )


_AZ_ID = rf"/subscriptions/[0-9a-fA-F-]{{36}}/resourceGroups/{_AZ_RG}/providers/Microsoft\.Network"
_AZ_ID_FORM = "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/"
AzureNicId = Annotated[
    str,
    matching(
        _AZ_ID + "/networkInterfaces/" + _az_name(1, 80),
        _AZ_ID_FORM + "networkInterfaces/<nic>",
        "network interface resource ID",
    ),
]
AzureVnetId = Annotated[
    str,
    matching(
        _AZ_ID + "/virtualNetworks/" + _az_name(2, 64),
        _AZ_ID_FORM + "virtualNetworks/<vnet>",
        "virtual network resource ID",
    ),
]
AzureName = Annotated[str, matching(_az_name(1, 80), "Azure resource name")]
AzureResourceGroup = Annotated[str, matching(_AZ_RG, "resource group name")]
DomainNameLabel = Annotated[
    str,
    matching(r"[a-z][a-z0-9-]{1,61}[a-z0-9]", "DNS label, 3-63 characters", "DNS name label"),
]

# --- Azure: stable addresses (issue 21) ---------------------------------------------------------

# Azure compares resource IDs ignoring case (ARM itself returns `resourcegroups` from some APIs),
# so the fixed segments of a public IP's ID match in any case; names keep Azure's naming rules.
_AZ_ID_ANY_CASE = (
    r"/(?i:subscriptions)/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    rf"[0-9a-fA-F]{{12}}/(?i:resourceGroups)/{_AZ_RG}/(?i:providers/Microsoft\.Network)"
)
AzurePublicIpId = Annotated[
    str,
    matching(
        _AZ_ID_ANY_CASE + "/(?i:publicIPAddresses)/" + _az_name(1, 80),
        _AZ_ID_FORM + "publicIPAddresses/<name>",
        "public IP address resource ID",
    ),
]
# Azure DNS zone names: 2-34 labels of letters, digits, '_' and '-' (1-63 each), at most 253
# characters, no trailing dot (Microsoft.Network/dnsZones naming rules). A record's FQDN is the
# zone's name with one or more labels in front (or the zone's name itself: the apex).
_AZ_DNS_LABEL = r"[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?"


def _dns_name(labels: str, form: str, what: str) -> Scalar:
    compiled = re.compile(rf"{_AZ_DNS_LABEL}(\.{_AZ_DNS_LABEL}){labels}")

    def check(value: str) -> str:
        if value.endswith("."):
            raise ValueError("ends with '.'; give the name without the trailing dot")
        if len(value) > DNS_NAME_MAX or not compiled.fullmatch(value):
            raise ValueError(f"is not {_article(what)} {what}")
        return value.lower()  # DNS names compare ignoring case

    return Scalar(form, check)


AzureDnsZoneName = Annotated[
    str,
    _dns_name(
        "{1,33}",
        "DNS zone name: 2-34 labels of letters, digits, '_' or '-', no trailing dot",
        "DNS zone name",
    ),
]
# The API's host name: no wildcard (a name kURL puts in certificates and kubeconfigs).
AzureDnsRecordName = Annotated[
    str,
    _dns_name(
        "+",
        "fully qualified DNS name: labels of letters, digits, '_' or '-', no trailing dot",
        "fully qualified DNS name",
    ),
]

# --- GCP ----------------------------------------------------------------------------------------

_GCP_NAME = r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
_GCP_API = r"(https://www\.googleapis\.com/compute/v1/)?"
# Project IDs: 6-30 of [a-z0-9-] (domain-scoped ones: example.com:my-project).
_GCP_PROJECT = r"projects/([a-z0-9.-]{1,63}:)?[a-z][-a-z0-9]{4,28}[a-z0-9]"
GcpName = Annotated[str, matching(_GCP_NAME, "GCP resource name")]


def _gcp_ref(path: str, form: str, what: str) -> Any:
    return Annotated[
        str, matching(f"{_GCP_NAME}|{_GCP_API}{_GCP_PROJECT}/{path}/{_GCP_NAME}", form, what)
    ]


GcpInstanceRef = _gcp_ref(
    r"zones/[a-z]{2,20}-[a-z]{2,20}[0-9]{1,2}-[a-z]/instances",
    "instance name or self link (projects/<p>/zones/<zone>/instances/<name>)",
    "GCP instance name or self link",
)
GcpNetworkRef = _gcp_ref(
    "global/networks",
    "VPC network name or self link (projects/<p>/global/networks/<name>)",
    "GCP network name or self link",
)
GcpSubnetworkRef = _gcp_ref(
    r"regions/[a-z]{2,20}-[a-z]{2,20}[0-9]{1,2}/subnetworks",
    "subnetwork name or self link (projects/<p>/regions/<region>/subnetworks/<name>)",
    "GCP subnetwork name or self link",
)
GcpZone = Annotated[str, matching(r"[a-z]{2,20}-[a-z]{2,20}[0-9]{1,2}-[a-z]", "GCP zone")]
GcpAddressRef = _gcp_ref(
    r"regions/[a-z]{2,20}-[a-z]{2,20}[0-9]{1,2}/addresses",
    "reserved address name or self link (projects/<p>/regions/<region>/addresses/<name>)",
    "GCP address name or self link",
)
# Cloud DNS managed zone names: 1-63 characters, a lowercase letter first, then lowercase
# letters, digits or dashes, a letter or digit last (the ManagedZone API's `name` field).
GcpManagedZoneName = Annotated[str, matching(_GCP_NAME, "Cloud DNS managed zone name")]
# The API address as a DNS name: lowercase (troubleshoot's load balancer preflight refuses an
# address whose host is not lowercase), LDH labels of 1-63 characters, at least two labels, at
# most 253 characters, no trailing dot, and a last label that is not all digits (not an IP).
_DNS_NAME = re.compile(rf"({_LDH_LABEL}\.)+[a-z]([-a-z0-9]{{0,61}}[a-z0-9])?")


def _dns_record_name(value: str) -> str:
    if value.endswith("."):
        raise ValueError("ends with a dot: give the name without the trailing dot")
    if len(value) > DNS_NAME_MAX or not _DNS_NAME.fullmatch(value):
        raise ValueError("is not a lowercase fully qualified DNS name")
    return value


GcpDnsRecordName = Annotated[
    str,
    Scalar(
        "lowercase fully qualified DNS name without the trailing dot (api.example.com), at most "
        f"{DNS_NAME_MAX} characters",
        _dns_record_name,
    ),
]
