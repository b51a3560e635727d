"""A private-frontend LB whose rules are computed from a new resource's output: whether it serves
the API is unknown.
"""

import pulumi
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


port = network.PublicIPAddress("marker", resource_group_name="rg").id.apply(lambda _: 6443)
network.LoadBalancer(
    "api",
    load_balancer_name="api-lb",
    resource_group_name="rg",
    sku={"name": "Standard"},
    frontend_ip_configurations=[private_frontend()],
    load_balancing_rules=port.apply(
        lambda p: [{"name": "api", "protocol": "Tcp", "frontend_port": p, "backend_port": p}]
    ),
    opts=pulumi.ResourceOptions(protect=True),
)
