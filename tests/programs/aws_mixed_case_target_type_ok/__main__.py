"""targetType "IP" and preserveClientIp "FALSE": read as the provider reads them, a correct
internal NLB.
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
    target_type="IP",
    preserve_client_ip="FALSE",
    vpc_id="vpc-0a1b2c3d",
)
aws.lb.Listener(
    "api", load_balancer_arn=lb.arn, port=6443, protocol="TCP", default_actions=forward(tg)
)
aws.lb.TargetGroupAttachment("primary-1", target_group_arn=tg.arn, target_id="10.0.1.10")
