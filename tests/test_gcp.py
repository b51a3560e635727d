"""GcpKurlLb builds what the kURL page's GCP section asks for, with real values asserted."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from components.kurl import UNIT_NAME, nodeport_alias_script
from offline.diff import CREATE, diff
from offline.recorder import PreviewMocks, record
from tests.conftest import (
    DELETE,
    GCP_API,
    GCP_DEV,
    GCP_IP,
    GCP_PROJECT,
    BadConfigCase,
    assert_rejected,
    bad_config_params,
    run_project,
    with_changes,
)

ADDRESS = "gcp:compute/address:Address"
GROUP = "gcp:compute/instanceGroup:InstanceGroup"
MEMBER = "gcp:compute/instanceGroupMembership:InstanceGroupMembership"
SUBNET = f"projects/{GCP_PROJECT}/regions/us-central1/subnetworks/kurl-subnet"


def internal(base: dict[str, Any]) -> dict[str, Any]:
    return with_changes(
        base, {"scheme": "internal", "allowedClientCidrs": DELETE, "gcp.subnetwork": SUBNET}
    )


def test_external_topology_follows_the_kurl_page(gcp_dev: dict[str, Any]) -> None:
    graph = run_project(gcp_dev)
    address = graph.by_name("kurl-ip")
    assert address.type == ADDRESS
    assert address.inputs == {
        "region": "us-central1",
        "addressType": "EXTERNAL",
        "networkTier": "PREMIUM",
        "labels": {"team": "platform", "kurl-lb-stack": "test"},
    }
    assert address.protect is True

    hc = graph.by_name("kurl-hc").inputs
    assert hc == {
        "region": "us-central1",
        "checkIntervalSec": 5,
        "timeoutSec": 5,
        "healthyThreshold": 2,
        "unhealthyThreshold": 2,
        "tcpHealthCheck": {"port": 6443},
    }

    groups = {r.name: r.inputs for r in graph.of_type(GROUP)}
    assert groups == {
        "kurl-us-central1-a": {
            "zone": "us-central1-a",
            "network": "kurl-vpc",
            "description": "kURL primaries in us-central1-a (kurl-lb)",
        },
        "kurl-us-central1-b": {
            "zone": "us-central1-b",
            "network": "kurl-vpc",
            "description": "kURL primaries in us-central1-b (kurl-lb)",
        },
    }

    members = {r.name: r.inputs for r in graph.of_type(MEMBER)}
    assert members == {
        "kurl-member-primary-1": {
            "zone": "us-central1-a",
            "instanceGroup": "kurl-us-central1-a-a1b2c3d",
            "instance": "vm-1",
        }
    }

    backend = graph.by_name("kurl-backend").inputs
    assert backend["protocol"] == "TCP"
    assert backend["loadBalancingScheme"] == "EXTERNAL"
    assert backend["region"] == "us-central1"
    assert backend["healthChecks"].endswith("/healthChecks/kurl-hc-a1b2c3d")
    assert backend["backends"] == [
        {
            "group": f"{GCP_API}/zones/{zone}/instanceGroups/kurl-{zone}-a1b2c3d",
            "balancingMode": "CONNECTION",
        }
        for zone in ("us-central1-a", "us-central1-b")
    ]
    assert "network" not in backend

    rule = graph.by_name("kurl-fr")
    assert rule.protect is True
    assert rule.inputs == {
        "region": "us-central1",
        "ipAddress": GCP_IP,
        "ipProtocol": "TCP",
        "ports": ["6443"],
        "loadBalancingScheme": "EXTERNAL",
        "backendService": backend["healthChecks"].replace(
            "healthChecks/kurl-hc", "backendServices/kurl-backend"
        ),
        "networkTier": "PREMIUM",
        "labels": {"team": "platform", "kurl-lb-stack": "test"},
    }

    firewall = graph.by_name("kurl-allow-api").inputs
    assert firewall["network"] == "kurl-vpc"
    assert firewall["direction"] == "INGRESS"
    assert firewall["allows"] == [{"protocol": "tcp", "ports": ["6443"]}]
    assert firewall["targetTags"] == ["kurl-primary"]
    assert firewall["sourceRanges"] == [
        "35.191.0.0/16",
        "209.85.152.0/22",
        "209.85.204.0/22",
        "203.0.113.0/24",
    ]


def test_internal_scheme_uses_the_subnetwork(gcp_dev: dict[str, Any]) -> None:
    graph = run_project(internal(gcp_dev))
    address = graph.by_name("kurl-ip").inputs
    assert (address["addressType"], address["subnetwork"]) == ("INTERNAL", SUBNET)
    assert "networkTier" not in address
    backend = graph.by_name("kurl-backend").inputs
    assert (backend["loadBalancingScheme"], backend["network"]) == ("INTERNAL", "kurl-vpc")
    rule = graph.by_name("kurl-fr").inputs
    assert rule["loadBalancingScheme"] == "INTERNAL"
    assert (rule["network"], rule["subnetwork"]) == ("kurl-vpc", SUBNET)
    assert "networkTier" not in rule
    # Internal probers, then the subnetwork's range (looked up) as the default clients.
    assert graph.by_name("kurl-allow-api").inputs["sourceRanges"] == [
        "35.191.0.0/16",
        "130.211.0.0/22",
        "10.20.0.0/20",
    ]
    assert [i.token for i in graph.invokes] == ["gcp:compute/getSubnetwork:getSubnetwork"]
    assert graph.invokes[0].args == {"selfLink": SUBNET, "region": "us-central1"}


def test_standard_tier_and_self_links(gcp_dev: dict[str, Any]) -> None:
    link = f"{GCP_API}/zones/us-central1-a/instances/vm-9"
    config = with_changes(gcp_dev, {"gcp.networkTier": "STANDARD", "primaries.0.instance": link})
    graph = run_project(config)
    assert graph.by_name("kurl-ip").inputs["networkTier"] == "STANDARD"
    assert graph.by_name("kurl-fr").inputs["networkTier"] == "STANDARD"
    assert graph.by_name("kurl-member-primary-1").inputs["instance"] == link


def test_outputs_include_the_alias_script(gcp_dev: dict[str, Any]) -> None:
    outputs = run_project(gcp_dev).outputs
    assert outputs["loadBalancerAddress"] == f"{GCP_IP}:6443"
    assert outputs["kurlInstallFlags"] == f"ha load-balancer-address={GCP_IP}:6443"
    script = outputs["nodePortAliasScript"]
    assert f"LB_IP='{GCP_IP}'" in script
    assert 'addr replace "$LB_IP/32" dev "$IFACE"' in script
    assert UNIT_NAME in script


def test_registering_one_more_primary_adds_exactly_one_membership(gcp_dev: dict[str, Any]) -> None:
    before = run_project(gcp_dev)
    after = run_project(with_changes(gcp_dev, {"primaries.1.registered": True}))
    changes = diff(before, after)
    assert [(c.op, c.type, c.name) for c in changes] == [(CREATE, MEMBER, "kurl-member-primary-2")]


def test_listing_a_primary_in_a_new_zone_adds_only_its_group(gcp_dev: dict[str, Any]) -> None:
    before = run_project(gcp_dev)
    primaries = [
        *gcp_dev["kurl-lb:primaries"],
        {"name": "p4", "zone": "us-central1-c", "instance": "vm-4"},
    ]
    after = run_project(with_changes(gcp_dev, {"primaries": primaries}))
    changes = diff(before, after)
    # The group is new and becomes a backend now, so that registering p4 later does not touch
    # the backend service.
    assert {(c.op, c.name) for c in changes} == {
        ("~", "kurl-backend"),
        (CREATE, "kurl-us-central1-c"),
    }
    assert next(c for c in changes if c.op == "~").properties == ["backends"]


def test_children_are_parented_and_typed(gcp_dev: dict[str, Any]) -> None:
    graph = run_project(gcp_dev)
    component = graph.by_name("kurl")
    assert component.type == "kurl:index:GcpKurlLb"
    assert all(r.parent == component.urn for r in graph.custom)
    assert len(graph.custom) == 8


def test_alias_script_is_unknown_in_preview(gcp_dev: dict[str, Any]) -> None:
    graph = run_project(gcp_dev, preview=True)
    assert graph.outputs["registeredPrimaries"] == ["primary-1"]
    from offline.recorder import UNKNOWN

    assert graph.outputs["nodePortAliasScript"] == UNKNOWN


def _alias_script(ip: str) -> str:
    seen: dict[str, str] = {}

    async def program() -> None:
        seen["script"] = await nodeport_alias_script(ip).future() or ""

    record(program, project="p", stack="s", config={}, mocks=PreviewMocks(preview=False))
    return seen["script"]


def test_alias_script_has_every_placeholder_filled() -> None:
    script = _alias_script("34.120.0.10")
    assert "@" not in script
    assert f"UNIT_NAME='{UNIT_NAME}'" in script


def _netns_or_skip() -> str:
    # The GitHub workflow runs this test with sudo and KURL_LB_REQUIRE_NETNS=1: there a skip
    # would hide that it did not run.
    unavailable = pytest.fail if os.environ.get("KURL_LB_REQUIRE_NETNS") else pytest.skip
    if os.geteuid() != 0 or shutil.which("ip") is None:
        unavailable("needs root and iproute2 to create a network namespace")
    name = f"kurllb-{uuid.uuid4().hex[:8]}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode != 0:
        unavailable("network namespaces are unavailable here (ip netns add failed)")
    return name


def test_alias_script_adds_the_ip_once_and_is_idempotent(tmp_path: Path) -> None:
    ns = _netns_or_skip()
    try:

        def ip(*args: str) -> str:
            return subprocess.run(
                ["ip", "-n", ns, *args], check=True, capture_output=True, text=True
            ).stdout

        # A dummy interface where the kernel has the module; a veth pair otherwise.
        if (
            subprocess.run(
                ["ip", "-n", ns, "link", "add", "nic0", "type", "dummy"], capture_output=True
            ).returncode
            != 0
        ):
            ip("link", "add", "nic0", "type", "veth", "peer", "name", "nic0peer")
            ip("link", "set", "nic0peer", "up")
        ip("link", "set", "nic0", "up")
        ip("addr", "add", "10.128.0.5/20", "dev", "nic0")
        ip("route", "add", "default", "via", "10.128.0.1", "dev", "nic0")

        script = tmp_path / "alias.sh"
        script.write_text(_alias_script("34.120.0.10"))
        unit_dir = tmp_path / "systemd"
        env = {**os.environ, "KURL_LB_UNIT_DIR": str(unit_dir)}

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["ip", "netns", "exec", ns, "sh", str(script)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )

        first = run()
        assert "34.120.0.10/32 on nic0" in first.stdout
        addresses = ip("-4", "-o", "addr", "show", "dev", "nic0")
        assert addresses.count("34.120.0.10/32") == 1
        unit = unit_dir / UNIT_NAME
        text = unit.read_text()
        assert "ExecStart=" in text and "addr replace 34.120.0.10/32 dev nic0" in text
        assert "WantedBy=multi-user.target" in text
        stamp = unit.stat().st_mtime_ns

        run()  # second run: nothing changes
        assert ip("-4", "-o", "addr", "show", "dev", "nic0") == addresses
        assert unit.stat().st_mtime_ns == stamp
        assert unit.read_text() == text
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


GCP_CASES: list[BadConfigCase] = [
    (
        "zone-outside-region",
        {"primaries.1.zone": "europe-west1-b"},
        ["kurl-lb:primaries[1].zone", '"europe-west1-b" is not in gcp:region us-central1'],
    ),
    (
        "missing-region",
        {"gcp:region": DELETE},
        ["gcp:region: is required (pulumi config set gcp:region us-central1)"],
    ),
    (
        "internal-without-subnetwork",
        {"scheme": "internal"},
        ["kurl-lb:gcp.subnetwork: is required with scheme internal"],
    ),
    (
        "internal-standard-tier",
        {"scheme": "internal", "gcp.subnetwork": SUBNET, "gcp.networkTier": "STANDARD"},
        ["kurl-lb:gcp.networkTier", "always PREMIUM"],
    ),
    (
        "external-with-subnetwork",
        {"gcp.subnetwork": SUBNET},
        ["kurl-lb:gcp.subnetwork: is only used with scheme internal"],
    ),
    ("bad-tier", {"gcp.networkTier": "GOLD"}, ["kurl-lb:gcp.networkTier", "PREMIUM or STANDARD"]),
    (
        "missing-instance",
        {"primaries.0.instance": DELETE},
        ["kurl-lb:primaries[0].instance: is required", "instance name or self link"],
    ),
    ("missing-zone", {"primaries.2.zone": DELETE}, ["kurl-lb:primaries[2].zone: is required"]),
    (
        "bad-zone",
        {"primaries.0.zone": "us-central1"},
        ["kurl-lb:primaries[0].zone", "is not a GCP zone"],
    ),
    (
        "bad-instance",
        {"primaries.0.instance": "VM_1"},
        ["kurl-lb:primaries[0].instance", "GCP instance name or self link"],
    ),
    (
        "duplicate-instance",
        {"primaries.2.instance": "vm-1"},  # primaries 0 and 2 are both in us-central1-a
        ["kurl-lb:primaries[2].instance", "also primaries[0].instance"],
    ),
    (
        # A name and a self link naming one VM are one target.
        "duplicate-instance-as-link",
        {"primaries.2.instance": "projects/kurl-test/zones/us-central1-a/instances/vm-1"},
        ["kurl-lb:primaries[2].instance", "also primaries[0].instance"],
    ),
    (
        "aws-field-on-gcp-primary",
        {"primaries.0.address": "10.0.0.1"},
        ["kurl-lb:primaries[0].address: unknown key (or not used with cloud gcp)"],
    ),
    (
        "azure-field-on-gcp-primary",
        {"primaries.0.nicId": "x"},
        ["kurl-lb:primaries[0].nicId: unknown key"],
    ),
    (
        "azure-block-on-gcp",
        {"azure": {}},
        ["kurl-lb:azure: unknown key (or not used with cloud gcp)"],
    ),
    ("missing-network", {"gcp.network": DELETE}, ["kurl-lb:gcp.network: is required"]),
    ("no-target-tags", {"gcp.targetTags": []}, ["kurl-lb:gcp.targetTags", "list of network tags"]),
    (
        "bad-target-tag",
        {"gcp.targetTags": ["Kurl Primary"]},
        ["kurl-lb:gcp.targetTags[0]", "is not a GCP resource name"],
    ),
    (
        "interval-zero",
        {"healthCheck": {"intervalSeconds": 0}},
        ["kurl-lb:healthCheck.intervalSeconds", "integer 1-300"],
    ),
    (
        "threshold-high",
        {"healthCheck": {"healthyThreshold": 11}},
        ["kurl-lb:healthCheck.healthyThreshold", "integer 1-10"],
    ),
    (
        "public-without-clients",
        {"allowedClientCidrs": DELETE},
        ["kurl-lb:allowedClientCidrs: is required for an external load balancer"],
    ),
    (
        "label-uppercase",
        {"tags": {"Team": "platform"}},
        ["kurl-lb:tags.Team", "is not a valid label"],
    ),
    ("label-value-dots", {"tags": {"team": "a.b"}}, ["kurl-lb:tags.team", "is not a valid label"]),
]


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(GCP_CASES))
def test_bad_gcp_config_is_rejected_before_anything_is_registered(
    changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(GCP_DEV, changes, fragments)
