"""AzureKurlLb: a public Standard Azure Load Balancer in front of kURL primaries (kURL page,
Azure section)."""

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import network

from .args import AZURE, AzureKurlLbArgs
from .base import KurlLoadBalancer
from .checked import map_input

# Names of the LB's sub-resources; rule -> frontend/pool/probe references are built from them.
FRONTEND = "api-frontend"
POOL = "primaries"
PROBE = "api-probe"
RULE = "api"


def azure_region(location: str | None) -> str:
    """A location as Azure writes it in DNS names ("East US" -> "eastus")."""
    return (location or "").replace(" ", "").lower()


class AzureKurlLb(KurlLoadBalancer[pulumi.CustomResource, AzureKurlLbArgs]):
    """A Layer-4 TCP public Standard Azure Load Balancer for the Kubernetes API of a kURL HA
    control plane, with hairpinning: primaries reach the API through it too."""

    # Declared here, not only on the base: the package schema reads these descriptions.
    load_balancer_host: pulumi.Output[str]
    """The public IP's FQDN (with `domainNameLabel`) or its address."""

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

    def __init__(
        self, name: str, args: AzureKurlLbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:AzureKurlLb", AZURE, name, args, opts)
        # Child resources (escape hatches): `registrations` by primary name (NIC pools);
        # `classic_provider`, the classic azure provider NIC pools use; `security_rule`, None
        # without networkSecurityGroupName.
        self.public_ip: network.PublicIPAddress
        self.load_balancer: network.LoadBalancer
        self.security_rule: network.SecurityRule | None = None
        self.subscription_id: pulumi.Output[str]
        self.classic_provider: pulumi.ProviderResource | None = None
        a = self.args
        sec = self.secret_if  # values derived from secretArgs stay secret
        tags = sec("tags", self._tags())
        rg = sec("resourceGroupName", a["resource_group_name"])
        port = sec("port", a["port"])
        # Replacing the front end changes the API address every node and certificate has.
        protect = a["deletion_protection"]

        self.public_ip = network.PublicIPAddress(
            f"{name}-pip",
            resource_group_name=rg,
            sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            dns_settings=(
                network.PublicIPAddressDnsSettingsArgs(
                    domain_name_label=sec("domainNameLabel", a["domain_name_label"])
                )
                if a["domain_name_label"]
                else None
            ),
            tags=tags,
            opts=self._child(protect=protect),
        )

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

        def ref(kind: str, child: str) -> network.SubResourceArgs:
            return network.SubResourceArgs(id=pulumi.Output.concat(lb_id, f"/{kind}/{child}"))

        hc = a["health_check"]
        self.load_balancer = network.LoadBalancer(
            f"{name}-lb",
            load_balancer_name=lb_name,
            resource_group_name=rg,
            sku=network.LoadBalancerSkuArgs(name="Standard", tier="Regional"),
            frontend_ip_configurations=[
                network.FrontendIPConfigurationArgs(
                    name=FRONTEND,
                    public_ip_address=network.PublicIPAddressArgs(id=self.public_ip.id),
                )
            ],
            backend_address_pools=[self._pool()],
            probes=[
                network.ProbeArgs(
                    name=PROBE,
                    protocol="Tcp",
                    port=port,
                    interval_in_seconds=sec("healthCheck", hc["interval_seconds"]),
                    # probeThreshold is what Azure honours; numberOfProbes is kept equal to it
                    # for API versions and tools that still read it.
                    probe_threshold=sec("healthCheck", hc["unhealthy_threshold"]),
                    number_of_probes=sec("healthCheck", hc["unhealthy_threshold"]),
                )
            ],
            load_balancing_rules=[
                network.LoadBalancingRuleArgs(
                    name=RULE,
                    protocol="Tcp",
                    frontend_port=port,
                    backend_port=port,
                    frontend_ip_configuration=ref("frontendIPConfigurations", FRONTEND),
                    backend_address_pool=ref("backendAddressPools", POOL),
                    probe=ref("probes", PROBE),
                    # The portal's "Outbound and inbound use the same IP": a primary's own call to
                    # the frontend is SNATed to the frontend IP, so hairpinned flows come back.
                    disable_outbound_snat=False,
                    enable_floating_ip=False,
                    load_distribution="Default",
                )
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
                # Clients, and the LB's own public IP: hairpinned flows arrive SNATed to it.
                source_address_prefixes=pulumi.Output.all(
                    sec("allowedClientCidrs", list(a["allowed_client_cidrs"] or [])),
                    self.public_ip.ip_address,
                ).apply(lambda both: [*both[0], *([str(both[1])] if both[1] else [])]),
                source_port_range="*",
                destination_address_prefix="*",
                destination_port_range=sec("port", str(a["port"])),
                description="kURL API through the load balancer (kurl-lb)",
                opts=self._child(),
            )

        region = map_input(a.get("location"), azure_region)
        host: pulumi.Input[str] = (
            # Azure's documented form, known before the IP exists (and in previews).
            pulumi.Output.concat(
                sec("domainNameLabel", a["domain_name_label"]), ".", region, ".cloudapp.azure.com"
            )
            if a["domain_name_label"] is not None
            else self.public_ip.ip_address.apply(lambda ip: ip or "")
        )
        self._finish({self.front_ends[0].label: host})

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
