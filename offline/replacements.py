"""Which input changes replace a resource instead of updating it, per provider.

`pulumi preview` learns this from the provider's Diff; offline there is no provider, so the rules
are written down here, one table per provider, each row with where the provider says so:

- pulumi-aws, pulumi-gcp and pulumi-azure (classic) are bridged Terraform providers: a property
  replaces when the Terraform schema marks it `ForceNew` (or `RequiresReplace`), or when the
  resource's CustomizeDiff forces it for some changes only (the `when` rows).
- pulumi-azure-native replaces when a property is part of the resource's ARM path (its name and
  its parent scope: resource group, parent resource), when its `forceNewMap` lists it, or when the
  REST spec marks a top-level property create-only (`x-ms-mutability` without `update`).

The AWS rows are checked against the real provider's Diff (the Terraform AWS provider under
pulumi-terraform-bridge, `make providers`) by tests/test_aws_provider_diff.py: where the two
disagreed, the rows follow the provider.

Rows name top-level inputs as they travel on the wire (camelCase). "*" stands for every input of
a resource that cannot be updated at all. Only the resource types the kurl-lb components create
are covered; a type missing here is reported as "update (replacement not checked)".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Inputs = Mapping[str, Any]
Condition = Callable[[Inputs, Inputs], bool]  # (inputs before, inputs after) -> replaces?

ANY = "*"

TF_AWS = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service"
TF_GOOGLE = "https://github.com/hashicorp/terraform-provider-google/blob/main/google/services"
MMV1 = "https://github.com/GoogleCloudPlatform/magic-modules/blob/main/mmv1/products/compute"
TF_AZURERM = "https://github.com/hashicorp/terraform-provider-azurerm/blob/main/internal/services"
AZURE_NATIVE = "https://github.com/pulumi/pulumi-azure-native"
AZURE_NATIVE_PATH_PARAMS = (
    f"{AZURE_NATIVE}/issues/77 (every ARM path parameter forces a new resource)"
)
AZURE_NATIVE_FORCE_NEW = f"{AZURE_NATIVE}/blob/master/provider/pkg/gen/replacement.go (forceNewMap)"


@dataclass(frozen=True)
class Rule:
    """One property whose change replaces the resource (always, or when `when` says so)."""

    property: str  # top-level wire name, or ANY
    source: str  # where the provider's schema or code says so
    when: Condition | None = None  # None: every change replaces
    condition: str = ""  # `when` in words (shown in the JSON plan's replaceReasons)
    except_: tuple[str, ...] = ()  # with ANY: the inputs that update in place

    def covers(self, prop: str) -> bool:
        return prop == self.property or (self.property == ANY and prop not in self.except_)

    def replaces(self, prop: str, before: Inputs, after: Inputs) -> bool:
        return self.covers(prop) and (self.when is None or self.when(before, after))


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def _is_nlb(inputs: Inputs) -> bool:
    return inputs.get("loadBalancerType") == "network"


def _nlb_subnets_not_only_added(before: Inputs, after: Inputs) -> bool:
    # customizeDiffLoadBalancerNLB: a network LB can gain subnets in place; removing or swapping
    # one (the count does not grow) forces a new load balancer.
    return _is_nlb(after) and _count(after.get("subnets")) <= _count(before.get("subnets"))


def _nlb_subnet_mappings_removed_or_replaced(before: Inputs, after: Inputs) -> bool:
    # As the provider's Diff decides (tests/test_aws_provider_diff.py): fewer mappings, or more
    # without all the old ones, replace; as many, one of them changed, is in place (the
    # CustomizeDiff means to replace then too, but its set diff sees no change of count).
    old, new = before.get("subnetMappings") or [], after.get("subnetMappings") or []
    kept_all = all(m in new for m in old)
    return _is_nlb(after) and (len(new) < len(old) or (len(new) > len(old) and not kept_all))


def _nlb_security_groups_added_or_all_removed(before: Inputs, after: Inputs) -> bool:
    # customizeDiffLoadBalancerNLB: security groups can be changed on a NLB that has some, but a
    # NLB created without one never gets one, and one with some cannot drop them all. Left out,
    # the list is not "none": the attribute is computed, so the provider keeps the current
    # groups (no change at all); only an explicit empty list removes them.
    if after.get("securityGroups") is None:
        return False
    had, has = _count(before.get("securityGroups")), _count(after.get("securityGroups"))
    return _is_nlb(after) and (had == 0) != (has == 0)


def _http_target_group(before: Inputs, after: Inputs) -> bool:
    # protocol_version's DiffSuppressFunc: ignored unless the protocol is HTTP or HTTPS (and the
    # target type not lambda); then ForceNew.
    return after.get("protocol") in ("HTTP", "HTTPS") and after.get("targetType") != "lambda"


_RULE_SOURCES = ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId")


def _rule_source_kind_changed(before: Inputs, after: Inputs) -> bool:
    # ModifyPlan: "When you modify a rule, you cannot change the rule's source type."
    def kind(inputs: Inputs) -> str | None:
        return next((k for k in _RULE_SOURCES if inputs.get(k) is not None), None)

    return kind(before) != kind(after)


def _rows(source: str, *props: str) -> tuple[Rule, ...]:
    return tuple(Rule(p, source) for p in props)


_LB = f"{TF_AWS}/elbv2/load_balancer.go"
_TG = f"{TF_AWS}/elbv2/target_group.go"
_SG_RULE = f"{TF_AWS}/ec2/vpc_security_group_ingress_rule.go (shared by the egress rule)"
_SG_RULE_SOURCE = [
    Rule(
        p,
        f"{_SG_RULE}, ModifyPlan",
        when=_rule_source_kind_changed,
        condition="the rule's source type changes (CIDR, prefix list or security group)",
    )
    for p in _RULE_SOURCES
]

AWS: dict[str, tuple[Rule, ...]] = {
    "aws:lb/loadBalancer:LoadBalancer": (
        *_rows(_LB, "customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix"),
        Rule(
            "subnets",
            f"{_LB}, customizeDiffLoadBalancerNLB",
            when=_nlb_subnets_not_only_added,
            condition="network LB and subnets are removed or swapped (adding only is in place)",
        ),
        Rule(
            "subnetMappings",
            f"{_LB}, customizeDiffLoadBalancerNLB",
            when=_nlb_subnet_mappings_removed_or_replaced,
            condition="network LB and mappings are removed, or added while an old one changes "
            "(adding only, or changing one of as many, is in place)",
        ),
        Rule(
            "securityGroups",
            f"{_LB}, customizeDiffLoadBalancerNLB",
            when=_nlb_security_groups_added_or_all_removed,
            # "none": an explicit empty list (the `when` above); the text is in --json output.
            condition="network LB goes from no security group to some, or from some to none",
        ),
    ),
    "aws:lb/targetGroup:TargetGroup": (
        *_rows(
            _TG, "ipAddressType", "name", "namePrefix", "port", "protocol", "targetType", "vpcId"
        ),
        Rule(
            "protocolVersion",
            f"{_TG}, DiffSuppressFunc",
            when=_http_target_group,
            condition="HTTP or HTTPS target group (other protocols ignore it)",
        ),
    ),
    "aws:lb/listener:Listener": _rows(f"{TF_AWS}/elbv2/listener.go", "loadBalancerArn"),
    # No Update function: every argument is ForceNew.
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": (
        Rule(ANY, f"{TF_AWS}/elbv2/target_group_attachment.go"),
    ),
    "aws:ec2/securityGroup:SecurityGroup": _rows(
        f"{TF_AWS}/ec2/vpc_security_group.go", "description", "name", "namePrefix", "vpcId"
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        Rule("securityGroupId", f"{_SG_RULE}, RequiresReplace"),
        *_SG_RULE_SOURCE,
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        Rule("securityGroupId", f"{_SG_RULE}, RequiresReplace"),
        *_SG_RULE_SOURCE,
    ),
}

# Issue 21, AWS: the Elastic IPs and Route 53 records of static addresses and DNS names. The
# record's alias (its target NLB) updates in place: replacing the NLB behind a record is an
# update of the record, and the API address (the record's name) stays.
AWS.update(
    {
        "aws:ec2/eip:Eip": _rows(
            f"{TF_AWS}/ec2/ec2_eip.go",
            "address",
            "domain",
            "ipamPoolId",
            "networkBorderGroup",
            "publicIpv4Pool",
        ),
        "aws:route53/record:Record": _rows(f"{TF_AWS}/route53/record.go", "name", "type", "zoneId"),
    }
)

# Rows: ARM path parameters and forceNewMap entries. No create-only (`x-ms-mutability`) top-level
# input of these types turned up in the sources read; one that exists would be missing here.
AZURE_NATIVE_TABLE: dict[str, tuple[Rule, ...]] = {
    "azure-native:network:PublicIPAddress": (
        *_rows(AZURE_NATIVE_PATH_PARAMS, "resourceGroupName", "publicIpAddressName"),
        *_rows(
            AZURE_NATIVE_FORCE_NEW, "location", "publicIPAddressVersion", "publicIPPrefix", "sku"
        ),
    ),
    # Sub-resources (frontends, pools, probes, rules) are properties of the LB and update in
    # place: azure-native never forces a replacement below the top level (its issue #2782).
    "azure-native:network:LoadBalancer": _rows(
        AZURE_NATIVE_PATH_PARAMS, "resourceGroupName", "loadBalancerName"
    ),
    "azure-native:network:SecurityRule": _rows(
        AZURE_NATIVE_PATH_PARAMS,
        "resourceGroupName",
        "networkSecurityGroupName",
        "securityRuleName",
    ),
}

# --- Azure, issue 21: the DNS record of the API address -----------------------------------------
# A record set's ARM path is .../dnsZones/{zoneName}/{recordType}/{relativeRecordSetName}: each
# of them, and the resource group, replaces it (a new name is a new record). Its target
# (`targetResource`, the public IP of an alias record) and `ttl` update in place.
AZURE_NATIVE_TABLE["azure-native:dns:RecordSet"] = _rows(
    AZURE_NATIVE_PATH_PARAMS,
    "resourceGroupName",
    "zoneName",
    "recordType",
    "relativeRecordSetName",
)

AZURE_CLASSIC: dict[str, tuple[Rule, ...]] = {
    # No Update function: all three arguments are ForceNew.
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation": (
        Rule(
            ANY,
            f"{TF_AZURERM}/network/network_interface_backend_address_pool_association_resource.go",
        ),
    ),
}


def _project(resource_file: str) -> Rule:
    # Every generated google resource has `project` Optional+Computed+ForceNew.
    return Rule("project", f"{TF_GOOGLE}/compute/{resource_file}")


GCP: dict[str, tuple[Rule, ...]] = {
    # `immutable: true` for the whole resource; labels have their own setLabels call.
    "gcp:compute/address:Address": (
        Rule(ANY, f"{MMV1}/Address.yaml (immutable: true)", except_=("labels",)),
    ),
    # `immutable: true` except the fields with an update_url.
    "gcp:compute/forwardingRule:ForwardingRule": (
        Rule(
            ANY,
            f"{MMV1}/ForwardingRule.yaml (immutable: true)",
            except_=("target", "labels", "allowGlobalAccess", "allowPscGlobalAccess"),
        ),
    ),
    "gcp:compute/regionBackendService:RegionBackendService": (
        *_rows(
            f"{MMV1}/RegionBackendService.yaml",
            "name",
            "region",
            "loadBalancingScheme",
            "network",
            "params",
        ),
        _project("resource_compute_region_backend_service.go"),
    ),
    "gcp:compute/regionHealthCheck:RegionHealthCheck": (
        *_rows(f"{MMV1}/RegionHealthCheck.yaml", "name", "region"),
        _project("resource_compute_region_health_check.go"),
    ),
    # Hand-written resource; only `instances` and `namedPorts` have an update path.
    "gcp:compute/instanceGroup:InstanceGroup": _rows(
        f"{TF_GOOGLE}/compute/resource_compute_instance_group.go",
        "name",
        "zone",
        "description",
        "network",
        "project",
    ),
    "gcp:compute/instanceGroupMembership:InstanceGroupMembership": (
        Rule(ANY, f"{MMV1}/InstanceGroupMembership.yaml (immutable: true)"),
    ),
    # `network` is NOT ForceNew here (the firewall is patched in place).
    "gcp:compute/firewall:Firewall": _rows(
        f"{TF_GOOGLE}/compute/resource_compute_firewall.go",
        "name",
        "direction",
        "params",
        "project",
    ),
}

# --- GCP, #21: the Cloud DNS record naming the API address -------------------------------------
# Hand-written resource: `managed_zone`, `name` and `project` are ForceNew; `type`, `ttl` and
# `rrdatas` are updated in place (a new load balancer IP is an update of the record).
GCP["gcp:dns/recordSet:RecordSet"] = _rows(
    f"{TF_GOOGLE}/dns/resource_dns_record_set.go", "managedZone", "name", "project"
)


# One table per provider package (the first segment of a type token).
TABLES: dict[str, dict[str, tuple[Rule, ...]]] = {
    "aws": AWS,
    "azure-native": AZURE_NATIVE_TABLE,
    "azure": AZURE_CLASSIC,
    "gcp": GCP,
}


def rules_for(type_token: str) -> tuple[Rule, ...] | None:
    """The replacement rules of a resource type; None when no table covers it."""
    return TABLES.get(type_token.split(":", 1)[0], {}).get(type_token)


def replacing_rule(type_token: str, prop: str, before: Inputs, after: Inputs) -> Rule | None:
    """The rule by which changing `prop` replaces the resource, if any."""
    return next((r for r in rules_for(type_token) or () if r.replaces(prop, before, after)), None)


# The load balancer front ends: replacing or deleting one gives the API a new address (a new NLB
# DNS name, a new public IP) or takes it away while a new one is built.
FRONT_END_TYPES = frozenset(
    {
        "aws:lb/loadBalancer:LoadBalancer",
        "azure-native:network:PublicIPAddress",
        "azure-native:network:LoadBalancer",
        "gcp:compute/address:Address",
        "gcp:compute/forwardingRule:ForwardingRule",
    }
)


@dataclass(frozen=True)
class AddressProperty:
    """An input whose in-place change still changes the address clients use (`host:port`)."""

    type: str
    path: str  # changed-input path; "[*]" matches any list index
    why: str
    port: bool = False  # a port: part of the address only where it is an API port

    def matches(self, type_token: str, changed: str) -> bool:
        if type_token != self.type:
            return False
        head, _, tail = self.path.partition("[*]")
        if not tail:
            return changed == head or changed.startswith((head + ".", head + "["))
        rest = changed.removeprefix(head)
        if rest == changed or not rest.startswith("["):
            return False
        index, _, after = rest[1:].partition("]")
        return index.isdigit() and (after == tail or after.startswith(tail + "."))


ADDRESS_PROPERTIES = (
    AddressProperty("aws:lb/listener:Listener", "port", "the API port", port=True),
    AddressProperty(
        "azure-native:network:PublicIPAddress", "dnsSettings", "the DNS name of the public IP"
    ),
    AddressProperty(
        "azure-native:network:LoadBalancer",
        "loadBalancingRules[*].frontendPort",
        "the API port",
        port=True,
    ),
    AddressProperty(
        "gcp:compute/forwardingRule:ForwardingRule", "ports", "the API port", port=True
    ),
)


def address_property(type_token: str, changed: str) -> AddressProperty | None:
    return next((a for a in ADDRESS_PROPERTIES if a.matches(type_token, changed)), None)
