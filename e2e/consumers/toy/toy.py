"""A toy component for developing the component-package plumbing before the real Args land."""

from typing import TypedDict

import pulumi
import pulumi_aws as aws


class ToyBucketArgs(TypedDict):
    prefix: pulumi.Input[str]
    """Prefix of the bucket name."""


class ToyBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ToyBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kurl:index:ToyBucket", name, {}, opts)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=args["prefix"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket_name = bucket.bucket
        self.register_outputs({"bucket_name": self.bucket_name})
