"""h. Planned API-address moves through the real engine (docs/runbook.md section 6.3).

Two scenarios per cloud: the README's stack moving to a second front end with the same options,
and the cloud's full example stack (Pulumi.<cloud>-full.yaml: a static address and a DNS record)
moving to a new static address and DNS name. Each one: step 1 adds the new front end beside the
current one (the engine plans creates only; Azure also updates its one load balancer and NSG
rule in place), the outputs name the new address and the kURL flags; step 2 makes it the one
nodes use (frontEnd, the moved fields at the top, addressMove removed): after the runbook's
`pulumi state unprotect` of what the engine names, it plans the old front end's deletes only,
and the address becomes the one step 1 named."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from tests.e2e.engine import E2EFailure, Sandbox, changes
from tests.e2e.fidelity import invokes_file

# Resources a move updates in place: Azure's front ends are frontend configurations and rules
# of its one load balancer, and its NSG rule admits every front end's public IP.
UPDATED_IN_PLACE = {
    "aws": set(),
    "azure": {"azure-native:network:LoadBalancer", "azure-native:network:SecurityRule"},
    "gcp": set(),
}
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
# The full stacks' moves: a new static address and DNS name (a new front end may not share the
# current one's address or record name). The doubles answer the new address's lookup.
FULL_MOVES: dict[str, dict[str, Any]] = {
    "aws": {
        # A new internal NLB (the public one, publicFrontEnd, stays): its own private addresses
        # and record, in the private zone.
        "frontEnd": "v2",
        "privateIpv4Addresses": ["10.0.1.6", "10.0.2.6", "10.0.3.6"],
        "dnsRecord": {"zoneId": "Z0123456789PRIVATEZONE", "name": "api2.kurl.example.com"},
    },
    "azure": {
        "frontEnd": "v2",
        "publicIpId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/kurl-ips-rg/providers/"
        "Microsoft.Network/publicIPAddresses/kurl-full-api-v2",
        "dnsRecord": {
            "zoneName": "example.com",
            "name": "k8s2.example.com",
            "resourceGroupName": "kurl-dns-rg",
            "ttl": 60,
        },
    },
    # gcp-full is internal with publicFrontEnd and extraPorts: a new internal front end (its
    # SHARED_LOADBALANCER_VIP address answered by offline/invokes/gcp-full.yaml, its record in
    # the private zone); the public front end stays as it is.
    "gcp": {
        "frontEnd": "v2",
        "address": "projects/kurl-dev-project/regions/us-central1/addresses/kurl-api-internal-v2",
        "dnsRecord": {
            "managedZone": "kurl-internal",
            "name": "api2.internal.kurl.example.com",
            "ttl": 60,
        },
    },
}
UNPROTECT = re.compile(r"pulumi state unprotect '([^']+)'")


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


def stack_outputs(box: Sandbox) -> dict[str, Any]:
    outputs: dict[str, Any] = box.pulumi("stack", "output", "--json").json()
    return outputs


def stack_config(box: Sandbox, stack: str) -> dict[str, Any]:
    """The stack file's config, as written."""
    path = box.project / f"Pulumi.{stack}.yaml"
    config: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))["config"]
    return config


