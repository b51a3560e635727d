"""AzureKurlLb: a public Standard Azure Load Balancer in front of kURL primaries (kURL page,
Azure section)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import dns, network
from pydantic.alias_generators import to_camel

from .args import AZURE, AzureKurlLbArgs
from .args.azure import address_source
from .args.common import DEFAULT_FRONT_END, MOVE_KEY, READYZ, target_port
from .base import FrontEnd, KurlLoadBalancer
from .checked import map_input
from .problems import ArgsError, Loc, Problem, shown

# Names of the LB's sub-resources; rule -> frontend/pool/probe references are built from them.
# A front end labelled other than v1 has its own frontend and rule: `api-frontend-<label>`,
# `api-<label>`.
FRONTEND = "api-frontend"
POOL = "primaries"
PROBE = "api-probe"
RULE = "api"
# An extra port `<port name>` (extraPorts) has the rule `port-<port name>` on each front end
# (`port-<port name>.<label>` on a front end labelled other than v1: port names and labels are
# DNS labels without dots, so no two front ends' names meet) and the probe `port-<port name>`.
EXTRA = "port"


def frontend_name(label: str) -> str:
    return FRONTEND if label == DEFAULT_FRONT_END else f"{FRONTEND}-{label}"


def rule_name(label: str) -> str:
    return RULE if label == DEFAULT_FRONT_END else f"{RULE}-{label}"


def extra_rule_name(port_name: str, label: str) -> str:
    own = f"{EXTRA}-{port_name}"
    return own if label == DEFAULT_FRONT_END else f"{own}.{label}"


def extra_probe_name(port_name: str) -> str:
    return f"{EXTRA}-{port_name}"


def azure_region(location: str | None) -> str:
    """A location as Azure writes it in DNS names ("East US" -> "eastus")."""
    return (location or "").replace(" ", "").lower()


def public_ip_path(resource_id: str) -> tuple[str, str]:
    """(resource group, name) of a public IP's resource ID (checked by AzurePublicIpId)."""
    parts = resource_id.split("/")
    return parts[4], parts[8]


def relative_name(record: Mapping[str, Any]) -> str:
    """A record's name relative to its zone (`@`: the zone's apex), as Azure DNS takes it."""
    name, zone = record["name"], record["zone_name"]
    return "@" if name == zone else name[: -len(zone) - 1]


def ip_problems(found: Any, frontend_id: str, location: str | None) -> list[str]:
    """Why a looked-up public IP cannot be a Standard load balancer's frontend (`frontend_id`,
    the frontend it is for) in `location` (None: the provider's, not known here)."""
    why = []
    sku = getattr(found.sku, "name", None) if found.sku else None
    if str(sku or "Basic").lower() != "standard":
        why.append(f"its SKU is {shown(sku or 'Basic')}; a Standard load balancer takes Standard")
    method = found.public_ip_allocation_method or "Dynamic"  # Azure's default
    if str(method).lower() != "static":
        why.append(f"its allocation is {shown(method)}; the API address needs Static")
    version = found.public_ip_address_version or "IPv4"
    if str(version).lower() != "ipv4":
        why.append(f"it is {shown(version)}; kURL's API address here is IPv4")
    if location and found.location and azure_region(found.location) != azure_region(location):
        why.append(
            f"it is in {shown(found.location)}, the load balancer in {shown(location)}; a "
            "frontend's public IP is in the load balancer's region"
        )
    used = found.ip_configuration.id if found.ip_configuration else None
    if used and str(used).lower() != frontend_id.lower():
        why.append(f"it is in use by {shown(used)}; a public IP serves one frontend")
    return why


