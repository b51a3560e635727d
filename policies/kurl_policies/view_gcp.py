"""GCP discovery: one normalised view per forwarding rule that serves the API.

A path is forwarding rule -> (target proxy -> URL map ->) backend service or target pool ->
health checks and instance groups. It serves the API when a front port is an API port (`ports`,
`portRange`), when the backend's named port is, or for all ports (`allPorts`, or no ports): an
external all-ports rule serves the API; an internal one (a network appliance) only when its
backends are the API's (a backend also behind an API rule, or its health check on an API port).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from .graph import StackIndex, token_matcher
from .props import MISSING, UNKNOWN, as_bool, as_port, covers, elements, enum, get, is_unknown
from .verdict import FALSE, TRUE, Tri, any_of, test, unknown

GCP_FORWARDING_RULE = token_matcher(
    "gcp:compute/forwardingRule:ForwardingRule",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule",
)
GCP_BACKEND_SERVICE = token_matcher(
    "gcp:compute/regionBackendService:RegionBackendService",
    "gcp:compute/backendService:BackendService",
)
GCP_TARGET_POOL = token_matcher("gcp:compute/targetPool:TargetPool")
GCP_TARGET_INSTANCE = token_matcher("gcp:compute/targetInstance:TargetInstance")
GCP_BACKEND_PROXY = token_matcher(  # proxies that name a backend service
    "gcp:compute/targetTCPProxy:TargetTCPProxy",
    "gcp:compute/targetSSLProxy:TargetSSLProxy",
    "gcp:compute/regionTargetTcpProxy:RegionTargetTcpProxy",
)
GCP_URL_MAP_PROXY = token_matcher(  # proxies that name a URL map
    "gcp:compute/targetHttpProxy:TargetHttpProxy",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    "gcp:compute/targetGrpcProxy:TargetGrpcProxy",
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy",
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
)
GCP_URL_MAP = token_matcher("gcp:compute/uRLMap:URLMap", "gcp:compute/regionUrlMap:RegionUrlMap")
GCP_HEALTH_CHECK = token_matcher(
    "gcp:compute/healthCheck:HealthCheck",
    "gcp:compute/regionHealthCheck:RegionHealthCheck",
    "gcp:compute/httpHealthCheck:HttpHealthCheck",
    "gcp:compute/httpsHealthCheck:HttpsHealthCheck",
)
GCP_INSTANCE_GROUP = token_matcher(
    "gcp:compute/instanceGroup:InstanceGroup",
    "gcp:compute/instanceGroupManager:InstanceGroupManager",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
)
GCP_NEG = token_matcher(
    "gcp:compute/networkEndpointGroup:NetworkEndpointGroup",
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
    "gcp:compute/globalNetworkEndpointGroup:GlobalNetworkEndpointGroup",
)
GCP_ENDPOINT = token_matcher(
    "gcp:compute/networkEndpoint:NetworkEndpoint",
    "gcp:compute/networkEndpointList:NetworkEndpointList",
    "gcp:compute/regionNetworkEndpoint:RegionNetworkEndpoint",
    "gcp:compute/globalNetworkEndpoint:GlobalNetworkEndpoint",
)
_ENDPOINT_GROUP_KEYS = (
    "networkEndpointGroup",
    "regionNetworkEndpointGroup",
    "globalNetworkEndpointGroup",
)
# Where a URL map names backend services: defaultService, pathMatchers[].defaultService,
# pathRules[].service, routeRules[].service, weightedBackendServices[].backendService, ...
_SERVICE_KEYS = ("defaultService", "service", "backendService")
_ROUTING_KEYS = (
    "pathMatchers",
    "pathRules",
    "routeRules",
    "defaultRouteAction",
    "routeAction",
    "weightedBackendServices",
    "requestMirrorPolicy",
)
_LEGACY = {
    "gcp:compute/httpHealthCheck:HttpHealthCheck": "legacy http",
    "gcp:compute/httpsHealthCheck:HttpsHealthCheck": "legacy https",
}
HEALTH_BLOCKS = {
    "tcpHealthCheck": "tcp",
    "sslHealthCheck": "ssl",
    "httpsHealthCheck": "https",
    "httpHealthCheck": "http",
    "http2HealthCheck": "http2",
    "grpcHealthCheck": "grpc",
    "grpcTlsHealthCheck": "grpc-tls",
}
INTERNAL_SCHEMES = ("internal", "internal_managed", "internal_self_managed")
PROXY_PROTOCOLS = ("http", "https", "http2", "ssl", "grpc", "h2c")
MANAGED_SCHEMES = ("external_managed", "internal_managed", "internal_self_managed")
GLOBAL_BACKEND = "gcp:compute/backendService:BackendService"  # proxy load balancers only


@dataclass
class GcpHealthCheck:
    resource: PolicyResource
    kind: Any  # "tcp", "ssl", "https", "http", "http2", "grpc", "grpc-tls", "legacy http"...
    block: str  # the property that says so
    port: Any


@dataclass
class GcpBackend:
    resource: PolicyResource  # backend service or target pool
    health_checks: list[GcpHealthCheck]
    unresolved_health_checks: Tri
    groups: list[Any]  # backends[].group values (or target pool instances)
    named_port_api: Tri  # the named port, or a network endpoint's port, is an API port
    protocol: Any = MISSING  # lower case (backend service default: http)
    scheme: Any = MISSING  # lower case


@dataclass
class GcpFront:
    rule: PolicyResource
    internal: bool
    all_ports: bool
    proxies: list[PolicyResource]
    backends: list[GcpBackend]
    unresolved: Tri  # target / backendService / URL map that could not be linked
    serves_api: Tri = FALSE
    front_api: Tri = FALSE
    extras: list[PolicyResource] = field(default_factory=list)

    def serves_through(self, backend: GcpBackend) -> Tri:
        """Whether the API goes through this backend: the rule's own port is the API's, or the
        backend's named port or endpoints are (a URL map may route only some paths to the API);
        an internal all-ports rule as a whole."""
        if self.all_ports and self.internal:
            return self.serves_api
        return self.front_api | backend.named_port_api


def _health_check(hc: PolicyResource) -> GcpHealthCheck:
    legacy = _LEGACY.get(hc.resource_type)
    if legacy:
        return GcpHealthCheck(hc, legacy, "type", as_port(get(hc.props, "port")))
    for block, kind in HEALTH_BLOCKS.items():
        value = get(hc.props, block)
        if is_unknown(value):
            return GcpHealthCheck(hc, UNKNOWN, block, UNKNOWN)
        if value is not MISSING:
            return GcpHealthCheck(hc, kind, block, as_port(get(value, "port")))
    return GcpHealthCheck(hc, MISSING, "", MISSING)


def _backend(
    index: StackIndex, backend: PolicyResource, ports: set[int], cache: dict[str, GcpBackend]
) -> GcpBackend:
    if backend.urn in cache:
        return cache[backend.urn]
    refs = index.resolve(
        backend, "healthChecks", _values(backend.props, "healthChecks"), GCP_HEALTH_CHECK
    )
    raw_groups = elements(backend.props, "backends")
    groups: list[Any] = (
        [UNKNOWN] if is_unknown(raw_groups) else [get(b, "group") for b in raw_groups]
    )
    if GCP_TARGET_POOL.match(backend.resource_type):
        groups = elements(backend.props, "instances")
        groups = [UNKNOWN] if is_unknown(groups) else groups
    named_port_api = _endpoint_ports(index, backend, groups, ports)
    port_name = get(backend.props, "portName")
    if port_name is MISSING and proxied(backend).value is not False:
        port_name = "http"  # the provider's default, which proxies connect to
    if port_name is not MISSING:
        group_refs = index.resolve(backend, "backends", groups, GCP_INSTANCE_GROUP)
        for group in group_refs.found:
            named_ports = elements(group.props, "namedPorts")
            if is_unknown(named_ports):
                named_port_api = named_port_api | unknown(group, "namedPorts")
                continue
            for named in named_ports:
                if get(named, "name") in (port_name, UNKNOWN):
                    named_port_api = named_port_api | test(
                        as_port(get(named, "port")), lambda p: p in ports, group, "namedPorts"
                    )
    result = GcpBackend(
        backend,
        [_health_check(hc) for hc in refs.found],
        refs.unresolved,
        groups,
        named_port_api,
        enum(get(backend.props, "protocol")),
        enum(get(backend.props, "loadBalancingScheme")),
    )
    cache[backend.urn] = result
    return result


def proxied(backend: PolicyResource) -> Tri:
    """Whether only a proxy can front this backend: a global backend service, an L7 protocol
    (omitted: HTTP) or a managed (proxy) scheme; never a target pool."""
    if GCP_TARGET_POOL.match(backend.resource_type):
        return FALSE
    if backend.resource_type == GLOBAL_BACKEND:
        return TRUE
    protocol = enum(get(backend.props, "protocol"))
    protocol = "http" if protocol is MISSING else protocol
    return test(protocol, lambda p: p in PROXY_PROTOCOLS, backend, "protocol") | test(
        enum(get(backend.props, "loadBalancingScheme")),
        lambda s: s in MANAGED_SCHEMES,
        backend,
        "loadBalancingScheme",
    )


def _endpoint_ports(
    index: StackIndex, backend: PolicyResource, groups: list[Any], ports: set[int]
) -> Tri:
    """Whether a network endpoint group behind the backend has an endpoint on an API port (an
    endpoint's own port, else the group's defaultPort)."""
    result = FALSE
    for neg in index.resolve(backend, "backends", groups, GCP_NEG).found:
        default = as_port(get(neg.props, "defaultPort"))
        name = get(neg.props, "name")
        endpoints = index.referrers(neg, GCP_ENDPOINT, *_ENDPOINT_GROUP_KEYS)
        if isinstance(name, str) and name:  # endpoints naming the group by a literal name
            endpoints += [
                e
                for e in index.of_type(GCP_ENDPOINT)
                if e not in endpoints and name in (get(e.props, k) for k in _ENDPOINT_GROUP_KEYS)
            ]
        for endpoint in endpoints:
            listed = elements(endpoint.props, "networkEndpoints")
            entries = [endpoint.props] if listed == [] else listed
            if is_unknown(listed):
                result = result | unknown(endpoint, "networkEndpoints")
                continue
            for entry in entries:
                port = as_port(get(entry, "port"))
                port = default if port is MISSING else port
                result = result | test(port, lambda p: p in ports, endpoint, "port")
        if not endpoints and default is not MISSING:
            result = result | test(default, lambda p: p in ports, neg, "defaultPort")
    return result


def _service_values(value: Any, out: list[Any], routing: bool = True) -> list[Any]:
    """Every backend service a URL map names, anywhere in its routing (UNKNOWN for a routing
    part unknown at preview; other unknown parts, like host names, do not matter)."""
    value = get(value)
    if is_unknown(value):
        if routing:
            out.append(UNKNOWN)
    elif isinstance(value, dict):
        for key in value:
            child = get(value, key)
            if key in _SERVICE_KEYS and (isinstance(child, str) or is_unknown(child)):
                out.append(child)
            elif isinstance(child, (dict, list)) or is_unknown(child):
                _service_values(child, out, key in _ROUTING_KEYS)
    elif isinstance(value, list):
        for element in value:
            _service_values(element, out, routing)
    return out


def _values(props: Any, key: str) -> list[Any]:
    """A reference property's values: one UNKNOWN when the whole list is unknown."""
    values = elements(props, key)
    return [UNKNOWN] if is_unknown(values) else list(values)


