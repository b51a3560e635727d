"""An internal NLB forwarding to a target group named by ARN in config; the target group is in the
same stack (linked by value).
"""

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
lb = nlb("api")
aws.lb.TargetGroup("api", name="kube-api", port=6443, protocol="TCP", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "api",
    load_balancer_arn=lb.arn,
    port=6443,
    protocol="TCP",
    default_actions=[
        aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=config.require("tgArn"))
    ],
)
