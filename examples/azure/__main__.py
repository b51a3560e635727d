"""AzureKurlLb in front of three NICs this program creates: public Standard LB, NIC pool."""

import sys
from pathlib import Path

# Pulumi puts only this program's directory on the import path; `components` lives at the
# repository root (kurl-lb is a program, not an installed package), two levels up.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pulumi
from pulumi_azure_native import network, resources

from components.args import AzureKurlLbArgs, AzurePrimaryArgs
from components.azure import AzureKurlLb
from components.kurl import install_flags, installer_fragment

PRIMARIES = 3

config = pulumi.Config()
registered = config.get_int("registeredPrimaries", 1)
if not 1 <= registered <= PRIMARIES:
    raise pulumi.RunError(f"registeredPrimaries must be 1 to {PRIMARIES}, not {registered}")

rg = resources.ResourceGroup("kurl-example")
# The primaries' NSG; AzureKurlLb adds the inbound rule for the API port.
nsg = network.NetworkSecurityGroup("primaries", resource_group_name=rg.name)
vnet = network.VirtualNetwork(
    "vnet",
    resource_group_name=rg.name,
    address_space=network.AddressSpaceArgs(address_prefixes=["10.1.0.0/16"]),
)
subnet = network.Subnet(
    "primaries",
    resource_group_name=rg.name,
    virtual_network_name=vnet.name,
    address_prefix="10.1.0.0/24",
    network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
)

# NICs are enough for the backend pool; attach each to a VM (network_profile) for a cluster.
primaries: list[AzurePrimaryArgs] = []
for i in range(PRIMARIES):
    nic = network.NetworkInterface(
        f"primary-{i + 1}",
        resource_group_name=rg.name,
        ip_configurations=[
            network.NetworkInterfaceIPConfigurationArgs(
                name="ipconfig1",
                subnet=network.SubnetArgs(id=subnet.id),
                private_ip_allocation_method="Dynamic",
            )
        ],
    )
    primaries.append(
        AzurePrimaryArgs(
            name=f"primary-{i + 1}",
            registered=i < registered,
            nic_id=nic.id,
            ip_configuration_name="ipconfig1",
        )
    )

lb = AzureKurlLb(
    "kurl",
    AzureKurlLbArgs(
        primaries=primaries,
        resource_group_name=rg.name,
        network_security_group_name=nsg.name,
        scheme="public",  # the only scheme: internal Azure load balancers cannot hairpin
        location=rg.location,
        allowed_client_cidrs=config.require_object("allowedClientCidrs"),
        # An example is meant to be destroyed; keep the default (true) for a real cluster.
        deletion_protection=False,
    ),
)

pulumi.export("loadBalancerAddress", lb.load_balancer_address)
pulumi.export("kurlInstaller", installer_fragment(lb.load_balancer_address))
pulumi.export("kurlInstallFlags", install_flags(lb.load_balancer_address))
for key, value in lb.primary_outputs().items():
    pulumi.export(key, value)
