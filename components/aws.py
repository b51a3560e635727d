"""AwsKurlNlb: an AWS Network Load Balancer in front of kURL primaries (kURL page, AWS section)."""

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

import pulumi
import pulumi_aws as aws
from pydantic.alias_generators import to_camel

from .args import AWS, AwsKurlNlbArgs
from .args.aws import health_check_timeout, own_static_addresses
from .args.common import MOVE_KEY, PAIR_KEY, READYZ, target_port
from .base import FrontEnd, KurlLoadBalancer
from .checked import SECRET_SHOWN, is_output, map_input
from .problems import ArgsError, Loc, Problem, shown

# kube-apiserver's default --request-timeout is 60 s: a deregistering primary gets that long to
# finish in-flight requests; then connection_termination closes long-lived watches so clients
# reconnect to a registered primary instead of hanging on to the drained one (AWS default: 300 s).
DEREGISTRATION_DELAY_SECONDS = 60
# AWS reserves the first four addresses and the last one of every subnet (VPC user guide,
# "Subnet CIDR blocks"): network, VPC router, DNS, future use, broadcast.
RESERVED_AT_START, RESERVED_AT_END = 4, 1


def reserved_or_outside(address: str, cidr: str) -> str | None:
    """Why `address` cannot be an NLB's private address in the subnet `cidr`, or None."""
    net = ipaddress.IPv4Network(cidr)
    ip = ipaddress.IPv4Address(address)
    if ip not in net:
        return "is outside the CIDR"
    offset = int(ip) - int(net.network_address)
    if offset < RESERVED_AT_START or offset >= net.num_addresses - RESERVED_AT_END:
        return (
            "is one of the 5 addresses AWS reserves in every subnet (the network address, the "
            "next three: VPC router, DNS, future use; and the last one)"
        )
    return None


@dataclass
class AwsPortParts:
    """One extra port of one front end: its own target group (TCP on the port on the
    primaries), the listener on the NLB, and one attachment per registered primary."""

    name: str
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener
    attachments: dict[str, aws.lb.TargetGroupAttachment] = field(default_factory=dict)


@dataclass
class AwsFrontEndParts:
    """One front end's resources: what clients connect to (the NLB with its listener, security
    group, Elastic IPs and DNS records) and its own target group with its attachments."""

    label: str
    args: Any  # the Args it was built from (an address move's fields in place)
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener
    security_group: aws.ec2.SecurityGroup | None
    elastic_ips: list[aws.ec2.Eip] = field(default_factory=list)
    dns_records: list[aws.route53.Record] = field(default_factory=list)
    registrations: dict[str, aws.lb.TargetGroupAttachment] = field(default_factory=dict)
    ports: dict[str, AwsPortParts] = field(default_factory=dict)  # extraPorts, by name


