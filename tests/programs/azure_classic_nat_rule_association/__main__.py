"""A classic internal LB with a classic lb.NatRule to 6443 and a
NetworkInterfaceNatRuleAssociation."""

import pulumi
import pulumi_azure as azure

SUBNET = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/primaries"

lb = azure.lb.LoadBalancer(
    "api",
    resource_group_name="rg",
    location="westeurope",
    sku="Standard",
    frontend_ip_configurations=[{"name": "fe", "subnet_id": SUBNET}],
    opts=pulumi.ResourceOptions(protect=True),
)
nat = azure.lb.NatRule(
    "api",
    resource_group_name="rg",
    loadbalancer_id=lb.id,
    protocol="Tcp",
    frontend_port=50001,
    backend_port=6443,
    frontend_ip_configuration_name="fe",
)
azure.network.NetworkInterfaceNatRuleAssociation(
    "primary-1",
    network_interface_id="/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/primary-1",
    ip_configuration_name="ipconfig",
    nat_rule_id=nat.id,
)
