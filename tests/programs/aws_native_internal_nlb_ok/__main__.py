"""aws-native: a correct internal NLB (IP targets, preservation off, TCP health check)."""

import pulumi_aws_native as aws_native

elbv2 = aws_native.elasticloadbalancingv2


lb = elbv2.LoadBalancer(
    "api",
    type="network",
    scheme="internal",
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    load_balancer_attributes=[{"key": "deletion_protection.enabled", "value": "true"}],
)
tg = elbv2.TargetGroup(
    "api",
    port=6443,
    protocol="TCP",
    target_type="ip",
    vpc_id="vpc-0a1b2c3d",
    health_check_protocol="TCP",
    target_group_attributes=[{"key": "preserve_client_ip.enabled", "value": "false"}],
    targets=[{"id": "10.0.1.10", "port": 6443}],
)
elbv2.Listener(
    "api",
    load_balancer_arn=lb.load_balancer_arn,
    port=6443,
    protocol="TCP",
    default_actions=[{"type": "forward", "target_group_arn": tg.target_group_arn}],
)
