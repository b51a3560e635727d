"""An ALB whose 443 listener answers with a fixed response by default and forwards /api via a
listener rule to the API on 6443.
"""

import pulumi_aws as aws

lb = aws.lb.LoadBalancer(
    "edge",
    internal=False,
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    enable_deletion_protection=True,
)
listener = aws.lb.Listener(
    "https",
    load_balancer_arn=lb.arn,
    port=443,
    protocol="HTTPS",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
    default_actions=[
        {
            "type": "fixed-response",
            "fixed_response": {"content_type": "text/plain", "status_code": "404"},
        }
    ],
)
api = aws.lb.TargetGroup(
    "api", port=6443, protocol="HTTPS", target_type="ip", vpc_id="vpc-0a1b2c3d"
)
aws.lb.ListenerRule(
    "api",
    listener_arn=listener.arn,
    conditions=[{"path_pattern": {"values": ["/api/*"]}}],
    actions=[{"type": "forward", "target_group_arn": api.arn}],
)
