"""GcpKurlLb: a GCP backend-service passthrough Network Load Balancer in front of kURL primaries
(kURL page, GCP section)."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from .args import GCP, GcpKurlLbArgs
from .args.common import PAIR_KEY, READYZ
from .args.gcp import GCP_API, SHARED_VIP, health_check_timeout
from .base import FrontEnd, KurlLoadBalancer
from .checked import SECRET_SHOWN, map_input
from .kurl import nodeport_alias_script
from .problems import ArgsError, Problem, ref, shown

# Google's health-check probers, by load balancer kind (firewall rules must admit them).
HEALTH_CHECK_RANGES = {
    "EXTERNAL": ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"],
    "INTERNAL": ["35.191.0.0/16", "130.211.0.0/22"],
}
# Same drain as the AWS target group: kube-apiserver's default request timeout.
CONNECTION_DRAINING_SECONDS = 60


def _is_link(ref: str) -> bool:
    return "/" in ref


def _link_part(link: str, kind: str) -> str | None:
    """The segment after `kind` in a self link (`projects` -> the project), None in a name."""
    parts = link.removeprefix(GCP_API).split("/")
    return parts[parts.index(kind) + 1] if kind in parts[:-1] else None


def _same_subnetwork(given: str, looked_up: str) -> bool:
    """Whether the subnetwork a lookup names (a self link) is `given` (a name or self link)."""
    if _is_link(given):
        return given.removeprefix(GCP_API) == looked_up.removeprefix(GCP_API)
    return looked_up.rsplit("/", 1)[-1] == given


@dataclass(frozen=True)
class GcpFrontEnd:
    """One front end's resources: the address it serves (None when a reserved one is given),
    the forwarding rule to its scheme's backend service, the DNS records naming it, its IP, and
    each extra port's forwarding rule on that IP."""

    address: gcp.compute.Address | None
    forwarding_rule: gcp.compute.ForwardingRule
    dns_records: dict[str, gcp.dns.RecordSet]  # by record name
    ip: pulumi.Output[str]
    port_rules: dict[str, gcp.compute.ForwardingRule]  # one per extra port, by its name


