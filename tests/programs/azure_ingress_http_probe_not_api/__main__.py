"""A public LB with the API rule on a TCP probe and an ingress rule on an HTTP probe: the HTTP
probe is not the API's.
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


network.LoadBalancer(
    "api",
    load_balancer_name="api-lb",
    resource_group_name="rg",
    sku={"name": "Standard"},
    frontend_ip_configurations=[public_frontend()],
    backend_address_pools=[{"name": "pool"}],
    probes=[
        {"name": "api", "protocol": "Tcp", "port": 6443},
        {"name": "ingress", "protocol": "Http", "port": 80, "request_path": "/healthz"},
    ],
    load_balancing_rules=[
        {
            "name": "api",
            "protocol": "Tcp",
            "frontend_port": 6443,
            "backend_port": 6443,
            "frontend_ip_configuration": ref("frontendIPConfigurations", "fe"),
            "probe": ref("probes", "api"),
            "backend_address_pool": ref("backendAddressPools", "pool"),
        },
        {
            "name": "ingress",
            "protocol": "Tcp",
            "frontend_port": 80,
            "backend_port": 30080,
            "frontend_ip_configuration": ref("frontendIPConfigurations", "fe"),
            "probe": ref("probes", "ingress"),
            "backend_address_pool": ref("backendAddressPools", "pool"),
        },
    ],
    opts=pulumi.ResourceOptions(protect=True),
)