def _front_ports(rule: PolicyResource, ports: set[int]) -> tuple[Tri, bool]:
    """Whether the rule's own ports name an API port, and whether it takes all ports."""
    props = rule.props
    all_ports = as_bool(get(props, "allPorts"))
    if all_ports is True:
        return TRUE, True
    port_range, listed = get(props, "portRange"), elements(props, "ports")
    if is_unknown(all_ports):
        return unknown(rule, "allPorts"), False
    if port_range in (MISSING, "") and listed == []:
        return TRUE, True  # no ports: every port
    front = test(port_range, lambda spec: covers(spec, ports) is True, rule, "portRange")
    if is_unknown(listed):
        return front | unknown(rule, "ports"), False
    return front | any_of(
        test(p, lambda spec: covers(spec, ports) is True, rule, "ports") for p in listed
    ), False


def _behind_proxy(index: StackIndex, proxy: PolicyResource) -> tuple[list[PolicyResource], Tri]:
    """The backend services a target proxy sends to (through its URL map's whole routing), and
    whether some link is unknown."""
    if GCP_BACKEND_PROXY.match(proxy.resource_type):
        refs = index.resolve(
            proxy, "backendService", [get(proxy.props, "backendService")], GCP_BACKEND_SERVICE
        )
        return refs.found, refs.unresolved
    backends: list[PolicyResource] = []
    maps = index.resolve(proxy, "urlMap", [get(proxy.props, "urlMap")], GCP_URL_MAP)
    unresolved = maps.unresolved
    for url_map in maps.found:
        props = get(url_map.props)
        for key in props if isinstance(props, dict) else []:
            if key not in _SERVICE_KEYS + _ROUTING_KEYS:
                continue
            refs = index.resolve(
                url_map, key, _service_values({key: get(props, key)}, []), GCP_BACKEND_SERVICE
            )
            backends += [b for b in refs.found if b not in backends]
            # Key by key: the default service is often named again in a path matcher.
            unresolved = unresolved | refs.unresolved
    return backends, unresolved


