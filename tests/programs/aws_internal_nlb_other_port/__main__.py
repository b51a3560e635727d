"""An internal NLB with instance targets for an application on 443 -> 8443: not the API."""

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


lb = nlb("app")
tg = aws.lb.TargetGroup("app", port=8443, protocol="TCP", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "app", load_balancer_arn=lb.arn, port=443, protocol="TCP", default_actions=forward(tg)
)
aws.lb.TargetGroupAttachment("app-1", target_group_arn=tg.arn, target_id="i-0123456789abcdef0")
