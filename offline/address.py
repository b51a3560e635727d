"""The API-address gate: kURL writes the load balancer's `host:port` into every node's
kubeconfig, the API server certificate's SANs and the Installer spec, so a plan that moves it
breaks the cluster unless the move is planned (docs/runbook.md, section 6.3).

A plan moves the address when it replaces or deletes a front end (the NLB, the Azure public IP or
load balancer, the GCP address or forwarding rule), when it updates an input that is part of the
address in place (the API port's listener or rule port, the public IP's DNS label; extra ports'
listeners, rules and forwarding rules are not the address), or when the known
`loadBalancerAddress` stack output differs, or when a provider setting no input carries (the AWS
region, the Azure location or subscription, the GCP project) changes under an existing front end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .diff import DELETE, REPLACE, Change, Reason
from .graph import UNKNOWN, Graph
from .replacements import FRONT_END_TYPES, address_property

ADDRESS_OUTPUT = "loadBalancerAddress"
# What a stack exports about its front ends (components/base.py, __main__.py): the label of the
# one nodes use, and during a planned move the one added beside it and its address.
FRONT_END_OUTPUT = "frontEnd"
NEXT_FRONT_END_OUTPUT = "nextFrontEnd"
NEXT_ADDRESS_OUTPUT = "nextLoadBalancerAddress"
DEFAULT_FRONT_END = "v1"
CONSEQUENCE = "changes the API address every kURL node and certificate holds"
ADDRESS_PROCEDURE = 'docs/runbook.md section 6.3, "Moving the API address on purpose"'
REPLACE_PROCEDURE = 'docs/runbook.md section 6.2, "Replacements that keep the API address"'
FLAG = "--allow-address-change"
# The preview's exit code when the gate blocks. 3 is left to a possible "mandatory check could not
# be verified" code (DESIGN.md).
EXIT_ADDRESS_CHANGE = 4

_AWS_LB = "aws:lb/loadBalancer:LoadBalancer"
_AWS_TG = "aws:lb/targetGroup:TargetGroup"
_AWS_ATTACH = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
_AWS_SG = "aws:ec2/securityGroup:SecurityGroup"
_AWS_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
_AWS_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
_AZ_PIP = "azure-native:network:PublicIPAddress"
_AZ_LB = "azure-native:network:LoadBalancer"
_AZ_RULE = "azure-native:network:SecurityRule"
_AZ_NIC = (
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation"
)
_GCP_IP = "gcp:compute/address:Address"
_GCP_FR = "gcp:compute/forwardingRule:ForwardingRule"
_GCP_BS = "gcp:compute/regionBackendService:RegionBackendService"
_GCP_HC = "gcp:compute/regionHealthCheck:RegionHealthCheck"
_GCP_IG = "gcp:compute/instanceGroup:InstanceGroup"
_GCP_MEMBER = "gcp:compute/instanceGroupMembership:InstanceGroupMembership"

# Which stack config key of this project sets a replace-forcing input of the kurl-lb components,
# so a message can say what the reviewer changed (shown only for resources inside a kurl component).
CONFIG_KEYS: dict[tuple[str, str], str] = {
    (_AWS_LB, "internal"): "kurl-lb:scheme",
    (_AWS_LB, "securityGroups"): "kurl-lb:aws.loadBalancerSecurityGroup",
    (_AWS_LB, "subnets"): "kurl-lb:aws.subnetIds (removing or swapping a subnet)",
    (_AWS_TG, "port"): "kurl-lb:port",
    (_AWS_TG, "targetType"): "kurl-lb:aws.targetType",
    (_AWS_TG, "vpcId"): "kurl-lb:aws.vpcId",
    (_AWS_SG, "vpcId"): "kurl-lb:aws.vpcId",
    (_AWS_ATTACH, "targetId"): "kurl-lb:primaries[].address or instanceId",
    (_AWS_ATTACH, "port"): "kurl-lb:port",
    (_AWS_ATTACH, "availabilityZone"): "kurl-lb:primaries[].zone",
    (_AWS_IN, "securityGroupId"): "kurl-lb:aws.instanceSecurityGroupId",
    (_AWS_OUT, "referencedSecurityGroupId"): "kurl-lb:aws.instanceSecurityGroupId",
    (_AWS_OUT, "cidrIpv4"): "kurl-lb:aws.instanceSecurityGroupId",
    (_AZ_PIP, "resourceGroupName"): "kurl-lb:azure.resourceGroupName",
    (_AZ_PIP, "location"): "azure-native:location",
    (_AZ_LB, "resourceGroupName"): "kurl-lb:azure.resourceGroupName",
    (_AZ_LB, "loadBalancerName"): "kurl-lb:name",
    (_AZ_RULE, "resourceGroupName"): "kurl-lb:azure.resourceGroupName",
    (_AZ_RULE, "networkSecurityGroupName"): "kurl-lb:azure.networkSecurityGroupName",
    (_AZ_RULE, "securityRuleName"): "kurl-lb:name",
    (_AZ_NIC, "networkInterfaceId"): "kurl-lb:primaries[].nicId",
    (_AZ_NIC, "ipConfigurationName"): "kurl-lb:primaries[].ipConfigurationName",
    (_GCP_IP, "addressType"): "kurl-lb:scheme",
    (_GCP_IP, "networkTier"): "kurl-lb:gcp.networkTier",
    (_GCP_IP, "subnetwork"): "kurl-lb:gcp.subnetwork",
    (_GCP_IP, "region"): "gcp:region",
    (_GCP_FR, "ports"): "kurl-lb:port",
    (_GCP_FR, "loadBalancingScheme"): "kurl-lb:scheme",
    (_GCP_FR, "networkTier"): "kurl-lb:gcp.networkTier",
    (_GCP_FR, "network"): "kurl-lb:gcp.network",
    (_GCP_FR, "subnetwork"): "kurl-lb:gcp.subnetwork",
    (_GCP_FR, "region"): "gcp:region",
    (_GCP_BS, "loadBalancingScheme"): "kurl-lb:scheme",
    (_GCP_BS, "network"): "kurl-lb:gcp.network",
    (_GCP_BS, "region"): "gcp:region",
    (_GCP_HC, "region"): "gcp:region",
    (_GCP_IG, "network"): "kurl-lb:gcp.network",
    (_GCP_IG, "zone"): "kurl-lb:primaries[].zone",
    (_GCP_MEMBER, "instance"): "kurl-lb:primaries[].instance",
}


def _in_kurl_component(urn: str) -> bool:
    # The URN's type part lists the parent types: `...::kurl:index:AwsKurlNlb$aws:lb/...::name`.
    return "kurl:index:" in urn.split("::")[2] if urn.count("::") >= 3 else False


def explain(change: Change, reason: Reason) -> str:
    """`securityGroups (kurl-lb:aws.loadBalancerSecurityGroup)`: the input, and the config key
    of this project that sets it when the resource belongs to a kurl component."""
    key = (
        CONFIG_KEYS.get((change.type, reason.property)) if _in_kurl_component(change.urn) else None
    )
    text = str(reason)
    return f"{text} ({key})" if key and not reason.via else text


def forced_by(change: Change) -> str:
    return ", ".join(explain(change, r) for r in change.reasons)


@dataclass(frozen=True)
class AddressChange:
    """One way a plan moves the API address."""

    kind: str  # "replace", "delete", "update", "output" or "setting"
    name: str  # resource name, or the output name
    type: str  # resource type token ("" for the output)
    urn: str
    detail: str

    def message(self, type_text: str | None = None) -> str:
        """One sentence; `type_text` shows the type the way the caller shows types."""
        what = {"replace": "is replaced", "delete": "is deleted", "update": "is updated"}
        if self.kind == "output":
            return f"output {self.name} {self.detail}: {CONSEQUENCE}"
        if self.kind == "setting":
            return f"provider setting {self.name} {self.detail}: {CONSEQUENCE}"
        subject = f"{type_text or self.type} {self.name}"
        return f"{subject} {what[self.kind]}{self.detail}: {CONSEQUENCE}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "type": self.type or None,
            "urn": self.urn or None,
            "detail": self.detail.strip(" ,") or None,
            "message": self.message(),
        }


def _known(value: Any) -> bool:
    return isinstance(value, str) and value != UNKNOWN


def protection(before: Graph, urn: str) -> str | None:
    """What stops `pulumi up` deleting a resource of `before`: "protect" (Pulumi's flag),
    "attribute" (the AWS load balancer's own deletion protection), or None."""
    old = next((r for r in before.resources if r.urn == urn), None)
    if old is None:
        return None
    if old.protect:
        return "protect"
    if old.inputs.get("enableDeletionProtection") is True:
        return "attribute"
    return None


def _protection(before: Graph, urn: str) -> str:
    """Why `pulumi up` would refuse to delete the old front end, if it would."""
    return {
        "protect": "; it is protected (pulumi up refuses until deletionProtection: false is "
        "applied)",
        "attribute": "; its deletion protection is on (pulumi up fails to delete the old one)",
        None: "",
    }[protection(before, urn)]


# The API port a stack config gives (components: `port`, default 6443). Extra ports
# (`extraPorts`) have listeners, rules and forwarding rules of their own, never on this port, and
# are not part of the address kURL holds.
API_PORT_KEY = "kurl-lb:port"
DEFAULT_API_PORT = 6443


def api_ports(*configs: Mapping[str, str]) -> frozenset[int]:
    """The API port of each stack config (both revisions': either one's port is the API's)."""
    ports = set()
    for config in configs:
        value = config.get(API_PORT_KEY, DEFAULT_API_PORT)
        try:
            ports.add(int(str(value).strip().strip('"')))
        except ValueError:
            ports.add(DEFAULT_API_PORT)  # the program refuses such a config anyway
    return frozenset(ports or {DEFAULT_API_PORT})


def _port_values(resource: Any, path: str) -> list[Any]:
    """The port(s) at `path` of a recorded resource's inputs (a top-level key, or
    `list[i].key`)."""
    if resource is None:
        return []
    head, _, rest = path.partition("[")
    value = resource.inputs.get(head)
    if rest:
        index, _, key = rest.partition("]")
        if not isinstance(value, list) or not index.isdigit() or int(index) >= len(value):
            return []
        item = value[int(index)]
        value = item.get(key.lstrip(".")) if isinstance(item, dict) else None
    if isinstance(value, dict) and "secret" in value:
        value = value["secret"]
    return value if isinstance(value, list) else [value]


def _on_api_port(values: list[Any], ports: frozenset[int]) -> bool:
    """Whether any of `values` is an API port; an unknown or unreadable value counts as one
    (the gate never passes a change it cannot place)."""
    for v in values:
        try:
            if int(str(v)) in ports:
                return True
        except ValueError:
            return True
    return not values


# Front end resources that serve one set of ports: only those on an API port are the address.
_PORTED_FRONT_ENDS = {_GCP_FR: "ports"}


def _serves_api(
    c: Change, path: str, graphs: tuple[dict[str, Any], dict[str, Any]], ports: frozenset[int]
) -> bool:
    """Whether the changed resource's port at `path`, before or after, is an API port
    (`graphs`: the resources of both revisions by URN)."""
    values = [v for by_urn in graphs for v in _port_values(by_urn.get(c.urn), path)]
    return _on_api_port(values, ports)


def address_changes(
    changes: list[Change],
    before: Graph,
    after: Graph,
    ports: frozenset[int] = frozenset({DEFAULT_API_PORT}),
) -> list[AddressChange]:
    """Every way the plan from `before` to `after` moves the API address (`ports`: the API
    port(s); listeners, rules and forwarding rules of other ports are not the address)."""
    found: list[AddressChange] = []
    graphs = ({r.urn: r for r in before.resources}, {r.urn: r for r in after.resources})
    for c in changes:
        ported = _PORTED_FRONT_ENDS.get(c.type)
        front_end = c.type in FRONT_END_TYPES and (
            ported is None or _serves_api(c, ported, graphs, ports)
        )
        if front_end and c.op == REPLACE:
            detail = f", forced by {forced_by(c)}{_protection(before, c.urn)}"
            found.append(AddressChange("replace", c.name, c.type, c.urn, detail))
            continue
        if front_end and c.op == DELETE:
            found.append(AddressChange("delete", c.name, c.type, c.urn, _protection(before, c.urn)))
            continue
        moved = {
            a.why: p
            for p in c.properties
            if (a := address_property(c.type, p))
            and (not a.port or _serves_api(c, _port_path(a.path, p), graphs, ports))
        }
        if moved:
            detail = ", ".join(f"{p} ({why})" for why, p in moved.items())
            kind = "replace" if c.op == REPLACE else "update"
            found.append(AddressChange(kind, c.name, c.type, c.urn, f": {detail}"))
    old, new = before.outputs.get(ADDRESS_OUTPUT), after.outputs.get(ADDRESS_OUTPUT)
    if _known(old) and _known(new) and old != new:
        found.append(AddressChange("output", ADDRESS_OUTPUT, "", "", f"goes from {old} to {new}"))
    return found


def _port_path(pattern: str, changed: str) -> str:
    """The port input a changed path is under: `loadBalancingRules[1].frontendPort` for the
    pattern `loadBalancingRules[*].frontendPort`, `ports` for `ports[0]`."""
    head, _, tail = pattern.partition("[*]")
    if not tail:
        return head
    index = changed.removeprefix(head + "[").partition("]")[0]
    return f"{head}[{index}]{tail}"


# Provider settings a program usually leaves to the provider: no resource input carries them, so
# the diff cannot see that changing one replaces every resource of the provider (all of them
# live in the region, location, subscription or project the setting names).
PROVIDER_SETTINGS = (
    "aws:region",
    "azure-native:location",
    "azure-native:subscriptionId",
    "gcp:project",
)


def provider_setting_changes(
    before: Graph, old_config: Mapping[str, str], new_config: Mapping[str, str]
) -> list[AddressChange]:
    """Provider settings that move existing front ends: each changed setting whose provider
    manages a front end in `before`."""
    found = []
    packages = {r.type.split(":")[0] for r in before.resources if r.type in FRONT_END_TYPES}
    for key in PROVIDER_SETTINGS:
        old, new = old_config.get(key), new_config.get(key)
        package = key.split(":")[0]
        if old == new or package not in packages:
            continue
        detail = f"goes from {old or '(provider default)'} to {new or '(provider default)'}"
        found.append(
            AddressChange(
                "setting",
                key,
                "",
                "",
                f"{detail}, which replaces every {package} resource (not shown in the plan above)",
            )
        )
    return found


def replacement_warnings(changes: list[Change]) -> list[str]:
    """What each replacement that keeps the API address does, and how to do it safely. One that
    only follows another replacement (every reason is a new output of it) is not repeated."""
    out = []
    for c in changes:
        if c.op != REPLACE or c.type in FRONT_END_TYPES or all(r.via for r in c.reasons):
            continue
        out.append(
            f"warning: {c.name} ({c.type}) is replaced, forced by {forced_by(c)}: pulumi up "
            "creates the new one, moves what uses it, then deletes the old one; API traffic "
            f"through the load balancer may fail meanwhile ({REPLACE_PROCEDURE})."
        )
    return out


@dataclass(frozen=True)
class AddressGate:
    """The gate's verdict: the address moves found, and whether the reviewer allowed them;
    `notes` say what the gate found that does not move the address (a planned move's steps, a
    front end behind a DNS record), `move` the planned move's step (offline/moves.py)."""

    changes: list[AddressChange]
    allowed: bool
    notes: list[str] = field(default_factory=list)
    move: Any = None  # offline.moves.AddressMove

    @property
    def blocks(self) -> bool:
        return bool(self.changes) and not self.allowed

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "allowed": self.allowed,
            "blocks": self.blocks,
            "notes": self.notes,
            "move": self.move.to_json() if self.move is not None else None,
        }
