"""GCP #22: the HTTPS /readyz health check, extra ports (one forwarding rule, backend service,
TCP health check and firewall rule per port on every front end) and the public front end beside
an internal one (EXTERNAL backend services over the same instance groups), with real values."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.address import address_changes
from offline.diff import CREATE, DELETE, diff
from offline.recorder import Graph
from tests.conftest import (
    DELETE as REMOVE,
)
from tests.conftest import (
    GCP_API,
    GCP_IP,
    GCP_PROJECT,
    assert_rejected,
    with_changes,
)
from tests.test_address_gcp import RESERVED, SUBNET, build, failing, run

HC = "gcp:compute/regionHealthCheck:RegionHealthCheck"
BACKEND = "gcp:compute/regionBackendService:RegionBackendService"
RULE = "gcp:compute/forwardingRule:ForwardingRule"
FIREWALL = "gcp:compute/firewall:Firewall"
ADDRESS = "gcp:compute/address:Address"
MEMBERSHIP = "gcp:compute/instanceGroupMembership:InstanceGroupMembership"
RECORD = "gcp:dns/recordSet:RecordSet"
EXTERNAL_PROBERS = ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"]
INTERNAL_PROBERS = ["35.191.0.0/16", "130.211.0.0/22"]
SHARED = "SHARED_LOADBALANCER_VIP"
SUBNET_LINK = f"{GCP_API}/regions/us-central1/subnetworks/kurl-subnet"

# Internal addresses several forwarding rules may share (purpose SHARED_LOADBALANCER_VIP).
RESERVED.setdefault(
    "kurl-shared",
    {
        "address": "10.20.0.60",
        "addressType": "INTERNAL",
        "networkTier": "PREMIUM",
        "purpose": SHARED,
        "subnetwork": SUBNET_LINK,
    },
)
RESERVED.setdefault(
    "kurl-shared-v2",
    {
        "address": "10.20.0.70",
        "addressType": "INTERNAL",
        "networkTier": "PREMIUM",
        "purpose": SHARED,
        "subnetwork": SUBNET_LINK,
    },
)
KOTSADM = [{"name": "kotsadm", "port": 8800}]
PUBLIC = {"address": "kurl-api", "allowedClientCidrs": ["198.51.100.0/24"]}
PUBLIC_RECORD = {"managedZone": "kurl-example-com", "name": "admin.kurl.example.com"}


def internal(base: dict[str, Any], **more: Any) -> dict[str, Any]:
    return with_changes(
        base,
        {"scheme": "internal", "allowedClientCidrs": REMOVE, "gcp.subnetwork": SUBNET, **more},
    )


def names(graph: Graph, kind: str) -> set[str]:
    return {r.name for r in graph.of_type(kind)}


# --- the health check -----------------------------------------------------------------------------


def test_the_default_health_check_is_tcp_on_the_api_port(gcp_dev: dict[str, Any]) -> None:
    inputs = run(gcp_dev).by_name("kurl-hc").inputs
    assert inputs["tcpHealthCheck"] == {"port": 6443}
    assert "httpsHealthCheck" not in inputs


def test_https_checks_readyz_on_the_api_port(gcp_dev: dict[str, Any]) -> None:
    changes = {"healthCheck": {"protocol": "https", "intervalSeconds": 10}, "port": 7443}
    graph = run(with_changes(gcp_dev, changes))
    inputs = graph.by_name("kurl-hc").inputs
    assert inputs["httpsHealthCheck"] == {"port": 7443, "requestPath": "/readyz"}
    assert "tcpHealthCheck" not in inputs
    assert inputs["checkIntervalSec"] == 10
    assert inputs["timeoutSec"] == 5
    assert inputs["healthyThreshold"] == 2
    assert inputs["unhealthyThreshold"] == 2
    # The one backend service checks with it; nothing else changes.
    backend = graph.by_name("kurl-backend")
    assert backend.inputs["healthChecks"] == (
        f"projects/{GCP_PROJECT}/regions/us-central1/healthChecks/kurl-hc-a1b2c3d"
    )
    assert names(graph, HC) == {"kurl-hc"}


def test_an_internal_lb_takes_the_https_check_too(gcp_dev: dict[str, Any]) -> None:
    graph = run(internal(gcp_dev, healthCheck={"protocol": "https"}))
    assert graph.by_name("kurl-hc").inputs["httpsHealthCheck"]["requestPath"] == "/readyz"
    assert graph.by_name("kurl-backend").inputs["loadBalancingScheme"] == "INTERNAL"


# --- nothing changes without the options ---------------------------------------------------------


def test_without_the_options_the_resources_and_urns_are_todays(gcp_dev: dict[str, Any]) -> None:
    graph = run(gcp_dev)
    children = [r.urn for r in graph.resources if r.type.startswith("gcp:")]
    assert sorted(children) == sorted(
        f"urn:pulumi:test::kurl-lb::kurl:index:GcpKurlLb${kind}::{name}"
        for kind, name in [
            (ADDRESS, "kurl-ip"),
            (HC, "kurl-hc"),
            ("gcp:compute/instanceGroup:InstanceGroup", "kurl-us-central1-a"),
            ("gcp:compute/instanceGroup:InstanceGroup", "kurl-us-central1-b"),
            (MEMBERSHIP, "kurl-member-primary-1"),
            (BACKEND, "kurl-backend"),
            (RULE, "kurl-fr"),
            (FIREWALL, "kurl-allow-api"),
        ]
    )
    out = graph.outputs
    assert "extraPortAddresses" not in out and "publicLoadBalancerHost" not in out
    assert out["kurlInstallFlags"] == f"ha load-balancer-address={GCP_IP}:6443"


def test_tcp_given_explicitly_changes_nothing(gcp_dev: dict[str, Any]) -> None:
    before = run(gcp_dev)
    after = run(with_changes(gcp_dev, {"healthCheck": {"protocol": "tcp"}}))
    assert diff(before, after) == []


# --- extra ports ---------------------------------------------------------------------------------


def test_an_extra_port_gets_its_check_backend_rule_and_firewall(gcp_dev: dict[str, Any]) -> None:
    graph = run(with_changes(gcp_dev, {"extraPorts": KOTSADM}))
    hc = graph.by_name("kurl-hc-kotsadm").inputs
    assert hc["tcpHealthCheck"] == {"port": 8800}
    assert hc["checkIntervalSec"] == 5
    backend = graph.by_name("kurl-backend-kotsadm").inputs
    api_backend = graph.by_name("kurl-backend").inputs
    assert backend["loadBalancingScheme"] == "EXTERNAL"
    assert backend["protocol"] == "TCP"
    assert backend["healthChecks"] == (
        f"projects/{GCP_PROJECT}/regions/us-central1/healthChecks/kurl-hc-kotsadm-a1b2c3d"
    )
    # The same instance groups behind both backend services.
    assert backend["backends"] == api_backend["backends"]
    assert {b["balancingMode"] for b in backend["backends"]} == {"CONNECTION"}
    assert len(backend["backends"]) == 2
    rule = graph.by_name("kurl-fr-kotsadm").inputs
    assert rule["ipAddress"] == GCP_IP == graph.by_name("kurl-fr").inputs["ipAddress"]
    assert rule["ports"] == ["8800"]
    assert rule["backendService"] == (
        f"projects/{GCP_PROJECT}/regions/us-central1/backendServices/kurl-backend-kotsadm-a1b2c3d"
    )
    assert rule["networkTier"] == "PREMIUM"
    # Not the API address: removing the port deletes it without unprotecting.
    assert graph.by_name("kurl-fr-kotsadm").protect is False
    assert graph.by_name("kurl-fr").protect is True
    firewall = graph.by_name("kurl-allow-port-kotsadm").inputs
    assert firewall["allows"] == [{"protocol": "tcp", "ports": ["8800"]}]
    assert firewall["sourceRanges"] == [*EXTERNAL_PROBERS, "203.0.113.0/24"]
    assert firewall["targetTags"] == ["kurl-primary"]
    assert graph.outputs["extraPortAddresses"] == {"kotsadm": f"{GCP_IP}:8800"}


def test_an_internal_lb_shares_its_reserved_vip_across_the_rules(gcp_dev: dict[str, Any]) -> None:
    graph = run(internal(gcp_dev, extraPorts=KOTSADM, **{"gcp.address": "kurl-shared"}))
    api, extra = graph.by_name("kurl-fr").inputs, graph.by_name("kurl-fr-kotsadm").inputs
    assert api["ipAddress"] == extra["ipAddress"] == "10.20.0.60"
    assert extra["loadBalancingScheme"] == "INTERNAL"
    assert extra["subnetwork"] == SUBNET
    assert extra["network"] == "kurl-vpc"
    assert graph.by_name("kurl-backend-kotsadm").inputs["network"] == "kurl-vpc"
    firewall = graph.by_name("kurl-allow-port-kotsadm").inputs
    assert firewall["sourceRanges"] == [*INTERNAL_PROBERS, "10.20.0.0/20"]
    assert graph.outputs["extraPortAddresses"] == {"kotsadm": "10.20.0.60:8800"}


def test_a_target_port_equal_to_the_port_is_accepted(gcp_dev: dict[str, Any]) -> None:
    ports = [{"name": "kotsadm", "port": 8800, "targetPort": 8800}]
    graph = run(with_changes(gcp_dev, {"extraPorts": ports}))
    assert graph.by_name("kurl-hc-kotsadm").inputs["tcpHealthCheck"] == {"port": 8800}


ARGS: dict[str, Any] = {
    "primaries": [
        {"name": "primary-1", "zone": "us-central1-a", "instance": "vm-1", "registered": True},
        {"name": "primary-2", "zone": "us-central1-b", "instance": "vm-2"},
    ],
    "region": "us-central1",
    "project": GCP_PROJECT,
    "network": "kurl-vpc",
    "target_tags": ["kurl-primary"],
    "scheme": "internal",
    "subnetwork": SUBNET,
    "address": "kurl-shared",
}
TWO_PORTS = [{"name": "kotsadm", "port": 8800}, {"name": "api2", "port": 443}]


def test_adding_ports_only_creates() -> None:
    before, after = build(ARGS), build({**ARGS, "extra_ports": TWO_PORTS})
    changes = diff(before, after)
    assert {c.op for c in changes} == {CREATE}
    assert {(c.type, c.name) for c in changes} == {
        (kind, f"{stem}-{port}")
        for port in ("kotsadm", "api2")
        for kind, stem in [
            (HC, "kurl-hc"),
            (BACKEND, "kurl-backend"),
            (RULE, "kurl-fr"),
            (FIREWALL, "kurl-allow-port"),
        ]
    }
    assert address_changes(changes, before, after) == []


def test_registering_a_primary_with_two_ports_is_one_membership() -> None:
    before = build({**ARGS, "extra_ports": TWO_PORTS})
    primaries = copy.deepcopy(ARGS["primaries"])
    primaries[1]["registered"] = True
    after = build({**ARGS, "extra_ports": TWO_PORTS, "primaries": primaries})
    changes = diff(before, after)
    assert [(c.op, c.type, c.name) for c in changes] == [
        (CREATE, MEMBERSHIP, "kurl-member-primary-2")
    ]
    assert len(after.of_type(MEMBERSHIP)) == 2


# --- the public front end -------------------------------------------------------------------------


def test_the_public_front_end_is_an_external_lb_over_the_same_groups(
    gcp_dev: dict[str, Any],
) -> None:
    graph = run(internal(gcp_dev, **{"gcp.publicFrontEnd": PUBLIC}))
    internal_backend = graph.by_name("kurl-backend").inputs
    public_backend = graph.by_name("kurl-public-backend").inputs
    assert internal_backend["loadBalancingScheme"] == "INTERNAL"
    assert public_backend["loadBalancingScheme"] == "EXTERNAL"
    assert public_backend["protocol"] == "TCP"
    assert "network" not in public_backend
    assert public_backend["backends"] == internal_backend["backends"]
    # One health check for the API, shared by both backend services.
    assert public_backend["healthChecks"] == internal_backend["healthChecks"]
    rule = graph.by_name("kurl-public-fr").inputs
    assert rule["ipAddress"] == "34.120.0.50"
    assert rule["loadBalancingScheme"] == "EXTERNAL"
    assert rule["networkTier"] == "PREMIUM"
    assert rule["ports"] == ["6443"]
    assert "subnetwork" not in rule and "network" not in rule
    assert rule["backendService"].endswith("/kurl-public-backend-a1b2c3d")
    assert graph.by_name("kurl-public-fr").protect is True
    firewall = graph.by_name("kurl-public-allow-api").inputs
    assert firewall["sourceRanges"] == [*EXTERNAL_PROBERS, "198.51.100.0/24"]
    assert firewall["allows"] == [{"protocol": "tcp", "ports": ["6443"]}]
    # The internal front end keeps its own rule and clients.
    assert graph.by_name("kurl-allow-api").inputs["sourceRanges"] == [
        *INTERNAL_PROBERS,
        "10.20.0.0/20",
    ]
    assert names(graph, ADDRESS) == {"kurl-ip"}  # the public one is given
    out = graph.outputs
    internal_ip = GCP_IP  # the created internal address (mock)
    assert out["loadBalancerAddress"] == f"{internal_ip}:6443"
    assert out["publicLoadBalancerHost"] == "34.120.0.50"
    assert out["publicLoadBalancerAddress"] == "34.120.0.50:6443"
    assert out["kurlInstallFlags"] == (
        f"ha load-balancer-address={internal_ip}:6443 public-address=34.120.0.50"
    )
    assert out["kurlInstaller"]["spec"]["kurl"] == {"publicAddress": "34.120.0.50"}
    assert out["kurlInstaller"]["spec"]["kubernetes"]["loadBalancerAddress"] == (
        f"{internal_ip}:6443"
    )
    # NodePorts through the public IP hairpin too: aliased on every node.
    assert "OTHER_IPS='34.120.0.50'" in out["nodePortAliasScript"]


def test_a_public_record_is_kurls_public_address(gcp_dev: dict[str, Any]) -> None:
    pair = {"allowedClientCidrs": ["198.51.100.0/24"], "dnsRecord": PUBLIC_RECORD}
    graph = run(internal(gcp_dev, **{"gcp.publicFrontEnd": pair}))
    # No address given: kurl-lb reserves an EXTERNAL one for it.
    address = graph.by_name("kurl-public-ip")
    assert address.inputs["addressType"] == "EXTERNAL"
    assert address.inputs["networkTier"] == "PREMIUM"
    assert "subnetwork" not in address.inputs
    assert address.protect is True
    record_set = graph.by_name("kurl-public-dns-admin.kurl.example.com").inputs
    assert record_set["name"] == "admin.kurl.example.com."
    assert record_set["rrdatas"] == [GCP_IP]
    out = graph.outputs
    assert out["publicLoadBalancerHost"] == "admin.kurl.example.com"
    assert out["kurlInstallFlags"].endswith(" public-address=admin.kurl.example.com")
    assert out["kurlInstaller"]["spec"]["kurl"] == {"publicAddress": "admin.kurl.example.com"}


def test_the_pair_with_an_extra_port_on_both_front_ends(gcp_dev: dict[str, Any]) -> None:
    pair = {**PUBLIC, "dnsRecord": PUBLIC_RECORD}
    config = internal(
        gcp_dev, extraPorts=KOTSADM, **{"gcp.address": "kurl-shared", "gcp.publicFrontEnd": pair}
    )
    graph = run(config)
    assert names(graph, RULE) == {
        "kurl-fr",
        "kurl-fr-kotsadm",
        "kurl-public-fr",
        "kurl-public-fr-kotsadm",
    }
    assert names(graph, BACKEND) == {
        "kurl-backend",
        "kurl-backend-kotsadm",
        "kurl-public-backend",
        "kurl-public-backend-kotsadm",
    }
    assert names(graph, HC) == {"kurl-hc", "kurl-hc-kotsadm"}
    assert names(graph, FIREWALL) == {
        "kurl-allow-api",
        "kurl-allow-port-kotsadm",
        "kurl-public-allow-api",
        "kurl-public-allow-port-kotsadm",
    }
    public_port = graph.by_name("kurl-public-fr-kotsadm").inputs
    assert public_port["ipAddress"] == "34.120.0.50"
    assert public_port["ports"] == ["8800"]
    assert public_port["backendService"].endswith("/kurl-public-backend-kotsadm-a1b2c3d")
    assert graph.by_name("kurl-public-backend-kotsadm").inputs["healthChecks"] == (
        f"projects/{GCP_PROJECT}/regions/us-central1/healthChecks/kurl-hc-kotsadm-a1b2c3d"
    )
    assert graph.by_name("kurl-public-allow-port-kotsadm").inputs["sourceRanges"] == [
        *EXTERNAL_PROBERS,
        "198.51.100.0/24",
    ]
    out = graph.outputs
    assert out["extraPortAddresses"] == {"kotsadm": "10.20.0.60:8800"}
    assert out["publicExtraPortAddresses"] == {"kotsadm": "admin.kurl.example.com:8800"}
    assert len(graph.of_type(MEMBERSHIP)) == 1


PAIRED = {
    **ARGS,
    "extra_ports": KOTSADM,
    "public_front_end": {"address": "kurl-api", "allowed_client_cidrs": ["198.51.100.0/24"]},
}
PAIRED_MOVING = {**PAIRED, "address_move": {"front_end": "v2", "address": "kurl-shared-v2"}}
PAIRED_MOVED = {**PAIRED, "front_end": "v2", "address": "kurl-shared-v2"}


def test_a_move_of_the_paired_internal_front_end_creates_then_deletes_only_its_own() -> None:
    before, during, after = build(PAIRED), build(PAIRED_MOVING), build(PAIRED_MOVED)
    step1 = diff(before, during)
    assert {(c.op, c.type, c.name) for c in step1} == {
        (CREATE, RULE, "kurl-v2-fr"),
        (CREATE, RULE, "kurl-v2-fr-kotsadm"),
    }
    assert during.by_name("kurl-v2-fr-kotsadm").inputs["ipAddress"] == "10.20.0.70"
    assert (
        during.by_name("kurl-v2-fr-kotsadm").inputs["backendService"]
        == (during.by_name("kurl-fr-kotsadm").inputs["backendService"])
    )
    script = during.outputs["nodePortAliasScript"]
    assert "LB_IP='10.20.0.60'" in script and "OTHER_IPS='10.20.0.70 34.120.0.50'" in script
    step2 = diff(during, after)
    assert {(c.op, c.type, c.name) for c in step2} == {
        (DELETE, RULE, "kurl-fr"),
        (DELETE, RULE, "kurl-fr-kotsadm"),
    }
    assert after.outputs["publicLoadBalancerHost"] == "34.120.0.50"
    assert after.outputs["extraPortAddresses"] == {"kotsadm": "10.20.0.70:8800"}


# --- bad inputs -----------------------------------------------------------------------------------


CASES = [
    pytest.param(
        {"extraPorts": [{"name": "kotsadm", "port": 8800, "targetPort": 30880}]},
        [
            "kurl-lb:extraPorts[0].targetPort: 30880 is not extraPorts[0].port 8800",
            "do not translate ports",
            "allowed: 8800, or leave targetPort out",
        ],
        id="target-port-translation",
    ),
    pytest.param(
        {
            "scheme": "internal",
            "allowedClientCidrs": REMOVE,
            "gcp.subnetwork": SUBNET,
            "extraPorts": KOTSADM,
        },
        [
            "kurl-lb:gcp.address: is required with extraPorts on an internal load balancer",
            f"--purpose {SHARED}",
            "allowed: reserved regional address name or self link",
        ],
        id="internal-ports-without-address",
    ),
    pytest.param(
        {"gcp.publicFrontEnd": PUBLIC},
        ["kurl-lb:gcp.publicFrontEnd: is only used with scheme internal"],
        id="pair-with-a-public-scheme",
    ),
    pytest.param(
        {
            "scheme": "internal",
            "allowedClientCidrs": REMOVE,
            "gcp.subnetwork": SUBNET,
            "gcp.publicFrontEnd": {"address": "kurl-api"},
        },
        [
            "kurl-lb:gcp.publicFrontEnd.allowedClientCidrs: is required for an external load "
            "balancer (it is never silently 0.0.0.0/0)"
        ],
        id="pair-without-clients",
    ),
    pytest.param(
        {
            "scheme": "internal",
            "allowedClientCidrs": REMOVE,
            "gcp.subnetwork": SUBNET,
            "gcp.publicFrontEnd": {**PUBLIC, "networkTier": "GOLD"},
        },
        ["kurl-lb:gcp.publicFrontEnd.networkTier:", "PREMIUM", "STANDARD"],
        id="pair-bad-tier",
    ),
    pytest.param(
        {
            "scheme": "internal",
            "allowedClientCidrs": REMOVE,
            "gcp.subnetwork": SUBNET,
            "gcp.dnsRecord": {"managedZone": "kurl-private", "name": "api.kurl.example.com"},
            "gcp.publicFrontEnd": {
                **PUBLIC,
                "dnsRecord": {"managedZone": "kurl-example-com", "name": "api.kurl.example.com"},
            },
        },
        [
            'kurl-lb:gcp.publicFrontEnd.dnsRecord.name: "api.kurl.example.com" is also '
            "dnsRecord.name"
        ],
        id="pair-record-of-the-same-name",
    ),
    pytest.param(
        {
            "scheme": "internal",
            "allowedClientCidrs": REMOVE,
            "gcp.subnetwork": SUBNET,
            "gcp.publicFrontEnd": {
                **PUBLIC,
                "address": f"projects/{GCP_PROJECT}/regions/europe-west1/addresses/x",
            },
        },
        ["kurl-lb:gcp.publicFrontEnd.address:", "is in region europe-west1"],
        id="pair-address-in-another-region",
    ),
]


@pytest.mark.parametrize(("changes", "fragments"), CASES)
def test_bad_values_are_refused_naming_the_key(
    gcp_dev: dict[str, Any], changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(gcp_dev, changes, fragments)


def test_an_internal_address_without_the_shared_purpose_fails(gcp_dev: dict[str, Any]) -> None:
    message = failing(internal(gcp_dev, extraPorts=KOTSADM, **{"gcp.address": "kurl-internal"}))
    assert 'address: "kurl-internal" is a GCE_ENDPOINT address' in message
    assert f"allowed: an INTERNAL address reserved with --purpose {SHARED}" in message


def test_an_internal_address_for_the_public_front_end_fails(gcp_dev: dict[str, Any]) -> None:
    pair = {**PUBLIC, "address": "kurl-internal"}
    message = failing(internal(gcp_dev, **{"gcp.publicFrontEnd": pair}))
    assert "publicFrontEnd.address" in message
    assert '"kurl-internal" is an INTERNAL address; publicFrontEnd needs an EXTERNAL one' in message


def test_a_tier_mismatch_of_the_public_address_names_its_tier(gcp_dev: dict[str, Any]) -> None:
    pair = {**PUBLIC, "networkTier": "STANDARD"}
    message = failing(internal(gcp_dev, **{"gcp.publicFrontEnd": pair}))
    assert "publicFrontEnd.address" in message
    assert "publicFrontEnd.networkTier is STANDARD" in message


def test_a_secret_public_front_end_stays_secret() -> None:
    import hashlib

    pair = {
        "address": "kurl-api",
        "allowed_client_cidrs": ["198.51.100.0/24"],
        "dns_record": {"managed_zone": "kurl-example-com", "name": "admin.kurl.example.com"},
    }
    graph = build({**ARGS, "public_front_end": pair, "secret_args": ["publicFrontEnd"]})
    assert graph.outputs["publicLoadBalancerHost"] == {"secret": "admin.kurl.example.com"}
    # Named by a digest of the record's name: a URN is never secret.
    digest = hashlib.sha256(b"admin.kurl.example.com").hexdigest()[:12]
    record_set = graph.by_name(f"kurl-public-dns-{digest}").inputs
    assert record_set["name"] == {"secret": "admin.kurl.example.com."}
    assert not [r.urn for r in graph.resources if "example.com" in r.urn]
    firewall = graph.by_name("kurl-public-allow-api").inputs
    assert firewall["sourceRanges"] == {"secret": [*EXTERNAL_PROBERS, "198.51.100.0/24"]}
    assert graph.by_name("kurl-public-fr").inputs["networkTier"] == {"secret": "PREMIUM"}
