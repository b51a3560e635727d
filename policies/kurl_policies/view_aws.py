"""AWS discovery: one normalised view per load balancer with a path to the Kubernetes API.

ELBv2 from pulumi-aws (`aws:lb`/`aws:alb`) and from aws-native (`elasticloadbalancingv2`) are
read into the same shape (field names and provider defaults reconciled); classic ELBs
(`aws:elb`) have their own, smaller view. A path is listener -> target group (-> attachments);
it serves the API when either end is an API port: the listener port, the target group port, or
an attachment's port override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from .graph import StackIndex, token_matcher
from .props import MISSING, UNKNOWN, as_bool, as_port, elements, enum, get, is_unknown, items
from .verdict import FALSE, Tri, any_of, test, unknown

AWS_LB = token_matcher(
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
    "aws-native:elasticloadbalancingv2:LoadBalancer",
)
AWS_LISTENER = token_matcher(
    "aws:lb/listener:Listener",
    "aws:alb/listener:Listener",
    "aws-native:elasticloadbalancingv2:Listener",
)
AWS_TG = token_matcher(
    "aws:lb/targetGroup:TargetGroup",
    "aws:alb/targetGroup:TargetGroup",
    "aws-native:elasticloadbalancingv2:TargetGroup",
)
AWS_ATTACHMENT = token_matcher(
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws:alb/targetGroupAttachment:TargetGroupAttachment",
)
AWS_LISTENER_RULE = token_matcher(
    "aws:lb/listenerRule:ListenerRule",
    "aws:alb/listenerRule:ListenerRule",
    "aws-native:elasticloadbalancingv2:ListenerRule",
)
AWS_ELB = token_matcher("aws:elb/loadBalancer:LoadBalancer")
# What makes Auto Scaling register its instances (by instance ID) with a target group.
AWS_ASG_LINK = token_matcher(
    "aws:autoscaling/attachment:Attachment",
    "aws:autoscaling/group:Group",
    "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment",
    "aws-native:autoscaling:AutoScalingGroup",
)
_ASG_PROPS = ("lbTargetGroupArn", "albTargetGroupArn", "targetGroupArns", "trafficSources")
_ASG_PROPS_ONE = ("trafficSource",)
_NATIVE = "aws-native:"

ARN_KINDS = {"net": "network", "app": "application", "gwy": "gateway"}
PRESERVE_ATTRIBUTE = "preserve_client_ip.enabled"
ALWAYS_PRESERVING = ("udp", "tcp_udp", "quic", "tcp_quic")  # client IP preservation always on


@dataclass
class AwsLoadBalancer:
    resource: PolicyResource | None  # None: outside the stack (ARN from a lookup or config)
    label: str  # "load balancer 'api'", as messages name it
    urn: str  # where findings about it are reported
    kind: Any  # "network", "application", "gateway", or UNKNOWN (omitted = application)
    kind_omitted: bool
    network: Tri
    internal: Tri
    deletion_protection: Any  # bool, UNKNOWN or MISSING
    subnets: Any  # list or UNKNOWN


@dataclass
class AwsAttachment:
    resource: PolicyResource
    target_id: Any
    port: Any


@dataclass
class AwsTargetGroup:
    resource: PolicyResource
    port: Any
    protocol: Any  # lower case, UNKNOWN or MISSING
    target_type: Any  # lower case, UNKNOWN or MISSING (provider default: instance)
    preserve: Any  # bool, UNKNOWN or MISSING (default: by target type)
    preserve_prop: str
    health_protocol: Any  # lower case, UNKNOWN, or None (no health check to judge)
    health_shown: str
    attachments: list[AwsAttachment] = field(default_factory=list)
    # Auto Scaling groups (or their attachments) that register instances by ID with it.
    auto_scaling: list[PolicyResource] = field(default_factory=list)

    @property
    def registered(self) -> bool:
        """Whether anything registers targets with it (attachments, inline targets, ASGs)."""
        return bool(self.attachments or self.auto_scaling)


@dataclass
class AwsPath:
    listener: PolicyResource
    listener_port: Any
    protocol: Any  # listener protocol, lower case
    target_group: AwsTargetGroup | None
    serves_api: Tri


@dataclass
class AwsFront:
    """A load balancer and its paths that serve (or may serve) the API."""

    load_balancer: AwsLoadBalancer
    paths: list[AwsPath]
    unresolved_targets: Tri = FALSE  # a listener whose target groups could not be linked

    @property
    def target_groups(self) -> list[AwsTargetGroup]:
        seen: dict[str, AwsTargetGroup] = {}
        for path in self.paths:
            if path.target_group is not None:
                seen.setdefault(path.target_group.resource.urn, path.target_group)
        return list(seen.values())


@dataclass
class AwsOrphans:
    """Pieces on no complete path at preview: the front end that would complete them may be
    created inside an `.apply` (it exists only at `pulumi up`)."""

    load_balancers: list[AwsLoadBalancer] = field(default_factory=list)  # without a listener
    target_groups: list[tuple[AwsTargetGroup, Tri]] = field(default_factory=list)  # (tg, on API)
    all_public: bool = False  # every load balancer in the stack is known internet-facing
    any_load_balancer: bool = True  # the stack has a load balancer at all

    def could_complete(self, tg: AwsTargetGroup) -> bool:
        """Whether a missing front end could put `tg` on a path: something registers targets
        with it, a load balancer without a listener is waiting for one, or the stack has no load
        balancer at all (created inside an `.apply` too). Otherwise it is a spare."""
        return tg.registered or bool(self.load_balancers) or not self.any_load_balancer


@dataclass
class ElbListener:
    lb_port: Any
    lb_protocol: Any
    instance_port: Any
    instance_protocol: Any
    serves_api: Tri


@dataclass
class ElbFront:
    """A classic ELB (`aws:elb`) with listeners that serve (or may serve) the API."""

    resource: PolicyResource
    listeners: list[ElbListener]
    health_target: Any  # "TCP:6443", "HTTP:6443/healthz", UNKNOWN or MISSING


def port_is_api(value: Any, ports: set[int], resource: PolicyResource, prop: str) -> Tri:
    return test(as_port(value), lambda p: p in ports, resource, prop)


def _load_balancer(lb: PolicyResource) -> AwsLoadBalancer:
    props = lb.props
    native = lb.resource_type.startswith(_NATIVE)
    kind_prop = "type" if native else "loadBalancerType"
    kind = enum(get(props, kind_prop))
    if native:
        scheme = enum(get(props, "scheme"))
        internal = test(scheme, lambda s: s == "internal", lb, "scheme")
        protection: Any = MISSING
        for attribute in items(props, "loadBalancerAttributes"):
            if get(attribute, "key") == "deletion_protection.enabled":
                protection = as_bool(get(attribute, "value"))
    else:
        internal = test(as_bool(get(props, "internal")), lambda v: v is True, lb, "internal")
        protection = as_bool(get(props, "enableDeletionProtection"))
    subnets = elements(props, "subnets")
    if subnets == [] or is_unknown(subnets):
        mappings = elements(props, "subnetMappings")
        subnets = mappings if mappings != [] else subnets
    effective = "application" if kind is MISSING else kind
    return AwsLoadBalancer(
        resource=lb,
        label=f"load balancer '{lb.name}'",
        urn=lb.urn,
        kind=effective,
        kind_omitted=kind is MISSING,
        network=test(effective, lambda k: k == "network", lb, kind_prop),
        internal=internal,
        deletion_protection=protection,
        subnets=subnets,
    )


def _outside_load_balancer(listener: PolicyResource, arn: Any) -> AwsLoadBalancer:
    """The load balancer of a listener whose loadBalancerArn names nothing in the stack."""
    kind: Any = UNKNOWN
    if isinstance(arn, str) and not is_unknown(arn):
        segment = arn.split(":loadbalancer/")[-1].split("/")[0] if ":loadbalancer/" in arn else ""
        kind = ARN_KINDS.get(segment, UNKNOWN)
    where = unknown(listener, "loadBalancerArn")
    return AwsLoadBalancer(
        resource=None,
        label=f"the load balancer of listener '{listener.name}'",
        urn=listener.urn,
        kind=kind,
        kind_omitted=False,
        network=where if is_unknown(kind) else Tri(kind == "network"),
        internal=where,
        deletion_protection=MISSING,
        subnets=UNKNOWN,
    )


def _auto_scaling_links(index: StackIndex) -> dict[str, list[PolicyResource]]:
    """Target group URN -> the Auto Scaling groups and attachments that register with it (by
    dependency, or by a known ARN)."""
    links: dict[str, list[PolicyResource]] = {}
    for resource in index.of_type(AWS_ASG_LINK):
        props = resource.props
        values: list[Any] = []
        for prop in _ASG_PROPS:
            raw = elements(props, prop)
            for value in [UNKNOWN] if is_unknown(raw) else raw:
                values.append(get(value, "identifier") if isinstance(value, dict) else value)
        for prop in _ASG_PROPS_ONE:
            values.append(get(props, prop, "identifier"))
        found = index.referenced(resource, AWS_TG)
        for value in values:
            if isinstance(value, str) and value and not is_unknown(value):
                found += index.by_value(value, AWS_TG)
        for tg in {t.urn: t for t in found}.values():
            links.setdefault(tg.urn, []).append(resource)
    return links


def _target_group(
    index: StackIndex, tg: PolicyResource, auto_scaling: dict[str, list[PolicyResource]]
) -> AwsTargetGroup:
    props = tg.props
    native = tg.resource_type.startswith(_NATIVE)
    protocol = enum(get(props, "protocol"))
    if native:
        preserve: Any = MISSING
        for attribute in items(props, "targetGroupAttributes"):
            if get(attribute, "key") == PRESERVE_ATTRIBUTE:
                preserve = as_bool(get(attribute, "value"))
        preserve_prop = f"targetGroupAttributes[{PRESERVE_ATTRIBUTE}]"
        enabled = as_bool(get(props, "healthCheckEnabled"))
        health = enum(get(props, "healthCheckProtocol"))
        health_protocol: Any = None if enabled is False or health is MISSING else health
        health_shown = f'healthCheckProtocol "{health}"'
        attachments = [
            AwsAttachment(tg, get(t, "id"), get(t, "port")) for t in items(props, "targets")
        ]
    else:
        preserve = as_bool(get(props, "preserveClientIp"))
        preserve_prop = "preserveClientIp"
        check = get(props, "healthCheck")
        health_protocol, health_shown = None, ""
        if is_unknown(check):
            health_protocol = UNKNOWN
        elif check is not MISSING and as_bool(get(check, "enabled")) is not False:
            raw = get(check, "protocol")
            health_protocol = "http" if raw is MISSING else enum(raw)
            health_shown = (
                "health check protocol omitted, which the provider turns into HTTP when a "
                "healthCheck block is given"
                if raw is MISSING
                else f'health check protocol "{raw}"'
            )
        attachments = []
    for attachment in index.referrers(tg, AWS_ATTACHMENT, "targetGroupArn"):
        attachments.append(
            AwsAttachment(
                attachment, get(attachment.props, "targetId"), get(attachment.props, "port")
            )
        )
    return AwsTargetGroup(
        resource=tg,
        port=get(props, "port"),
        protocol=protocol,
        target_type=enum(get(props, "targetType")),
        preserve=preserve,
        preserve_prop=preserve_prop,
        health_protocol=health_protocol,
        health_shown=health_shown,
        attachments=attachments,
        auto_scaling=auto_scaling.get(tg.urn, []),
    )


def _target_group_values(listener: PolicyResource, key: str = "defaultActions") -> list[Any]:
    """The target group ARNs a listener (or listener rule) forwards to (one value per reference
    written)."""
    values: list[Any] = []
    actions = elements(listener.props, key)
    if is_unknown(actions):
        return [UNKNOWN]
    for action in actions:
        values.append(get(action, "targetGroupArn"))
        forward = get(action, "forward")
        if is_unknown(forward):
            values.append(UNKNOWN)
        else:
            values += [get(t, "arn") for t in items(forward, "targetGroups")]
        config = get(action, "forwardConfig")
        if is_unknown(config):
            values.append(UNKNOWN)
        else:
            values += [get(t, "targetGroupArn") for t in items(config, "targetGroups")]
    return values


def aws_fronts(index: StackIndex, ports: set[int]) -> tuple[list[AwsFront], AwsOrphans]:
    """Every AWS load balancer with a listener path that serves, or may serve, an API port; and
    the load balancers and target groups on no listener path at all."""
    groups: dict[str, AwsTargetGroup] = {}
    auto_scaling = _auto_scaling_links(index)
    fronts: dict[str, AwsFront] = {}
    with_listener: set[str] = set()
    for listener in index.of_type(AWS_LISTENER):
        arn = get(listener.props, "loadBalancerArn")
        lbs = index.resolve(listener, "loadBalancerArn", [arn], AWS_LB)
        with_listener.update(lb.urn for lb in lbs.found)
        balancers = [_load_balancer(lb) for lb in lbs.found]
        if not balancers:
            balancers = [_outside_load_balancer(listener, arn)]
        refs = index.resolve(listener, "defaultActions", _target_group_values(listener), AWS_TG)
        found = list(refs.found)
        for rule in index.referrers(listener, AWS_LISTENER_RULE, "listenerArn"):
            more = index.resolve(rule, "actions", _target_group_values(rule, "actions"), AWS_TG)
            found += [tg for tg in more.found if tg not in found]
            refs.unresolved = refs.unresolved | more.unresolved
        tgs = [groups.setdefault(tg.urn, _target_group(index, tg, auto_scaling)) for tg in found]
        listener_port = get(listener.props, "port")
        front_api = port_is_api(listener_port, ports, listener, "port")
        protocol = enum(get(listener.props, "protocol"))
        paths = [
            AwsPath(
                listener,
                listener_port,
                protocol,
                tg,
                front_api
                | port_is_api(tg.port, ports, tg.resource, "port")
                | any_of(
                    port_is_api(a.port, ports, a.resource, "port")
                    for a in tg.attachments
                    if a.port is not MISSING
                ),
            )
            for tg in tgs
        ]
        if not paths or refs.unresolved.value is None:
            # Target groups linked only by an unknown value: their ports may be the API's too.
            unlinked = front_api | refs.unresolved if refs.unresolved.value is None else front_api
            paths.append(AwsPath(listener, listener_port, protocol, None, unlinked))
        paths = [p for p in paths if p.serves_api.value is not False]
        if not paths:
            continue
        for lb in balancers:
            front = fronts.setdefault(lb.urn, AwsFront(lb, []))
            front.paths += paths
            if refs.unresolved.value is None:
                front.unresolved_targets = front.unresolved_targets | refs.unresolved
    return list(fronts.values()), _orphans(index, ports, groups, with_listener, auto_scaling)


def _orphans(
    index: StackIndex,
    ports: set[int],
    linked: dict[str, AwsTargetGroup],
    with_listener: set[str],
    auto_scaling: dict[str, list[PolicyResource]],
) -> AwsOrphans:
    balancers = [_load_balancer(lb) for lb in index.of_type(AWS_LB)]
    orphans = AwsOrphans(
        load_balancers=[lb for lb in balancers if lb.urn not in with_listener],
        all_public=bool(balancers) and all(lb.internal.value is False for lb in balancers),
        any_load_balancer=bool(balancers),
    )
    for resource in index.of_type(AWS_TG):
        if resource.urn in linked:
            continue
        tg = _target_group(index, resource, auto_scaling)
        on_api = port_is_api(tg.port, ports, resource, "port") if tg.port is not MISSING else FALSE
        on_api = on_api | any_of(
            port_is_api(a.port, ports, a.resource, "port")
            for a in tg.attachments
            if a.port is not MISSING
        )
        orphans.target_groups.append((tg, on_api))
    return orphans


def elb_fronts(index: StackIndex, ports: set[int]) -> list[ElbFront]:
    fronts = []
    for elb in index.of_type(AWS_ELB):
        listeners = []
        raw = elements(elb.props, "listeners")
        if is_unknown(raw):
            listeners.append(
                ElbListener(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, unknown(elb, "listeners"))
            )
        for listener in [] if is_unknown(raw) else raw:
            serves = port_is_api(get(listener, "lbPort"), ports, elb, "listeners.lbPort") | (
                port_is_api(get(listener, "instancePort"), ports, elb, "listeners.instancePort")
            )
            if serves.value is not False:
                listeners.append(
                    ElbListener(
                        get(listener, "lbPort"),
                        enum(get(listener, "lbProtocol")),
                        get(listener, "instancePort"),
                        enum(get(listener, "instanceProtocol")),
                        serves,
                    )
                )
        if listeners:
            fronts.append(ElbFront(elb, listeners, get(elb.props, "healthCheck", "target")))
    return fronts


# --- static addresses and the API's DNS record (issue 21) ----------------------------------------

AWS_ROUTE53_RECORD = token_matcher("aws:route53/record:Record")
AWS_ROUTE53_ZONE = token_matcher("aws:route53/zone:Zone")
# aws-native spells the private address's key differently.
_PRIVATE_KEYS = ("privateIpv4Address", "privateIPv4Address")


@dataclass
class AwsSubnetMapping:
    """One subnet mapping of a load balancer: whether it fixes the address with an Elastic IP
    allocation and with a private IPv4 address (a key present with an unknown value is unknown:
    an output that may still be empty)."""

    load_balancer: AwsLoadBalancer
    where: str  # "subnetMappings[0]", as messages name it
    allocation: Tri
    private: Tri


def _given(value: Any, resource: PolicyResource, prop: str) -> Tri:
    return test(value, lambda v: v is not MISSING and v != "", resource, prop)


def aws_subnet_mappings(index: StackIndex) -> list[AwsSubnetMapping]:
    """Every subnet mapping of every ELBv2 load balancer in the stack."""
    out: list[AwsSubnetMapping] = []
    for resource in index.of_type(AWS_LB):
        lb = _load_balancer(resource)
        raw = elements(resource.props, "subnetMappings")
        subnets = elements(resource.props, "subnets")
        if is_unknown(raw) and isinstance(subnets, list) and subnets:
            # Placed by `subnets`: the provider computes the mappings from them (its Check makes
            # them unknown), with no address fixed; a program cannot give both
            # (terraform-provider-aws aws_lb: ExactlyOneOf subnet_mapping, subnets).
            continue
        if is_unknown(raw):
            whole = unknown(resource, "subnetMappings")
            out.append(AwsSubnetMapping(lb, "subnetMappings", whole, whole))
            continue
        for i, mapping in enumerate(raw):
            where = f"subnetMappings[{i}]"
            private = next(
                (get(mapping, k) for k in _PRIVATE_KEYS if get(mapping, k) is not MISSING), MISSING
            )
            out.append(
                AwsSubnetMapping(
                    lb,
                    where,
                    _given(get(mapping, "allocationId"), resource, f"{where}.allocationId"),
                    _given(private, resource, f"{where}.privateIpv4Address"),
                )
            )
    return out


@dataclass
class AwsDnsAlias:
    """A Route 53 record whose alias points at a load balancer of the stack, and the hosted zone
    it is in when that zone is in the stack too (`public`: a zone without `vpcs`)."""

    record: PolicyResource
    load_balancer: AwsLoadBalancer
    zone: PolicyResource | None
    public: Tri


def aws_dns_aliases(index: StackIndex) -> list[AwsDnsAlias]:
    """Route 53 records aliasing a load balancer of the stack (linked through the `aliases`
    property's dependencies: an alias takes the load balancer's DNS name and zone ID)."""
    out: list[AwsDnsAlias] = []
    for record in index.of_type(AWS_ROUTE53_RECORD):
        zones = index.referenced(record, AWS_ROUTE53_ZONE, "zoneId")
        zone = zones[0] if zones else None
        public = FALSE
        if zone is not None:
            vpcs = elements(zone.props, "vpcs")
            public = unknown(zone, "vpcs") if is_unknown(vpcs) else Tri(vpcs == [])
        for lb in index.referenced(record, AWS_LB, "aliases"):
            out.append(AwsDnsAlias(record, _load_balancer(lb), zone, public))
    return out
