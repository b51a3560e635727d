"""A weighted forward block (not targetGroupArn) to an instance target group behind an internal
NLB.
"""

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


lb = nlb("api")
tg = aws.lb.TargetGroup(
    "api",
    port=6443,
    protocol="TCP",
    target_type="instance",
    preserve_client_ip="false",
    vpc_id="vpc-0a1b2c3d",
)
aws.lb.Listener(
    "api",
    load_balancer_arn=lb.arn,
    port=6443,
    protocol="TCP",
    default_actions=[
        {"type": "forward", "forward": {"target_groups": [{"arn": tg.arn, "weight": 1}]}}
    ],
)
