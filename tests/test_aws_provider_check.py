"""The AWS limits the config loader enforces, against the real AWS provider's Check.

The AWS Args declarations (components/args/aws.py, common.py, components/scalars.py) refuse
configs AWS would refuse, so that a bad value fails `pulumi preview` with the config key named
instead of an apply. Here:

- configs the loader accepts, up to its limits, give inputs the provider's Check accepts, for
  every AWS resource the component creates;
- for each limit, the first value past it is refused by the loader, and the inputs the
  component would send for it are refused by the provider's Check, or the provider does not
  check it (NOT_CHECKED_BY_THE_PROVIDER says why: AWS refuses those at apply, or they are
  kurl-lb's own margin).

Skipped when `make providers` has not built the plugin (tests/aws_provider.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.aws_provider import AwsProvider, aws_provider
from tests.conftest import AWS_DEV, run_failing, run_project, with_changes

__all__ = ["aws_provider"]  # the session fixture, used by name

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"

# At the loader's limits: 16-character name, 48 tags of 128-character keys and 256-character
# values (50 with kurl-lb's own), the health check's and the port's ends, 59 client blocks.
LONG_TAGS = {f"{i:02d}" + "k" * 126: "v" * 256 for i in range(48)}
AT_THE_LIMITS = {
    "name": "a" * 16,
    "port": 65535,
    "healthCheck": {"intervalSeconds": 300, "healthyThreshold": 10, "unhealthyThreshold": 2},
    "tags": LONG_TAGS,
    "allowedClientCidrs": [f"10.0.{i}.0/24" for i in range(59)],
}
ACCEPTED: dict[str, dict[str, Any]] = {
    "dev": {},
    "no-nlb-security-group": {"aws.loadBalancerSecurityGroup": False},
    "public-instance-targets": {
        "scheme": "public",
        "allowedClientCidrs": ["203.0.113.0/24"],
        "aws.targetType": "instance",
        "aws.preserveClientIp": True,
        "aws.hairpinSourceCidrs": ["198.51.100.7/32"],
        "primaries": [
            {"name": "primary-1", "instanceId": "i-0123456789abcdef0", "registered": True},
            {"name": "primary-2", "instanceId": "i-0123456789abcdef1", "registered": True},
        ],
    },
    "at-the-limits": AT_THE_LIMITS,
    "short-health-checks": {
        "port": 1,
        "healthCheck": {"intervalSeconds": 5, "healthyThreshold": 2, "unhealthyThreshold": 10},
    },
}


def aws_resources(config: dict[str, Any]) -> list[Any]:
    return [r for r in run_project(config).resources if r.type.startswith("aws:")]


@pytest.mark.parametrize("changes", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_what_the_loader_accepts_the_provider_accepts(
    aws_provider: AwsProvider, changes: dict[str, Any]
) -> None:
    resources = aws_resources(with_changes(AWS_DEV, changes))
    assert {r.type for r in resources} >= {LB, TG}
    refused = {
        r.name: failures
        for r in resources
        if (failures := aws_provider.check(r.type, r.name, r.inputs).failures)
    }
    assert refused == {}


@dataclass(frozen=True)
class Limit:
    """The first value past one limit: the config change, the loader's words, and what the
    component would send for it (the resource, its URN name, changed inputs)."""

    changes: dict[str, Any]
    loader_says: str
    resource: str  # the dev stack's resource whose inputs are changed
    provider_says: str | None  # a fragment of the provider's refusal; None: not checked
    inputs: dict[str, Any] = field(default_factory=dict)
    urn_name: str | None = None  # the resource's name, when the limit is on names
    nested: dict[str, dict[str, Any]] = field(default_factory=dict)  # merged into an input


def health_limit(key: str, value: int, words: str, **sent: int) -> Limit:
    """healthCheck.<key> past its range: the target group's health check block as sent."""
    return Limit({"healthCheck": {key: value}}, key, "kurl-tg", words, nested={"healthCheck": sent})


def tag_limit(tags: dict[str, str], loader_says: str) -> Limit:
    """Tags past AWS's rules: on every resource with kurl-lb's own; the NLB's is checked."""
    sent = {"tags": {"kurl-lb-stack": "test", **tags}}
    return Limit({"tags": tags}, loader_says, "kurl-nlb", None, sent)