class AwsKurlNlb(KurlLoadBalancer[aws.lb.TargetGroupAttachment, AwsKurlNlbArgs]):
    """A Layer-4 TCP AWS Network Load Balancer for the Kubernetes API of a kURL HA control plane
    (internal or internet-facing), with hairpinning: primaries reach the API through it too."""

    # Declared here, not only on the base: the package schema reads these descriptions.
    load_balancer_host: pulumi.Output[str]
    """DNS name of the NLB: what clients and primaries reach the API at."""

    load_balancer_address: pulumi.Output[str]
    """`host:port`: kURL's `loadBalancerAddress`."""

    registered_primaries: pulumi.Output[list[str]]
    """Names of the primaries behind the NLB, in join order."""

    pending_primaries: pulumi.Output[list[str]]
    """Names of the listed primaries not registered yet."""

    front_end: pulumi.Output[str]
    """Label of the front end nodes use (`frontEnd`, default `v1`)."""

    next_front_end: pulumi.Output[str | None]
    """During an address move: the label of the front end it adds (else null)."""

    next_load_balancer_host: pulumi.Output[str | None]
    """During an address move: the new front end's host (its DNS record's name, if any)."""

    next_load_balancer_address: pulumi.Output[str | None]
    """During an address move: the new `host:port`, for kURL's `load-balancer-address`."""

    public_load_balancer_host: pulumi.Output[str | None]
    (
        "With publicFrontEnd: the public front end's host (its DNS record's name, if any), "
        "kURL's `public-address`."
    )

    public_load_balancer_address: pulumi.Output[str | None]
    """With publicFrontEnd: the public front end's `host:port`, for admins and CI."""

    extra_port_addresses: pulumi.Output[dict[str, str]]
    """Each extra port's name -> `host:port` on the front end nodes use (empty without any)."""

    public_extra_port_addresses: pulumi.Output[dict[str, str]]
    """With publicFrontEnd: each extra port's name -> `host:port` on the public front end."""

    def __init__(
        self, name: str, args: AwsKurlNlbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:AwsKurlNlb", AWS, name, args, opts)
        # Child resources (escape hatches, as attributes), those of the front end nodes use:
        # `security_group` is None when loadBalancerSecurityGroup is false; `registrations` by
        # primary name (`attachments`): the API port's. Each extra port's attachments are in
        # `extra_port_registrations` (port name -> primary name -> attachment). Every front
        # end's (during an address move, with publicFrontEnd: more than one) are in
        # `front_end_parts` by label, each extra port's in its `ports`.
        self.load_balancer: aws.lb.LoadBalancer
        self.target_group: aws.lb.TargetGroup
        self.listener: aws.lb.Listener
        self.security_group: aws.ec2.SecurityGroup | None = None
        self.elastic_ips: list[aws.ec2.Eip] = []
        self.dns_records: list[aws.route53.Record] = []
        self.front_end_parts: dict[str, AwsFrontEndParts] = {}
        self.security_group_rules: dict[
            str, aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule
        ] = {}
        self._subnets: dict[Any, pulumi.Output[str]] = {}  # subnet ID -> its CIDR (looked up)
        tags = self.secret_if("tags", self._tags())
        for fe in self.front_ends:
            self.front_end_parts[fe.label] = self._front_end(name, fe, tags)
        current = self.front_end_parts[next(f.label for f in self.front_ends if f.current)]
        self.load_balancer = current.load_balancer
        self.target_group = current.target_group
        self.listener = current.listener
        self.security_group = current.security_group
        self.elastic_ips = current.elastic_ips
        self.dns_records = current.dns_records
        self.registrations = current.registrations
        self.extra_port_registrations: dict[str, dict[str, aws.lb.TargetGroupAttachment]] = {
            port: parts.attachments for port, parts in current.ports.items()
        }
        self._network_rules(name, tags)
        self._finish({label: p.load_balancer.dns_name for label, p in self.front_end_parts.items()})

    @property
    def attachments(self) -> dict[str, aws.lb.TargetGroupAttachment]:
        """`registrations` in AWS's words: target group attachments by primary name."""
        return self.registrations

    # --- secrets and where a front end's values come from ----------------------------------

    def _sec(self, fe: FrontEnd[Any], field: str, value: Any) -> Any:
        """`value` of `fe`'s `field` (snake_case), secret when that argument is in secretArgs
        (`addressMove` or `publicFrontEnd` too, for a value the one it comes from gives)."""
        argument = self.field_argument(fe, field)
        if argument in (MOVE_KEY, PAIR_KEY):
            value = self.secret_if(argument, value)
        return self.secret_if(to_camel(field), value)

    def _fail(self, loc: Loc, message: str) -> NoReturn:
        raise ArgsError(AWS.component, self.args_check.name, [Problem(loc, message)])

    def _shown(self, fe: FrontEnd[Any], field: str, value: Any) -> str:
        argument = self.field_argument(fe, field)
        secret = to_camel(field) in self.secrets or (
            argument in (MOVE_KEY, PAIR_KEY) and argument in self.secrets
        )
        return SECRET_SHOWN if secret else shown(value)

    # --- one front end ---------------------------------------------------------------------

    def _front_end(self, name: str, fe: FrontEnd[Any], tags: Any) -> AwsFrontEndParts:
        """The NLB (with its security group, Elastic IPs, listener and DNS records) and its own
        target group with one attachment per registered primary: a target group serves the
        listeners of one NLB only."""
        a = fe.args
        prefix = fe.prefix(name)
        internal = a["scheme"] == "internal"
        port = self.secret_if("port", a["port"])
        vpc_id = self.secret_if("vpcId", a["vpc_id"])

        # An NLB gets a security group only at creation; adding or removing one later replaces
        # the NLB (and its DNS name, which every kURL node has in its kubeconfig).
        security_group = None
        if a["load_balancer_security_group"]:
            security_group = aws.ec2.SecurityGroup(
                f"{prefix}-nlb-sg",
                vpc_id=vpc_id,
                description="kURL API load balancer (kurl-lb)",
                tags=self.secret_if("tags", self._tags(extra={"Name": f"{prefix}-nlb"})),
                opts=self._child(),
            )

        elastic_ips, mappings = self._subnet_mappings(prefix, fe)
        load_balancer = aws.lb.LoadBalancer(
            f"{prefix}-nlb",
            load_balancer_type="network",
            internal=self._sec(fe, "scheme", internal),
            ip_address_type="ipv4",
            # Static addresses go through subnet mappings, which replace `subnets` (the provider
            # takes one or the other). Switching an existing NLB between the two with addresses
            # replaces it (customizeDiffLoadBalancerNLB): that is an address move.
            subnets=None if mappings else self._sec(fe, "subnet_ids", list(a["subnet_ids"])),
            subnet_mappings=mappings,
            enable_cross_zone_load_balancing=self.secret_if("crossZone", a["cross_zone"]),
            enable_deletion_protection=self.secret_if(
                "deletionProtection", a["deletion_protection"]
            ),
            # Explicitly empty without one: an absent list means "keep the current groups" to
            # the provider (the attribute is computed), so turning the group off would keep the
            # NLB and delete a group it still uses; an empty list replaces the NLB, as planned.
            security_groups=[security_group.id] if security_group else [],
            tags=tags,
            opts=self._child(),
        )

        target_group, listener, registrations = self._port(
            f"{prefix}-", fe, load_balancer, port, port, api=True, tags=tags
        )
        ports: dict[str, AwsPortParts] = {}
        for extra in a.get("extra_ports") or []:
            on_primaries = target_port(extra)
            group, extra_listener, attachments = self._port(
                f"{prefix}-{extra['name']}-",
                fe,
                load_balancer,
                self.secret_if("extraPorts", extra["port"]),
                self.secret_if("extraPorts", on_primaries),
                # The API's health check when it forwards to the API port (api443 -> 6443).
                api=on_primaries == a["port"],
                tags=tags,
            )
            ports[extra["name"]] = AwsPortParts(extra["name"], group, extra_listener, attachments)

        records = [
            self._dns_record(prefix, fe, record, load_balancer, internal)
            for record in fe.dns_records
        ]
        return AwsFrontEndParts(
            label=fe.label,
            args=a,
            load_balancer=load_balancer,
            target_group=target_group,
            listener=listener,
            security_group=security_group,
            elastic_ips=elastic_ips,
            dns_records=records,
            registrations=registrations,
            ports=ports,
        )

    def _health_check(self, api: bool) -> aws.lb.TargetGroupHealthCheckArgs:
        """A target group's health check: the API's (`healthCheck.protocol` tcp: a TCP
        connect; https: `GET /readyz`, healthy on 200 only), or a TCP connect (an extra port
        forwarded elsewhere than the API port), on the target group's port, with the
        `healthCheck` interval and thresholds either way. Protocol always explicit: in a health
        check block an omitted protocol becomes HTTP (terraform-provider-aws).

        An NLB fails open: when every target of a target group is unhealthy it routes to all
        of them (AWS, "Health checks for Network Load Balancer target groups"). So during
        kURL's first-primary preflight (a raw TCP listener on the API port that an https check
        never finds healthy; docs/research/api-address.md section 3) the NLB still forwards
        the preflight's connection, as with a TCP check."""
        hc = self.args["health_check"]

        def sec(value: Any) -> Any:
            return self.secret_if("healthCheck", value)

        https = api and hc["protocol"] == "https"
        # The provider keeps a health check's path and matcher when they are left out (computed
        # attributes), then refuses them on a TCP check: going back from https to tcp needs
        # them sent empty. `protocol: tcp` given sends them so; the default (no protocol given)
        # sends neither, as before issue 22, so that existing stacks' inputs stay as they are.
        cleared = "" if ("healthCheck", "protocol") in self.args_check.given else None
        return aws.lb.TargetGroupHealthCheckArgs(
            enabled=True,
            protocol=sec("HTTPS") if https else "TCP",
            port="traffic-port",
            # The API server's readiness; NLBs accept 200-599 and default to 200-399, so a 3xx
            # would pass unless the matcher says 200. A TCP check takes neither.
            path=sec(READYZ) if https else cleared,
            matcher=sec("200") if https else cleared,
            interval=sec(hc["interval_seconds"]),
            timeout=sec(health_check_timeout(hc)),
            healthy_threshold=sec(hc["healthy_threshold"]),
            unhealthy_threshold=sec(hc["unhealthy_threshold"]),
        )

    def _port(
        self,
        names: str,
        fe: FrontEnd[Any],
        load_balancer: aws.lb.LoadBalancer,
        port: pulumi.Input[int],
        on_primaries: pulumi.Input[int],
        *,
        api: bool,
        tags: Any,
    ) -> tuple[aws.lb.TargetGroup, aws.lb.Listener, dict[str, aws.lb.TargetGroupAttachment]]:
        """One port of a front end (names `<names>tg`, `<names>listener`,
        `<names>target-<primary>`): a TCP target group on `on_primaries` of the same target
        type, the listener on `port` forwarding to it, one attachment per registered primary."""
        a = fe.args
        sec = self.secret_if
        target_group = aws.lb.TargetGroup(
            f"{names}tg",
            port=on_primaries,
            protocol="TCP",
            target_type=sec("targetType", a["target_type"]),
            vpc_id=sec("vpcId", a["vpc_id"]),
            # Always explicit: an omitted value is the provider's default, which differs by
            # target type.
            preserve_client_ip=sec(
                "preserveClientIp", "true" if a["preserve_client_ip"] else "false"
            ),
            deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            connection_termination=True,
            health_check=self._health_check(api),
            tags=tags,
            opts=self._child(),
        )

        listener = aws.lb.Listener(
            f"{names}listener",
            load_balancer_arn=load_balancer.arn,
            port=port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
            ],
            tags=tags,
            opts=self._child(),
        )

        attachments: dict[str, aws.lb.TargetGroupAttachment] = {}
        for primary in a["primaries"]:
            if not primary["registered"]:
                continue
            target = primary.get("address" if a["target_type"] == "ip" else "instance_id")
            assert target is not None  # guaranteed by the Args check
            attachments[primary["name"]] = aws.lb.TargetGroupAttachment(
                f"{names}target-{primary['name']}",
                target_group_arn=target_group.arn,
                # Held until every check across arguments passed (outputs resolve late).
                target_id=self.args_check.gate(sec("primaries", target)),
                port=on_primaries,
                availability_zone=sec("primaries", primary["zone"]),
                opts=self._child(),
            )
        return target_group, listener, attachments

    def _subnet_mappings(
        self, prefix: str, fe: FrontEnd[Any]
    ) -> tuple[list[aws.ec2.Eip], list[aws.lb.LoadBalancerSubnetMappingArgs] | None]:
        """The NLB's Elastic IPs (created ones) and its subnet mappings, or None when it has no
        static address (plain `subnets`)."""
        a = fe.args
        subnets = list(a["subnet_ids"])
        elastic_ips: list[aws.ec2.Eip] = []
        allocations: list[pulumi.Input[str]] | None = None
        if a["elastic_ips"]:
            for i, subnet_id in enumerate(subnets):
                # Named by the subnet's ID when it is known, else by its place in subnetIds.
                suffix = str(i) if is_output(subnet_id) else cast(str, subnet_id)
                elastic_ips.append(
                    aws.ec2.Eip(
                        f"{prefix}-eip-{suffix}",
                        domain="vpc",
                        tags=self.secret_if("tags", self._tags(extra={"Name": f"{prefix}-nlb"})),
                        # It IS the API's public address: protected like the NLB.
                        opts=self._child(protect=a["deletion_protection"]),
                    )
                )
            allocations = [eip.allocation_id for eip in elastic_ips]
        elif a.get("elastic_ip_allocation_ids") is not None:
            allocations = [
                self._sec(fe, "elastic_ip_allocation_ids", x)
                for x in a["elastic_ip_allocation_ids"]
            ]
        if allocations is not None:
            return elastic_ips, [
                aws.lb.LoadBalancerSubnetMappingArgs(
                    subnet_id=self._sec(fe, "subnet_ids", subnet_id), allocation_id=allocation
                )
                for subnet_id, allocation in zip(subnets, allocations, strict=True)
            ]
        if own_static_addresses(a, "private_ipv4_addresses") is not None:
            return elastic_ips, [
                aws.lb.LoadBalancerSubnetMappingArgs(
                    subnet_id=self._sec(fe, "subnet_ids", subnet_id),
                    private_ipv4_address=self._private_ip(fe, i, subnet_id, address),
                )
                for i, (subnet_id, address) in enumerate(
                    zip(subnets, a["private_ipv4_addresses"], strict=True)
                )
            ]
        return elastic_ips, None

    def _subnet_cidr(self, subnet_id: pulumi.Input[str]) -> pulumi.Output[str]:
        """The subnet's CIDR, looked up once per subnet."""
        key = id(subnet_id) if is_output(subnet_id) else subnet_id
        if key not in self._subnets:
            self._subnets[key] = aws.ec2.get_subnet_output(
                id=self.secret_if("subnetIds", subnet_id),
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).cidr_block
        return self._subnets[key]

    def _private_ip(
        self, fe: FrontEnd[Any], i: int, subnet_id: pulumi.Input[str], address: pulumi.Input[str]
    ) -> pulumi.Output[str]:
        """`address`, once its subnet's CIDR is looked up: inside it, and not one of the 5
        addresses AWS reserves in every subnet; else the NLB fails, naming the key."""
        loc = self.field_loc(fe, "private_ipv4_addresses", i)

        def check(values: list[Any]) -> str:
            value, cidr, subnet = values
            why = reserved_or_outside(value, cidr)
            if why:
                self._fail(
                    loc,
                    f"{self._shown(fe, 'private_ipv4_addresses', value)} {why} of subnet "
                    f"{self._shown(fe, 'subnet_ids', subnet)} ({cidr}); give a free address "
                    "inside the subnet (subnetIds and privateIpv4Addresses are in the same order)",
                )
            return cast(str, value)

        checked = pulumi.Output.all(address, self._subnet_cidr(subnet_id), subnet_id).apply(check)
        return cast(pulumi.Output[str], self._sec(fe, "private_ipv4_addresses", checked))

    def _dns_record(
        self,
        prefix: str,
        fe: FrontEnd[Any],
        record: Any,
        load_balancer: aws.lb.LoadBalancer,
        internal: bool,
    ) -> aws.route53.Record:
        """An alias A record to the NLB, once the zone is looked up: its name inside the zone's
        (else the record fails, naming the key); an internal NLB in a public zone is warned
        about."""
        field_secret = self.record_secret(fe, record)
        loc = self.record_loc(fe, record, "name")
        sec = functools.partial(self.record_sec, fe, record)

        fqdn: str = record["name"]
        zone = aws.route53.get_zone_output(
            zone_id=sec(record["zone_id"]), opts=pulumi.InvokeOutputOptions(parent=self)
        )

        def check(values: list[Any]) -> str:
            target, zone_name, private = values
            zone_name = str(zone_name).rstrip(".").lower()
            if fqdn != zone_name and not fqdn.endswith("." + zone_name):
                self._fail(
                    loc,
                    f"{SECRET_SHOWN if field_secret else shown(fqdn)} is not inside the hosted "
                    f"zone's name {zone_name}: the provider would append the zone's name to "
                    f"it; give a name ending in .{zone_name}",
                )
            if internal and private is False:
                pulumi.log.warn(
                    f"the DNS record {'[secret]' if field_secret else fqdn} of front end "
                    f"{fe.label} is in a public hosted zone ({zone_name}) and points at an "
                    "internal NLB: anyone can resolve the NLB's private addresses. Use a "
                    "private hosted zone associated with the VPC unless publishing them is "
                    "intended.",
                    resource=self,
                )
            return cast(str, target)

        # Named by the record's name (stable across applies; a new name is a new record beside
        # the old), hashed when the name is secret: a URN is never secret.
        return aws.route53.Record(
            f"{prefix}-dns-{self.record_name_part(fe, record)}",
            zone_id=sec(record["zone_id"]),
            # Known at preview: the name (which replaces the record) never waits for a lookup.
            name=sec(fqdn),
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    # Held until the zone is looked up and the name checked against it: a bad
                    # name fails the record; an unknown zone leaves only the alias (updated in
                    # place) unknown.
                    name=pulumi.Output.all(
                        load_balancer.dns_name, zone.name, zone.private_zone
                    ).apply(check),
                    zone_id=load_balancer.zone_id,
                    # One record, nothing to fail over to: answering with the NLB even when
                    # Route 53 finds it unhealthy is what clients need (kURL's first primary
                    # dials the LB before any target is healthy; NLBs fail open anyway).
                    evaluate_target_health=False,
                )
            ],
            opts=self._child(),
        )

    # --- network rules ---------------------------------------------------------------------

    def _network_rules(self, name: str, tags: Any) -> None:
        """One rule per source, never per primary: registering a primary touches no rule.
        Each front end's NLB security group gets its own rules (named by its prefix); rules on
        the primaries' group that two front ends need alike (same source) are one rule, named
        without a front end's label when the source is known, so the move's second step keeps
        it."""
        looked_up: list[pulumi.Output[str]] = []

        def vpc_cidr() -> pulumi.Output[str]:
            # Looked up only when a rule needs it (the default clients, or the egress target).
            if not looked_up:
                looked_up.append(
                    aws.ec2.get_vpc_output(
                        id=self.secret_if("vpcId", self.args["vpc_id"]),
                        opts=pulumi.InvokeOutputOptions(parent=self),
                    ).cidr_block
                )
            return looked_up[0]

        instance_sg = (
            self.secret_if("instanceSecurityGroupId", self.args["instance_security_group_id"])
            if self.args["instance_security_group_id"] is not None
            else None
        )
        unmanaged = []
        for fe in self.front_ends:
            parts = self.front_end_parts[fe.label]
            if parts.security_group is None and instance_sg is None:
                unmanaged.append(fe.label)
                continue
            self._front_end_rules(name, fe, parts, instance_sg, vpc_cidr, tags)
        if unmanaged:
            port = self.secret_if("port", self.args["port"])
            pulumi.log.warn(
                "kurl-lb manages no network rule: neither an NLB security group nor "
                "aws.instanceSecurityGroupId is set. The primaries' security group must allow "
                f"TCP {port} from the NLB's subnets.",
                resource=self,
            )

    def _front_end_rules(
        self,
        name: str,
        fe: FrontEnd[Any],
        parts: AwsFrontEndParts,
        instance_sg: pulumi.Input[str] | None,
        vpc_cidr: Callable[[], pulumi.Output[str]],
        tags: Any,
    ) -> None:
        """The API port's rules, then each extra port's alike (named `<...>-<port name>-...`):
        the NLB side on the port clients connect to, the target side on the port on the
        primaries, once per port on the primaries (an extra port forwarded to the API port, or
        to another extra port's, reuses that port's target-side rules: AWS refuses a duplicate
        rule)."""
        a = fe.args
        api_port = a["port"]
        ports = [_RulePort("", "kURL API", self.secret_if("port", api_port), None, True)]
        on_primaries = {api_port}
        for extra in a.get("extra_ports") or []:
            target = target_port(extra)
            ports.append(
                _RulePort(
                    f"{extra['name']}-",
                    f"kURL {extra['name']} port",
                    self.secret_if("extraPorts", extra["port"]),
                    self.secret_if("extraPorts", target),
                    target not in on_primaries,
                )
            )
            on_primaries.add(target)
        for port in ports:
            self._port_rules(name, fe, parts, port, instance_sg, vpc_cidr, tags)

    def _port_rules(
        self,
        name: str,
        fe: FrontEnd[Any],
        parts: AwsFrontEndParts,
        p: "_RulePort",
        instance_sg: pulumi.Input[str] | None,
        vpc_cidr: Callable[[], pulumi.Output[str]],
        tags: Any,
    ) -> None:
        a = fe.args
        prefix = f"{fe.prefix(name)}-{p.tag}"
        internal = a["scheme"] == "internal"

        def shared(suffix: str, *values: Any) -> str:
            # A rule on the primaries' group with a known source is shared by the front ends;
            # one whose source is an output is named by its front end.
            return f"{prefix if any(is_output(v) for v in values) else f'{name}-{p.tag}'}{suffix}"

        def clients() -> list[tuple[str, pulumi.Input[str]]]:
            """(name suffix, CIDR) of allowedClientCidrs, or of the VPC CIDR by default."""
            if a["allowed_client_cidrs"] is None:
                return [("vpc", vpc_cidr())]
            return [
                (cidr_suffix(c, i), self._sec(fe, "allowed_client_cidrs", c))
                for i, c in enumerate(a["allowed_client_cidrs"])
            ]

        def hairpin_sources() -> list[tuple[str, pulumi.Input[str]]]:
            """(name suffix, CIDR) of hairpinSourceCidrs not already a client rule: a primary
            reaching a public NLB arrives from its NAT gateway's or own public IP."""
            listed = {c for c in a["allowed_client_cidrs"] or [] if not is_output(c)}
            return [
                (cidr_suffix(c, i, "source"), self._sec(fe, "hairpin_source_cidrs", c))
                for i, c in enumerate(a["hairpin_source_cidrs"] or [])
                if is_output(c) or c not in listed
            ]

        def rule(
            key: str,
            group: pulumi.Input[str],
            description: pulumi.Input[str],
            *,
            cidr: pulumi.Input[str] | None = None,
            peer_group: pulumi.Input[str] | None = None,
            egress: bool = False,
            target: bool = False,
        ) -> None:
            if key in self.security_group_rules:
                return  # the other front end's, with the same source
            kind = aws.vpc.SecurityGroupEgressRule if egress else aws.vpc.SecurityGroupIngressRule
            port = p.on_primaries if target else p.port
            self.security_group_rules[key] = kind(
                key,
                security_group_id=group,
                description=description,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
                referenced_security_group_id=peer_group,
                tags=tags,
                opts=self._child(),
            )

        what = p.what
        if parts.security_group is not None:
            nlb_sg = parts.security_group.id
            for suffix, cidr in clients():
                rule(f"{prefix}clients-{suffix}", nlb_sg, f"{what} clients", cidr=cidr)
            if p.target_side:
                # Health checks and forwarded traffic leave through the NLB SG's outbound rules.
                rule(
                    f"{prefix}nlb-to-targets",
                    nlb_sg,
                    f"{what} targets and health checks",
                    peer_group=instance_sg,
                    cidr=None if instance_sg else vpc_cidr(),
                    egress=True,
                    target=True,
                )
            for suffix, cidr in hairpin_sources():
                rule(
                    f"{prefix}hairpin-{suffix}",
                    nlb_sg,
                    f"{what} from primaries (hairpin)",
                    cidr=cidr,
                )
            if instance_sg:
                if p.target_side:
                    rule(
                        f"{prefix}primaries-from-nlb",
                        instance_sg,
                        f"{what} from the NLB",
                        peer_group=nlb_sg,
                        target=True,
                    )
                if internal:
                    # Hairpin: a primary calling an internal NLB arrives with its own address.
                    # (A public NLB sees its public egress IP instead: hairpin-<cidr> above.)
                    rule(
                        f"{prefix}nlb-from-primaries",
                        nlb_sg,
                        f"{what} from primaries (hairpin)",
                        peer_group=instance_sg,
                    )
        elif instance_sg and p.target_side:
            # Without an NLB SG, targets see the NLB's private addresses (client IP preservation
            # off), which live in the NLB's subnets.
            for i, subnet_id in enumerate(a["subnet_ids"]):
                # Named by the subnet's ID when it is known, else by its place in subnetIds.
                suffix = f"subnet-{i}" if is_output(subnet_id) else cast(str, subnet_id)
                rule(
                    shared(f"primaries-from-{suffix}", subnet_id),
                    instance_sg,
                    self._sec(
                        fe,
                        "subnet_ids",
                        map_input(subnet_id, f"{what} from the NLB in {{}}".format),
                    ),
                    cidr=self._subnet_cidr(subnet_id),
                    target=True,
                )
            if a["preserve_client_ip"]:
                for suffix, cidr in clients():
                    rule(
                        shared(f"primaries-from-clients-{suffix}", cidr if suffix != "vpc" else 0),
                        instance_sg,
                        f"{what} clients",
                        cidr=cidr,
                        target=True,
                    )
                for suffix, cidr in hairpin_sources():
                    rule(
                        shared(f"primaries-from-hairpin-{suffix}", cidr),
                        instance_sg,
                        f"{what} from primaries (hairpin)",
                        cidr=cidr,
                        target=True,
                    )


@dataclass(frozen=True)
class _RulePort:
    """A port as the network rules see it: the API port, or an extra port."""

    tag: str  # in rule names after the front end's prefix: "" (API) or "<port name>-"
    what: str  # in descriptions: "kURL API", "kURL kotsadm port"
    port: Any  # on the NLB (the listener's)
    target: Any  # on the primaries; None: the same as `port`
    target_side: bool  # the first port forwarding to its port on the primaries

    @property
    def on_primaries(self) -> Any:
        return self.port if self.target is None else self.target


def cidr_suffix(cidr: pulumi.Input[str], index: int, what: str = "cidr") -> str:
    """A rule's name suffix for a CIDR: the CIDR itself when known (`10.0.0.0-16`), else its
    place in the list (`cidr-0`): a name must be known when the rule is registered."""
    return f"{what}-{index}" if is_output(cidr) else cast(str, cidr).replace("/", "-")
