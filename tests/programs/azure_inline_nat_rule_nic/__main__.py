"""An internal azure-native LB whose inline inboundNatRules map port 50001 to a primary's 6443,
the NIC referencing the NAT rule."""

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
    frontend_ip_configurations=[
        {"name": "fe", "private_ip_address": "10.0.1.100", "subnet": {"id": SUBNET}}
    ],
    inbound_nat_rules=[
        {
            "name": "primary-1-api",
            "protocol": "Tcp",
            "frontend_port": 50001,
            "backend_port": 6443,
            "frontend_ip_configuration": ref("frontendIPConfigurations", "fe"),
        }
    ],
    opts=pulumi.ResourceOptions(protect=True),
)
network.NetworkInterface(
    "primary-1",
    resource_group_name="rg",
    ip_configurations=[
        {
            "name": "ipconfig",
            "subnet": {"id": SUBNET},
            "load_balancer_inbound_nat_rules": [
                {"id": lb.id.apply(lambda i: f"{i}/inboundNatRules/primary-1-api")}
            ],
        }
    ],
)