@dataclass
class AzureFrontEnd:
    """What one front end is on Azure: a public IP (created, or given by `publicIpId`), a
    frontend configuration and a load-balancing rule on the one load balancer, and the DNS
    records naming it."""

    label: str
    public_ip: network.PublicIPAddress | None  # None: given by publicIpId
    public_ip_id: pulumi.Output[str]
    ip_address: pulumi.Output[str]
    host: pulumi.Output[str]  # its FQDN (domain name label) or its IP
    frontend: str
    rule: str
    dns_records: list[dns.RecordSet] = field(default_factory=list)


class AzureKurlLb(KurlLoadBalancer[pulumi.CustomResource, AzureKurlLbArgs]):
    """A Layer-4 TCP public Standard Azure Load Balancer for the Kubernetes API of a kURL HA
    control plane, with hairpinning: primaries reach the API through it too."""

    # Declared here, not only on the base: the package schema reads these descriptions.
    load_balancer_host: pulumi.Output[str]
    """The DNS record's name (`dnsRecord`), else the public IP's FQDN or its address."""

    load_balancer_address: pulumi.Output[str]
    """`host:port`: kURL's `loadBalancerAddress`."""

    registered_primaries: pulumi.Output[list[str]]
    """Names of the primaries in the backend pool, in join order."""

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

    extra_port_addresses: pulumi.Output[dict[str, str]]
    """Each extra port's name -> `host:port` on the front end nodes use (empty without any)."""

    next_front_end_ip: pulumi.Output[str | None]
    """During a move to a new front end: its public IP, on every primary's loopback meanwhile."""

    def __init__(
        self, name: str, args: AzureKurlLbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:AzureKurlLb", AZURE, name, args, opts)
        # Child resources (escape hatches): `registrations` by primary name (NIC pools);
        # `classic_provider`, the classic azure provider NIC pools use; `security_rule`, None
        # without networkSecurityGroupName; `public_ip`, the current front end's public IP
        # (None when given by publicIpId); `parts`, every front end's pieces by label.
        self.public_ip: network.PublicIPAddress | None = None
        self.load_balancer: network.LoadBalancer
        self.security_rule: network.SecurityRule | None = None
        self.subscription_id: pulumi.Output[str]
        self.classic_provider: pulumi.ProviderResource | None = None
        self.parts: dict[str, AzureFrontEnd] = {}
        self._component_name = name
        a = self.args
        sec = self.secret_if  # values derived from secretArgs stay secret
        tags = sec("tags", self._tags())
        rg = sec("resourceGroupName", a["resource_group_name"])
        port = sec("port", a["port"])
        # Replacing the front end changes the API address every node and certificate has.
        protect = a["deletion_protection"]

        lb_name = f"{name}-lb"
        subscription = azure_native.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).subscription_id
        self.subscription_id = subscription
        lb_id = pulumi.Output.concat(
            "/subscriptions/",
            subscription,
            "/resourceGroups/",
            rg,
            f"/providers/Microsoft.Network/loadBalancers/{lb_name}",
        )

        def ref_(kind: str, child: str) -> network.SubResourceArgs:
            return network.SubResourceArgs(id=pulumi.Output.concat(lb_id, f"/{kind}/{child}"))

        for fe in self.front_ends:
            self.parts[fe.label] = self._front_end(name, fe, rg, tags, protect, lb_id)
        current = next(f for f in self.front_ends if f.current)
        self.public_ip = self.parts[current.label].public_ip
        parts = list(self.parts.values())
        # Azure refuses two rules with the same backend port and pool unless they use floating
        # IP (RulesUseSameBackendPortProtocolAndPool): during a move, the new front end's rule
        # delivers with its frontend IP as destination, which the primaries hold as a local
        # /32 (docs/azure.md); the current front end's rule is left as it is.
        floating = {f.label: f.next and not f.current for f in self.front_ends}

        extras = list(a.get("extra_ports") or [])
        self.load_balancer = network.LoadBalancer(
            f"{name}-lb",
            load_balancer_name=lb_name,
            resource_group_name=rg,
            sku=network.LoadBalancerSkuArgs(name="Standard", tier="Regional"),
            frontend_ip_configurations=[
                network.FrontendIPConfigurationArgs(
                    name=p.frontend,
                    public_ip_address=network.PublicIPAddressArgs(id=p.public_ip_id),
                )
                for p in parts
            ],
            backend_address_pools=[self._pool()],
            probes=[self._api_probe(port), *(self._extra_probe(e) for e in extras)],
            load_balancing_rules=[
                *(
                    self._rule(p.rule, p.frontend, port, port, PROBE, floating[p.label], ref_)
                    for p in parts
                ),
                # Each extra port: one more rule per front end on the same pool, its own probe.
                # Its backend port is no other rule's (a rule refuses the API port and shared
                # target ports) but a move's new front end's, which floats as its API rule does.
                *(
                    self._rule(
                        extra_rule_name(e["name"], p.label),
                        p.frontend,
                        sec("extraPorts", e["port"]),
                        sec("extraPorts", target_port(e)),
                        extra_probe_name(e["name"]),
                        floating[p.label],
                        ref_,
                    )
                    for e in extras
                    for p in parts
                ),
            ],
            tags=tags,
            opts=self._child(protect=protect),
        )

        if a["backend_pool"] == "nic":
            self._register_nics(name)

        if a["network_security_group_name"] is not None:
            self.security_rule = network.SecurityRule(
                f"{name}-nsg-api",
                security_rule_name=f"{name}-api-via-lb",
                resource_group_name=rg,
                network_security_group_name=sec(
                    "networkSecurityGroupName", a["network_security_group_name"]
                ),
                priority=sec("networkSecurityRulePriority", a["network_security_rule_priority"]),
                direction="Inbound",
                access="Allow",
                protocol="Tcp",
                # Clients, and every front end's public IP: hairpinned flows arrive SNATed to a
                # frontend IP, and with two frontends either may be the one outbound SNAT uses
                # (Azure does not say which: docs/azure.md).
                source_address_prefixes=pulumi.Output.all(
                    sec("allowedClientCidrs", list(a["allowed_client_cidrs"] or [])),
                    *(p.ip_address for p in parts),
                ).apply(lambda got: [*got[0], *(str(ip) for ip in got[1:] if ip)]),
                source_port_range="*",
                destination_address_prefix="*",
                # The ports on the primaries (the NSG sees flows after the load balancer's
                # translation): the API port, and each extra port's target port.
                **self._nsg_ports(extras),
                opts=self._child(),
            )

        for fe in self.front_ends:
            self._records(name, fe, rg)
        added = [f for f in self.front_ends if f.next and not f.current]
        self.next_front_end_ip = pulumi.Output.from_input(
            self.parts[added[0].label].ip_address if added else None
        )
        self._finish({label: p.host for label, p in self.parts.items()})

    # --- probes, rules, NSG ports --------------------------------------------------------------

    def _api_probe(self, port: pulumi.Input[int]) -> network.ProbeArgs:
        """The API's probe: TCP, or with `healthCheck.protocol: https` HTTPS `GET /readyz`
        (healthy on 200 only) with `noHealthyBackendsBehavior: AllProbedUp`. kURL's first-primary
        preflight listens on the API port with a raw TCP listener and dials the load balancer;
        an HTTPS probe marks that primary down, and Azure's default (`AllProbedDown`) would then
        send no new flows. With AllProbedUp every primary still gets new flows while all are
        probed down, so the preflight (and the first install) passes; once any primary answers
        200, the probe decides again (docs/azure.md)."""
        hc, sec = self.args["health_check"], self.secret_if
        https = hc.get("protocol") == "https"
        return network.ProbeArgs(
            name=PROBE,
            protocol="Https" if https else "Tcp",
            port=port,
            request_path=sec("healthCheck", READYZ) if https else None,
            no_healthy_backends_behavior=sec("healthCheck", "AllProbedUp") if https else None,
            interval_in_seconds=sec("healthCheck", hc["interval_seconds"]),
            # probeThreshold is what Azure honours; numberOfProbes is kept equal to it for API
            # versions and tools that still read it.
            probe_threshold=sec("healthCheck", hc["unhealthy_threshold"]),
            number_of_probes=sec("healthCheck", hc["unhealthy_threshold"]),
        )

    def _extra_probe(self, extra: Mapping[str, Any]) -> network.ProbeArgs:
        """An extra port's probe: a TCP connect to its target port (never the API port, which
        a rule refuses on Azure), with the API probe's interval and threshold."""
        hc, sec = self.args["health_check"], self.secret_if
        return network.ProbeArgs(
            name=extra_probe_name(extra["name"]),
            protocol="Tcp",
            port=sec("extraPorts", target_port(extra)),
            interval_in_seconds=sec("healthCheck", hc["interval_seconds"]),
            probe_threshold=sec("healthCheck", hc["unhealthy_threshold"]),
            number_of_probes=sec("healthCheck", hc["unhealthy_threshold"]),
        )

    @staticmethod
    def _rule(
        name: str,
        frontend: str,
        frontend_port: pulumi.Input[int],
        backend_port: pulumi.Input[int],
        probe: str,
        floating: bool,
        ref_: Any,
    ) -> network.LoadBalancingRuleArgs:
        return network.LoadBalancingRuleArgs(
            name=name,
            protocol="Tcp",
            frontend_port=frontend_port,
            backend_port=backend_port,
            frontend_ip_configuration=ref_("frontendIPConfigurations", frontend),
            backend_address_pool=ref_("backendAddressPools", POOL),
            probe=ref_("probes", probe),
            # The portal's "Outbound and inbound use the same IP": a primary's own call to the
            # frontend is SNATed to the frontend IP, so hairpinned flows come back.
            disable_outbound_snat=False,
            enable_floating_ip=floating,
            load_distribution="Default",
        )

    def _nsg_ports(self, extras: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The NSG rule's destination ports and description: the API port alone (as before
        extraPorts existed), or with extra ports the API port and each target port."""
        sec = self.secret_if
        if not extras:
            return {
                "destination_port_range": sec("port", str(self.args["port"])),
                "description": "kURL API through the load balancer (kurl-lb)",
            }
        ports = pulumi.Output.all(
            sec("port", str(self.args["port"])),
            sec("extraPorts", [str(target_port(e)) for e in extras]),
        ).apply(lambda got: [got[0], *got[1]])
        return {
            "destination_port_ranges": ports,
            "description": "kURL API and extra ports through the load balancer (kurl-lb)",
        }

    def extra_outputs(self) -> dict[str, pulumi.Output[Any]]:
        """During an address move to a new front end: nextFrontEndIp, the IP every primary holds
        as a local /32 while the new front end's rule uses floating IP (docs/azure.md)."""
        moving = any(f.next and not f.current for f in self.front_ends)
        return {"nextFrontEndIp": self.next_front_end_ip} if moving else {}

    # --- one front end ----------------------------------------------------------------------

    def _front_end(
        self,
        name: str,
        fe: FrontEnd[Any],
        rg: pulumi.Input[str],
        tags: Any,
        protect: bool,
        lb_id: pulumi.Output[str],
    ) -> AzureFrontEnd:
        sec = self.secret_if
        sources = ("public_ip_id", "domain_name_label")
        moved = [f for f in sources if self.field_argument(fe, f) == MOVE_KEY]
        pip_id, label = address_source(
            fe.args, None if fe.current else frozenset(map(to_camel, moved))
        )
        frontend = frontend_name(fe.label)
        if pip_id is not None:
            arg = self.field_argument(fe, "public_ip_id")
            where = self.field_loc(fe, "public_ip_id")
            ip_id, ip, given_host = self._given_ip(sec(arg, pip_id), where, frontend, lb_id)
            return AzureFrontEnd(
                fe.label, None, ip_id, ip, given_host, frontend, rule_name(fe.label)
            )
        arg = self.field_argument(fe, "domain_name_label")
        pip = network.PublicIPAddress(
            f"{fe.prefix(name)}-pip",
            resource_group_name=rg,
            sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            dns_settings=(
                network.PublicIPAddressDnsSettingsArgs(domain_name_label=sec(arg, label))
                if label is not None
                else None
            ),
            tags=tags,
            opts=self._child(protect=protect),
        )
        ip = pip.ip_address.apply(lambda address: address or "")
        region = map_input(self.args.get("location"), azure_region)
        host: pulumi.Output[str] = (
            # Azure's documented form, known before the IP exists (and in previews).
            pulumi.Output.concat(sec(arg, label), ".", region, ".cloudapp.azure.com")
            if label is not None
            else ip
        )
        return AzureFrontEnd(fe.label, pip, pip.id, ip, host, frontend, rule_name(fe.label))

    def _given_ip(
        self,
        pip_id: pulumi.Input[str],
        where: Loc,
        frontend: str,
        lb_id: pulumi.Output[str],
    ) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Output[str]]:
        """A public IP given by ID: its (checked ID, IP, host). The lookup checks what the load
        balancer needs; a problem fails the load balancer, naming the key."""
        path = pulumi.Output.from_input(pip_id).apply(public_ip_path)
        found = network.get_public_ip_address_output(
            resource_group_name=path.apply(lambda p: p[0]),
            public_ip_address_name=path.apply(lambda p: p[1]),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        location = self.args.get("location")
        checked = pulumi.Output.all(found, lb_id, location).apply(
            lambda got: self._check_ip(
                got[0], where, f"{got[1]}/frontendIPConfigurations/{frontend}", got[2]
            )
        )
        # In an update the frontend waits for the check; a preview passes the ID as given (like
        # ArgsCheck.gate), so an unanswered lookup does not make the frontend unknown. The check
        # still fails a preview whose lookup is answered: the host below depends on it.
        ip_id: pulumi.Output[str] = (
            pulumi.Output.from_input(pip_id)
            if pulumi.runtime.is_dry_run()
            else pulumi.Output.all(pip_id, checked).apply(lambda got: str(got[0]))
        )
        ip = checked.apply(lambda r: r.ip_address or "")
        host = checked.apply(
            lambda r: (
                (r.dns_settings.fqdn if r.dns_settings and r.dns_settings.fqdn else None)
                or r.ip_address
                or ""
            )
        )
        return ip_id, ip, host

    def _check_ip(self, found: Any, where: Loc, frontend_id: str, location: Any) -> Any:
        """`found` (the looked-up public IP) when a Standard load balancer's frontend can use
        it, else raise naming the key."""
        why = ip_problems(found, frontend_id, location)
        if why:
            raise ArgsError(
                AZURE.component,
                self._component_name,
                [
                    Problem(
                        where, f"names a public IP the load balancer cannot use: {'; '.join(why)}"
                    )
                ],
            )
        return found

    # --- DNS records ------------------------------------------------------------------------

    def _records(self, name: str, fe: FrontEnd[Any], default_rg: pulumi.Input[str]) -> None:
        """An A alias record set per record naming the front end: Azure DNS answers with the
        public IP's current address, so the record follows the IP."""
        part = self.parts[fe.label]
        for record in fe.dns_records:
            own = record.get("resource_group_name")
            rg = self.record_sec(fe, record, own) if own is not None else default_rg
            zone = self._checked_zone(fe, record, rg)
            part.dns_records.append(
                dns.RecordSet(
                    f"{fe.prefix(name)}-dns-{self.record_name_part(fe, record)}",
                    zone_name=zone,
                    relative_record_set_name=self.record_sec(fe, record, relative_name(record)),
                    record_type="A",
                    resource_group_name=rg,
                    target_resource=dns.SubResourceArgs(id=part.public_ip_id),
                    ttl=self.record_sec(fe, record, record["ttl"]),
                    metadata={"kurl-lb-front-end": fe.label},
                    opts=self._child(),
                )
            )

    def _checked_zone(
        self, fe: FrontEnd[Any], record: Mapping[str, Any], rg: pulumi.Input[str]
    ) -> pulumi.Input[str]:
        """The record's zone name, once a lookup found the zone public: a legacy private zone
        (`zoneType: Private`) answers only inside its VNets, not every client of the API. A
        problem fails the record naming the key; a preview passes the name as given (the check
        still fails a preview whose lookup is answered: the SDK awaits every output)."""
        zone_name = self.record_sec(fe, record, record["zone_name"])
        where = self.record_loc(fe, record, "zoneName")
        found = dns.get_zone_output(
            resource_group_name=rg,
            zone_name=zone_name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )

        def check(zone: Any) -> str:
            kind = zone.zone_type or "Public"  # Azure's default
            if str(kind).lower() != "public":
                raise ArgsError(
                    AZURE.component,
                    self._component_name,
                    [
                        Problem(
                            where,
                            f"names a {shown(kind)} Azure DNS zone, which answers only inside "
                            "its virtual networks; the API address needs a public zone",
                        )
                    ],
                )
            return str(record["zone_name"])

        checked = found.apply(check)
        if pulumi.runtime.is_dry_run():
            return zone_name
        return pulumi.Output.all(zone_name, checked).apply(lambda got: str(got[0]))

    # --- the backend pool -------------------------------------------------------------------

    def _pool(self) -> network.BackendAddressPoolArgs:
        a, sec = self.args, self.secret_if
        if a["backend_pool"] == "nic":
            # NIC members join from the NIC side (one association per primary, below).
            return network.BackendAddressPoolArgs(name=POOL)
        vnet = network.SubResourceArgs(id=sec("virtualNetworkId", a["virtual_network_id"]))
        return network.BackendAddressPoolArgs(
            name=POOL,
            virtual_network=vnet,
            load_balancer_backend_addresses=[
                network.LoadBalancerBackendAddressArgs(
                    name=sec("primaries", p["name"]),
                    ip_address=self.args_check.gate(sec("primaries", p.get("address"))),
                    virtual_network=vnet,
                )
                for p in a["primaries"]
                if p["registered"]
            ],
        )

    def _register_nics(self, name: str) -> None:
        a = self.args
        # azure-native has no resource that adds an existing NIC's IP configuration to a pool
        # without owning the NIC; the classic provider's association does exactly that.
        import pulumi_azure as azure_classic

        # An explicit classic provider, given the subscription azure-native already knows
        # unless the subscriptionId argument overrides it. Like any explicit provider it reads
        # no `azure:` stack config: it authenticates as the classic provider does by default
        # (az CLI, ARM_* variables).
        override = a.get("subscription_id")  # the subscriptionId argument
        self.classic_provider = azure_classic.Provider(
            f"{name}-azure-classic",
            subscription_id=self.subscription_id if override is None else override,
            opts=self._child(),
        )
        pool_id = self.load_balancer.id.apply(lambda lb: f"{lb}/backendAddressPools/{POOL}")
        for primary in a["primaries"]:
            if not primary["registered"]:
                continue
            assert primary.get("nic_id") is not None  # guaranteed by the Args check
            self.registrations[primary["name"]] = (
                azure_classic.network.NetworkInterfaceBackendAddressPoolAssociation(
                    f"{name}-nic-{primary['name']}",
                    # Held until every check across arguments passed (outputs resolve late).
                    network_interface_id=self.args_check.gate(
                        self.secret_if("primaries", primary.get("nic_id"))
                    ),
                    ip_configuration_name=self.secret_if(
                        "primaries", primary.get("ip_configuration_name")
                    ),
                    backend_address_pool_id=pool_id,
                    opts=self._child(provider=self.classic_provider),
                )
            )