LIMITS: dict[str, Limit] = {
    # AWS: load balancer and target group names at most 32 characters; pulumi-aws adds 8.
    "name-past-aws": Limit(
        {"name": "a" * 21},
        "kurl-lb:name",
        "kurl-nlb",
        "longer than maximum length 32",
        urn_name="a" * 21 + "-nlb",
    ),
    "name-internal": Limit(
        {"name": "internal-api"},
        "internal-",
        "kurl-nlb",
        'cannot begin with "internal-"',
        urn_name="internal-api-nlb",
    ),
    "name-sg": Limit(
        {"name": "sg-api"}, "sg-", "kurl-nlb-sg", "cannot begin with sg-", urn_name="sg-api-nlb-sg"
    ),
    # The timeout kurl-lb derives: min(10, interval - 1), at least 2.
    "interval-low": health_limit("intervalSeconds", 4, "interval", interval=4, timeout=3),
    "interval-high": health_limit("intervalSeconds", 301, "interval", interval=301, timeout=10),
    "healthy-low": health_limit("healthyThreshold", 1, "healthy_threshold", healthyThreshold=1),
    "healthy-high": health_limit("healthyThreshold", 11, "healthy_threshold", healthyThreshold=11),
    "unhealthy-low": health_limit(
        "unhealthyThreshold", 1, "unhealthy_threshold", unhealthyThreshold=1
    ),
    "unhealthy-high": health_limit(
        "unhealthyThreshold", 11, "unhealthy_threshold", unhealthyThreshold=11
    ),
    "port-low": Limit({"port": 0}, "kurl-lb:port", "kurl-tg", "port", {"port": 0}),
    "port-high": Limit({"port": 65536}, "kurl-lb:port", "kurl-tg", "port", {"port": 65536}),
    "port-high-listener": Limit(
        {"port": 65536}, "kurl-lb:port", "kurl-listener", "port", {"port": 65536}
    ),
    "client-cidr-host-bits": Limit(
        {"allowedClientCidrs": ["10.0.0.1/16"]},
        "allowedClientCidrs",
        "kurl-clients-10.0.0.0-16",
        "cidr_ipv4",
        {"cidrIpv4": "10.0.0.1/16"},
    ),
    # Checked by the loader, not by the provider's Check: AWS refuses them at apply (or they are
    # kurl-lb's own margin), which is why the loader has them.
    "name-past-kurl-lb": Limit(
        {"name": "a" * 17}, "kurl-lb:name", "kurl-nlb", None, urn_name="a" * 17 + "-nlb"
    ),
    "tags-51": tag_limit({f"t{i}": "v" for i in range(49)}, "at most 48 here"),
    "tag-key-129": tag_limit({"k" * 129: "v"}, "at most 128"),
    "tag-value-257": tag_limit({"team": "v" * 257}, "at most 256"),
    "tag-key-aws": tag_limit({"aws:team": "x"}, 'the "aws:" prefix is reserved'),
    "tag-characters": tag_limit({"team": "a#b"}, "not allowed"),
    "client-cidrs-60": Limit(
        {"allowedClientCidrs": [f"10.0.{i}.0/24" for i in range(60)]},
        "at most 59",
        "kurl-clients-10.0.0.0-16",
        None,
    ),
    "subnets-none": Limit({"aws.subnetIds": []}, "subnetIds", "kurl-nlb", None, {"subnets": []}),
    "target-public-address": Limit(
        {"primaries.0.address": "8.8.8.8"},
        "private IPv4",
        "kurl-target-primary-1",
        None,
        {"targetId": "8.8.8.8"},
    ),
}

# Why the provider's Check lets these through (each is a Limit above with provider_says None).
NOT_CHECKED_BY_THE_PROVIDER = {
    "name-past-kurl-lb": "kurl-lb's margin: names of 17-20 characters still fit AWS's 32 with "
    "the 8 pulumi-aws adds; the loader keeps `name` at 16 for every cloud (docs/aws.md)",
    "tags-51": "AWS's 50 tags per resource is enforced by AWS at apply, not by the provider",
    "tag-key-129": "tag key length: AWS at apply",
    "tag-value-257": "tag value length: AWS at apply",
    "tag-key-aws": "the reserved aws: prefix: AWS at apply",
    "tag-characters": "tag characters: AWS at apply",
    "client-cidrs-60": "rules per security group is an AWS quota; each rule is its own resource",
    "target-public-address": "an IP target outside private ranges: AWS refuses it at apply",
    "subnets-none": "an NLB without a subnet: AWS refuses it at apply",
}


@pytest.fixture(scope="module")
def dev_inputs() -> dict[str, tuple[str, dict[str, Any]]]:
    return {r.name: (r.type, dict(r.inputs)) for r in aws_resources(AWS_DEV)}


@pytest.mark.parametrize("label", list(LIMITS))
def test_past_each_limit_the_loader_and_the_provider_refuse(
    aws_provider: AwsProvider, dev_inputs: dict[str, tuple[str, dict[str, Any]]], label: str
) -> None:
    limit = LIMITS[label]
    message, _ = run_failing(with_changes(AWS_DEV, limit.changes))
    assert limit.loader_says in message
    token, inputs = dev_inputs[limit.resource]
    sent = {**inputs, **limit.inputs}
    for key, changes in limit.nested.items():
        sent[key] = {**sent[key], **changes}
    result = aws_provider.check(token, limit.urn_name or limit.resource, sent)
    if limit.provider_says is None:
        assert label in NOT_CHECKED_BY_THE_PROVIDER
        assert result.failures == [], "the provider checks it now: move it out of the list"
    else:
        reasons = " ".join(f"{p}: {r}" for p, r in result.failures)
        assert limit.provider_says in reasons, result.failures


def test_the_list_of_unchecked_limits_is_exact() -> None:
    assert set(NOT_CHECKED_BY_THE_PROVIDER) == {
        label for label, limit in LIMITS.items() if limit.provider_says is None
    }
