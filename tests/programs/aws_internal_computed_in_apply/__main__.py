"""internal computed in an apply over a new VPC's output: unknown at preview."""

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


vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
lb = nlb("api", internal=vpc.id.apply(lambda _: True))
tg = aws.lb.TargetGroup("api", port=6443, protocol="TCP", vpc_id=vpc.id)
aws.lb.Listener(
    "api", load_balancer_arn=lb.arn, port=6443, protocol="TCP", default_actions=forward(tg)
)