@dataclass
class GcpOrphan:
    """A backend service or target pool no forwarding rule reaches at preview (the forwarding
    rule may be created inside an `.apply`), that may be the API's."""

    backend: GcpBackend
    on_api: Tri  # a health check, named port or network endpoint on an API port
    proxies: list[PolicyResource]  # target proxies without a forwarding rule in front of it


def _orphans(
    index: StackIndex,
    ports: set[int],
    candidates: list[GcpFront],
    cache: dict[str, GcpBackend],
) -> list[GcpOrphan]:
    reached = {b.resource.urn for f in candidates for b in f.backends}
    targeted = {p.urn for f in candidates for p in f.proxies}
    waiting: dict[str, list[PolicyResource]] = {}
    for proxy in index.of_type(GCP_BACKEND_PROXY) + index.of_type(GCP_URL_MAP_PROXY):
        if proxy.urn not in targeted:
            for backend in _behind_proxy(index, proxy)[0]:
                waiting.setdefault(backend.urn, []).append(proxy)
    orphans = []
    for resource in index.of_type(GCP_BACKEND_SERVICE) + index.of_type(GCP_TARGET_POOL):
        if resource.urn in reached:
            continue
        view = _backend(index, resource, ports, cache)
        proxies = waiting.get(resource.urn, [])
        probed = any_of(
            test(hc.port, lambda p: p in ports, hc.resource, hc.block or "port")
            for hc in view.health_checks
        )
        on_api = probed | view.named_port_api | view.unresolved_health_checks
        orphans.append(GcpOrphan(view, on_api, proxies))
    return [o for o in orphans if o.on_api.value is not False]


