"""A listener on a load balancer given by ARN in stack config: the ARN says it is an ALB."""

import pulumi
import pulumi_aws as aws


def nlb(name, internal=True, **kw):
    return aws.lb.LoadBalancer(
        name,
        load_balancer_type="network",
        internal=internal,
        subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
        enable_deletion_protection=True,
        **kw,
    )


def forward(tg):
    return [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)]


config = pulumi.Config()
tg = aws.lb.TargetGroup("api", port=6443, protocol="TCP", target_type="ip", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "api",
    load_balancer_arn=config.require("lbArn"),
    port=6443,
    protocol="HTTPS",
    default_actions=forward(tg),
)
