"""A classic ELB with an SSL listener on the API port: it terminates TLS."""

import pulumi_aws as aws

aws.elb.LoadBalancer(
    "api",
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    listeners=[
        {
            "lb_port": 6443,
            "lb_protocol": "ssl",
            "instance_port": 6443,
            "instance_protocol": "tcp",
            "ssl_certificate_id": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        }
    ],
    health_check={
        "target": "TCP:6443",
        "interval": 10,
        "timeout": 5,
        "healthy_threshold": 2,
        "unhealthy_threshold": 2,
    },
)
