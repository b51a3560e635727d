"""An ALB on 443 forwarding to the API port 6443: the back end of the path is the API."""

import pulumi_aws as aws

lb = aws.lb.LoadBalancer("api", internal=False, subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"])
tg = aws.lb.TargetGroup("api", port=6443, protocol="HTTPS", target_type="ip", vpc_id="vpc-0a1b2c3d")
aws.lb.Listener(
    "https",
    load_balancer_arn=lb.arn,
    port=443,
    protocol="HTTPS",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
    default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)],
)
