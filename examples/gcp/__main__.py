"""GcpKurlLb in front of three VMs this program creates: internal passthrough NLB."""

import sys
from pathlib import Path

# Pulumi puts only this program's directory on the import path; `components` lives at the
# repository root (kurl-lb is a program, not an installed package), two levels up.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pulumi
import pulumi_gcp as gcp

from components.args import GcpKurlLbArgs, GcpPrimaryArgs
from components.gcp import GcpKurlLb
from components.kurl import install_flags, installer_fragment

PRIMARIES = 3
TAG = "kurl-primary"  # the network tag the component's firewall rule targets

config = pulumi.Config()
region = pulumi.Config("gcp").require("region")
zones: list[str] = config.require_object("zones")
registered = config.get_int("registeredPrimaries", 1)
if not 1 <= registered <= PRIMARIES:
    raise pulumi.RunError(f"registeredPrimaries must be 1 to {PRIMARIES}, not {registered}")

network = gcp.compute.Network("kurl-example", auto_create_subnetworks=False)
subnetwork = gcp.compute.Subnetwork(
    "primaries", network=network.id, region=region, ip_cidr_range="10.20.0.0/20"
)

primaries: list[GcpPrimaryArgs] = []
for i in range(PRIMARIES):
    zone = zones[i % len(zones)]
    instance = gcp.compute.Instance(
        f"primary-{i + 1}",
        zone=zone,
        machine_type=config.require("machineType"),
        boot_disk=gcp.compute.InstanceBootDiskArgs(
            initialize_params=gcp.compute.InstanceBootDiskInitializeParamsArgs(
                image=config.require("image"), size=100
            )
        ),
        network_interfaces=[
            gcp.compute.InstanceNetworkInterfaceArgs(subnetwork=subnetwork.self_link)
        ],
        tags=[TAG],
    )
    # `zone` is plain: it decides which instance group (one per zone) the primary joins.
    primaries.append(
        GcpPrimaryArgs(
            name=f"primary-{i + 1}",
            registered=i < registered,
            zone=zone,
            instance=instance.self_link,
        )
    )

lb = GcpKurlLb(
    "kurl",
    GcpKurlLbArgs(
        primaries=primaries,
        region=region,
        network=network.self_link,
        subnetwork=subnetwork.self_link,
        target_tags=[TAG],
        scheme="internal",
        # The subnetwork's clients (also the default, looked up when left out).
        allowed_client_cidrs=[subnetwork.ip_cidr_range],
        # An example is meant to be destroyed; keep the default (true) for a real cluster.
        deletion_protection=False,
    ),
)

pulumi.export("loadBalancerAddress", lb.load_balancer_address)
pulumi.export("kurlInstaller", installer_fragment(lb.load_balancer_address))
pulumi.export("kurlInstallFlags", install_flags(lb.load_balancer_address))
pulumi.export("nodePortAliasScript", lb.node_port_alias_script)
for key, value in lb.primary_outputs().items():
    pulumi.export(key, value)
