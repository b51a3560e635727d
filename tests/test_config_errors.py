"""Bad stack config stops the program before any resource is registered, with one message that
names each bad key path, the bad value and the allowed form."""

from __future__ import annotations

from typing import Any

import pytest

from components.problems import ConfigError
from components.stack import check_stack
from tests.conftest import (
    AWS_DEV,
    DELETE,
    BadConfigCase,
    assert_rejected,
    bad_config_params,
    encode,
    run_failing,
    with_changes,
)

# (id, changes to the AWS dev config, fragments the message must contain)
AWS_CASES: list[BadConfigCase] = [
    (
        "internal-instance-targets",
        {
            "aws.targetType": "instance",
            "primaries": [{"name": "p1", "instanceId": "i-0123456789abcdef0", "registered": True}],
        },
        ["kurl-lb:aws.targetType", '"instance" cannot be used with scheme internal', "hairpinning"],
    ),
    (
        "internal-preserve-client-ip",
        {"aws.preserveClientIp": True},
        ["kurl-lb:aws.preserveClientIp", "hairpinning"],
    ),
    (
        "missing-cloud",
        {"cloud": DELETE},
        ["kurl-lb:cloud: is required; allowed: aws, azure or gcp"],
    ),
    ("unknown-cloud", {"cloud": "oci"}, ['kurl-lb:cloud: "oci" is not a cloud']),
    (
        "missing-scheme",
        {"scheme": DELETE},
        ["kurl-lb:scheme: is required; allowed: internal or public"],
    ),
    ("bad-scheme", {"scheme": "private"}, ["kurl-lb:scheme", '"private"', "internal or public"]),
    ("port-zero", {"port": 0}, ["kurl-lb:port", "0 is invalid", "integer 1-65535"]),
    ("port-text", {"port": "https"}, ["kurl-lb:port", '"https"', "integer 1-65535"]),
    ("name-uppercase", {"name": "Kurl"}, ["kurl-lb:name", '"Kurl" is not a valid name prefix']),
    (
        "name-too-long",
        {"name": "a-very-long-cluster-name"},
        ["kurl-lb:name", "a-very-long-cluster-name", "[a-z][a-z0-9-]{0,15}"],
    ),
    (
        "name-internal",
        {"name": "internal-api"},
        ["kurl-lb:name", 'must not begin with "internal-"'],
    ),
    (
        "unknown-top-level-key",
        {"primary": []},
        ["kurl-lb:primary: unknown key", "allowed here: cloud, name, scheme"],
    ),
    (
        "azure-key-on-aws",
        {"azure": {"resourceGroupName": "rg"}},
        ["kurl-lb:azure: unknown key (or not used with cloud aws)"],
    ),
    (
        "gcp-field-on-aws-primary",
        {"primaries.0.instance": "vm-1"},
        [
            "kurl-lb:primaries[0].instance: unknown key",
            "name, registered, address, instanceId, zone",
        ],
    ),
    (
        "bad-address",
        {"primaries.1.address": "10.0.2.300"},
        [
            "kurl-lb:primaries[1].address",
            '"10.0.2.300" is not an IPv4 address',
            "private IPv4 address",
        ],
    ),
    (
        "public-address",
        {"primaries.1.address": "8.8.8.8"},
        ["kurl-lb:primaries[1].address", "is not a private"],
    ),
    (
        "missing-address",
        {"primaries.2.address": DELETE},
        ["kurl-lb:primaries[2].address: is required with targetType ip"],
    ),
    (
        "instance-id-with-ip-targets",
        {"primaries.0.instanceId": "i-0123456789abcdef0"},
        ["kurl-lb:primaries[0].instanceId: is only used with aws.targetType instance"],
    ),
    (
        "duplicate-names",
        {"primaries.1.name": "primary-1"},
        ["kurl-lb:primaries[1].name", "names must be unique"],
    ),
    (
        "duplicate-addresses",
        {"primaries.1.address": "10.0.1.10"},
        ["kurl-lb:primaries[1].address", "also primaries[0].address"],
    ),
    (
        "none-registered",
        {"primaries.0.registered": False},
        ["kurl-lb:primaries: no primary is registered"],
    ),
    ("no-primaries", {"primaries": []}, ["kurl-lb:primaries", "at least 1 item"]),
    (
        "bad-primary-name",
        {"primaries.0.name": "Primary_1"},
        ["kurl-lb:primaries[0].name", "lowercase DNS label"],
    ),
    (
        "registered-not-bool",
        {"primaries.0.registered": "maybe"},
        ["kurl-lb:primaries[0].registered", "true or false"],
    ),
    ("bad-vpc-id", {"aws.vpcId": "vpc-xyz"}, ["kurl-lb:aws.vpcId", '"vpc-xyz" is not a VPC ID']),
    ("missing-vpc-id", {"aws.vpcId": DELETE}, ["kurl-lb:aws.vpcId: is required"]),
    ("no-subnets", {"aws.subnetIds": []}, ["kurl-lb:aws.subnetIds", "one per availability zone"]),
    (
        "bad-subnet",
        {"aws.subnetIds": ["subnet-1"]},
        ["kurl-lb:aws.subnetIds[0]", "is not a subnet ID"],
    ),
    (
        "duplicate-subnet",
        {"aws.subnetIds": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60711"]},
        ["kurl-lb:aws.subnetIds: lists a subnet twice"],
    ),
    ("bad-target-type", {"aws.targetType": "alb"}, ["kurl-lb:aws.targetType", "ip or instance"]),
    (
        "bad-sg",
        {"aws.instanceSecurityGroupId": "default"},
        ["kurl-lb:aws.instanceSecurityGroupId", "is not a security group ID"],
    ),
    (
        "interval-too-short",
        {"healthCheck": {"intervalSeconds": 4}},
        ["kurl-lb:healthCheck.intervalSeconds", "4 is invalid", "integer 5-300"],
    ),
    (
        "interval-too-long",
        {"healthCheck": {"intervalSeconds": 301}},
        ["kurl-lb:healthCheck.intervalSeconds", "integer 5-300"],
    ),
    (
        "healthy-threshold-low",
        {"healthCheck": {"healthyThreshold": 1}},
        ["kurl-lb:healthCheck.healthyThreshold", "integer 2-10"],
    ),
    (
        "unhealthy-threshold-high",
        {"healthCheck": {"unhealthyThreshold": 11}},
        ["kurl-lb:healthCheck.unhealthyThreshold", "integer 2-10"],
    ),
    (
        "health-check-unknown-key",
        {"healthCheck": {"path": "/readyz"}},
        ["kurl-lb:healthCheck.path: unknown key", "intervalSeconds"],
    ),
    (
        "bad-cidr",
        {"allowedClientCidrs": ["10.0.0.0/33"]},
        ["kurl-lb:allowedClientCidrs[0]", "is not an IPv4 CIDR block"],
    ),
    (
        "cidr-host-bits",
        {"allowedClientCidrs": ["10.0.0.1/16"]},
        ["kurl-lb:allowedClientCidrs[0]", "host bits set"],
    ),
    (
        "cidr-without-prefix",
        {"allowedClientCidrs": ["10.0.0.0"]},
        ["kurl-lb:allowedClientCidrs[0]", "has no prefix length"],
    ),
    (
        "public-without-clients",
        {"scheme": "public", "allowedClientCidrs": DELETE},
        [
            "kurl-lb:allowedClientCidrs: is required for a public NLB",
            "never silently 0.0.0.0/0",
            "NAT",
        ],
    ),
    (
        "hairpin-outside-clients",
        {"aws.instanceSecurityGroupId": DELETE, "allowedClientCidrs": ["10.0.1.0/24"]},
        [
            "kurl-lb:primaries[1].address",
            '"10.0.2.10" is outside allowedClientCidrs',
            "hairpinning",
        ],
    ),
    (
        "public-nlb-without-hairpin-sources",
        {"scheme": "public", "allowedClientCidrs": ["203.0.113.0/24"]},
        [
            "kurl-lb:aws.hairpinSourceCidrs: is required with scheme public",
            "NAT gateway's public IP",
            "e.g. [198.51.100.7/32]",
            "aws ec2 describe-nat-gateways --filter Name=vpc-id,Values=vpc-0a1b2c3d4e5f60718",
        ],
    ),
    (
        "internal-nlb-with-hairpin-sources",
        {"aws.hairpinSourceCidrs": ["198.51.100.7/32"]},
        ["kurl-lb:aws.hairpinSourceCidrs: is only used with scheme public"],
    ),
    (
        "zone-with-instance-targets",
        {
            "scheme": "public",
            "allowedClientCidrs": ["0.0.0.0/0"],
            "aws.targetType": "instance",
            "primaries": [
                {
                    "name": "p1",
                    "instanceId": "i-0123456789abcdef0",
                    "zone": "us-east-1a",
                    "registered": True,
                }
            ],
        },
        [
            "kurl-lb:primaries[0].zone",
            '"us-east-1a" is only used with aws.targetType ip',
            "AWS rejects an availability zone for instance targets",
        ],
    ),
    (
        "public-without-any-sg",
        {
            "scheme": "public",
            "allowedClientCidrs": ["203.0.113.0/24"],
            "aws.hairpinSourceCidrs": ["198.51.100.7/32"],
            "aws.loadBalancerSecurityGroup": False,
        },
        ["kurl-lb:aws.loadBalancerSecurityGroup", "no place to enforce allowedClientCidrs"],
    ),
    (
        "zone-outside-region",
        {"primaries.0.zone": "eu-west-1a"},
        ["kurl-lb:primaries[0].zone", "not in aws:region us-east-1"],
    ),
    (
        "deletion-protection-text",
        {"deletionProtection": "sometimes"},
        ["kurl-lb:deletionProtection", "true or false"],
    ),
    ("tag-not-scalar", {"tags": {"team": [5]}}, ["kurl-lb:tags.team", "map of string to string"]),
    ("tags-empty", {"tags": ""}, ["kurl-lb:tags: is empty (the key has no value)"]),
    (
        "reserved-tag",
        {"tags": {"kurl-lb-stack": "x"}},
        ["kurl-lb:tags.kurl-lb-stack", "set by kurl-lb itself"],
    ),
    ("primaries-not-json", {"primaries": "primary-1"}, ["kurl-lb:primaries", "list of primaries"]),
]


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(AWS_CASES))
def test_bad_aws_config_is_rejected_before_anything_is_registered(
    changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(AWS_DEV, changes, fragments)


def test_every_problem_is_reported_in_one_message() -> None:
    config = with_changes(
        AWS_DEV,
        {
            "port": 70000,
            "primaries.1.address": "300.1.1.1",
            "aws.subnetIds": ["nope"],
            "healthCheck": {"intervalSeconds": 1},
        },
    )
    with pytest.raises(ConfigError) as info:
        check_stack(encode(config), {"aws:region": "us-east-1"})
    paths = info.value.paths
    assert paths == [
        "kurl-lb:port",
        "kurl-lb:healthCheck.intervalSeconds",
        "kurl-lb:primaries[1].address",
        "kurl-lb:aws.subnetIds[0]",
    ]
    assert str(info.value).startswith("invalid stack config (4 problems):")


def test_internal_instance_targets_with_addresses_get_one_piece_of_advice() -> None:
    """targetType instance on an internal NLB: the message says to use ip, and does not also
    tell the primaries (which have addresses, what ip needs) to give instanceId instead."""
    config = with_changes(AWS_DEV, {"aws.targetType": "instance"})
    with pytest.raises(ConfigError) as info:
        check_stack(encode(config), {"aws:region": "us-east-1"})
    assert info.value.paths == ["kurl-lb:aws.targetType"]
    assert "use targetType ip" in str(info.value)
    assert "instanceId" not in str(info.value)


def test_config_values_arrive_as_strings_like_the_cli_sends_them() -> None:
    _, config = check_stack(
        {**encode(AWS_DEV), "kurl-lb:port": "8443", "kurl-lb:deletionProtection": "false"},
        {"aws:region": "us-east-1"},
    )
    assert config["port"] == 8443
    assert config["deletion_protection"] is False
    registered = [p["name"] for p in config["primaries"] if p["registered"]]
    assert registered == ["primary-1"]
    assert [p["name"] for p in config["primaries"] if not p["registered"]] == [
        "primary-2",
        "primary-3",
    ]


def test_defaults() -> None:
    minimal = {
        "kurl-lb:cloud": "aws",
        "kurl-lb:scheme": "internal",
        "kurl-lb:aws": '{"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0a1b2c3d"]}',
        "kurl-lb:primaries": '[{"name": "p1", "address": "10.0.0.5", "registered": true}]',
    }
    stack, config = check_stack(minimal)
    assert (stack.name, config["port"], config["deletion_protection"], config["tags"]) == (
        "kurl",
        6443,
        True,
        {},
    )
    assert config["allowed_client_cidrs"] is None
    aws = config
    assert (aws["target_type"], aws["load_balancer_security_group"], aws["cross_zone"]) == (
        "ip",
        True,
        True,
    )
    assert aws["preserve_client_ip"] is False
    hc = config["health_check"]
    assert (hc["interval_seconds"], hc["healthy_threshold"], hc["unhealthy_threshold"]) == (
        10,
        3,
        3,
    )


def test_numbers_and_booleans_are_accepted_where_strings_are_expected() -> None:
    """What `pulumi config set --path 'kurl-lb:tags.costcenter' 1234` stores is a number (and
    `true` a boolean): string fields take them as the strings they were written as."""
    config = with_changes(
        AWS_DEV,
        {
            "tags": {"costcenter": 1234, "billable": True, "ratio": 1.5, "big": 1e3},
            "primaries.0.name": 1,
            "name": "kurl",
        },
    )
    _, cfg = check_stack(encode(config), {"aws:region": "us-east-1"})
    assert cfg["tags"] == {
        "costcenter": "1234",
        "billable": "true",
        "ratio": "1.5",
        "big": "1000",
    }
    assert cfg["primaries"][0]["name"] == "1"
    # Non-string fields keep their types: a number is still no boolean or list.
    with pytest.raises(ConfigError, match=r"kurl-lb:aws\.subnetIds"):
        check_stack(
            encode(with_changes(AWS_DEV, {"aws.subnetIds": 5})), {"aws:region": "us-east-1"}
        )


@pytest.mark.parametrize("key", ["\x1b[31m", "a\nb", "\u2028", "\x00"])
def test_keys_with_control_characters_are_escaped_in_paths(key: str) -> None:
    """Values were escaped in messages, keys were not (`kurl-lb:healthCheck.<ESC>`): a key is
    shown escaped wherever a message names it, path or text."""
    message, _ = run_failing(with_changes(AWS_DEV, {"healthCheck": {key: 1}}))
    assert all(line.isprintable() for line in message.splitlines())
    line = next(line for line in message.splitlines() if "kurl-lb:healthCheck." in line)
    assert line.isprintable()
    assert "unknown key" in line
