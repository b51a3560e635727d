"""Issue 21 on AWS against the real AWS provider (tests/aws_provider.py; skipped when `make
providers` has not built it): the Elastic IP's and the Route 53 record's rows in
offline/replacements.py (the cases join tests/test_aws_provider_diff.py's), and what the provider
plans when an existing NLB gets static addresses."""

from __future__ import annotations

from typing import Any

from tests.aws_provider import AwsProvider, aws_provider
from tests.test_address_aws import AWS_FULL, PRIVATE, internal, run

__all__ = ["aws_provider"]  # the session fixture, used by name

LB = "aws:lb/loadBalancer:LoadBalancer"
EIP = "aws:ec2/eip:Eip"
RECORD = "aws:route53/record:Record"
TAGS = {"kurl-lb-stack": "test", "team": "platform", "cost-center": "42"}

# The resource of each new type whose inputs the cases start from (AWS_FULL's).
ADDRESS_BASE_NAMES = {
    EIP: "kurl-eip-subnet-0a1b2c3d4e5f60711",
    RECORD: "kurl-dns-api.example.com",
}


def address_base_inputs() -> dict[str, dict[str, Any]]:
    graph = run(AWS_FULL)
    return {token: dict(graph.by_name(name).inputs) for token, name in ADDRESS_BASE_NAMES.items()}


def _cases() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(token, label, before, after), as tests/test_aws_provider_diff.py's `case` takes them."""
    other_alias = {
        "name": "kurl-v2-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com",
        "zoneId": "Z26RNL4JYFTOTI",
        "evaluateTargetHealth": False,
    }
    return [
        (EIP, "domain", {}, {"domain": "standard"}),
        (EIP, "address", {}, {"address": "198.51.100.20"}),
        (EIP, "ipamPoolId", {}, {"ipamPoolId": "ipam-pool-0123456789abcdef0"}),
        (EIP, "networkBorderGroup", {}, {"networkBorderGroup": "us-east-1-wl1"}),
        (EIP, "publicIpv4Pool", {}, {"publicIpv4Pool": "ipv4pool-ec2-0123456789abcdef0"}),
        (EIP, "tags", {}, {"tags": {**TAGS, "Name": "kurl-nlb"}}),
        (RECORD, "name", {}, {"name": "api2.example.com"}),
        (RECORD, "type", {}, {"type": "AAAA"}),
        (RECORD, "zoneId", {}, {"zoneId": "Z0123456789OTHER"}),
        # The NLB behind the record replaced: the record is updated, its name (the address) stays.
        (RECORD, "aliases", {}, {"aliases": [other_alias]}),
    ]


ADDRESS_CASES = _cases()


def _decision(provider: AwsProvider, before: dict[str, Any], after: dict[str, Any]) -> str:
    old = provider.check(LB, "kurl-nlb", before)
    new = provider.check(LB, "kurl-nlb", after, olds=old.inputs)
    assert old.failures == [] and new.failures == []
    state = provider.created_state(LB, "kurl-nlb", old.inputs)
    # The subnet mappings AWS reports for an NLB created with plain subnets (Read fills them).
    state["subnetMappings"] = [
        {"subnetId": s, "allocationId": "", "privateIpv4Address": "", "ipv6Address": ""}
        for s in before["subnets"]
    ]
    return provider.diff(LB, "kurl-nlb", state, old.inputs, new.inputs).decision


def test_static_addresses_on_an_existing_nlb_are_an_update_aws_refuses(
    aws_provider: AwsProvider,
) -> None:
    """The provider plans fixing an existing NLB's addresses (plain subnets -> subnet mappings
    with private addresses, as many subnets) as an in-place update, which AWS's SetSubnets
    refuses ("you must include all subnets that were enabled previously, with their existing
    configurations"); the offline plan says replace. Either way the addresses of an existing
    NLB are fixed only by a new NLB: an address move (docs/aws.md)."""
    from tests.test_aws_provider_diff import offline_decision

    before = dict(run(internal()).by_name("kurl-nlb").inputs)
    after = dict(run(internal(privateIpv4Addresses=PRIVATE)).by_name("kurl-nlb").inputs)
    assert _decision(aws_provider, before, after) == "update"
    assert offline_decision(LB, before, after) == "replace"
