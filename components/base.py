"""What the three load balancer components share: checking their Args, secrets, their outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import pulumi

from .args import STACK_TAG
from .checked import ArgsCheck, check_args, map_input
from .declare import Declaration

Registration = TypeVar("Registration", bound=pulumi.CustomResource)
Args = TypeVar("Args", bound=Mapping[str, Any])


class KurlLoadBalancer(pulumi.ComponentResource, Generic[Registration, Args]):
    """Base of AwsKurlNlb, AzureKurlLb and GcpKurlLb.

    Outputs (identical on every cloud; each component declares them again with their
    descriptions, as the package schema reads them from the component's own class):
    `load_balancer_host`, `load_balancer_address`, `registered_primaries`, `pending_primaries`.
    Child resources: `registrations`, registered primary name -> the one resource that puts it
    behind the LB (AWS target group attachment, Azure NIC association, GCP instance group
    membership; each cloud also names it in its own words: attachments, memberships).
    """

    load_balancer_host: pulumi.Output[str]
    load_balancer_address: pulumi.Output[str]
    registered_primaries: pulumi.Output[list[str]]
    pending_primaries: pulumi.Output[list[str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A class docstring is the package schema's description: one line, no indentation.
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            cls.__doc__ = " ".join(cls.__doc__.split())

    def __init__(
        self,
        type_token: str,
        decl: Declaration,
        name: str,
        args: Args,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        # Checked before anything is registered: bad arguments create nothing.
        self.args_check: ArgsCheck[Args] = check_args(decl, name, args)
        super().__init__(type_token, name, None, opts)
        # The checked Args, defaults filled in; outputs the user handed in sit in its Input
        # fields, checked when they resolve (components/checked.py).
        self.args: Args = self.args_check.build_view()
        self.secrets = self.args_check.secrets
        self.registrations: dict[str, Registration] = {}
        names = [p["name"] for p in self.args["primaries"]]
        registered = [p["name"] for p in self.args["primaries"] if p["registered"]]
        self.registered_primaries = self._output("primaries", registered)
        self.pending_primaries = self._output(
            "primaries", [n for n in names if n not in registered]
        )

    def extra_outputs(self) -> dict[str, pulumi.Output[str]]:
        """Cloud-specific stack outputs (GCP: nodePortAliasScript)."""
        return {}

    def secret_if(self, arg: str, value: Any) -> Any:
        """`value` as a secret output when it was derived from an argument named in
        `secretArgs` (camelCase), else as is. (Logical names, hence URNs, are never secret.)"""
        if arg in self.secrets:
            return pulumi.Output.secret(value)
        return value

    def _output(self, arg: str, value: list[str]) -> pulumi.Output[list[str]]:
        return pulumi.Output.from_input(self.secret_if(arg, value))

    def _tags(self, extra: Mapping[str, str] | None = None, stack: str | None = None) -> Any:
        """The user's tags, then `extra`, then kurl-lb's stack tag (`stack`, default the stack's
        name); an output when the user's tags are one."""
        ours = {**(extra or {}), STACK_TAG: stack or pulumi.get_stack()}
        return map_input(self.args["tags"], lambda tags: {**(tags or {}), **ours})

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _finish(self, host: pulumi.Input[str]) -> None:
        """Set the shared outputs and register them with the cloud-specific ones, last."""
        self.load_balancer_host = pulumi.Output.from_input(host)
        self.load_balancer_address = pulumi.Output.concat(
            self.load_balancer_host, ":", self.secret_if("port", str(self.args["port"]))
        )
        self.register_outputs(
            {
                "loadBalancerHost": self.load_balancer_host,
                "loadBalancerAddress": self.load_balancer_address,
                **self.primary_outputs(),
                **self.extra_outputs(),
            }
        )

    def primary_outputs(self) -> dict[str, pulumi.Output[list[str]]]:
        """registeredPrimaries and pendingPrimaries (secret when `primaries` is)."""
        return {
            "registeredPrimaries": self.registered_primaries,
            "pendingPrimaries": self.pending_primaries,
        }
