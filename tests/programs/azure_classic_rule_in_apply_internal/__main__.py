"""A classic internal LB with a TCP probe on 6443 whose lb.Rule is created in lb.id.apply: the
rule does not exist at preview."""

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
probe = azure.lb.Probe("api", loadbalancer_id=lb.id, protocol="Tcp", port=6443)


def rule(lb_id: str) -> azure.lb.Rule:
    return azure.lb.Rule(
        "api",
        loadbalancer_id=lb_id,
        protocol="Tcp",
        frontend_port=6443,
        backend_port=6443,
        frontend_ip_configuration_name="fe",
        probe_id=probe.id,
    )


lb.id.apply(rule)
