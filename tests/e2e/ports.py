"""i. Extra ports and staged registration with them, through the real engine (issue 22).

On each cloud's full example stack (Pulumi.<cloud>-full.yaml: every option on, extra ports
included): removing its last extra port and adding it back plans creates only (the ports' own
listeners, forwarding rules, health checks, never a replacement of the API's; on Azure, whose
rules and probes live in its one load balancer, in-place updates of it and its NSG rule); and
registering one more primary plans exactly the resources that put that primary behind the load
balancer, one per front end and port on AWS (a target group serves one port of one NLB), one on
Azure and GCP (a NIC's pool association, an instance group membership, whatever the ports)."""

from __future__ import annotations

from typing import Any

from tests.e2e.engine import E2EFailure, Sandbox, changes
from tests.e2e.moves import (
    UPDATED_IN_PLACE,
    edit_config,
    full_stack,
    stack_config,
    stack_outputs,
)

# The resource type one registration creates, per cloud (docs/runbook.md).
REGISTRATION_TYPES = {
    "aws": "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "azure": "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation",
    "gcp": "gcp:compute/instanceGroupMembership:InstanceGroupMembership",
}


def _type(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1]


def registrations_per_primary(cloud: str, outputs: dict[str, Any], ports: int) -> int:
    """What registering one primary creates: on AWS one attachment per front end and port."""
    if cloud != "aws":
        return 1
    front_ends = 2 if outputs.get("publicLoadBalancerHost") else 1
    return front_ends * ports


def step_ports(cloud: str) -> None:
    with full_stack(cloud, "ports") as (box, stack):
        extras: list[dict[str, Any]] = stack_config(box, stack).get("kurl-lb:extraPorts") or []
        if not extras:
            raise E2EFailure(f"{stack} has no kurl-lb:extraPorts")
        last = extras[-1]
        names = sorted(stack_outputs(box).get("extraPortAddresses") or {})
        if names != sorted(e["name"] for e in extras):
            raise E2EFailure(f"{stack}: extraPortAddresses names {names}, want {extras}")

        edit_config(box, stack, lambda c: c["kurl-lb:extraPorts"].pop())
        box.pulumi("up", "--yes")
        edit_config(box, stack, lambda c: c["kurl-lb:extraPorts"].append(last))
        found = changes(box.preview_steps())
        # Azure's rules and probes are part of its one load balancer, and its NSG rule lists
        # the ports: adding a port updates both in place.
        created = [urn for op, urn in found if op == "create"]
        other = [
            (op, urn)
            for op, urn in found
            if op != "create" and not (op == "update" and _type(urn) in UPDATED_IN_PLACE[cloud])
        ]
        if other or (cloud != "azure" and not created):
            raise E2EFailure(f"{stack}: adding extra port {last} plans {found}, want creates only")
        if not all(last["name"] in urn.rsplit("::", 1)[1] for urn in created):
            raise E2EFailure(f"{stack}: adding {last['name']} creates {found}")
        box.pulumi("up", "--yes")
        outputs = stack_outputs(box)
        if last["name"] not in (outputs.get("extraPortAddresses") or {}):
            raise E2EFailure(f"{stack}: extraPortAddresses lacks {last['name']}: {outputs}")

        _register_one_more(box, cloud, stack, outputs, 1 + len(extras))


def _register_one_more(
    box: Sandbox, cloud: str, stack: str, outputs: dict[str, Any], ports: int
) -> None:
    """Deregister the last primary if it is registered, then register it: the plan is exactly
    its registrations."""
    primaries: list[dict[str, Any]] = stack_config(box, stack)["kurl-lb:primaries"]
    name = primaries[-1]["name"]

    def set_registered(value: bool) -> Any:
        return lambda c: c["kurl-lb:primaries"][-1].update({"registered": value})

    if primaries[-1].get("registered"):
        edit_config(box, stack, set_registered(False))
        box.pulumi("up", "--yes")
    edit_config(box, stack, set_registered(True))
    found = changes(box.preview_steps())
    want = registrations_per_primary(cloud, outputs, ports)
    ok = (
        len(found) == want
        and all(op == "create" for op, _ in found)
        and all(f"${REGISTRATION_TYPES[cloud]}::" in urn for _, urn in found)
        and all(name in urn.rsplit("::", 1)[1] for _, urn in found)
    )
    if not ok:
        raise E2EFailure(
            f"{stack}: registering {name} plans {found}, want exactly {want} creates of "
            f"{REGISTRATION_TYPES[cloud]} named after it"
        )
    box.pulumi("up", "--yes")
    registered = stack_outputs(box).get("registeredPrimaries") or []
    if name not in registered:
        raise E2EFailure(f"{stack}: registeredPrimaries after registering {name}: {registered}")
