"""The TLS listener written in lower case: the provider upper-cases listener protocols."""

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


lb = nlb("api", internal=False)
tg = aws.lb.TargetGroup("api", port=6443, protocol="tcp", target_type="ip", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "api", load_balancer_arn=lb.arn, port=6443, protocol="tls", default_actions=forward(tg)
)
