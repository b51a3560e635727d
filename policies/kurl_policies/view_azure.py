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
from .props import MISSING, UNKNOWN, as_port, elements, enum, get, is_unknown, items, last_segment
from .verdict import FALSE, TRUE, Tri, any_of, test, unknown

AZURE_NATIVE_LB = token_matcher("azure-native:network:LoadBalancer")
AZURE_CLASSIC_LB = token_matcher("azure:lb/loadBalancer:LoadBalancer")
AZURE_LB = token_matcher("azure-native:network:LoadBalancer", "azure:lb/loadBalancer:LoadBalancer")
AZURE_CLASSIC_RULE = token_matcher("azure:lb/rule:Rule")
AZURE_CLASSIC_PROBE = token_matcher("azure:lb/probe:Probe")
AZURE_POOL = token_matcher(
    "azure:lb/backendAddressPool:BackendAddressPool",
    "azure-native:network:LoadBalancerBackendAddressPool",
)
AZURE_NIC = token_matcher("azure-native:network:NetworkInterface")
AZURE_NIC_ASSOCIATION = token_matcher(
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation"
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
    set_keys = [k for k, v in values.items() if v not in (MISSING, "") and not is_unknown(v)]
    if set_keys:
        private = TRUE
    elif any(is_unknown(v) for v in values.values()):
        private = unknown(lb, "frontendIPConfigurations." + "/".join(keys))
    else:
        private = FALSE
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
    )


def _attached(index: StackIndex, lb: PolicyResource, resource: PolicyResource, prop: str) -> bool:
    refs = index.resolve(resource, prop, [get(resource.props, prop)], AZURE_LB)
    return any(r.urn == lb.urn for r in refs.found)


def _is_ha(rule: AzureRule) -> bool:
    return HA_PORTS in (rule.frontend_port, rule.backend_port)


def azure_fronts(index: StackIndex, ports: set[int]) -> list[AzureFront]:
    """Every Azure load balancer with a rule that serves, or may serve, an API port."""
    classic_rules = index.of_type(AZURE_CLASSIC_RULE)
    classic_probes = index.of_type(AZURE_CLASSIC_PROBE)
    fronts = []
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
        probes = [
            AzureProbe(lb, get(p, "name"), enum(get(p, "protocol")), as_port(get(p, "port")))
            for p in items(props, "probes")
        ]
        probes += [
            AzureProbe(
                p,
                get(p.props, "name"),
                enum(get(p.props, "protocol")),
                as_port(get(p.props, "port")),
            )
            for p in classic_probes
            if _attached(index, lb, p, "loadbalancerId")
        ]
        rules = [_inline_rule(r, lb) for r in items(props, "loadBalancingRules")]
        rules += [
            _classic_rule(r, index)
            for r in classic_rules
            if _attached(index, lb, r, "loadbalancerId")
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
        if is_unknown(get(props, "loadBalancingRules")):
            front.rules.append(
                AzureRule(
                    lb,
                    UNKNOWN,
                    UNKNOWN,
                    UNKNOWN,
                    UNKNOWN,
                    UNKNOWN,
                    [],
                    [UNKNOWN],
                    unknown(lb, "loadBalancingRules"),
                )
            )
        if front.rules:
            front.registrations = _registrations(index, lb)
            fronts.append(front)
    return fronts


def _serves(front: AzureFront, rule: AzureRule, rules: list[AzureRule], ports: set[int]) -> Tri:
    """Either end on an API port; HA ports only when the backends are the API's: the rule's
    pool also serves an API rule, or its probe checks an API port."""
    owner = rule.owner
    fe_prop = (
        "frontendPort" if owner is not front.load_balancer else "loadBalancingRules.frontendPort"
    )
    be_prop = fe_prop.replace("frontendPort", "backendPort")
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
    return test(rule.frontend_port, lambda p: p in ports, owner, fe_prop) | test(
        rule.backend_port, lambda p: p in ports, owner, be_prop
    )


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
