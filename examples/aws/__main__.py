"""AwsKurlNlb behind three EC2 primaries this program creates: internal NLB, IP targets."""

import sys
from pathlib import Path

# Pulumi puts only this program's directory on the import path; `components` lives at the
# repository root (kurl-lb is a program, not an installed package), two levels up.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pulumi
import pulumi_aws as aws

from components.args import AwsKurlNlbArgs, AwsPrimaryArgs
from components.aws import AwsKurlNlb
from components.kurl import install_flags, installer_fragment

PRIMARIES = 3

config = pulumi.Config()
zones: list[str] = config.require_object("zones")
registered = config.get_int("registeredPrimaries", 1)
if not 1 <= registered <= PRIMARIES:
    raise pulumi.RunError(f"registeredPrimaries must be 1 to {PRIMARIES}, not {registered}")

vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags={"Name": "kurl-example"})
subnets = [
    aws.ec2.Subnet(
        f"subnet-{zone}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24", availability_zone=zone
    )
    for i, zone in enumerate(zones, start=1)
]

# The primaries' group; AwsKurlNlb adds the API rules (from the NLB, and hairpinned traffic).
primaries_sg = aws.ec2.SecurityGroup("primaries", vpc_id=vpc.id, description="kURL primaries")
aws.vpc.SecurityGroupIngressRule(
    "primaries-from-primaries",
    security_group_id=primaries_sg.id,
    referenced_security_group_id=primaries_sg.id,
    ip_protocol="-1",
    description="kURL primaries among themselves (etcd, kubelet, CNI)",
)
aws.vpc.SecurityGroupEgressRule(
    "primaries-out", security_group_id=primaries_sg.id, ip_protocol="-1", cidr_ipv4="0.0.0.0/0"
)

primaries: list[AwsPrimaryArgs] = []
for i in range(PRIMARIES):
    subnet = subnets[i % len(subnets)]
    instance = aws.ec2.Instance(
        f"primary-{i + 1}",
        ami=config.require("ami"),
        instance_type=config.require("instanceType"),
        subnet_id=subnet.id,
        vpc_security_group_ids=[primaries_sg.id],
        tags={"Name": f"kurl-primary-{i + 1}"},
    )
    primaries.append(
        AwsPrimaryArgs(
            name=f"primary-{i + 1}",
            registered=i < registered,
            address=instance.private_ip,
            zone=subnet.availability_zone,
        )
    )

lb = AwsKurlNlb(
    "kurl",
    AwsKurlNlbArgs(
        primaries=primaries,
        vpc_id=vpc.id,
        subnet_ids=[s.id for s in subnets],
        scheme="internal",
        target_type="ip",  # internal NLBs hairpin only to IP targets
        instance_security_group_id=primaries_sg.id,
        allowed_client_cidrs=[vpc.cidr_block],
        region=pulumi.Config("aws").require("region"),  # the primaries' zones are checked in it
        # An example is meant to be destroyed; keep the default (true) for a real cluster.
        deletion_protection=False,
    ),
)

pulumi.export("loadBalancerAddress", lb.load_balancer_address)
pulumi.export("kurlInstaller", installer_fragment(lb.load_balancer_address))
pulumi.export("kurlInstallFlags", install_flags(lb.load_balancer_address))
for key, value in lb.primary_outputs().items():
    pulumi.export(key, value)
