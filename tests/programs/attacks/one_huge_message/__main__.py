"""One registration larger than --max-message-bytes: refused, exit 2."""

import pulumi_aws as aws

aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags={"padding": "x" * 3_000_000})
