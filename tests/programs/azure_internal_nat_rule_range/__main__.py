"""An internal azure-native LB with no load-balancing rule but a separate InboundNatRule mapping a
frontend port range to 6443 on a backend pool (one port per primary)."""

import pulumi
import pulumi_azure_native as azure_native

network = azure_native.network
LB_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/api-lb"
SUBNET = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/primaries"


def ref(kind, name):
    return network.SubResourceArgs(id=f"{LB_ID}/{kind}/{name}")


lb = network.LoadBalancer(
    "api",
    load_balancer_name="api-lb",
    resource_group_name="rg",
    sku={"name": "Standard"},
    frontend_ip_configurations=[{"name": "fe", "subnet": {"id": SUBNET}}],
    backend_address_pools=[{"name": "primaries"}],
    opts=pulumi.ResourceOptions(protect=True),
)
network.InboundNatRule(
    "api",
    resource_group_name="rg",
    load_balancer_name=lb.name,
    protocol="Tcp",
    frontend_port_range_start=50000,
    frontend_port_range_end=50099,
    backend_port=6443,
    frontend_ip_configuration=ref("frontendIPConfigurations", "fe"),
    backend_address_pool=ref("backendAddressPools", "primaries"),
)
