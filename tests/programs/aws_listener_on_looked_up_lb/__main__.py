"""A listener added to an existing load balancer found by a lookup: offline its type and scheme are
unknown.
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


existing = aws.lb.get_load_balancer_output(name="shared-nlb")
tg = aws.lb.TargetGroup("api", port=6443, protocol="TCP", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "api", load_balancer_arn=existing.arn, port=6443, protocol="TCP", default_actions=forward(tg)
)
