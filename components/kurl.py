"""kURL-specific outputs: the Installer spec fragment and the install flags."""

from __future__ import annotations

from typing import Any

import pulumi


def installer_fragment(load_balancer_address: pulumi.Input[str]) -> pulumi.Output[dict[str, Any]]:
    """The part of a kURL Installer (cluster.kurl.sh/v1beta1) an external LB needs.

    EKCO's own internal load balancer stays off: the external LB replaces it.
    """
    return pulumi.Output.from_input(load_balancer_address).apply(
        lambda address: {
            "apiVersion": "cluster.kurl.sh/v1beta1",
            "kind": "Installer",
            "spec": {
                "kubernetes": {"HACluster": True, "loadBalancerAddress": address},
                "ekco": {"enableInternalLoadBalancer": False},
            },
        }
    )


def install_flags(load_balancer_address: pulumi.Input[str]) -> pulumi.Output[str]:
    """Flags for kURL's install script: `curl ... | sudo bash -s <flags>`."""
    return pulumi.Output.concat("ha load-balancer-address=", load_balancer_address)
