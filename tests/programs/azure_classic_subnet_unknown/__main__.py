"""A classic LB whose frontend takes subnet_id from a new subnet (unknown at preview): any subnet
frontend is private."""

import pulumi
import pulumi_azure as azure

subnet = azure.network.Subnet(
    "primaries",
    resource_group_name="rg",
    virtual_network_name="vnet",
    address_prefixes=["10.0.1.0/24"],
)
lb = azure.lb.LoadBalancer(
    "api",
    resource_group_name="rg",
    location="westeurope",
    sku="Standard",
    frontend_ip_configurations=[{"name": "fe", "subnet_id": subnet.id}],
    opts=pulumi.ResourceOptions(protect=True),
)
azure.lb.Rule(
    "api",
    loadbalancer_id=lb.id,
    protocol="Tcp",
    frontend_port=6443,
    backend_port=6443,
    frontend_ip_configuration_name="fe",
)
