"""An internal NLB forwarding to a target group found by a lookup: which targets it has is unknown
offline.
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
existing = aws.lb.get_target_group_output(name="kube-api")
aws.lb.Listener(
    "api",
    load_balancer_arn=lb.arn,
    port=6443,
    protocol="TCP",
    default_actions=[
        aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=existing.arn)
    ],
)
