"""The replace-aware plan against the real AWS provider's Diff (offline/replacements.py, AWS).

For every resource type the AWS component creates, each input kurl-lb sends and each input a
table row names is changed alone, on top of what the component sends for the dev stack; the
provider's Diff (run over gRPC, the Terraform provider's ForceNew and CustomizeDiff decisions)
must plan what the offline diff plans: a replacement, an in-place update, or nothing. The
provider is the source: a disagreement is fixed in the table, not here.

Where the offline diff plans an update and the provider sees no change at all (the provider
ignores the input there), the case is listed in IGNORED_BY_THE_PROVIDER with why: the offline
plan over-reports an in-place update, which can neither hide a replacement nor move the API
address.

Skipped when `make providers` has not built the plugin (tests/aws_provider.py).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from offline.diff import changed_paths, top_level
from offline.replacements import ANY, AWS, replacing_rule
from tests.aws_provider import AwsProvider, aws_provider
from tests.conftest import AWS_DEV, run_project, with_changes
from tests.test_aws_provider_address import (
    ADDRESS_BASE_NAMES,
    ADDRESS_CASES,
    address_base_inputs,
)

__all__ = ["aws_provider"]  # the session fixture, used by name

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

# The resource of each type whose inputs the cases start from (the dev stack's).
BASE_NAMES = {
    LB: "kurl-nlb",
    TG: "kurl-tg",
    LISTENER: "kurl-listener",
    ATTACHMENT: "kurl-target-primary-1",
    SG: "kurl-nlb-sg",
    INGRESS: "kurl-clients-10.0.0.0-16",
    EGRESS: "kurl-nlb-to-targets",
}

ABSENT = object()  # the input is not sent
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722", "subnet-0a1b2c3d4e5f60733"]
SUBNET_D = "subnet-0a1b2c3d4e5f60744"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
TG_ARN = f"{ELB}:targetgroup/other-tg/0123456789abcdef"
LB_ARN = f"{ELB}:loadbalancer/net/other-nlb/0123456789abcdef"
TAGS = {"kurl-lb-stack": "test", "team": "platform", "cost-center": "42"}


@dataclass(frozen=True)
class Case:
    """One input change: `before` and `after` patch the base inputs (ABSENT removes a key)."""

    token: str
    label: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.token.rsplit(':', 1)[-1]}.{self.label}"


def case(token: str, label: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> Case:
    return Case(token, label, before, after)


def flips(token: str, prop: str, before: Any, after: Any) -> list[Case]:
    """The input changed from `before` to `after`, and back."""
    return [
        case(token, f"{prop}", {prop: before}, {prop: after}),
        case(token, f"{prop}-back", {prop: after}, {prop: before}),
    ]


CASES: list[Case] = [
    # ---- the load balancer
    *flips(LB, "internal", True, False),
    case(LB, "loadBalancerType", {}, {"loadBalancerType": "application"}),
    case(LB, "name-given", {}, {"name": "kurl-api"}),
    case(LB, "namePrefix", {}, {"namePrefix": "kurl-"}),
    case(
        LB,
        "customerOwnedIpv4Pool",
        {},
        {"customerOwnedIpv4Pool": "ipv4pool-coip-0123456789abcdef0"},
    ),
    case(LB, "subnets-removed", {}, {"subnets": SUBNETS[:2]}),
    case(LB, "subnets-swapped", {}, {"subnets": [*SUBNETS[:2], SUBNET_D]}),
    case(LB, "subnets-added", {}, {"subnets": [*SUBNETS, SUBNET_D]}),
    case(
        LB,
        "subnetMappings-added",
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in SUBNETS[:2]]},
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in SUBNETS]},
    ),
    case(
        LB,
        "subnetMappings-changed",
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in SUBNETS[:2]]},
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in (SUBNETS[0], SUBNET_D)]},
    ),
    case(
        LB,
        "subnetMappings-added-and-changed",
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in SUBNETS[:2]]},
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in (*SUBNETS[::2], SUBNET_D)]},
    ),
    case(
        LB,
        "subnetMappings-removed",
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in SUBNETS]},
        {"subnets": ABSENT, "subnetMappings": [{"subnetId": s} for s in SUBNETS[:2]]},
    ),
    # aws.loadBalancerSecurityGroup off (the component sends an empty list) and on again.
    case(LB, "securityGroups-emptied", {}, {"securityGroups": []}),
    case(LB, "securityGroups-first", {"securityGroups": []}, {}),
    case(LB, "securityGroups-other", {}, {"securityGroups": ["sg-0a1b2c3d4e5f60700"]}),
    # What the component sent before it sent the empty list: the provider keeps the groups.
    case(LB, "securityGroups-left-out", {}, {"securityGroups": ABSENT}),
    # A stack created that way, after the fix: the empty list is what the NLB has.
    case(LB, "securityGroups-sent-empty", {"securityGroups": ABSENT}, {"securityGroups": []}),
    *flips(LB, "enableCrossZoneLoadBalancing", True, False),
    *flips(LB, "enableDeletionProtection", True, False),
    case(LB, "ipAddressType", {}, {"ipAddressType": "dualstack"}),
    case(LB, "tags", {}, {"tags": TAGS}),
    # ---- the target group
    case(TG, "port", {}, {"port": 8443}),
    case(TG, "protocol", {}, {"protocol": "TLS"}),
    *flips(TG, "targetType", "ip", "instance"),
    case(TG, "vpcId", {}, {"vpcId": "vpc-0a1b2c3d4e5f60700"}),
    case(TG, "name-given", {}, {"name": "kurl-api-tg"}),
    case(TG, "namePrefix", {}, {"namePrefix": "kurl-"}),
    case(TG, "ipAddressType", {}, {"ipAddressType": "ipv6"}),
    case(TG, "protocolVersion-tcp", {}, {"protocolVersion": "HTTP2"}),
    case(
        TG,
        "protocolVersion-http",
        {"protocol": "HTTP", "healthCheck": ABSENT, "connectionTermination": ABSENT},
        {
            "protocol": "HTTP",
            "healthCheck": ABSENT,
            "connectionTermination": ABSENT,
            "protocolVersion": "HTTP2",
        },
    ),
    *flips(TG, "preserveClientIp", "false", "true"),
    case(TG, "deregistrationDelay", {}, {"deregistrationDelay": 300}),
    *flips(TG, "connectionTermination", True, False),
    case(
        TG,
        "healthCheck.interval",
        {},
        {
            "healthCheck": {
                "enabled": True,
                "protocol": "TCP",
                "port": "traffic-port",
                "interval": 30,
                "timeout": 10,
                "healthyThreshold": 3,
                "unhealthyThreshold": 3,
            }
        },
    ),
    case(TG, "tags", {}, {"tags": TAGS}),
    # ---- the listener
    case(LISTENER, "loadBalancerArn", {}, {"loadBalancerArn": LB_ARN}),
    case(LISTENER, "port", {}, {"port": 8443}),
    case(LISTENER, "protocol", {}, {"protocol": "TCP_UDP"}),
    case(
        LISTENER,
        "defaultActions",
        {},
        {"defaultActions": [{"type": "forward", "targetGroupArn": TG_ARN}]},
    ),
    case(LISTENER, "tags", {}, {"tags": TAGS}),
    # ---- a registration
    case(ATTACHMENT, "targetGroupArn", {}, {"targetGroupArn": TG_ARN}),
    case(ATTACHMENT, "targetId", {}, {"targetId": "10.0.2.10"}),
    case(ATTACHMENT, "port", {}, {"port": 8443}),
    case(ATTACHMENT, "availabilityZone", {}, {"availabilityZone": "us-east-1a"}),
    # ---- the NLB security group
    case(SG, "description", {}, {"description": "kURL API (kurl-lb)"}),
    case(SG, "name-given", {}, {"name": "kurl-api-sg"}),
    case(SG, "namePrefix", {}, {"namePrefix": "kurl-"}),
    case(SG, "vpcId", {}, {"vpcId": "vpc-0a1b2c3d4e5f60700"}),
    case(SG, "tags", {}, {"tags": {**TAGS, "Name": "kurl-nlb"}}),
]

for _rule, _base_source in ((INGRESS, {"cidrIpv4": "10.0.0.0/16"}), (EGRESS, {})):
    CASES += [
        case(_rule, "securityGroupId", {}, {"securityGroupId": "sg-0a1b2c3d4e5f60700"}),
        case(_rule, "description", {}, {"description": "kURL API (changed)"}),
        case(_rule, "ipProtocol", {}, {"ipProtocol": "udp"}),
        case(_rule, "fromPort", {}, {"fromPort": 6444, "toPort": 6444}),
        case(_rule, "toPort", {}, {"toPort": 6444}),
        case(_rule, "tags", {}, {"tags": TAGS}),
    ]
# The rule's source: the same kind changed (in place), or another kind (ModifyPlan replaces).
_SOURCES = {
    "cidrIpv4": ("10.0.0.0/16", "10.1.0.0/16"),
    "cidrIpv6": ("2001:db8::/64", "2001:db8:1::/64"),
    "prefixListId": ("pl-0123456789abcdef0", "pl-0123456789abcdef1"),
    "referencedSecurityGroupId": ("sg-0a1b2c3d4e5f60799", "sg-0a1b2c3d4e5f60700"),
}
_NONE = {k: ABSENT for k in _SOURCES}
for _rule in (INGRESS, EGRESS):
    for _kind, (_one, _other) in _SOURCES.items():
        CASES.append(
            case(_rule, f"{_kind}-changed", {**_NONE, _kind: _one}, {**_NONE, _kind: _other})
        )
        for _to, (_value, _) in _SOURCES.items():
            if _to != _kind:
                CASES.append(
                    case(_rule, f"{_kind}-to-{_to}", {**_NONE, _kind: _one}, {**_NONE, _to: _value})
                )

# Issue 21, AWS: the Elastic IP and the Route 53 record (tests/test_aws_provider_address.py).
BASE_NAMES.update(ADDRESS_BASE_NAMES)
CASES += [case(*c) for c in ADDRESS_CASES]

# Offline "update", provider "no change": (token, case label) -> why the provider ignores it.
IGNORED_BY_THE_PROVIDER: dict[tuple[str, str], str] = {
    (LB, "securityGroups-left-out"): "the attribute is computed: a list left out keeps the "
    "current groups (the component sends an empty list when aws.loadBalancerSecurityGroup is "
    "off, so it never leaves it out)",
    (LB, "securityGroups-sent-empty"): "an NLB created without the list has none: an empty "
    "list changes nothing (a stack whose NLB was created before the component sent the empty "
    "list sees this once, as an in-place update offline)",
    (TG, "protocolVersion-tcp"): "the provider's DiffSuppressFunc ignores it unless the "
    "protocol is HTTP or HTTPS",
}


def patched(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if value is ABSENT:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    return out


def offline_decision(token: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """What offline/diff.py plans for the change: "replace", "update" or "none"."""
    paths = changed_paths(dict(before), dict(after))
    if not paths:
        return "none"
    props = dict.fromkeys(top_level(p) for p in paths)
    if any(replacing_rule(token, p, before, after) for p in props):
        return "replace"
    return "update"


@pytest.fixture(scope="module")
def base_inputs() -> dict[str, dict[str, Any]]:
    """What the component sends per type for the dev stack (known values: a deploy, not a
    preview, so IDs and ARNs are the mocks' strings)."""
    graph = run_project(AWS_DEV)
    dev = {t: n for t, n in BASE_NAMES.items() if t not in ADDRESS_BASE_NAMES}
    return {
        **{token: dict(graph.by_name(name).inputs) for token, name in dev.items()},
        **address_base_inputs(),
    }


def stale(provider: AwsProvider, token: str, name: str, inputs: Mapping[str, Any]) -> bool:
    """Whether the plugin predates one of issue 21's types (built before they were added)."""
    if token not in ADDRESS_BASE_NAMES:
        return False
    return "not found" in str(provider.check(token, name, inputs).failures)


def provider_decision(provider: AwsProvider, c: Case, base: Mapping[str, Any]) -> str:
    name = BASE_NAMES[c.token]
    before, after = patched(base, c.before), patched(base, c.after)
    if stale(provider, c.token, name, before):
        pytest.skip(f"the plugin was built before {c.token} was added: `make providers`")
    old = provider.check(c.token, name, before)
    assert old.failures == [], f"the provider's Check refuses the inputs before: {old.failures}"
    new = provider.check(c.token, name, after, olds=old.inputs)
    assert new.failures == [], f"the provider's Check refuses the inputs after: {new.failures}"
    state = provider.created_state(c.token, name, old.inputs)
    return provider.diff(c.token, name, state, old.inputs, new.inputs).decision


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_the_offline_plan_decides_as_the_providers_diff(
    aws_provider: AwsProvider, base_inputs: dict[str, dict[str, Any]], c: Case
) -> None:
    base = base_inputs[c.token]
    offline = offline_decision(c.token, patched(base, c.before), patched(base, c.after))
    provider = provider_decision(aws_provider, c, base)
    if (c.token, c.label) in IGNORED_BY_THE_PROVIDER:
        assert (offline, provider) == ("update", "none")
    else:
        assert offline == provider, f"offline plans {offline}, the provider {provider}"


def test_no_change_is_no_change(
    aws_provider: AwsProvider, base_inputs: dict[str, dict[str, Any]]
) -> None:
    """The baseline itself: the same inputs again plan nothing, for every type."""
    for token, base in base_inputs.items():
        if stale(aws_provider, token, BASE_NAMES[token], base):
            continue
        assert provider_decision(aws_provider, case(token, "same", {}, {}), base) == "none", token


def test_every_input_kurl_lb_sends_and_every_row_is_changed_by_a_case() -> None:
    # The inputs of every configuration shape the component has (security group on and off,
    # public with hairpin sources, instance targets with zones left out).
    configs = [
        AWS_DEV,
        with_changes(AWS_DEV, {"aws.loadBalancerSecurityGroup": False}),
        with_changes(
            AWS_DEV,
            {
                "scheme": "public",
                "allowedClientCidrs": ["203.0.113.0/24"],
                "aws.hairpinSourceCidrs": ["198.51.100.7/32"],
                "aws.preserveClientIp": True,
            },
        ),
    ]
    sent: dict[str, set[str]] = {}
    for config in configs:
        for r in run_project(config).resources:
            if r.type in BASE_NAMES:
                sent.setdefault(r.type, set()).update(r.inputs)
    changed: dict[str, set[str]] = {}
    for c in CASES:
        keys = {k for k in {**c.before, **c.after} if c.before.get(k) != c.after.get(k)}
        changed.setdefault(c.token, set()).update(keys)
    for token, keys in sent.items():
        assert keys <= changed[token], f"{token}: no case changes {sorted(keys - changed[token])}"
    for token, rules in AWS.items():
        named = {r.property for r in rules if r.property != ANY}
        assert named <= changed.get(token, set()), f"{token}: rows without a case"
        if any(r.property == ANY for r in rules):
            assert changed.get(token), f"{token}: its '*' row has no case"


@pytest.mark.parametrize("turn_on", [False, True], ids=["off", "on"])
def test_switching_the_nlb_security_group_replaces_the_nlb_for_the_provider_too(
    aws_provider: AwsProvider, turn_on: bool
) -> None:
    """aws.loadBalancerSecurityGroup switched on an existing stack: the NLB the component
    registers before and after, through the provider's Diff, is replaced, as the offline plan
    and docs/runbook.md 6.1 say (turning it off once planned no change: the list was left out)."""
    with_group = run_project(AWS_DEV).by_name("kurl-nlb").inputs
    without = (
        run_project(with_changes(AWS_DEV, {"aws.loadBalancerSecurityGroup": False}))
        .by_name("kurl-nlb")
        .inputs
    )
    before, after = (without, with_group) if turn_on else (with_group, without)
    old = aws_provider.check(LB, "kurl-nlb", before)
    new = aws_provider.check(LB, "kurl-nlb", after, olds=old.inputs)
    state = aws_provider.created_state(LB, "kurl-nlb", old.inputs)
    result = aws_provider.diff(LB, "kurl-nlb", state, old.inputs, new.inputs)
    assert result.decision == "replace"
    assert offline_decision(LB, before, after) == "replace"
