"""Issue 22's AWS resources against the real AWS provider (tests/aws_provider.py): every
resource of a stack with every #22 option passes the provider's Check and its planned create
(Create at preview, where terraform-provider-aws runs its CustomizeDiff); the HTTPS health check
at `healthCheck`'s bounds too, and past them both the loader and the provider refuse.

Skipped when `make providers` has not built the plugin; `make provider-checks` runs it.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from tests.aws_provider import AwsProvider, aws_provider
from tests.conftest import AWS_DEV, run_failing, with_changes
from tests.test_aws_ports import FULL, HTTPS, PORTS, paired, run

__all__ = ["aws_provider"]  # the session fixture, used by name

TG = "aws:lb/targetGroup:TargetGroup"


def planned(provider: AwsProvider, token: str, name: str, inputs: dict[str, Any]) -> list[str]:
    """The provider's refusals of `inputs`: its Check's failures, then its planned create's."""
    result = provider.check(token, name, inputs)
    if result.failures:
        return [f"{p}: {r}" for p, r in result.failures]
    try:
        provider.created_state(token, name, result.inputs)
    except grpc.RpcError as e:
        return [str(e.details())]
    return []


STACKS = {
    "full": FULL,
    "pair-without-security-groups": paired(
        loadBalancerSecurityGroup=False, allowedClientCidrs=["0.0.0.0/0"]
    ),
    "ports-https-at-the-low-bounds": with_changes(
        AWS_DEV,
        {
            **PORTS,
            "healthCheck": {
                "protocol": "https",
                "intervalSeconds": 5,
                "healthyThreshold": 2,
                "unhealthyThreshold": 2,
            },
        },
    ),
    "https-at-the-high-bounds": with_changes(
        AWS_DEV,
        {
            "healthCheck": {
                "protocol": "https",
                "intervalSeconds": 300,
                "healthyThreshold": 10,
                "unhealthyThreshold": 10,
            }
        },
    ),
}


@pytest.mark.parametrize("label", list(STACKS))
def test_every_resource_passes_the_providers_check_and_plan(
    aws_provider: AwsProvider, label: str
) -> None:
    resources = [r for r in run(STACKS[label]).resources if r.type.startswith("aws:")]
    assert any(r.type == TG for r in resources)
    refused = {
        r.name: reasons
        for r in resources
        if (reasons := planned(aws_provider, r.type, r.name, dict(r.inputs)))
    }
    assert refused == {}


def _api_target_group(config: dict[str, Any]) -> dict[str, Any]:
    graph = run(config)
    return dict(graph.by_name("kurl-tg").inputs)


@pytest.mark.parametrize(
    ("key", "value", "sent"),
    [
        ("intervalSeconds", 4, {"interval": 4, "timeout": 3}),
        ("intervalSeconds", 301, {"interval": 301}),
        ("healthyThreshold", 1, {"healthyThreshold": 1}),
        ("healthyThreshold", 11, {"healthyThreshold": 11}),
        ("unhealthyThreshold", 1, {"unhealthyThreshold": 1}),
        ("unhealthyThreshold", 11, {"unhealthyThreshold": 11}),
    ],
)
def test_past_each_bound_of_an_https_check_the_loader_and_the_provider_refuse(
    aws_provider: AwsProvider, key: str, value: int, sent: dict[str, int]
) -> None:
    message, _ = run_failing(
        with_changes(AWS_DEV, {"healthCheck": {"protocol": "https", key: value}})
    )
    assert f"kurl-lb:healthCheck.{key}" in message
    inputs = _api_target_group(with_changes(AWS_DEV, HTTPS))
    inputs["healthCheck"] = {**inputs["healthCheck"], **sent}
    assert planned(aws_provider, TG, "kurl-tg", inputs) != []


def test_the_provider_refuses_a_matcher_or_path_on_a_tcp_check(aws_provider: AwsProvider) -> None:
    """Why the TCP check sends neither (terraform-provider-aws resourceTargetGroupCustomizeDiff)."""
    inputs = _api_target_group(AWS_DEV)
    assert "matcher" not in inputs["healthCheck"] and "path" not in inputs["healthCheck"]
    for extra in ({"matcher": "200"}, {"path": "/readyz"}):
        bad = {**inputs, "healthCheck": {**inputs["healthCheck"], **extra}}
        reasons = " ".join(planned(aws_provider, TG, "kurl-tg", bad))
        assert "TCP" in reasons, reasons


def _switch(provider: AwsProvider, before: dict[str, Any], after: dict[str, Any]) -> str:
    """The provider's plan for the API target group going from `before`'s health check to
    `after`'s: "update", "replace", or its refusal."""
    old, new = _api_target_group(before), _api_target_group(after)
    checked_old = provider.check(TG, "kurl-tg", old)
    checked_new = provider.check(TG, "kurl-tg", new, olds=checked_old.inputs)
    assert checked_old.failures == [] and checked_new.failures == []
    state = provider.created_state(TG, "kurl-tg", checked_old.inputs)
    try:
        return provider.diff(TG, "kurl-tg", state, checked_old.inputs, checked_new.inputs).decision
    except grpc.RpcError as e:
        return str(e.details())


def test_switching_the_health_check_protocol_updates_the_target_group_in_place(
    aws_provider: AwsProvider,
) -> None:
    from tests.test_aws_provider_diff import offline_decision

    tcp, given_tcp = AWS_DEV, with_changes(AWS_DEV, {"healthCheck": {"protocol": "tcp"}})
    https = with_changes(AWS_DEV, HTTPS)
    assert _switch(aws_provider, tcp, https) == "update"
    assert _switch(aws_provider, given_tcp, https) == "update"
    # Back to tcp: `protocol: tcp` given sends the path and matcher empty, which the provider
    # plans as an update; left out, the provider keeps https's (computed attributes) and
    # refuses them on a TCP check (docs/aws.md).
    assert _switch(aws_provider, https, given_tcp) == "update"
    refused = _switch(aws_provider, https, tcp)
    assert 'health_check[0].matcher" cannot be specified' in refused, refused
    for before, after in ((tcp, https), (https, given_tcp)):
        old, new = _api_target_group(before), _api_target_group(after)
        assert offline_decision(TG, old, new) == "update"
