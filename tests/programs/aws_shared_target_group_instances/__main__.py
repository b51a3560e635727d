"""One instance target group shared by an internet-facing NLB (fine) and an internal NLB (cannot
hairpin).
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


public = nlb("public", internal=False)
private = nlb("private")
tg = aws.lb.TargetGroup(
    "api",
    port=6443,
    protocol="TCP",
    target_type="instance",
    preserve_client_ip="false",
    vpc_id="vpc-0a1b2c3d",
)
aws.lb.Listener(
    "public", load_balancer_arn=public.arn, port=6443, protocol="TCP", default_actions=forward(tg)
)
aws.lb.Listener(
    "private", load_balancer_arn=private.arn, port=6443, protocol="TCP", default_actions=forward(tg)
)
aws.lb.TargetGroupAttachment("primary-1", target_group_arn=tg.arn, target_id="i-0123456789abcdef0")