def gcp_fronts(index: StackIndex, ports: set[int]) -> tuple[list[GcpFront], list[GcpOrphan]]:
    """Every forwarding rule with a path that serves, or may serve, an API port; and the
    backends no forwarding rule reaches."""
    cache: dict[str, GcpBackend] = {}
    candidates: list[GcpFront] = []
    for rule in index.of_type(GCP_FORWARDING_RULE):
        props = rule.props
        backends: list[PolicyResource] = []
        proxies: list[PolicyResource] = []
        unresolved = FALSE
        service = index.resolve(
            rule, "backendService", [get(props, "backendService")], GCP_BACKEND_SERVICE
        )
        backends += service.found
        unresolved = unresolved | service.unresolved
        target_value = [get(props, "target")]
        for matcher in (GCP_TARGET_POOL, GCP_BACKEND_PROXY, GCP_URL_MAP_PROXY, GCP_TARGET_INSTANCE):
            target = index.resolve(rule, "target", target_value, matcher)
            if matcher is GCP_TARGET_POOL:
                backends += target.found
            elif matcher is not GCP_TARGET_INSTANCE:
                proxies += target.found
            if target.found:
                break
        else:
            unresolved = unresolved | target.unresolved
        for proxy in proxies:
            behind, link = _behind_proxy(index, proxy)
            backends += [b for b in behind if b not in backends]
            unresolved = unresolved | link
        front_api, all_ports = _front_ports(rule, ports)
        scheme = enum(get(props, "loadBalancingScheme"))
        candidates.append(
            GcpFront(
                rule=rule,
                internal=scheme in INTERNAL_SCHEMES,
                all_ports=all_ports,
                proxies=proxies,
                backends=[_backend(index, b, ports, cache) for b in backends],
                unresolved=unresolved,
                front_api=front_api,
            )
        )
    # Backends behind an explicit API port: an internal all-ports rule to them serves the API too.
    api_backends = {
        b.resource.urn
        for f in candidates
        if not f.all_ports and f.front_api.value is True
        for b in f.backends
    }
    fronts = []
    for front in candidates:
        named = any_of(b.named_port_api for b in front.backends)
        if front.all_ports and front.internal:
            probed = any_of(
                test(hc.port, lambda p: p in ports, hc.resource, hc.block or "port")
                for b in front.backends
                for hc in b.health_checks
            )
            shared = TRUE if any(b.resource.urn in api_backends for b in front.backends) else FALSE
            front.serves_api = shared | probed | named
        else:
            # Behind a proxy the backend port is its own: a backend the proxy's routing names by
            # an unknown value may be the API's, whatever the rule's port.
            routed = front.unresolved if front.proxies else FALSE
            front.serves_api = front.front_api | named | routed
        if front.serves_api.value is not False:
            fronts.append(front)
    return fronts, _orphans(index, ports, candidates, cache)


