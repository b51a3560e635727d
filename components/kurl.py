"""kURL-specific outputs: the Installer spec fragment and the install flags."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi


def installer_fragment(
    load_balancer_address: pulumi.Input[str], public_address: pulumi.Input[str | None] = None
) -> pulumi.Output[dict[str, Any]]:
    """The part of a kURL Installer (cluster.kurl.sh/v1beta1) an external LB needs.

    EKCO's own internal load balancer stays off: the external LB replaces it. With a public
    front end beside the internal one, its host is kURL's `publicAddress`: kURL adds it to the
    API server's certificate SANs next to the load balancer address (docs/config.md).
    """

    def fragment(values: list[Any]) -> dict[str, Any]:
        address, public = values
        spec: dict[str, Any] = {
            "kubernetes": {"HACluster": True, "loadBalancerAddress": address},
            "ekco": {"enableInternalLoadBalancer": False},
        }
        if public:
            spec["kurl"] = {"publicAddress": public}
        return {"apiVersion": "cluster.kurl.sh/v1beta1", "kind": "Installer", "spec": spec}

    return pulumi.Output.all(load_balancer_address, public_address).apply(fragment)


def install_flags(
    load_balancer_address: pulumi.Input[str], public_address: pulumi.Input[str | None] = None
) -> pulumi.Output[str]:
    """Flags for kURL's install script: `curl ... | sudo bash -s <flags>`."""
    return pulumi.Output.all(load_balancer_address, public_address).apply(
        lambda v: f"ha load-balancer-address={v[0]}" + (f" public-address={v[1]}" if v[1] else "")
    )


UNIT_NAME = "kurl-lb-alias.service"

# Idempotent: `ip addr replace` never adds a second copy, and the unit is written (and systemd
# reloaded) only when its content changes. Kept as a file so that shellcheck lints it
# (`make lint`); it ships beside this module.
ALIAS_SCRIPT = Path(__file__).with_name("scripts") / "nodeport-alias.sh"


def nodeport_alias_script(
    load_balancer_ip: pulumi.Input[str], other_ips: Sequence[pulumi.Input[str]] = ()
) -> pulumi.Output[str]:
    """Shell script for every node: the LB IP as a /32 alias, persisted by a systemd unit, and
    `other_ips` too (the other front ends' IPs: an address move's, the public front end's), so
    that NodePorts work through every front end. Aliases an earlier run added for IPs no longer
    listed are removed."""
    template = ALIAS_SCRIPT.read_text()

    def fill(ips: list[str]) -> str:
        current, *others = (checked_ip(ip) for ip in ips)
        return (
            template.replace("@LB_IP@", current)
            .replace("@OTHER_IPS@", " ".join(others))
            .replace("@UNIT@", UNIT_NAME)
        )

    return pulumi.Output.all(load_balancer_ip, *other_ips).apply(fill)


def checked_ip(value: str) -> str:
    """`value` if it is an IPv4 address (canonical form), the only text pasted into the script:
    anything else (a quote, `$(...)`) would be shell code run as root on every node."""
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(
            f"the load balancer address {value!r} is not an IPv4 address; "
            "refusing to put it into the node alias script"
        ) from None
