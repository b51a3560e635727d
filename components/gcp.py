"""GcpKurlLb: a GCP backend-service passthrough Network Load Balancer in front of kURL primaries
(kURL page, GCP section)."""

import pulumi
import pulumi_gcp as gcp

from .args import GCP, GcpKurlLbArgs
from .args.gcp import health_check_timeout
from .base import KurlLoadBalancer
from .checked import map_input
from .kurl import nodeport_alias_script

# Google's health-check probers, by load balancer kind (firewall rules must admit them).
HEALTH_CHECK_RANGES = {
    "EXTERNAL": ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"],
    "INTERNAL": ["35.191.0.0/16", "130.211.0.0/22"],
}
# Same drain as the AWS target group: kube-apiserver's default request timeout.
CONNECTION_DRAINING_SECONDS = 60


def _is_link(ref: str) -> bool:
    return "/" in ref


class GcpKurlLb(KurlLoadBalancer[gcp.compute.InstanceGroupMembership, GcpKurlLbArgs]):
    """A Layer-4 TCP GCP backend-service passthrough Network Load Balancer for the Kubernetes API
    of a kURL HA control plane, with hairpinning: primaries reach the API through it too."""

    # Declared here, not only on the base: the package schema reads these descriptions.
    load_balancer_host: pulumi.Output[str]
    """The load balancer's IP address."""

    load_balancer_address: pulumi.Output[str]
    """`host:port`: kURL's `loadBalancerAddress`."""

    registered_primaries: pulumi.Output[list[str]]
    """Names of the primaries in the instance groups, in join order."""

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

    node_port_alias_script: pulumi.Output[str]
    """Script for every node: the LB IP as a local alias (a systemd unit), for NodePort traffic."""

    def __init__(
        self, name: str, args: GcpKurlLbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:GcpKurlLb", GCP, name, args, opts)
        # Child resources (escape hatches, as attributes): `instance_groups` by zone;
        # `registrations` by primary name (`memberships`).
        self.address: gcp.compute.Address
        self.health_check: gcp.compute.RegionHealthCheck
        self.instance_groups: dict[str, gcp.compute.InstanceGroup]
        self.backend_service: gcp.compute.RegionBackendService
        self.forwarding_rule: gcp.compute.ForwardingRule
        self.firewall: gcp.compute.Firewall
        a = self.args
        region = a["region"]
        internal = a["scheme"] == "internal"
        scheme = "INTERNAL" if internal else "EXTERNAL"
        sec = self.secret_if  # values derived from secretArgs stay secret
        labels = sec("tags", self._labels())
        protect = a["deletion_protection"]
        port = sec("port", a["port"])
        network = sec("network", a["network"])
        subnetwork = sec("subnetwork", a["subnetwork"]) if internal else None

        self.address = gcp.compute.Address(
            f"{name}-ip",
            region=region,
            address_type=sec("scheme", scheme),
            # Internal addresses are always PREMIUM and live on the subnetwork.
            network_tier=None if internal else sec("networkTier", a["network_tier"]),
            subnetwork=subnetwork,
            labels=labels,
            opts=self._child(protect=protect),
        )

        hc = a["health_check"]
        self.health_check = gcp.compute.RegionHealthCheck(
            f"{name}-hc",
            region=region,
            check_interval_sec=sec("healthCheck", hc["interval_seconds"]),
            timeout_sec=sec("healthCheck", health_check_timeout(hc)),
            healthy_threshold=sec("healthCheck", hc["healthy_threshold"]),
            unhealthy_threshold=sec("healthCheck", hc["unhealthy_threshold"]),
            tcp_health_check=gcp.compute.RegionHealthCheckTcpHealthCheckArgs(port=port),
            opts=self._child(),
        )

        # One unmanaged group per zone of any listed primary: registering a primary later only
        # adds a membership and never touches the backend service.
        zones = sorted({p["zone"] for p in a["primaries"]})
        self.instance_groups = {
            zone: gcp.compute.InstanceGroup(
                f"{name}-{zone}",
                zone=sec("primaries", zone),
                network=network,
                description=sec("primaries", f"kURL primaries in {zone} (kurl-lb)"),
                opts=self._child(),
            )
            for zone in zones
        }

        for primary in a["primaries"]:
            if not primary["registered"]:
                continue
            group = self.instance_groups[primary["zone"]]
            self.registrations[primary["name"]] = gcp.compute.InstanceGroupMembership(
                f"{name}-member-{primary['name']}",
                zone=sec("primaries", primary["zone"]),
                instance_group=group.name,
                # Held until every check across arguments passed (outputs resolve late).
                instance=self.args_check.gate(sec("primaries", primary["instance"])),
                opts=self._child(),
            )

        self.backend_service = gcp.compute.RegionBackendService(
            f"{name}-backend",
            region=region,
            # Both default wrongly for a passthrough NLB (INTERNAL, HTTP): always explicit.
            protocol="TCP",
            load_balancing_scheme=sec("scheme", scheme),
            health_checks=self.health_check.id,
            backends=[
                gcp.compute.RegionBackendServiceBackendArgs(
                    group=group.self_link, balancing_mode="CONNECTION"
                )
                for group in self.instance_groups.values()
            ],
            network=network if internal else None,
            connection_draining_timeout_sec=CONNECTION_DRAINING_SECONDS,
            opts=self._child(),
        )

        self.forwarding_rule = gcp.compute.ForwardingRule(
            f"{name}-fr",
            region=region,
            ip_address=self.address.address,
            ip_protocol="TCP",
            ports=[sec("port", str(a["port"]))],
            load_balancing_scheme=sec("scheme", scheme),
            backend_service=self.backend_service.id,
            network_tier=None if internal else sec("networkTier", a["network_tier"]),
            network=network if internal else None,
            subnetwork=subnetwork,
            labels=labels,
            opts=self._child(protect=protect),
        )

        self.firewall = gcp.compute.Firewall(
            f"{name}-allow-api",
            network=network,
            direction="INGRESS",
            allows=[
                gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[sec("port", str(a["port"]))])
            ],
            source_ranges=self._sources(scheme),
            target_tags=sec("targetTags", list(a["target_tags"])),
            description="kURL API: load balancer health checks and clients (kurl-lb)",
            opts=self._child(),
        )

        self.node_port_alias_script = nodeport_alias_script(self.address.address)
        self._finish({self.front_ends[0].label: self.address.address})

    @property
    def memberships(self) -> dict[str, gcp.compute.InstanceGroupMembership]:
        """`registrations` in GCP's words: instance group memberships by primary name."""
        return self.registrations

    def extra_outputs(self) -> dict[str, pulumi.Output[str]]:
        return {"nodePortAliasScript": self.node_port_alias_script}

    def _labels(self) -> pulumi.Input[dict[str, str]]:
        # GCP label values: lowercase letters, digits, - and _ (stack names may hold more).
        allowed = "abcdefghijklmnopqrstuvwxyz0123456789-_"  # ASCII: isalnum() admits any script
        stack = "".join(c if c in allowed else "-" for c in pulumi.get_stack().lower())
        return self._tags(stack=stack[:63])

    def _sources(self, scheme: str) -> pulumi.Input[list[str]]:
        """Health-check probers of the scheme, and the clients (passthrough keeps their IPs).

        Hairpinned traffic never reaches the firewall: the guest agent delivers it locally.
        """
        a = self.args
        probers = HEALTH_CHECK_RANGES[scheme]
        if a["allowed_client_cidrs"] is not None:
            clients = self.secret_if("allowedClientCidrs", list(a["allowed_client_cidrs"]))
            return map_input(clients, lambda cs: [*probers, *(c for c in cs if c not in probers)])
        # Internal default (the Args check requires the list for external LBs): the subnetwork.
        subnetwork = a["subnetwork"]
        assert subnetwork is not None
        # Looked up by self link or by name, whichever it is (an output: once it resolves).
        link = map_input(subnetwork, lambda r: r if _is_link(r) else None)
        name = map_input(subnetwork, lambda r: None if _is_link(r) else r)
        lookup = gcp.compute.get_subnetwork_output(
            self_link=None if link is None else self.secret_if("subnetwork", link),
            name=None if name is None else self.secret_if("subnetwork", name),
            region=a["region"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return lookup.ip_cidr_range.apply(lambda cidr: [*probers, cidr])
