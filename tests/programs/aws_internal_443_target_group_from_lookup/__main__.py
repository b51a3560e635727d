"""An internal NLB on 443 forwarding to a looked-up target group: whether the path reaches the API
(and how) is unknown offline.
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


lb = nlb("edge")
existing = aws.lb.get_target_group_output(name="kube-api")
aws.lb.Listener(
    "edge",
    load_balancer_arn=lb.arn,
    port=443,
    protocol="TCP",
    default_actions=[
        aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=existing.arn)
    ],
)
