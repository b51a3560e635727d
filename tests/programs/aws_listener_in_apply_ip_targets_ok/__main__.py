"""A listener created in an apply, but the target group cannot break hairpinning (IP targets,
preservation off, TCP health check): nothing to verify."""

import pulumi_aws as aws

lb = aws.lb.LoadBalancer(
    "api",
    load_balancer_type="network",
    internal=True,
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    enable_deletion_protection=True,
)
tg = aws.lb.TargetGroup(
    "api",
    port=6443,
    protocol="TCP",
    vpc_id="vpc-0a1b2c3d",
    target_type="ip",
    preserve_client_ip="false",
    health_check={"protocol": "TCP", "port": "traffic-port"},
)
for i, instance in enumerate(["10.0.1.10", "10.0.2.10"]):
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
