"""A classic ELB with TCP listener and TCP health check: Layer 4, accepted."""

import pulumi_aws as aws

aws.elb.LoadBalancer(
    "api",
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    listeners=[
        {"lb_port": 6443, "lb_protocol": "TCP", "instance_port": 6443, "instance_protocol": "TCP"}
    ],
    health_check={
        "target": "TCP:6443",
        "interval": 10,
        "timeout": 5,
        "healthy_threshold": 2,
        "unhealthy_threshold": 2,
    },
)