# --- addresses and DNS records (#21) --------------------------------------------------------------

GCP_ADDRESS = token_matcher("gcp:compute/address:Address")
GCP_RECORD_SET = token_matcher("gcp:dns/recordSet:RecordSet")
GCP_MANAGED_ZONE = token_matcher("gcp:dns/managedZone:ManagedZone")


@dataclass
class GcpAddressUse:
    """A reserved address in the stack that a forwarding rule's `ipAddress` names."""

    address: PolicyResource
    kind: Any  # "external" (also when omitted: GCP's default) or "internal", or UNKNOWN


def front_addresses(index: StackIndex, rule: PolicyResource) -> list[GcpAddressUse]:
    """The stack's addresses the rule's `ipAddress` refers to (by dependency, or by a known
    self link, name or IP). An address outside the stack (a literal IP, a looked-up reserved
    address) is not judged here: kurl-lb checks a looked-up one when it resolves."""
    value = get(rule.props, "ipAddress")
    refs = index.resolve(rule, "ipAddress", [value], GCP_ADDRESS)
    found = list(refs.found)
    if isinstance(value, str) and not is_unknown(value):
        found += [
            a
            for a in index.of_type(GCP_ADDRESS)
            if a not in found and get(a.props, "address") == value
        ]
    uses = []
    for address in found:
        kind = enum(get(address.props, "addressType"))
        uses.append(GcpAddressUse(address, "external" if kind is MISSING else kind))
    return uses


@dataclass
class GcpRecordView:
    """An A record set, the managed zone it is in (when the stack has it) and the internal load
    balancers it points at."""

    record: PolicyResource
    zone: PolicyResource | None
    public: Tri  # the zone's visibility is public (omitted: public)
    internal_targets: list[PolicyResource]  # INTERNAL addresses or forwarding rules it names


def record_views(index: StackIndex) -> list[GcpRecordView]:
    """Every A record set in the stack pointing, through a dependency or a known IP, at an
    internal load balancer address (an INTERNAL address or an INTERNAL forwarding rule's IP)."""
    internal_rules = [
        r
        for r in index.of_type(GCP_FORWARDING_RULE)
        if enum(get(r.props, "loadBalancingScheme")) in INTERNAL_SCHEMES
    ]
    internal_addresses = [
        a for a in index.of_type(GCP_ADDRESS) if enum(get(a.props, "addressType")) == "internal"
    ]
    views = []
    for record in index.of_type(GCP_RECORD_SET):
        if enum(get(record.props, "type")) not in ("a", UNKNOWN):
            continue
        rrdatas = elements(record.props, "rrdatas")
        ips = set() if is_unknown(rrdatas) else {v for v in rrdatas if isinstance(v, str)}
        linked = index.referenced(record, GCP_ADDRESS, "rrdatas") + index.referenced(
            record, GCP_FORWARDING_RULE, "rrdatas"
        )
        targets = [t for t in internal_addresses + internal_rules if t in linked]
        targets += [
            t
            for t in internal_addresses + internal_rules
            if t not in targets and {get(t.props, "address"), get(t.props, "ipAddress")} & ips
        ]
        if not targets:
            continue
        zones = index.resolve(
            record, "managedZone", [get(record.props, "managedZone")], GCP_MANAGED_ZONE
        ).found
        zone = zones[0] if zones else None
        public = (
            unknown(record, "managedZone")
            if zone is None
            else test(
                enum(get(zone.props, "visibility")),
                lambda v: v in (MISSING, "public"),
                zone,
                "visibility",
            )
        )
        views.append(GcpRecordView(record, zone, public, targets))
    return views
