"""What the three load balancer components share: their output shape."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

import pulumi

from .config import STACK_TAG, StackConfig

Registration = TypeVar("Registration", bound=pulumi.CustomResource)
T = TypeVar("T")


class KurlLoadBalancer(pulumi.ComponentResource, Generic[Registration]):
    """Base of AwsKurlNlb, AzureKurlLb and GcpKurlLb.

    Outputs (identical on every cloud):
    - load_balancer_host: DNS name or IP clients and primaries use;
    - load_balancer_address: `host:port`, what kURL's loadBalancerAddress takes;
    - registered_primaries / pending_primaries: primary names, in join order.
    Child resources: `registrations`, registered primary name -> the one resource that puts it
    behind the LB (AWS target group attachment, Azure NIC association, GCP instance group
    membership; each cloud also names it in its own words: attachments, memberships).
    """

    load_balancer_host: pulumi.Output[str]
    load_balancer_address: pulumi.Output[str]
    registered_primaries: list[str]
    pending_primaries: list[str]
    registrations: dict[str, Registration]

    def __init__(
        self, type_token: str, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(type_token, name, None, opts)
        self.config = config
        self.registered_primaries = config.registered
        self.pending_primaries = config.pending
        self.registrations = {}

    def extra_outputs(self) -> dict[str, pulumi.Output[str]]:
        """Cloud-specific stack outputs (GCP: nodePortAliasScript)."""
        return {}

    def secret_if(self, key: str, value: T) -> pulumi.Input[T]:
        """`value` as a secret Output when it was read from a config key the user stored as a
        secret (`kurl-lb:<key>`, camelCase), else as is: a secret never reaches a resource input
        or a stack output in plain text. (Logical names, hence URNs, are never secret.)"""
        if self.config.is_secret(key):
            return cast(pulumi.Input[T], pulumi.Output.secret(value))
        return value

    def _tags(self) -> dict[str, str]:
        return {**self.config.tags, STACK_TAG: pulumi.get_stack()}

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _finish(self, host: pulumi.Input[str]) -> None:
        """Set the shared outputs and register them with the cloud-specific ones, last."""
        self.load_balancer_host = pulumi.Output.from_input(host)
        self.load_balancer_address = pulumi.Output.concat(
            self.load_balancer_host, ":", self.secret_if("port", str(self.config.port))
        )
        self.register_outputs(
            {
                "loadBalancerHost": self.load_balancer_host,
                "loadBalancerAddress": self.load_balancer_address,
                **self.primary_outputs(),
                **self.extra_outputs(),
            }
        )

    def primary_outputs(self) -> dict[str, pulumi.Input[list[str]]]:
        """registeredPrimaries and pendingPrimaries, secret when `primaries` is."""
        return {
            "registeredPrimaries": self.secret_if("primaries", self.registered_primaries),
            "pendingPrimaries": self.secret_if("primaries", self.pending_primaries),
        }
