"""A correct API NLB next to an application ALB (443 -> 8080, HTTP health checks) and an unattached
6443 target group: no false alarm.
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


api = nlb("api")
api_tg = aws.lb.TargetGroup(
    "api", port=6443, protocol="TCP", target_type="ip", vpc_id="vpc-0a1b2c3d"
)
aws.lb.Listener(
    "api", load_balancer_arn=api.arn, port=6443, protocol="TCP", default_actions=forward(api_tg)
)
web = aws.lb.LoadBalancer(
    "web",
    internal=False,
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    enable_deletion_protection=True,
)
web_tg = aws.lb.TargetGroup(
    "web", port=8080, protocol="HTTP", vpc_id="vpc-0a1b2c3d", health_check={"path": "/healthz"}
)
aws.lb.Listener(
    "web",
    load_balancer_arn=web.arn,
    port=443,
    protocol="HTTPS",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
    default_actions=forward(web_tg),
)
aws.lb.TargetGroup(
    "spare", port=6443, protocol="HTTP", vpc_id="vpc-0a1b2c3d", health_check={"path": "/"}
)
