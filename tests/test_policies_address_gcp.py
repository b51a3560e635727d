"""The policy pack's view of GCP's stable addresses (#21): a second forwarding rule to the same
backend service is judged like the first; an address of the wrong kind on a forwarding rule is
refused (mandatory, in api-layer4-only); a Cloud DNS record in a public zone naming an internal
load balancer is flagged (advisory, in api-open-to-internet). Each with a failing, a passing and
an unknown-value case, at preview and at update."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_gcp as gcp
import pytest

from tests.policy_harness import Finding, run_policy

from kurl_policies.advisory import api_open_to_internet  # isort: skip
from kurl_policies.health_checks import api_health_check_tcp  # isort: skip
from kurl_policies.layer4 import api_layer4_only  # isort: skip

Program = Callable[[], None]
PREVIEW = pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])


def passthrough(
    *,
    scheme: str = "INTERNAL",
    address_types: tuple[str | None, ...] = ("INTERNAL",),
    unknown_type: bool = False,
) -> Program:
    """A passthrough NLB: one backend service, one forwarding rule per address (the move's
    second front end is the second one)."""

    def program() -> None:
        hc = gcp.compute.RegionHealthCheck(
            "hc", region="us-central1", tcp_health_check={"port": 6443}
        )
        group = gcp.compute.InstanceGroup("g", zone="us-central1-a", network="vpc")
        group_b = gcp.compute.InstanceGroup("gb", zone="us-central1-b", network="vpc")
        backend = gcp.compute.RegionBackendService(
            "backend",
            region="us-central1",
            protocol="TCP",
            load_balancing_scheme=scheme,
            health_checks=hc.id,
            backends=[{"group": group.self_link}, {"group": group_b.self_link}],
        )
        internal = scheme == "INTERNAL"
        for i, kind in enumerate(address_types):
            name = "ip" if i == 0 else f"ip-v{i + 1}"
            address_type: pulumi.Input[str] | None = kind
            if unknown_type and i == len(address_types) - 1:
                # Known only once another resource exists: unknown at preview.
                address_type = gcp.compute.Network("other").name.apply(lambda _: "EXTERNAL")
            address = gcp.compute.Address(
                name,
                region="us-central1",
                address_type=address_type,
                # Given, so that an update's mock outputs have it (the cloud computes it).
                address=f"10.20.0.{50 + i}" if kind == "INTERNAL" else f"34.120.0.{50 + i}",
                subnetwork="subnet" if kind == "INTERNAL" else None,
            )
            gcp.compute.ForwardingRule(
                "fr" if i == 0 else f"fr-v{i + 1}",
                region="us-central1",
                ip_address=address.address,
                ip_protocol="TCP",
                ports=["6443"],
                load_balancing_scheme=scheme,
                backend_service=backend.id,
                network="vpc" if internal else None,
                subnetwork="subnet" if internal else None,
            )

    return program


def mandatory(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.name, f.message) for f in findings]


@PREVIEW
def test_an_external_address_on_an_internal_rule_is_refused(preview: bool) -> None:
    found = run_policy(
        api_layer4_only, passthrough(address_types=("INTERNAL", None)), preview=preview
    )
    assert [(f.name, f.unverified) for f in found] == [("fr-v2", False)]
    assert "at address 'ip-v2', which is EXTERNAL" in found[0].message
    assert "Give it an INTERNAL address in its subnetwork" in found[0].message


@PREVIEW
def test_an_internal_address_on_an_external_rule_is_refused(preview: bool) -> None:
    program = passthrough(scheme="EXTERNAL", address_types=("EXTERNAL", "INTERNAL"))
    found = run_policy(api_layer4_only, program, preview=preview)
    assert [f.name for f in found] == ["fr-v2"]
    assert "which is INTERNAL" in found[0].message


@PREVIEW
def test_two_front_ends_of_their_scheme_pass(preview: bool) -> None:
    for program in (
        passthrough(address_types=("INTERNAL", "INTERNAL")),
        passthrough(scheme="EXTERNAL", address_types=("EXTERNAL", None)),
    ):
        assert run_policy(api_layer4_only, program, preview=preview) == []
        assert run_policy(api_health_check_tcp, program, preview=preview) == []


def test_an_unknown_address_type_is_unverified_not_passed() -> None:
    program = passthrough(address_types=("INTERNAL", "INTERNAL"), unknown_type=True)
    found = run_policy(api_layer4_only, program, preview=True)
    assert [(f.name, f.unverified) for f in found] == [("fr-v2", True)]
    assert "Address 'ip-v2' property addressType" in found[0].message
    # At update the value is known (EXTERNAL on an internal rule): refused.
    found = run_policy(api_layer4_only, program, preview=False)
    assert [(f.name, f.unverified) for f in found] == [("fr-v2", False)]


def test_the_second_rule_is_judged_like_the_first() -> None:
    # An HTTP health check on the shared backend: both rules serve the API through it.
    def program() -> None:
        hc = gcp.compute.RegionHealthCheck(
            "hc", region="us-central1", http_health_check={"port": 6443}
        )
        backend = gcp.compute.RegionBackendService(
            "backend",
            region="us-central1",
            protocol="TCP",
            load_balancing_scheme="EXTERNAL",
            health_checks=hc.id,
        )
        for name in ("fr", "fr-v2"):
            gcp.compute.ForwardingRule(
                name,
                region="us-central1",
                ip_protocol="TCP",
                ports=["6443"],
                load_balancing_scheme="EXTERNAL",
                backend_service=backend.id,
            )

    found = run_policy(api_health_check_tcp, program, preview=False)
    assert {f.name for f in found} == {"hc"}
    assert {"forwarding rule 'fr')", "forwarding rule 'fr-v2')"} <= {
        f.message.split("API ", 1)[1].split(" is ", 1)[0] for f in found
    }


# --- DNS records ----------------------------------------------------------------------------------


def dns(
    *,
    scheme: str = "INTERNAL",
    visibility: str | None = "public",
    zone_in_stack: bool = True,
    by_ip: bool = False,
    unknown_visibility: bool = False,
) -> Program:
    def program() -> None:
        internal = scheme == "INTERNAL"
        address = gcp.compute.Address(
            "ip",
            region="us-central1",
            address_type=scheme,
            address="10.20.0.50" if internal else "34.120.0.50",
            subnetwork="subnet" if internal else None,
        )
        gcp.compute.ForwardingRule(
            "fr",
            region="us-central1",
            ip_address=address.address,
            ip_protocol="TCP",
            ports=["6443"],
            load_balancing_scheme=scheme,
            backend_service="projects/p/regions/us-central1/backendServices/b",
        )
        zone_name: pulumi.Input[str] = "kurl-zone"
        if zone_in_stack:
            seen: pulumi.Input[str] | None = visibility
            if unknown_visibility:
                seen = gcp.compute.Network("other").name.apply(lambda _: "public")
            zone = gcp.dns.ManagedZone(
                "zone", name="kurl-zone", dns_name="kurl.example.com.", visibility=seen
            )
            zone_name = zone.name
        gcp.dns.RecordSet(
            "api",
            managed_zone=zone_name,
            name="api.kurl.example.com.",
            type="A",
            ttl=60,
            rrdatas=["10.20.0.50"] if by_ip else [address.address],
        )

    return program


@PREVIEW
def test_a_public_record_of_an_internal_lb_is_flagged(preview: bool) -> None:
    for program in (dns(), dns(visibility=None), dns(by_ip=True)):
        found = run_policy(api_open_to_internet, program, preview=preview)
        assert [f.name for f in found] == ["api"]
        assert "public managed zone 'zone'" in found[0].message
        assert "internal load balancer address of 'ip'" in found[0].message


@PREVIEW
def test_private_zones_external_lbs_and_unseen_zones_pass(preview: bool) -> None:
    for program in (
        dns(visibility="private"),
        dns(scheme="EXTERNAL"),
        dns(zone_in_stack=False),
    ):
        assert run_policy(api_open_to_internet, program, preview=preview) == []


def test_an_unknown_zone_visibility_is_not_flagged_at_preview() -> None:
    # Advisory: an unknown visibility is left to the update, where it is known.
    program = dns(unknown_visibility=True)
    assert run_policy(api_open_to_internet, program, preview=True) == []
    assert [f.name for f in run_policy(api_open_to_internet, program, preview=False)] == ["api"]
