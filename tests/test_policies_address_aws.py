"""The pack's view of issue 21's AWS resources, through its real gRPC Analyzer interface: subnet
mappings that do not match the load balancer's scheme (mandatory, never a silent pass on an
unknown value), and Route 53 aliases publishing an internal NLB in a public zone (advisory,
under api-open-to-internet)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from offline.analyzer import PolicyGate, PolicyResult
from offline.recorder import PreviewMocks, record
from tests.test_policies import assert_has_violation, assert_no_violation

ADDRESSES = "aws-nlb-addresses-match-scheme"
DNS = "api-open-to-internet"  # the Route 53 check reports under it, as GCP's record check
SUBNETS = ["subnet-0a1b2c31", "subnet-0a1b2c32"]


class _Outputs(dict[str, Any]):
    """In an update, the computed outputs these programs link resources with (an Elastic IP's
    allocation ID, a zone's and a load balancer's zone IDs, ARNs)."""

    def get(self, key: str, default: Any = None) -> Callable[[Any], dict[str, str]]:
        return lambda a: {
            "arn": f"arn:test:{a.typ}:{a.name}",
            "allocationId": "eipalloc-0123456789abcdef0",
            "zoneId": "Z0123456789TEST",
            "dnsName": f"{a.name}.elb.example",
        }


def verdicts(
    gate: PolicyGate, program: Callable[[], None], *, preview: bool = True
) -> PolicyResult:
    graph = record(
        program,
        project="foreign",
        stack="ci",
        config={},
        mocks=PreviewMocks(outputs=_Outputs(), preview=preview),
    )
    result = gate.analyze(graph)
    assert not [d for d in result.diagnostics if d.skipped], result.diagnostics
    return result


@pytest.fixture
def gate(pack: PolicyGate) -> PolicyGate:
    """The project's pack (tests/conftest.py: one per test process)."""
    return pack


def nlb(
    *, internal: pulumi.Input[bool], mapping: Callable[[int], dict[str, Any]]
) -> aws.lb.LoadBalancer:
    return aws.lb.LoadBalancer(
        "api",
        load_balancer_type="network",
        internal=internal,
        subnet_mappings=[
            aws.lb.LoadBalancerSubnetMappingArgs(subnet_id=s, **mapping(i))
            for i, s in enumerate(SUBNETS)
        ],
        enable_deletion_protection=True,
    )


def with_eips(internal: pulumi.Input[bool]) -> Callable[[], None]:
    def program() -> None:
        eips = [aws.ec2.Eip(f"api-{i}", domain="vpc") for i in range(len(SUBNETS))]
        nlb(internal=internal, mapping=lambda i: {"allocation_id": eips[i].allocation_id})

    return program


def with_allocations(internal: bool) -> Callable[[], None]:
    return lambda: (
        nlb(internal=internal, mapping=lambda i: {"allocation_id": f"eipalloc-0123456{i}"}) and None
    )


def with_private(internal: bool) -> Callable[[], None]:
    return lambda: (
        nlb(internal=internal, mapping=lambda i: {"private_ipv4_address": f"10.0.{i}.5"}) and None
    )


# --- aws-nlb-addresses-match-scheme (mandatory) ------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_elastic_ip_allocation_on_an_internal_nlb_is_refused(
    gate: PolicyGate, preview: bool
) -> None:
    result = verdicts(gate, with_allocations(internal=True), preview=preview)
    assert_has_violation(
        result,
        ADDRESSES,
        "api",
        level="mandatory",
        fragment="is internal but its subnetMappings[0] has an Elastic IP allocation",
    )


def test_created_eips_on_an_internal_nlb_are_never_a_silent_pass(gate: PolicyGate) -> None:
    # At preview the allocation IDs are unknown: not a pass.
    preview = verdicts(gate, with_eips(internal=True), preview=True)
    assert_has_violation(
        preview,
        ADDRESSES,
        "api",
        level="mandatory",
        fragment="cannot verify at preview: aws-nlb-addresses-match-scheme: "
        "subnetMappings[0].allocationId",
    )
    update = verdicts(gate, with_eips(internal=True), preview=False)
    assert_has_violation(update, ADDRESSES, "api", level="mandatory", fragment="is internal")