def edit_config(box: Sandbox, stack: str, edit: Any) -> None:
    """Edit the stack file's config, as a reviewer edits it in a PR."""
    path = box.project / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc["config"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _unprotect_what_the_engine_names(box: Sandbox) -> list[str]:
    """Preview until the engine no longer refuses (it refuses even to preview deleting a
    protected resource); unprotect each resource it names, as the runbook says."""
    done: list[str] = []
    for _ in range(20):
        result = box.pulumi("preview", expect_ok=False)
        if result.returncode == 0:
            return done
        urns = [u for u in UNPROTECT.findall(result.output) if u not in done]
        if not urns:
            raise E2EFailure(f"step 2 preview failed, nothing to unprotect:\n{result.output}")
        for urn in urns:
            box.pulumi("state", "unprotect", urn, "--yes")
            done.append(urn)
    raise E2EFailure(f"step 2's preview still refuses after unprotecting {done}")


def _flags(address: str, outputs: dict[str, Any]) -> str:
    """kURL's install flags for `address`, with the public front end's host when the stack has
    one (publicFrontEnd: it stays through a move)."""
    public = outputs.get("publicLoadBalancerHost")
    return f"ha load-balancer-address={address}" + (f" public-address={public}" if public else "")


def move(box: Sandbox, cloud: str, stack: str, fields: dict[str, Any]) -> str:
    """Both steps of a move to `fields` (addressMove); the new address."""
    before = stack_outputs(box)
    address = before["loadBalancerAddress"]
    if before.get("frontEnd") != "v1" or "nextFrontEnd" in before:
        raise E2EFailure(f"{cloud} {stack}: before a move the outputs are {before}")

    edit_config(box, stack, lambda c: c.update({"kurl-lb:addressMove": fields}))
    created = _plan(box, cloud, "create", f"{stack} address move step 1")
    if not all("-v2-" in urn.rsplit("::", 1)[1] for op, urn in created if op == "create"):
        raise E2EFailure(f"{cloud} {stack}: step 1 creates {created}, want only v2 resources")
    box.pulumi("up", "--yes")
    moving = stack_outputs(box)
    new = moving.get("nextLoadBalancerAddress")
    if (
        moving.get("loadBalancerAddress") != address
        or moving.get("nextFrontEnd") != "v2"
        or not isinstance(new, str)
        or new == address
        or moving.get("nextKurlInstallFlags") != _flags(new, moving)
    ):
        raise E2EFailure(f"{cloud} {stack}: after step 1 the outputs are {moving}")

    def promote(config: dict[str, Any]) -> None:
        moved = config.pop("kurl-lb:addressMove")
        config["kurl-lb:frontEnd"] = moved.pop("frontEnd")
        config.setdefault(f"kurl-lb:{cloud}", {}).update(moved)

    edit_config(box, stack, promote)
    unprotected = _unprotect_what_the_engine_names(box)
    deleted = _plan(box, cloud, "delete", f"{stack} address move step 2")
    gone = {urn for op, urn in deleted if op == "delete"}
    if not set(unprotected) <= gone or any("-v2-" in u.rsplit("::", 1)[1] for u in gone):
        raise E2EFailure(f"{cloud} {stack}: unprotected {unprotected}, step 2 deletes {gone}")
    box.pulumi("up", "--yes")
    after = stack_outputs(box)
    if after.get("loadBalancerAddress") != new or after.get("frontEnd") != "v2":
        raise E2EFailure(f"{cloud} {stack}: after step 2 the outputs are {after}, want {new}")
    if "nextFrontEnd" in after or "nextLoadBalancerAddress" in after:
        raise E2EFailure(f"{cloud} {stack}: after step 2 a move is still named: {after}")
    return str(new)


def step_move(cloud: str, box: Sandbox) -> None:
    """The README's stack (prod) moves to a second front end with the same options."""
    move(box, cloud, "prod", {"frontEnd": "v2"})


@contextmanager
def full_stack(cloud: str, step: str) -> Iterator[tuple[Sandbox, str]]:
    """A sandbox (`<step>-<cloud>-full`) with the cloud's full example stack deployed, its
    lookups answered by its invokes file; cleaned up afterwards."""
    stack = f"{cloud}-full"
    box = Sandbox(f"{step}-{stack}")
    try:
        if invokes := invokes_file(box, stack):
            box.extra_env["KURL_E2E_INVOKES"] = str(invokes)
        box.pulumi("stack", "init", stack)
        box.pulumi("up", "--yes")
        yield box, stack
    finally:
        box.cleanup()


def step_move_full(cloud: str) -> None:
    """The full example stack moves to a new static address and DNS name."""
    with full_stack(cloud, "move") as (box, stack):
        record = FULL_MOVES[cloud]["dnsRecord"]["name"]
        first = stack_outputs(box)["loadBalancerAddress"]
        if not first.endswith(".example.com:6443"):
            raise E2EFailure(f"{stack}: loadBalancerAddress {first} is not its DNS record")
        new = move(box, cloud, stack, FULL_MOVES[cloud])
        if new != f"{record}:6443":
            raise E2EFailure(f"{stack}: the move's address is {new}, want {record}:6443")
