"""The API rule's probe written "HTTP" (Azure reads enums case-insensitively)."""

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
    probes=[{"name": "api", "protocol": "HTTP", "port": 6443, "request_path": "/readyz"}],
    load_balancing_rules=[
        {
            "name": "api",
            "protocol": "TCP",
            "frontend_port": 6443,
            "backend_port": 6443,
            "frontend_ip_configuration": ref("frontendIPConfigurations", "fe"),
            "probe": ref("probes", "api"),
        }
    ],
    opts=pulumi.ResourceOptions(protect=True),
)
