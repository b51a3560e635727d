"""An internal NLB whose listener is created in lb.arn.apply (it does not exist at preview), with
an instance target group and instance attachments on 6443."""

import pulumi_aws as aws

lb = aws.lb.LoadBalancer(
    "api",
    load_balancer_type="network",
    internal=True,
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    enable_deletion_protection=True,
)
tg = aws.lb.TargetGroup("api", port=6443, protocol="TCP", vpc_id="vpc-0a1b2c3d")
for i, instance in enumerate(["i-0123456789abcdef0", "i-0123456789abcdef1"]):
    aws.lb.TargetGroupAttachment(f"primary-{i}", target_group_arn=tg.arn, target_id=instance)


def listener(arn: str) -> aws.lb.Listener:
    return aws.lb.Listener(
        "api",
        load_balancer_arn=arn,
        port=6443,
        protocol="TCP",
        default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
    )


lb.arn.apply(listener)