class GcpKurlLb(KurlLoadBalancer[gcp.compute.InstanceGroupMembership, GcpKurlLbArgs]):
    """A Layer-4 TCP GCP backend-service passthrough Network Load Balancer for the Kubernetes API
    of a kURL HA control plane, with hairpinning: primaries reach the API through it too."""

    # Declared here, not only on the base: the package schema reads these descriptions.
    load_balancer_host: pulumi.Output[str]
    """The API host: `dnsRecord`'s name when given, else the load balancer's IP address."""

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

    node_port_alias_script: pulumi.Output[str]
    """Script for every node: each front end's IP as a local alias (systemd unit), for NodePorts."""

    def __init__(
        self, name: str, args: GcpKurlLbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:GcpKurlLb", GCP, name, args, opts)
        # Child resources (escape hatches, as attributes): `instance_groups` by zone;
        # `registrations` by primary name (`memberships`); `front_end_parts` by front end
        # label; `address` (None with a given `address`), `forwarding_rule` and `dns_records`
        # are the current front end's.
        self._lb_name = name
        self.address: gcp.compute.Address | None
        self.health_check: gcp.compute.RegionHealthCheck
        self.instance_groups: dict[str, gcp.compute.InstanceGroup]
        self.backend_service: gcp.compute.RegionBackendService
        self.forwarding_rule: gcp.compute.ForwardingRule
        self.dns_records: dict[str, gcp.dns.RecordSet]
        self.firewall: gcp.compute.Firewall
        a = self.args
        internal = a["scheme"] == "internal"
        scheme = "INTERNAL" if internal else "EXTERNAL"
        sec = self.secret_if  # values derived from secretArgs stay secret
        port = sec("port", a["port"])
        network = sec("network", a["network"])
        subnetwork = sec("subnetwork", a["subnetwork"]) if internal else None

        hc = a["health_check"]
        https = hc.get("protocol", "tcp") == "https"
        self.health_check = self._health_check(f"{name}-hc", port, https)
        # Each extra port has its own TCP check of its port (GCP: `targetPort` is `port`, never
        # the API port), so a kotsadm that is down takes no primary out of the API's rotation.
        extras: list[Mapping[str, Any]] = list(a.get("extra_ports") or [])
        self.extra_ports = extras
        self.port_health_checks: dict[str, gcp.compute.RegionHealthCheck] = {
            e["name"]: self._health_check(
                f"{name}-hc-{e['name']}", sec("extraPorts", e["port"]), https=False
            )
            for e in extras
        }

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

        # A backend service has one health check: one per port and scheme, each over the same
        # instance groups (a group may back several passthrough backend services, all in
        # CONNECTION mode). Keyed by (scheme, extra port name or None for the API).
        schemes = [(scheme, name, sec("scheme", scheme))]
        pair = next((f for f in self.front_ends if f.public), None)
        if pair is not None:
            schemes.append(("EXTERNAL", pair.prefix(name), "EXTERNAL"))
        self.backend_services: dict[tuple[str, str | None], gcp.compute.RegionBackendService] = {}
        for kind, prefix, wire in schemes:
            self.backend_services[(kind, None)] = self._backend(
                f"{prefix}-backend", kind, wire, self.health_check, network
            )
            for e in extras:
                self.backend_services[(kind, e["name"])] = self._backend(
                    f"{prefix}-backend-{e['name']}",
                    kind,
                    wire,
                    self.port_health_checks[e["name"]],
                    network,
                )
        self.backend_service = self.backend_services[(scheme, None)]

        # Ingress for the probers of each scheme and its clients, per port (passthrough keeps
        # client IPs); hairpinned traffic is delivered locally and never reaches them.
        self.firewalls: dict[tuple[str, str | None], gcp.compute.Firewall] = {}
        for kind, prefix, _ in schemes:
            if kind == scheme and prefix == name:
                sources = self._sources(scheme)
            else:
                assert pair is not None
                sources = self._sources(
                    kind, pair.args["allowed_client_cidrs"], clients_key=PAIR_KEY
                )
            self.firewalls[(kind, None)] = self._firewall(
                f"{prefix}-allow-api",
                sec("port", str(a["port"])),
                sources,
                "kURL API: load balancer health checks and clients (kurl-lb)",
                network,
            )
            for e in extras:
                self.firewalls[(kind, e["name"])] = self._firewall(
                    f"{prefix}-allow-port-{e['name']}",
                    sec("extraPorts", str(e["port"])),
                    sources,
                    f"kURL extra port {e['name']}: load balancer health checks and clients "
                    "(kurl-lb)",
                    network,
                )
        self.firewall = self.firewalls[(scheme, None)]

        # Every front end: its address (created or looked up), its forwarding rules (the API's
        # and one per extra port, all on its IP) to its scheme's backend services, its DNS
        # records. Several forwarding rules may reference one passthrough backend service, so
        # both front ends of a move serve the same primaries; the public front end has its own
        # EXTERNAL backend services over the same groups.
        self.front_end_parts: dict[str, GcpFrontEnd] = {}
        for fe in self.front_ends:
            fe_scheme = "EXTERNAL" if fe.public else scheme
            self.front_end_parts[fe.label] = self._front_end(
                name, fe, fe_scheme, None if fe.public else subnetwork
            )
        current = next(f for f in self.front_ends if f.current)
        parts = self.front_end_parts[current.label]
        self.address = parts.address
        self.forwarding_rule = parts.forwarding_rule
        self.dns_records = parts.dns_records
        ips = {label: p.ip for label, p in self.front_end_parts.items()}
        # Hairpinned NodePort traffic needs every IP nodes may be reached at as a local alias
        # (the public front end's too: the guest agent routes it locally as well).
        others = [ip for label, ip in ips.items() if label != current.label]
        self.node_port_alias_script = nodeport_alias_script(ips[current.label], others)
        self._finish(ips)

    # --- shared parts -----------------------------------------------------------------------

    def _health_check(
        self, logical: str, port: pulumi.Input[int], https: bool
    ) -> gcp.compute.RegionHealthCheck:
        """A regional health check with the stack's interval and thresholds: a TCP connect to
        `port`, or (`https`) `GET /readyz` over TLS, healthy on HTTP 200 only."""
        a = self.args
        hc = a["health_check"]
        sec = self.secret_if
        probe: dict[str, Any] = (
            {
                "https_health_check": gcp.compute.RegionHealthCheckHttpsHealthCheckArgs(
                    port=port, request_path=sec("healthCheck", READYZ)
                )
            }
            if https
            else {"tcp_health_check": gcp.compute.RegionHealthCheckTcpHealthCheckArgs(port=port)}
        )
        return gcp.compute.RegionHealthCheck(
            logical,
            region=a["region"],
            check_interval_sec=sec("healthCheck", hc["interval_seconds"]),
            timeout_sec=sec("healthCheck", health_check_timeout(hc)),
            healthy_threshold=sec("healthCheck", hc["healthy_threshold"]),
            unhealthy_threshold=sec("healthCheck", hc["unhealthy_threshold"]),
            **probe,
            opts=self._child(),
        )

    def _backend(
        self,
        logical: str,
        scheme: str,
        wire: pulumi.Input[str],
        health_check: gcp.compute.RegionHealthCheck,
        network: pulumi.Input[str],
    ) -> gcp.compute.RegionBackendService:
        return gcp.compute.RegionBackendService(
            logical,
            region=self.args["region"],
            # Both default wrongly for a passthrough NLB (INTERNAL, HTTP): always explicit.
            protocol="TCP",
            load_balancing_scheme=wire,
            health_checks=health_check.id,
            backends=[
                gcp.compute.RegionBackendServiceBackendArgs(
                    group=group.self_link, balancing_mode="CONNECTION"
                )
                for group in self.instance_groups.values()
            ],
            network=network if scheme == "INTERNAL" else None,
            connection_draining_timeout_sec=CONNECTION_DRAINING_SECONDS,
            opts=self._child(),
        )

    def _firewall(
        self,
        logical: str,
        port: pulumi.Input[str],
        sources: pulumi.Input[list[str]],
        description: str,
        network: pulumi.Input[str],
    ) -> gcp.compute.Firewall:
        return gcp.compute.Firewall(
            logical,
            network=network,
            direction="INGRESS",
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[port])],
            source_ranges=sources,
            target_tags=self.secret_if("targetTags", list(self.args["target_tags"])),
            description=description,
            opts=self._child(),
        )

    # --- front ends -------------------------------------------------------------------------

    def _front_end(
        self, name: str, fe: FrontEnd[GcpKurlLbArgs], scheme: str, subnetwork: Any
    ) -> GcpFrontEnd:
        a = fe.args
        prefix = fe.prefix(name)
        internal = scheme == "INTERNAL"
        sec = self.secret_if
        tier_key = self.field_argument(fe, "network_tier")
        tier = None if internal else sec(tier_key, a["network_tier"])
        wire = "EXTERNAL" if fe.public else sec("scheme", scheme)
        protect = self.args["deletion_protection"]
        address = None
        if a.get("address") is None:
            address = gcp.compute.Address(
                f"{prefix}-ip",
                region=a["region"],
                address_type=wire,
                # Internal addresses are always PREMIUM and live on the subnetwork.
                network_tier=tier,
                subnetwork=subnetwork,
                labels=sec("tags", self._labels()),
                opts=self._child(protect=protect),
            )
            ip: pulumi.Output[str] = address.address
        else:
            ip = self._given_address(fe, scheme, subnetwork)

        def rule(
            logical: str, port: pulumi.Input[str], key: str | None
        ) -> gcp.compute.ForwardingRule:
            # Only the API port's rule is the address kURL holds: an extra port's is removed
            # with its port, without unprotecting (its IP is the protected address's).
            return gcp.compute.ForwardingRule(
                logical,
                region=a["region"],
                ip_address=ip,
                ip_protocol="TCP",
                ports=[port],
                load_balancing_scheme=wire,
                backend_service=self.backend_services[(scheme, key)].id,
                network_tier=tier,
                network=sec("network", a["network"]) if internal else None,
                subnetwork=subnetwork,
                labels=sec("tags", self._labels()),
                opts=self._child(protect=protect and key is None),
            )

        forwarding_rule = rule(f"{prefix}-fr", sec("port", str(a["port"])), None)
        # One forwarding rule per extra port on the same IP: adding a port only creates.
        port_rules = {
            e["name"]: rule(
                f"{prefix}-fr-{e['name']}", sec("extraPorts", str(e["port"])), e["name"]
            )
            for e in self.extra_ports
        }
        records = {
            record["name"]: self._dns_record(prefix, fe, record, ip, internal)
            for record in fe.dns_records
        }
        return GcpFrontEnd(address, forwarding_rule, records, ip, port_rules)

    def _fail(self, problems: list[Problem]) -> None:
        if problems:
            raise ArgsError(GCP.component, self._lb_name, problems)

    def _given_address(
        self, fe: FrontEnd[GcpKurlLbArgs], scheme: str, subnetwork: Any
    ) -> pulumi.Output[str]:
        """The IP of the reserved address `address` names, looked up; the lookup must show
        what this load balancer needs (else the forwarding rule fails, naming the key)."""
        a = fe.args
        sec = self.secret_if
        key = self.field_argument(fe, "address")
        loc = self.field_loc(fe, "address")
        given = a["address"]
        lookup = gcp.compute.get_address_output(
            name=sec(key, map_input(given, lambda r: r.rsplit("/", 1)[-1])),
            project=sec(key, map_input(given, lambda r: _link_part(r, "projects"))),
            region=a["region"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        tier = a["network_tier"]
        tier_loc = self.field_loc(fe, "network_tier")
        tier_name = (
            f"{ref(str(tier_loc[0]))}.networkTier" if len(tier_loc) > 1 else ref("network_tier")
        )
        shared = bool(self.extra_ports) and scheme == "INTERNAL"

        scheme_word = "internal" if scheme == "INTERNAL" else "public"
        needs = ref(PAIR_KEY) if fe.public else f"{ref('scheme')} {scheme_word}"

        def check(resolved: list[Any]) -> str:
            found, shown_ref, ours = resolved
            kind = found.address_type or "EXTERNAL"  # GCP's default
            problems = []
            if kind != scheme:
                problems.append(
                    Problem(
                        loc,
                        f"{shown(shown_ref)} is an {kind} address; {needs} needs an {scheme} one",
                    )
                )
            elif scheme == "INTERNAL" and not _same_subnetwork(ours, found.subnetwork or ""):
                problems.append(
                    Problem(
                        loc,
                        f"{shown(shown_ref)} is in subnetwork {shown(found.subnetwork)}, not in "
                        f"{ref('subnetwork')} {shown(ours)}; allowed: an INTERNAL address of "
                        "the load balancer's subnetwork",
                    )
                )
            elif shared and (found.purpose or "GCE_ENDPOINT") != SHARED_VIP:
                problems.append(
                    Problem(
                        loc,
                        f"{shown(shown_ref)} is a {found.purpose or 'GCE_ENDPOINT'} address; "
                        f"{ref('extra_ports')} put one more forwarding rule per port on its IP, "
                        f"which an INTERNAL address allows only with purpose {SHARED_VIP}; "
                        f"allowed: an INTERNAL address reserved with --purpose {SHARED_VIP}",
                    )
                )
            elif scheme == "EXTERNAL" and (found.network_tier or "PREMIUM") != tier:
                problems.append(
                    Problem(
                        loc,
                        f"{shown(shown_ref)} is a {found.network_tier} tier address, and "
                        f"{tier_name} is {tier}; a forwarding rule's tier must be its "
                        "address's",
                    )
                )
            self._fail(problems)
            return str(found.address)

        return pulumi.Output.all(lookup, given, subnetwork or "").apply(check)

    def _dns_record(
        self,
        prefix: str,
        fe: FrontEnd[GcpKurlLbArgs],
        record: Mapping[str, Any],
        ip: pulumi.Output[str],
        internal: bool,
    ) -> gcp.dns.RecordSet:
        """An A record for the front end's IP, in a zone whose DNS name holds the record's
        name (checked when the zone is looked up: the record fails, naming the key)."""
        loc = self.record_loc(fe, record, "name")
        sec = functools.partial(self.record_sec, fe, record)

        fqdn = record["name"]
        named = SECRET_SHOWN if self.record_secret(fe, record) else shown(fqdn)
        zone = gcp.dns.get_managed_zone_output(
            name=sec(record["managed_zone"]),
            project=record.get("project"),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )

        def check(resolved: list[Any]) -> list[str]:
            dns_name, visibility, address = resolved
            zone_name = str(dns_name or "").lower()
            inside = f"{fqdn}." == zone_name or f"{fqdn}.".endswith(f".{zone_name}")
            if not inside:
                self._fail(
                    [
                        Problem(
                            loc,
                            f"{named} is not inside the managed zone's DNS name "
                            f"{shown(zone_name)}; allowed: a name ending in "
                            f"{zone_name.rstrip('.') or '<the zone DNS name>'}",
                        )
                    ]
                )
            if internal and (visibility or "public") == "public":
                # Allowed (split-horizon set-ups publish private IPs on purpose), but the
                # internal IP is then in public DNS, and resolvable only inside the VPC.
                pulumi.log.warn(
                    f"{'.'.join(map(str, loc))}: {named} is in a PUBLIC managed zone but points "
                    f"at the INTERNAL load balancer IP {address}: anyone can resolve it and "
                    "only the VPC can reach it; a private zone keeps it inside",
                    resource=self,
                )
            return [address]

        # Named by the record's name, hashed when it is secret: a URN is never secret.
        return gcp.dns.RecordSet(
            f"{prefix}-dns-{self.record_name_part(fe, record)}",
            managed_zone=sec(record["managed_zone"]),
            name=sec(f"{fqdn}."),
            type="A",
            ttl=sec(record["ttl"]),
            rrdatas=pulumi.Output.all(zone.dns_name, zone.visibility, ip).apply(check),
            project=record.get("project"),
            opts=self._child(),
        )

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

    def _sources(
        self,
        scheme: str,
        clients: Any = None,
        clients_key: str = "allowedClientCidrs",
    ) -> pulumi.Input[list[str]]:
        """Health-check probers of the scheme, and the clients (passthrough keeps their IPs):
        `allowedClientCidrs`, or `clients` (the public front end's, from `clients_key`).

        Hairpinned traffic never reaches the firewall: the guest agent delivers it locally.
        """
        a = self.args
        probers = HEALTH_CHECK_RANGES[scheme]
        given = clients if clients is not None else a["allowed_client_cidrs"]
        if given is not None:
            listed = self.secret_if(clients_key, list(given))
            return map_input(listed, lambda cs: [*probers, *(c for c in cs if c not in probers)])
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
