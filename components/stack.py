"""Chooses the component for the stack's cloud, importing only that cloud's SDK."""

from __future__ import annotations

import pulumi

from .base import KurlLoadBalancer
from .config import StackConfig


def build_load_balancer(config: StackConfig) -> KurlLoadBalancer:
    if config.cloud == "aws":
        from .aws import AwsKurlNlb

        return AwsKurlNlb(config.name, config)
    if config.cloud == "azure":
        from .azure import AzureKurlLb

        return AzureKurlLb(config.name, config)
    raise pulumi.RunError(
        f"kurl-lb:cloud: {config.cloud} is validated but its component is not built yet; "
        "allowed today: aws, azure"
    )
