"""A security group rule opening 6443 to the world in a stack without an API load balancer: no
advisory.
"""

import pulumi_aws as aws

aws.vpc.SecurityGroupIngressRule(
    "dev-api",
    security_group_id="sg-0a1b2c3d",
    ip_protocol="tcp",
    from_port=6443,
    to_port=6443,
    cidr_ipv4="0.0.0.0/0",
)
