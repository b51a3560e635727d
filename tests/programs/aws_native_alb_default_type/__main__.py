"""aws-native: a load balancer without Type (CloudFormation default: application) on the API."""

import pulumi_aws_native as aws_native

elbv2 = aws_native.elasticloadbalancingv2


lb = elbv2.LoadBalancer(
    "api",
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    load_balancer_attributes=[{"key": "deletion_protection.enabled", "value": "true"}],
)
tg = elbv2.TargetGroup("api", port=6443, protocol="HTTPS", target_type="ip", vpc_id="vpc-0a1b2c3d")
elbv2.Listener(
    "api",
    load_balancer_arn=lb.load_balancer_arn,
    port=6443,
    protocol="HTTPS",
    default_actions=[{"type": "forward", "target_group_arn": tg.target_group_arn}],
)
