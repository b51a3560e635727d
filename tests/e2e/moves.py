"""h. A planned API-address move through the real engine (docs/runbook.md section 6.3): step 1
adds a front end beside the current one (the engine plans creates only, and on Azure the load
balancer's in-place update), step 2 retires the old one (deletes only, and Azure's update), after
the runbook's `pulumi state unprotect` of the old front end; the addresses move as the outputs
said they would."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.engine import E2EFailure, Sandbox, changes

# Resources updated in place by a move: Azure's front ends are frontend configurations and
# rules of the one load balancer, and its NSG rule admits every front end's public IP.
UPDATED_IN_PLACE = {
    "aws": set(),
    "azure": {"azure-native:network:LoadBalancer", "azure-native:network:SecurityRule"},
    "gcp": set(),
}


def _type(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1]


def _plan(box: Sandbox, cloud: str, allowed: str, what: str) -> list[tuple[str, str]]:
    """The engine's plan, checked to be only `allowed` ops besides the in-place updates."""
    found = changes(box.preview_steps())
    wrong = [
        (op, urn)
        for op, urn in found
        if op != allowed and not (op == "update" and _type(urn) in UPDATED_IN_PLACE[cloud])
    ]
    if wrong or not any(op == allowed for op, _ in found):
        raise E2EFailure(f"{cloud} {what}: the engine plans {found}, want {allowed}s only")
    return found


def _outputs(box: Sandbox) -> dict[str, Any]:
    outputs: dict[str, Any] = box.pulumi("stack", "output", "--json").json()
    return outputs


def step_move(cloud: str, box: Sandbox) -> None:
    before = _outputs(box)
    address = before["loadBalancerAddress"]
    if before.get("frontEnd") != "v1" or "nextFrontEnd" in before:
        raise E2EFailure(f"{cloud}: before a move the outputs are {before}")

    # Step 1: a second front end, with the same options, beside the first.
    box.run("pulumi config set --path 'kurl-lb:addressMove.frontEnd' v2")
    created = _plan(box, cloud, "create", "address move step 1")
    if not all("-v2-" in urn.rsplit("::", 1)[1] for op, urn in created if op == "create"):
        raise E2EFailure(f"{cloud}: step 1 creates {created}, want only v2 front end resources")
    box.pulumi("up", "--yes")
    moving = _outputs(box)
    new = moving.get("nextLoadBalancerAddress")
    if (
        moving.get("loadBalancerAddress") != address
        or moving.get("nextFrontEnd") != "v2"
        or not isinstance(new, str)
        or new == address
        or moving.get("nextKurlInstallFlags") != f"ha load-balancer-address={new}"
    ):
        raise E2EFailure(f"{cloud}: after step 1 the outputs are {moving}")

    # Step 2: v2 is the front end nodes use; the old one is retired. The engine refuses even to
    # preview deleting a protected resource: the runbook's `pulumi state unprotect` of each
    # one it names comes first (it changes nothing but the state's flag).
    box.run("pulumi config set kurl-lb:frontEnd v2")
    box.run("pulumi config rm kurl-lb:addressMove")
    unprotected = _unprotect_what_the_engine_names(box)
    deleted = _plan(box, cloud, "delete", "address move step 2")
    gone = {urn for op, urn in deleted if op == "delete"}
    if not set(unprotected) <= gone:
        raise E2EFailure(f"{cloud}: unprotected {unprotected}, but step 2 deletes {sorted(gone)}")
    box.pulumi("up", "--yes")
    after = _outputs(box)
    if after.get("loadBalancerAddress") != new or after.get("frontEnd") != "v2":
        raise E2EFailure(f"{cloud}: after step 2 the outputs are {after}, want address {new}")
    if "nextFrontEnd" in after or "nextLoadBalancerAddress" in after:
        raise E2EFailure(f"{cloud}: after step 2 a move is still named: {after}")


UNPROTECT = re.compile(r"pulumi state unprotect '([^']+)'")


def _unprotect_what_the_engine_names(box: Sandbox) -> list[str]:
    """Preview until the engine no longer refuses; unprotect each resource it names."""
    done: list[str] = []
    for _ in range(20):
        result = box.pulumi("preview", expect_ok=False)
        if result.returncode == 0:
            return done
        urns = [u for u in UNPROTECT.findall(result.output) if u not in done]
        if not urns:
            raise E2EFailure(
                f"step 2's preview failed, naming nothing to unprotect:\n{result.output}"
            )
        for urn in urns:
            box.pulumi("state", "unprotect", urn, "--yes")
            done.append(urn)
    raise E2EFailure(f"step 2's preview still refuses after unprotecting {done}")
