"""Azure discovery: one normalised view per load balancer with a rule that serves the API.

azure-native (`network:LoadBalancer`, inline rules/probes/pools, `LoadBalancerBackendAddressPool`)
and the classic provider (`azure:lb/*`: LoadBalancer, Rule, Probe, BackendAddressPool) are read
into one shape, in any mix: classic rules and probes attached to an azure-native LB, and the
reverse. Field names are reconciled (`frontendIPConfigurations`/`frontendIpConfigurations`,
`privateIPAddress`/`privateIpAddress`, `subnet.id`/`subnetId`, `sku.name`/`sku`). Sub-resource
references (rule -> frontend, probe, pool) are read by name from IDs when known; an unknown ID
makes every sub-resource of that kind a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from .graph import StackIndex, token_matcher
from .props import (
    MISSING,
    UNKNOWN,
    as_port,
    covers,
    elements,
    enum,
    get,
    is_unknown,
    items,
    last_segment,
)
from .verdict import FALSE, TRUE, Tri, any_of, test, unknown

AZURE_NATIVE_LB = token_matcher("azure-native:network:LoadBalancer")
AZURE_CLASSIC_LB = token_matcher("azure:lb/loadBalancer:LoadBalancer")
AZURE_LB = token_matcher("azure-native:network:LoadBalancer", "azure:lb/loadBalancer:LoadBalancer")
AZURE_CLASSIC_RULE = token_matcher("azure:lb/rule:Rule")
AZURE_CLASSIC_PROBE = token_matcher("azure:lb/probe:Probe")
# Inbound NAT rules and pools: flows to the backends like rules (and like them, never hairpin
# through an internal load balancer).
AZURE_NATIVE_NAT_RULE = token_matcher("azure-native:network:InboundNatRule")
AZURE_CLASSIC_NAT = token_matcher("azure:lb/natRule:NatRule", "azure:lb/natPool:NatPool")
AZURE_POOL = token_matcher(
    "azure:lb/backendAddressPool:BackendAddressPool",
    "azure-native:network:LoadBalancerBackendAddressPool",
)
AZURE_NIC = token_matcher("azure-native:network:NetworkInterface")
AZURE_NIC_ASSOCIATION = token_matcher(
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation",
    "azure:network/networkInterfaceNatRuleAssociation:NetworkInterfaceNatRuleAssociation",
)
HA_PORTS = 0  # frontendPort/backendPort 0: every port ("HA ports")


@dataclass
class AzureFrontend:
    name: Any
    private: Tri
    shown: str  # which private fields are set


@dataclass
class AzureProbe:
    owner: PolicyResource  # the LB (inline probe) or the classic Probe resource
    name: Any
    protocol: Any  # lower case
    port: Any


@dataclass
class AzureRule:
    owner: PolicyResource  # the LB (inline rule) or the classic Rule resource
    name: Any
    frontend_port: Any
    backend_port: Any
    frontend: Any  # referenced frontend name, UNKNOWN, or MISSING
    probe: Any  # referenced probe name, UNKNOWN, or MISSING
    probe_resources: list[PolicyResource]  # classic Probe resources linked by dependency
    pools: list[Any]  # referenced pool names (UNKNOWN when unreadable)
    serves_api: Tri = FALSE
    kind: str = "rule"  # or "inbound NAT rule", "inbound NAT pool"
    frontend_range: Any = MISSING  # "start-end" of a NAT rule's or pool's frontend ports
    # Load-balancing rules: `disableOutboundSnat` as written (omitted: false, Azure's default),
    # and where it is read (issue 21: every API rule of a front end is judged, the move's too).
    snat_disabled: Any = MISSING
    snat_prop: str = "disableOutboundSnat"

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'" if not is_unknown(self.name) else self.kind


@dataclass
class AzureUnlinked:
    """A classic rule, NAT rule or probe whose load balancer cannot be linked at preview (its
    loadbalancerId is unknown: the load balancer is looked up, or created inside an `.apply`)."""

    resource: PolicyResource
    link: Tri  # unknown, naming the property
    rule: AzureRule | None
    probe: AzureProbe | None


@dataclass
class AzureFront:
    load_balancer: PolicyResource
    native: bool
    sku: Any  # as written, UNKNOWN, or MISSING (Azure default: Basic); compare lower case
    sku_prop: str
    frontends: list[AzureFrontend] | Any  # or UNKNOWN
    probes: list[AzureProbe]
    rules: list[AzureRule]  # the rules that serve (or may serve) the API
    pools: list[Any] = field(default_factory=list)
    registrations: list[PolicyResource] = field(default_factory=list)

    @property
    def private(self) -> Tri:
        """Whether some frontend is (or may be) private."""
        if is_unknown(self.frontends):
            return unknown(self.load_balancer, "frontendIPConfigurations")
        return any_of(f.private for f in self.frontends)

    def api_probes(self, ports: set[int]) -> list[AzureProbe]:
        """Probes on an API port, or on a port unknown at preview."""
        return [p for p in self.probes if p.port in ports or is_unknown(p.port)]

    def frontends_of(self, rule: AzureRule) -> tuple[list[AzureFrontend], Tri]:
        """The frontends a rule uses, and whether that link is unknown."""
        if is_unknown(self.frontends):
            return [], unknown(self.load_balancer, "frontendIPConfigurations")
        named = [f for f in self.frontends if rule.frontend not in (UNKNOWN, MISSING)]
        named = [f for f in named if str(f.name).lower() == str(rule.frontend).lower()]
        if named:
            return named, FALSE
        if is_unknown(rule.frontend) and len(self.frontends) > 1:
            return self.frontends, unknown(rule.owner, "frontendIPConfiguration")
        return self.frontends, FALSE

    def probes_of(self, rule: AzureRule) -> tuple[list[AzureProbe], Tri]:
        """The probes a rule uses, and whether that link is unknown (all probes candidates)."""
        linked = [p for p in self.probes if p.owner in rule.probe_resources]
        if rule.probe not in (UNKNOWN, MISSING):
            linked += [p for p in self.probes if str(p.name).lower() == str(rule.probe).lower()]
        if linked:
            return linked, FALSE
        if is_unknown(rule.probe):
            return self.probes, unknown(rule.owner, "probe")
        return [], FALSE


def _frontend(frontend: Any, native: bool, lb: PolicyResource) -> AzureFrontend:
    keys = ("privateIPAddress", "subnet") if native else ("privateIpAddress", "subnetId")
    values = {k: get(frontend, k) for k in keys}
    # A subnet or private address, even one unknown at preview, makes the frontend private.
    set_keys = [
        f"{k} (unknown at preview)" if is_unknown(v) else k
        for k, v in values.items()
        if v not in (MISSING, "")
    ]
    if is_unknown(frontend):
        private = unknown(lb, "frontendIPConfigurations")
    else:
        private = TRUE if set_keys else FALSE
    return AzureFrontend(get(frontend, "name"), private, ", ".join(set_keys))


def _inline_rule(rule: Any, lb: PolicyResource) -> AzureRule:
    pools = [get(rule, "backendAddressPool", "id")]
    pools += [get(p, "id") for p in items(rule, "backendAddressPools")]
    return AzureRule(
        owner=lb,
        name=get(rule, "name"),
        frontend_port=as_port(get(rule, "frontendPort")),
        backend_port=as_port(get(rule, "backendPort")),
        frontend=last_segment(
            get(rule, "frontendIPConfiguration", "id"), "frontendIPConfigurations"
        ),
        probe=last_segment(get(rule, "probe", "id"), "probes"),
        probe_resources=[],
        pools=[last_segment(p, "backendAddressPools") for p in pools if p is not MISSING],
        snat_disabled=get(rule, "disableOutboundSnat"),
        snat_prop="loadBalancingRules.disableOutboundSnat",
    )


def _classic_rule(rule: PolicyResource, index: StackIndex) -> AzureRule:
    props = rule.props
    probe_id = get(props, "probeId")
    probe_refs = index.resolve(rule, "probeId", [probe_id], AZURE_CLASSIC_PROBE)
    probe = last_segment(probe_id, "probes")
    if probe_refs.found:
        probe = MISSING if is_unknown(probe) else probe
    return AzureRule(
        owner=rule,
        name=get(props, "name"),
        frontend_port=as_port(get(props, "frontendPort")),
        backend_port=as_port(get(props, "backendPort")),
        frontend=get(props, "frontendIpConfigurationName"),
        probe=probe,
        probe_resources=probe_refs.found,
        pools=[
            last_segment(p, "backendAddressPools") for p in items(props, "backendAddressPoolIds")
        ],
        snat_disabled=get(props, "disableOutboundSnat"),
    )


def _nat(item: Any, owner: PolicyResource, native: bool, kind: str) -> AzureRule:
    """An inbound NAT rule or pool, inline (azure-native) or its own resource (either provider)."""
    if native:
        frontend = last_segment(
            get(item, "frontendIPConfiguration", "id"), "frontendIPConfigurations"
        )
        start, end = get(item, "frontendPortRangeStart"), get(item, "frontendPortRangeEnd")
        pools = [get(item, "backendAddressPool", "id")]
    else:
        frontend = get(item, "frontendIpConfigurationName")
        start, end = get(item, "frontendPortStart"), get(item, "frontendPortEnd")
        pools = [get(item, "backendAddressPoolId")]
    if is_unknown(start) or is_unknown(end):
        frontend_range: Any = UNKNOWN
    elif start is MISSING or end is MISSING:
        frontend_range = MISSING
    else:
        frontend_range = f"{as_port(start)}-{as_port(end)}"
    name = get(item, "name")
    if name in (MISSING, "") and item is owner.props:
        name = get(item, "inboundNatRuleName") or owner.name  # a separate resource
    return AzureRule(
        owner=owner,
        name=name,
        frontend_port=as_port(get(item, "frontendPort")),
        backend_port=as_port(get(item, "backendPort")),
        frontend=frontend,
        probe=MISSING,
        probe_resources=[],
        pools=[last_segment(p, "backendAddressPools") for p in pools if p is not MISSING],
        kind=kind,
        frontend_range=frontend_range,
    )


def _lb_link(index: StackIndex, resource: PolicyResource, prop: str) -> tuple[set[str], Tri]:
    """The URNs of the load balancers `resource.prop` names, and whether that link is unknown."""
    refs = index.resolve(resource, prop, [get(resource.props, prop)], AZURE_LB)
    return {r.urn for r in refs.found}, refs.unresolved


def _attached(index: StackIndex, lb: PolicyResource, resource: PolicyResource, prop: str) -> bool:
    refs = index.resolve(resource, prop, [get(resource.props, prop)], AZURE_LB)
    return any(r.urn == lb.urn for r in refs.found)


def _is_ha(rule: AzureRule) -> bool:
    return rule.kind == "rule" and HA_PORTS in (rule.frontend_port, rule.backend_port)


def _separate(index: StackIndex) -> dict[str, list[tuple[PolicyResource, set[str], Tri]]]:
    """Separate rule, NAT rule and probe resources by kind, each with its load balancers' URNs
    and whether that link is unknown."""
    kinds = {
        "rule": (AZURE_CLASSIC_RULE, "loadbalancerId"),
        "probe": (AZURE_CLASSIC_PROBE, "loadbalancerId"),
        "classic nat": (AZURE_CLASSIC_NAT, "loadbalancerId"),
        "native nat": (AZURE_NATIVE_NAT_RULE, "loadBalancerName"),
    }
    found: dict[str, list[tuple[PolicyResource, set[str], Tri]]] = {}
    for kind, (matcher, prop) in kinds.items():
        found[kind] = [(r, *_lb_link(index, r, prop)) for r in index.of_type(matcher)]
    return found


def _nat_kind(resource: PolicyResource) -> str:
    return "inbound NAT pool" if resource.resource_type.endswith("NatPool") else "inbound NAT rule"


def _probe(owner: PolicyResource, props: Any) -> AzureProbe:
    name = get(props, "name")
    if name in (MISSING, "") and props is owner.props:
        name = owner.name  # a separate Probe resource without a name property
    return AzureProbe(owner, name, enum(get(props, "protocol")), as_port(get(props, "port")))


def azure_fronts(
    index: StackIndex, ports: set[int]
) -> tuple[list[AzureFront], list[AzureFront], list[AzureUnlinked]]:
    """Every Azure load balancer with a rule that serves, or may serve, an API port; the load
    balancers with no rule at all at preview; and separate rules, NAT rules and probes whose
    load balancer cannot be linked."""
    separate = _separate(index)
    fronts, ruleless = [], []
    for lb in index.of_type(AZURE_LB):
        native = bool(AZURE_NATIVE_LB.match(lb.resource_type))
        props = lb.props
        raw_frontends = elements(
            props, "frontendIPConfigurations" if native else "frontendIpConfigurations"
        )
        frontends: Any = (
            UNKNOWN
            if is_unknown(raw_frontends)
            else [_frontend(f, native, lb) for f in raw_frontends]
        )
        probes = [_probe(lb, p) for p in items(props, "probes")]
        probes += [_probe(p, p.props) for p, urns, _ in separate["probe"] if lb.urn in urns]
        rules = [_inline_rule(r, lb) for r in items(props, "loadBalancingRules")]
        rules += [_classic_rule(r, index) for r, urns, _ in separate["rule"] if lb.urn in urns]
        if native:
            rules += [
                _nat(r, lb, True, "inbound NAT rule") for r in items(props, "inboundNatRules")
            ]
            rules += [
                _nat(r, lb, True, "inbound NAT pool") for r in items(props, "inboundNatPools")
            ]
        rules += [
            _nat(r.props, r, False, _nat_kind(r))
            for r, urns, _ in separate["classic nat"]
            if lb.urn in urns
        ]
        rules += [
            _nat(r.props, r, True, "inbound NAT rule")
            for r, urns, _ in separate["native nat"]
            if lb.urn in urns
        ]
        unknown_rules = [
            unknown(lb, key)
            for key in ("loadBalancingRules", "inboundNatRules", "inboundNatPools")
            if is_unknown(get(props, key))
        ]
        front = AzureFront(
            load_balancer=lb,
            native=native,
            sku=get(props, "sku", "name") if native else get(props, "sku"),
            sku_prop="sku.name" if native else "sku",
            frontends=frontends,
            probes=probes,
            rules=[],
            pools=[get(p, "name") for p in items(props, "backendAddressPools")],
        )
        for rule in rules:
            rule.serves_api = _serves(front, rule, rules, ports)
        front.rules = [r for r in rules if r.serves_api.value is not False]
        for where in unknown_rules:
            front.rules.append(
                AzureRule(lb, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, [], [UNKNOWN], where)
            )
        if front.rules:
            front.registrations = _registrations(index, lb)
            fronts.append(front)
        elif not rules:
            front.registrations = _registrations(index, lb)
            ruleless.append(front)
    return fronts, ruleless, _unlinked(separate, index, ports)


def _unlinked(
    separate: dict[str, list[tuple[PolicyResource, set[str], Tri]]],
    index: StackIndex,
    ports: set[int],
) -> list[AzureUnlinked]:
    found = []
    for kind in ("rule", "classic nat", "native nat", "probe"):
        for resource, urns, link in separate[kind]:
            if urns or link.value is not None:
                continue
            rule: AzureRule | None = None
            probe: AzureProbe | None = None
            if kind == "probe":
                probe = _probe(resource, resource.props)
            elif kind == "rule":
                rule = _classic_rule(resource, index)
            else:
                rule = _nat(resource.props, resource, kind == "native nat", _nat_kind(resource))
            if rule is not None:
                rule.serves_api = _port_serves(rule, ports)
            found.append(AzureUnlinked(resource, link, rule, probe))
    return found


def _serves(front: AzureFront, rule: AzureRule, rules: list[AzureRule], ports: set[int]) -> Tri:
    """Either end on an API port; HA ports only when the backends are the API's: the rule's
    pool also serves an API rule, or its probe checks an API port."""
    owner = rule.owner
    inline = "loadBalancingRules" if rule.kind == "rule" else "inboundNatRules"
    fe_prop = "frontendPort" if owner is not front.load_balancer else f"{inline}.frontendPort"
    if _is_ha(rule):
        api_pools = {
            str(p)
            for r in rules
            if not _is_ha(r)
            for p in r.pools
            if (as_port(r.frontend_port) in ports or as_port(r.backend_port) in ports)
            and not is_unknown(p)
        }
        shared = (
            TRUE if any(str(p) in api_pools for p in rule.pools if not is_unknown(p)) else FALSE
        )
        probes, link = front.probes_of(rule)
        probed = any_of(test(p.port, lambda port: port in ports, p.owner, "port") for p in probes)
        if link.value is None and probed.value is not False:
            probed = link  # some probe on an API port, but the rule's probe is unknown
        return shared | probed
    return _port_serves(rule, ports, fe_prop)


def _port_serves(rule: AzureRule, ports: set[int], fe_prop: str = "frontendPort") -> Tri:
    """Either end of the rule on an API port (a NAT rule's frontend port range included)."""
    owner = rule.owner
    be_prop = fe_prop.replace("frontendPort", "backendPort")
    serves = test(rule.frontend_port, lambda p: p in ports, owner, fe_prop) | test(
        rule.backend_port, lambda p: p in ports, owner, be_prop
    )
    if rule.frontend_range is not MISSING:
        serves = serves | test(
            rule.frontend_range, lambda r: covers(r, ports) is True, owner, "frontendPortRange"
        )
    return serves


def _registrations(index: StackIndex, lb: PolicyResource) -> list[PolicyResource]:
    """NICs and associations that join one of this LB's pools (by dependency)."""
    found = index.referrers(lb, AZURE_NIC, "ipConfigurations")
    found += index.referrers(lb, AZURE_NIC_ASSOCIATION, "backendAddressPoolId")
    for pool in index.of_type(AZURE_POOL):
        prop = "loadBalancerName" if "azure-native" in pool.resource_type else "loadbalancerId"
        if _attached(index, lb, pool, prop):
            found += index.referrers(pool, AZURE_NIC_ASSOCIATION, "backendAddressPoolId")
            found += index.referrers(pool, AZURE_NIC, "ipConfigurations")
    return found
