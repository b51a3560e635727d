"""What every attack here hides: an internal NLB registering primaries by instance ID, which the
pack rejects (exit 1) when the program is run plainly (tests/programs/aws_instance_targets)."""

import pulumi
import pulumi_aws as aws


def build() -> list[pulumi.CustomResource]:
    nlb = aws.lb.LoadBalancer(
        "api",
        load_balancer_type="network",
        internal=True,
        subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
        enable_deletion_protection=True,
    )
    tg = aws.lb.TargetGroup("api", port=6443, protocol="TCP", vpc_id="vpc-0a1b2c3d")
    listener = aws.lb.Listener(
        "api",
        load_balancer_arn=nlb.arn,
        port=6443,
        protocol="TCP",
        default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)],
    )
    attachment = aws.lb.TargetGroupAttachment(
        "primary-1", target_group_arn=tg.arn, target_id="i-0123456789abcdef0"
    )
    return [nlb, tg, listener, attachment]


def compliant() -> None:
    aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