def test_mappings_the_provider_computes_from_subnets_are_no_static_address(
    gate: PolicyGate,
) -> None:
    # The real provider's Check leaves `subnetMappings` unknown next to the given `subnets`
    # (both Optional+Computed, exactly one given): nothing to judge, at preview too.
    def program() -> None:
        eip = aws.ec2.Eip("unrelated", domain="vpc")
        aws.lb.LoadBalancer(
            "api",
            load_balancer_type="network",
            internal=True,
            subnets=SUBNETS,
            subnet_mappings=eip.allocation_id.apply(lambda _: []),  # unknown at preview
        )

    assert_no_violation(verdicts(gate, program, preview=True), ADDRESSES)


def test_unknown_mappings_without_subnets_are_never_a_silent_pass(gate: PolicyGate) -> None:
    def program() -> None:
        eip = aws.ec2.Eip("unrelated", domain="vpc")
        aws.lb.LoadBalancer(
            "api",
            load_balancer_type="network",
            internal=True,
            subnet_mappings=eip.allocation_id.apply(lambda _: []),
        )

    assert_has_violation(
        verdicts(gate, program, preview=True),
        ADDRESSES,
        "api",
        level="mandatory",
        fragment="cannot verify at preview",
    )


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_elastic_ips_on_an_internet_facing_nlb_pass(gate: PolicyGate, preview: bool) -> None:
    assert_no_violation(verdicts(gate, with_eips(internal=False), preview=preview), ADDRESSES)
    assert_no_violation(verdicts(gate, with_allocations(internal=False)), ADDRESSES)


def test_private_address_on_an_internet_facing_nlb_is_refused(gate: PolicyGate) -> None:
    result = verdicts(gate, with_private(internal=False))
    assert_has_violation(
        result,
        ADDRESSES,
        "api",
        level="mandatory",
        fragment="is internet-facing but its subnetMappings[1] has a privateIpv4Address",
    )


def test_private_addresses_on_an_internal_nlb_pass(gate: PolicyGate) -> None:
    assert_no_violation(verdicts(gate, with_private(internal=True)), ADDRESSES)


def test_unknown_scheme_with_an_allocation_cannot_be_verified(gate: PolicyGate) -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        internal = vpc.id.apply(lambda _: True)  # unknown at preview
        nlb(internal=internal, mapping=lambda i: {"allocation_id": f"eipalloc-0123456{i}"})

    result = verdicts(gate, program)
    assert_has_violation(
        result,
        ADDRESSES,
        "api",
        level="mandatory",
        fragment="LoadBalancer 'api' property internal unknown during preview",
    )


# --- aws-dns-internal-nlb-in-public-zone (advisory) --------------------------------------------


def dns_program(*, internal: bool, vpcs: bool | None) -> Callable[[], None]:
    """An NLB aliased by a record in a zone of the stack: public (no vpcs), private, or with
    `vpcs` unknown at preview (None)."""

    def program() -> None:
        lb = aws.lb.LoadBalancer(
            "api", load_balancer_type="network", internal=internal, subnets=SUBNETS
        )
        zone_vpcs = None
        if vpcs is None:
            vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
            zone_vpcs = [aws.route53.ZoneVpcArgs(vpc_id=vpc.id.apply(lambda i: i))]
        elif vpcs:
            zone_vpcs = [aws.route53.ZoneVpcArgs(vpc_id="vpc-0a1b2c3d")]
        zone = aws.route53.Zone("zone", name="example.com", vpcs=zone_vpcs)
        aws.route53.Record(
            "api",
            zone_id=zone.zone_id,
            name="api.example.com",
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=False
                )
            ],
        )

    return program


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_internal_nlb_in_a_public_zone_is_flagged(gate: PolicyGate, preview: bool) -> None:
    result = verdicts(gate, dns_program(internal=True, vpcs=False), preview=preview)
    assert_has_violation(
        result,
        DNS,
        "api",
        level="advisory",
        fragment="in the public hosted zone 'zone' (no vpcs) points at internal load balancer",
    )
    assert not [d for d in result.diagnostics if d.policy == DNS and d.level == "mandatory"]


def test_internal_nlb_in_a_private_zone_passes(gate: PolicyGate) -> None:
    assert_no_violation(verdicts(gate, dns_program(internal=True, vpcs=True)), DNS)


def test_public_nlb_in_a_public_zone_passes(gate: PolicyGate) -> None:
    assert_no_violation(verdicts(gate, dns_program(internal=False, vpcs=False)), DNS)


def test_zone_with_unknown_vpcs_is_skipped_as_advisory(gate: PolicyGate) -> None:
    # Advisory only: an unknown `vpcs` is not reported (docs/policies.md, "skipped").
    assert_no_violation(verdicts(gate, dns_program(internal=True, vpcs=None)), DNS)
