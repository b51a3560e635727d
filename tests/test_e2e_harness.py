"""The e2e harness's own logic, without the engine: README blocks, plan comparison, doubles."""

import asyncio
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CreateRequest,
    DiffRequest,
    InvokeRequest,
)

from tests.e2e.__main__ import (
    aws_stacks,
    checked_by_the_provider,
    non_interactive,
    readme_blocks,
)
from tests.e2e.doubles.lookups import answer
from tests.e2e.doubles.passthrough import PassThroughProvider, to_python
from tests.e2e.engine import E2EFailure
from tests.e2e.fidelity import UNKNOWN, agrees, compare_graph

LB_URN = (
    "urn:pulumi:prod::kurl-lb::kurl:index:AwsKurlNlb$aws:lb/loadBalancer:LoadBalancer::kurl-nlb"
)


def test_readme_has_a_deploy_block_per_cloud_of_pulumi_commands_only() -> None:
    blocks = readme_blocks()
    assert set(blocks) == {"aws", "azure", "gcp"}
    for lines in blocks.values():
        commands = [line for line in lines if line.startswith("pulumi ")]
        assert "pulumi preview --policy-pack policies" in [c.split("  ")[0] for c in commands]
        assert any(c.startswith("pulumi up") for c in commands)
        assert any("registered' true" in c for c in commands)


def test_up_and_destroy_are_answered_with_yes_and_nothing_else_changes() -> None:
    assert non_interactive("pulumi up") == "pulumi up --yes"
    assert non_interactive("pulumi destroy   # gone") == "pulumi destroy --yes   # gone"
    assert non_interactive("pulumi update-thing") == "pulumi update-thing"
    assert non_interactive("pulumi stack output x") == "pulumi stack output x"


def _offline(urn: str, parent: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "resources": [
            {"urn": urn, "type": "t:m:R", "parent": parent, "custom": True, "inputs": inputs}
        ]
    }


def _engine(urn: str, parent: str, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "op": "create",
            "urn": urn,
            "newState": {"urn": urn, "type": "t:m:R", "parent": parent, "inputs": inputs},
        }
    ]


def test_fidelity_reports_urn_parent_and_input_differences() -> None:
    stack = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
    # The SDK mock's URN for a stack's direct child carries the stack type; the engine's not.
    diffs, _ = compare_graph(
        _offline("urn:pulumi:s::p::pulumi:pulumi:Stack$t:m:R::r", stack, {}),
        _engine("urn:pulumi:s::p::t:m:R::r", stack, {}),
    )
    assert [d.what for d in diffs] == ["only offline", "only in the engine"]
    diffs, _ = compare_graph(_offline("u", stack, {"a": 1}), _engine("u", "other", {"a": 2}))
    assert [(d.what, d.offline, d.engine) for d in diffs] == [
        ("parent", stack, "other"),
        ("input a", 1, 2),
    ]


def test_an_unknown_offline_value_matches_but_is_listed() -> None:
    offline = {"rule": [{"id": UNKNOWN, "port": 6443}]}
    engine = {"rule": [{"id": "/subscriptions/x/lb", "port": 6443}]}
    diffs, weaker = compare_graph(_offline("u", "", offline), _engine("u", "", engine))
    assert diffs == []
    assert [d.what for d in weaker] == ["input rule"]
    assert not agrees({"port": 6443}, {"port": 443})
    assert not agrees([UNKNOWN], [1, 2])


def test_double_echoes_inputs_and_computes_deterministic_outputs() -> None:
    aws = PassThroughProvider("aws")
    props = {"name": PropertyValue("kurl-nlb"), "loadBalancerType": PropertyValue("network")}

    async def create(preview: bool) -> Any:
        return await aws.create(CreateRequest(LB_URN, props, 60, preview))

    first, second, planned = (asyncio.run(create(p)) for p in (False, False, True))
    out = to_python(PropertyValue(first.properties))
    assert out["name"] == "kurl-nlb"
    assert out["dnsName"].startswith("kurl-nlb-") and out["dnsName"].endswith(".amazonaws.com")
    assert out["arn"].startswith("arn:aws:elasticloadbalancing:us-east-1:")
    assert (first.resource_id, first.properties) == (second.resource_id, second.properties)
    # At preview, what only the cloud knows is left out (unknown to the program).
    assert "dnsName" not in planned.properties


