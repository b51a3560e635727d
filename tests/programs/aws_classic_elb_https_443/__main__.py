"""A classic ELB terminating HTTPS on 443 in front of the API on 6443."""

import pulumi_aws as aws

aws.elb.LoadBalancer(
    "api",
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    listeners=[
        {
            "lb_port": 443,
            "lb_protocol": "HTTPS",
            "instance_port": 6443,
            "instance_protocol": "HTTPS",
            "ssl_certificate_id": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        }
    ],
)
