"""Many registrations, each under the message cap, together over --max-memory: refused, exit 2."""

import pulumi_aws as aws

for i in range(200):
    aws.ec2.Vpc(f"vpc-{i}", cidr_block="10.0.0.0/16", tags={"padding": "x" * 100_000})