def test_double_diffs_inputs_only_and_never_replaces() -> None:
    aws = PassThroughProvider("aws")
    created = asyncio.run(
        aws.create(CreateRequest(LB_URN, {"name": PropertyValue("a")}, 60, False))
    )
    same = asyncio.run(
        aws.diff(DiffRequest(LB_URN, "id", created.properties, {"name": PropertyValue("a")}, []))
    )
    assert not same.changes
    changed = asyncio.run(
        aws.diff(DiffRequest(LB_URN, "id", created.properties, {"name": PropertyValue("b")}, []))
    )
    assert (changed.changes, changed.diffs, changed.replaces) == (True, ["name"], [])


def test_double_answers_known_lookups_and_names_unknown_ones() -> None:
    azure = PassThroughProvider("azure-native")
    got = asyncio.run(azure.invoke(InvokeRequest("azure-native:authorization:getClientConfig", {})))
    assert got.return_value is not None
    assert to_python(got.return_value["subscriptionId"]) == "00000000-0000-4000-8000-000000000001"
    missing = asyncio.run(azure.invoke(InvokeRequest("azure-native:network:getVirtualNetwork", {})))
    assert missing.failures is not None
    assert "azure-native:network:getVirtualNetwork" in missing.failures[0].reason


def test_double_answers_first_from_the_offline_gates_lookup_file(monkeypatch: Any) -> None:
    from tests.e2e.engine import ROOT

    monkeypatch.setenv("KURL_E2E_INVOKES", str(ROOT / "offline" / "invokes" / "azure-dev.yaml"))
    azure = PassThroughProvider("azure-native")
    got = asyncio.run(azure.invoke(InvokeRequest("azure-native:authorization:getClientConfig", {})))
    assert got.return_value is not None
    # The same subscription the offline preview gets with --invokes, not the double's own.
    assert to_python(got.return_value["subscriptionId"]) == "00000000-0000-0000-0000-000000000000"


# ---- g. the real AWS provider: what the step accepts as "checked by the provider" ---------

_NLB_TYPE = "aws:lb/loadBalancer:LoadBalancer"


def _aws_step(name: Any, op: str = "create") -> dict[str, Any]:
    inputs = {} if name is None else {"name": name}
    return {"op": op, "urn": LB_URN, "newState": {"inputs": inputs}}


def test_the_real_aws_step_covers_the_aws_stack_files() -> None:
    assert aws_stacks() == ["aws-full", "dev"]  # aws-full: issue 21


def test_the_real_aws_step_accepts_names_the_providers_autonaming_gives() -> None:
    assert checked_by_the_provider("dev", [_aws_step("kurl-nlb-1a2b3c4")]) == 1


@pytest.mark.parametrize(
    ("step", "words"),
    [
        # The pass-through double echoes the inputs: no name.
        pytest.param(_aws_step(None), "is the pass-through double on PATH", id="double"),
        pytest.param(_aws_step("a" * 26 + "-1a2b3c4"), "not one the real provider", id="long"),
        pytest.param(_aws_step("kurl-nlb-1a2b3c4", "update"), "plans update", id="not-create"),
    ],
)
def test_the_real_aws_step_refuses_what_the_provider_did_not_check(
    step: dict[str, Any], words: str
) -> None:
    with pytest.raises(E2EFailure, match=words):
        checked_by_the_provider("dev", [step])


def test_the_lookup_command_answers_as_the_double() -> None:
    vpc = asyncio.run(
        answer("aws", {"token": "aws:ec2/getVpc:getVpc", "args": {"id": "vpc-1"}, "config": {}})
    )
    assert vpc["return"]["cidrBlock"] == "10.0.0.0/16"
    other = asyncio.run(answer("aws", {"token": "aws:ec2/getAmi:getAmi", "args": {}}))
    assert "no fixture for aws:ec2/getAmi:getAmi" in other["failure"]
