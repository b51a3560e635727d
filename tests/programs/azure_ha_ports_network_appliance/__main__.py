"""An internal LB with an HA-ports rule for network appliances (probe on 8080): not the API, no
mandatory finding.
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
    "nva",
    load_balancer_name="nva-lb",
    resource_group_name="rg",
    sku={"name": "Standard"},
    frontend_ip_configurations=[private_frontend()],
    backend_address_pools=[{"name": "appliances"}],
    probes=[{"name": "nva", "protocol": "Http", "port": 8080, "request_path": "/health"}],
    load_balancing_rules=[
        {
            "name": "ha",
            "protocol": "All",
            "frontend_port": 0,
            "backend_port": 0,
            "frontend_ip_configuration": ref("frontendIPConfigurations", "fe"),
            "probe": ref("probes", "nva"),
            "backend_address_pool": ref("backendAddressPools", "appliances"),
        }
    ],
    opts=pulumi.ResourceOptions(protect=True),
)
