"""Chooses the component for the stack's cloud, importing only that cloud's SDK."""

from __future__ import annotations

from .base import KurlLoadBalancer
from .config import StackConfig


def build_load_balancer(config: StackConfig) -> KurlLoadBalancer:
    if config.cloud == "aws":
        from .aws import AwsKurlNlb

        return AwsKurlNlb(config.name, config)
    if config.cloud == "azure":
        from .azure import AzureKurlLb

        return AzureKurlLb(config.name, config)
    from .gcp import GcpKurlLb

    return GcpKurlLb(config.name, config)
