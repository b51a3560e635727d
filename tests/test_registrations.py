"""Every component exposes its registrations under one name, `registrations` (primary name ->
the one resource that puts that primary behind the LB); each cloud's own word is the same map."""

from __future__ import annotations

from typing import Any

import pytest

from components.stack import build_load_balancer, stack_args
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, encode, run_program, with_changes

CASES = [
    pytest.param(
        AWS_DEV, "attachments", "aws:lb/targetGroupAttachment:TargetGroupAttachment", id="aws"
    ),
    pytest.param(
        AZURE_DEV,
        "registrations",
        "azure:network/networkInterfaceBackendAddressPoolAssociation:"
        "NetworkInterfaceBackendAddressPoolAssociation",
        id="azure",
    ),
    pytest.param(
        GCP_DEV,
        "memberships",
        "gcp:compute/instanceGroupMembership:InstanceGroupMembership",
        id="gcp",
    ),
]


@pytest.mark.parametrize(("dev", "cloud_word", "type_token"), CASES)
def test_registrations_by_primary_name(
    dev: dict[str, Any], cloud_word: str, type_token: str
) -> None:
    config = with_changes(dev, {"primaries.1.registered": True})
    provider = {k: v for k, v in config.items() if not k.startswith("kurl-lb:")}
    cfg = stack_args(encode(config), provider)
    seen: dict[str, Any] = {}

    def program() -> None:
        lb = build_load_balancer(cfg)
        seen["registrations"] = dict(lb.registrations)
        seen["alias"] = getattr(lb, cloud_word)

    graph = run_program(program)
    assert sorted(seen["registrations"]) == ["primary-1", "primary-2"]
    assert seen["alias"] == seen["registrations"]
    registered = graph.of_type(type_token)
    assert len(registered) == 2
    assert all(any(p in r.name for p in ("primary-1", "primary-2")) for r in registered)
