"""The listener port computed from a new SSM parameter's ARN: unknown at preview, instance targets
on an internal NLB.
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


param = aws.ssm.Parameter("api-port", type="String", value="6443")
lb = nlb("api")
tg = aws.lb.TargetGroup("api", port=443, protocol="TCP", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "api",
    load_balancer_arn=lb.arn,
    port=param.arn.apply(lambda _: 6443),
    protocol="TCP",
    default_actions=forward(tg),
)
