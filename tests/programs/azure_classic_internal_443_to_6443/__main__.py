"""A classic internal LB (subnet frontend) forwarding 443 to the API on 6443."""

import pulumi
import pulumi_azure as azure
import pulumi_azure_native as azure_native

network = azure_native.network
LB_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/api-lb"


def ref(kind, name):
    return network.SubResourceArgs(id=f"{LB_ID}/{kind}/{name}")


def public_frontend():
    pip = network.PublicIPAddress(
        "api",
        resource_group_name="rg",
        sku={"name": "Standard"},
        public_ip_allocation_method="Static",
    )
    return network.FrontendIPConfigurationArgs(
        name="fe", public_ip_address=network.PublicIPAddressArgs(id=pip.id)
    )


def private_frontend():
    return network.FrontendIPConfigurationArgs(
        name="fe",
        subnet=network.SubnetArgs(
            id="/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/primaries"
        ),
    )


lb = azure.lb.LoadBalancer(
    "api",
    resource_group_name="rg",
    location="westeurope",
    sku="Standard",
    frontend_ip_configurations=[
        {
            "name": "fe",
            "subnet_id": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/primaries",
        }
    ],
    opts=pulumi.ResourceOptions(protect=True),
)
azure.lb.Rule(
    "api",
    loadbalancer_id=lb.id,
    protocol="Tcp",
    frontend_port=443,
    backend_port=6443,
    frontend_ip_configuration_name="fe",
)
