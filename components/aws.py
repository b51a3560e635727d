"""AwsKurlNlb: an AWS Network Load Balancer in front of kURL primaries (kURL page, AWS section)."""

from typing import Any, cast

import pulumi
import pulumi_aws as aws

from .args import AWS, AwsKurlNlbArgs
from .args.aws import health_check_timeout
from .base import KurlLoadBalancer
from .checked import is_output, map_input

# kube-apiserver's default --request-timeout is 60 s: a deregistering primary gets that long to
# finish in-flight requests; then connection_termination closes long-lived watches so clients
# reconnect to a registered primary instead of hanging on to the drained one (AWS default: 300 s).
DEREGISTRATION_DELAY_SECONDS = 60


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

    def __init__(
        self, name: str, args: AwsKurlNlbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:AwsKurlNlb", AWS, name, args, opts)
        # Child resources (escape hatches, as attributes): `security_group` is None when
        # loadBalancerSecurityGroup is false; `registrations` by primary name (`attachments`).
        self.load_balancer: aws.lb.LoadBalancer
        self.target_group: aws.lb.TargetGroup
        self.listener: aws.lb.Listener
        self.security_group: aws.ec2.SecurityGroup | None = None
        self.security_group_rules: dict[
            str, aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule
        ] = {}
        a = self.args
        sec = self.secret_if  # values derived from secretArgs stay secret
        plain_tags = self._tags()
        tags = sec("tags", plain_tags)
        internal = a["scheme"] == "internal"
        port = sec("port", a["port"])
        vpc_id = sec("vpcId", a["vpc_id"])

        # An NLB gets a security group only at creation; adding or removing one later replaces
        # the NLB (and its DNS name, which every kURL node has in its kubeconfig).
        if a["load_balancer_security_group"]:
            self.security_group = aws.ec2.SecurityGroup(
                f"{name}-nlb-sg",
                vpc_id=vpc_id,
                description="kURL API load balancer (kurl-lb)",
                tags=sec("tags", self._tags(extra={"Name": f"{name}-nlb"})),
                opts=self._child(),
            )

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-nlb",
            load_balancer_type="network",
            internal=sec("scheme", internal),
            ip_address_type="ipv4",
            subnets=sec("subnetIds", list(a["subnet_ids"])),
            enable_cross_zone_load_balancing=sec("crossZone", a["cross_zone"]),
            enable_deletion_protection=sec("deletionProtection", a["deletion_protection"]),
            # Explicitly empty without one: an absent list means "keep the current groups" to
            # the provider (the attribute is computed), so turning the group off would keep the
            # NLB and delete a group it still uses; an empty list replaces the NLB, as planned.
            security_groups=[self.security_group.id] if self.security_group else [],
            tags=tags,
            opts=self._child(),
        )

        hc = a["health_check"]
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=port,
            protocol="TCP",
            target_type=sec("targetType", a["target_type"]),
            vpc_id=vpc_id,
            # Always explicit: an omitted value is the provider's default, and for a health check
            # block an omitted protocol becomes HTTP (terraform-provider-aws).
            preserve_client_ip=sec(
                "preserveClientIp", "true" if a["preserve_client_ip"] else "false"
            ),
            deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            connection_termination=True,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="TCP",
                port="traffic-port",
                interval=sec("healthCheck", hc["interval_seconds"]),
                timeout=sec("healthCheck", health_check_timeout(hc)),
                healthy_threshold=sec("healthCheck", hc["healthy_threshold"]),
                unhealthy_threshold=sec("healthCheck", hc["unhealthy_threshold"]),
            ),
            tags=tags,
            opts=self._child(),
        )

        self.listener = aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            tags=tags,
            opts=self._child(),
        )

        for primary in a["primaries"]:
            if not primary["registered"]:
                continue
            target = primary.get("address" if a["target_type"] == "ip" else "instance_id")
            assert target is not None  # guaranteed by the Args check
            self.registrations[primary["name"]] = aws.lb.TargetGroupAttachment(
                f"{name}-target-{primary['name']}",
                target_group_arn=self.target_group.arn,
                # Held until every check across arguments passed (outputs resolve late).
                target_id=self.args_check.gate(sec("primaries", target)),
                port=port,
                availability_zone=sec("primaries", primary["zone"]),
                opts=self._child(),
            )

        self._network_rules(name, tags)
        self._finish({self.front_ends[0].label: self.load_balancer.dns_name})

    @property
    def attachments(self) -> dict[str, aws.lb.TargetGroupAttachment]:
        """`registrations` in AWS's words: target group attachments by primary name."""
        return self.registrations

    def _network_rules(self, name: str, tags: Any) -> None:
        """One rule per source, never per primary: registering a primary touches no rule."""
        a = self.args
        sec = self.secret_if
        port = sec("port", a["port"])
        internal = a["scheme"] == "internal"
        looked_up: list[pulumi.Output[str]] = []

        def vpc_cidr() -> pulumi.Output[str]:
            # Looked up only when a rule needs it (the default clients, or the egress target).
            if not looked_up:
                looked_up.append(
                    aws.ec2.get_vpc_output(
                        id=sec("vpcId", a["vpc_id"]), opts=pulumi.InvokeOutputOptions(parent=self)
                    ).cidr_block
                )
            return looked_up[0]

        def clients() -> list[tuple[str, pulumi.Input[str]]]:
            """(name suffix, CIDR) of allowedClientCidrs, or of the VPC CIDR by default."""
            if a["allowed_client_cidrs"] is None:
                return [("vpc", vpc_cidr())]
            return [
                (cidr_suffix(c, i), sec("allowedClientCidrs", c))
                for i, c in enumerate(a["allowed_client_cidrs"])
            ]

        def hairpin_sources() -> list[tuple[str, pulumi.Input[str]]]:
            """(name suffix, CIDR) of hairpinSourceCidrs not already a client rule: a primary
            reaching a public NLB arrives from its NAT gateway's or own public IP."""
            listed = {c for c in a["allowed_client_cidrs"] or [] if not is_output(c)}
            return [
                (cidr_suffix(c, i, "source"), sec("hairpinSourceCidrs", c))
                for i, c in enumerate(a["hairpin_source_cidrs"] or [])
                if is_output(c) or c not in listed
            ]

        def rule(
            suffix: str,
            group: pulumi.Input[str],
            description: pulumi.Input[str],
            *,
            cidr: pulumi.Input[str] | None = None,
            peer_group: pulumi.Input[str] | None = None,
            egress: bool = False,
        ) -> None:
            key = f"{name}-{suffix}"
            kind = aws.vpc.SecurityGroupEgressRule if egress else aws.vpc.SecurityGroupIngressRule
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

        instance_sg = (
            sec("instanceSecurityGroupId", a["instance_security_group_id"])
            if a["instance_security_group_id"] is not None
            else None
        )
        if self.security_group is not None:
            nlb_sg = self.security_group.id
            for suffix, cidr in clients():
                rule(f"clients-{suffix}", nlb_sg, "kURL API clients", cidr=cidr)
            # Health checks and forwarded traffic leave through the NLB SG's outbound rules.
            rule(
                "nlb-to-targets",
                nlb_sg,
                "kURL API targets and health checks",
                peer_group=instance_sg,
                cidr=None if instance_sg else vpc_cidr(),
                egress=True,
            )
            for suffix, cidr in hairpin_sources():
                rule(f"hairpin-{suffix}", nlb_sg, "kURL API from primaries (hairpin)", cidr=cidr)
            if instance_sg:
                rule("primaries-from-nlb", instance_sg, "kURL API from the NLB", peer_group=nlb_sg)
                if internal:
                    # Hairpin: a primary calling an internal NLB arrives with its own address.
                    # (A public NLB sees its public egress IP instead: hairpin-<cidr> above.)
                    rule(
                        "nlb-from-primaries",
                        nlb_sg,
                        "kURL API from primaries (hairpin)",
                        peer_group=instance_sg,
                    )
        elif instance_sg:
            # Without an NLB SG, targets see the NLB's private addresses (client IP preservation
            # off), which live in the NLB's subnets.
            for i, subnet_id in enumerate(a["subnet_ids"]):
                subnet = aws.ec2.get_subnet_output(
                    id=sec("subnetIds", subnet_id), opts=pulumi.InvokeOutputOptions(parent=self)
                )
                # Named by the subnet's ID when it is known, else by its place in subnetIds.
                suffix = f"subnet-{i}" if is_output(subnet_id) else cast(str, subnet_id)
                rule(
                    f"primaries-from-{suffix}",
                    instance_sg,
                    sec("subnetIds", map_input(subnet_id, "kURL API from the NLB in {}".format)),
                    cidr=subnet.cidr_block,
                )
            if a["preserve_client_ip"]:
                for suffix, cidr in clients():
                    rule(
                        f"primaries-from-clients-{suffix}",
                        instance_sg,
                        "kURL API clients",
                        cidr=cidr,
                    )
                for suffix, cidr in hairpin_sources():
                    rule(
                        f"primaries-from-hairpin-{suffix}",
                        instance_sg,
                        "kURL API from primaries (hairpin)",
                        cidr=cidr,
                    )
        else:
            pulumi.log.warn(
                "kurl-lb manages no network rule: neither an NLB security group nor "
                "aws.instanceSecurityGroupId is set. The primaries' security group must allow "
                f"TCP {port} from the NLB's subnets.",
                resource=self,
            )


def cidr_suffix(cidr: pulumi.Input[str], index: int, what: str = "cidr") -> str:
    """A rule's name suffix for a CIDR: the CIDR itself when known (`10.0.0.0-16`), else its
    place in the list (`cidr-0`): a name must be known when the rule is registered."""
    return f"{what}-{index}" if is_output(cidr) else cast(str, cidr).replace("/", "-")
