"""Issue 22 on AWS: the HTTPS /readyz health check, extra ports on every front end, and the
public NLB beside the internal one (publicFrontEnd), with real values asserted."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from components.args.common import READYZ
from components.aws import AwsKurlNlb
from components.stack import stack_args
from offline.analyzer import PolicyGate
from offline.recorder import Graph, PreviewMocks, record
from tests import inprocess
from tests.conftest import (
    AWS_DEV,
    PROJECT_ROOT,
    REGION,
    SUBNET_CIDRS,
    assert_rejected,
    bad_config_params,
    encode,
    run_project,
    with_changes,
)
from tests.test_address_aws import (
    ADDRESS_INVOKES,
    ADDRESS_OUTPUTS,
    ATTACHMENT,
    AWS_FULL,
    EGRESS,
    EIP,
    INGRESS,
    LISTENER,
    NLB,
    PRIVATE_ZONE,
    PUBLIC_ZONE,
    RECORD,
    TG,
    ZONES,
    allocation_id,
    internal,
    of_type,
    public,
)

SUBNETS = list(SUBNET_CIDRS)
PUBLIC_SUBNET_CIDRS = {
    "subnet-0a1b2c3d4e5f60744": "10.0.101.0/24",
    "subnet-0a1b2c3d4e5f60755": "10.0.102.0/24",
}
PUBLIC_SUBNETS = list(PUBLIC_SUBNET_CIDRS)
SPLIT_ZONE = "Z0123456789SPLIT"  # a private zone named as the public one (split-horizon)
INVOKES = {
    **ADDRESS_INVOKES,
    "aws:route53/getZone:getZone": lambda a: {
        "zoneId": a.args["zoneId"],
        **{**ZONES, SPLIT_ZONE: {"name": "example.com", "privateZone": True}}[a.args["zoneId"]],
    },
    "aws:ec2/getSubnet:getSubnet": lambda a: {
        "id": a.args["id"],
        "cidrBlock": {**SUBNET_CIDRS, **PUBLIC_SUBNET_CIDRS}[a.args["id"]],
    },
}


def run(config: dict[str, Any], graph: Graph | None = None) -> Graph:
    """The project's program under the mock engine (tests/test_address_aws.py's `run`), with
    the public subnets' lookups answered too."""
    return run_project(config, graph=graph, outputs=ADDRESS_OUTPUTS, invokes=INVOKES)


def component(config: dict[str, Any], **changes: Any) -> tuple[Graph, AwsKurlNlb]:
    """The stack's AwsKurlNlb built in a test program, its Args changed by `changes`."""
    built: list[AwsKurlNlb] = []

    def program() -> None:
        args = stack_args(encode(config), {"aws:region": REGION}).args
        built.append(AwsKurlNlb("kurl", {**args, **changes}))  # type: ignore[typeddict-item]

    graph = record(
        program,
        project="kurl-lb",
        stack="test",
        config={},
        mocks=PreviewMocks(outputs=ADDRESS_OUTPUTS, invokes=INVOKES, preview=False),
    )
    return graph, built[0]


PAIR: dict[str, Any] = {
    "subnetIds": PUBLIC_SUBNETS,
    "allowedClientCidrs": ["203.0.113.0/24"],
    "hairpinSourceCidrs": ["198.51.100.7/32"],
}
KOTSADM = {"name": "kotsadm", "port": 8800}
API443 = {"name": "api443", "port": 443, "targetPort": 6443}
PORTS = {"extraPorts": [KOTSADM, API443]}
HTTPS = {"healthCheck": {"protocol": "https"}}
# The mocks' DNS name of an NLB named <name> (tests/conftest.py OUTPUTS).
INTERNAL_HOST = "kurl-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com"


def paired(**pair: Any) -> dict[str, Any]:
    """The dev stack (internal) with a public front end beside it."""
    return with_changes(AWS_DEV, {"aws.publicFrontEnd": {**PAIR, **pair}})


# Every issue 22 option on the dev stack's shape (Pulumi.aws-full.yaml has the same).
FULL = with_changes(
    paired(elasticIps=True, dnsRecord={"zoneId": PUBLIC_ZONE, "name": "k8s.example.com"}),
    {
        **HTTPS,
        **PORTS,
        "aws.privateIpv4Addresses": ["10.0.1.5", "10.0.2.5", "10.0.3.5"],
        "aws.dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"},
    },
)


def names(graph: Graph, type_: str) -> list[str]:
    return [r.name for r in of_type(graph, type_)]


def inputs(graph: Graph, name: str) -> dict[str, Any]:
    return dict(graph.by_name(name).inputs)


def ports_of(graph: Graph, name: str) -> tuple[int, int]:
    rule = inputs(graph, name)
    return rule["fromPort"], rule["toPort"]


# --- the health check ---------------------------------------------------------------------------


def test_tcp_health_check_is_the_default_and_takes_no_path_or_matcher() -> None:
    hc = inputs(run(AWS_DEV), "kurl-tg")["healthCheck"]
    assert hc == {
        "enabled": True,
        "protocol": "TCP",
        "port": "traffic-port",
        "interval": 10,
        "timeout": 9,
        "healthyThreshold": 3,
        "unhealthyThreshold": 3,
    }


def test_https_health_check_gets_readyz_on_the_traffic_port_healthy_on_200_only() -> None:
    config = with_changes(
        AWS_DEV,
        {
            "healthCheck": {
                "protocol": "https",
                "intervalSeconds": 5,
                "healthyThreshold": 2,
                "unhealthyThreshold": 10,
            }
        },
    )
    graph = run(config)
    tg = inputs(graph, "kurl-tg")
    assert tg["protocol"] == "TCP"  # the target group stays layer 4; only the check is HTTPS
    assert tg["port"] == 6443
    assert tg["healthCheck"] == {
        "enabled": True,
        "protocol": "HTTPS",
        "port": "traffic-port",
        "path": READYZ,
        "matcher": "200",
        "interval": 5,
        "timeout": 4,
        "healthyThreshold": 2,
        "unhealthyThreshold": 10,
    }
    assert READYZ == "/readyz"


def test_the_full_example_stack_passes_the_gate_with_every_option(pack: PolicyGate) -> None:
    """Pulumi.aws-full.yaml as `make previews` runs it through the offline gate (--strict
    --json, its lookups from --invokes), by the gate's steps in this process (tests/inprocess.py;
    the example stacks through the gate's own process: tests/test_policy_gate.py): exit 0 with
    no policy diagnostic (an HTTPS /readyz check on the API port passes the policy pack), both
    NLBs, every port, kURL's two names."""
    invokes = PROJECT_ROOT / "offline" / "invokes" / "aws-full.yaml"
    out = inprocess.preview("aws-full", pack=pack, invokes=invokes, strict=True, as_json=True)
    assert out.code == 0, out.errors
    preview = json.loads(out.stdout)
    assert preview["policy"]["diagnostics"] == []
    by_name = {r["name"]: r["inputs"] for r in preview["resources"]}
    assert by_name["kurl-nlb"]["internal"] is True
    assert by_name["kurl-public-nlb"]["internal"] is False
    assert by_name["kurl-tg"]["healthCheck"]["protocol"] == "HTTPS"
    assert by_name["kurl-public-api443-tg"]["healthCheck"]["path"] == "/readyz"
    assert by_name["kurl-public-kotsadm-listener"]["port"] == 8800
    outputs = preview["outputs"]
    assert outputs["kurlInstallFlags"] == (
        "ha load-balancer-address=api.kurl.example.com:6443 public-address=k8s.kurl.example.com"
    )
    assert outputs["publicExtraPortAddresses"] == {
        "kotsadm": "k8s.kurl.example.com:8800",
        "api443": "k8s.kurl.example.com:443",
    }
    # Issue 21's address options (one gate run for both issues): the internal NLB's private
    # addresses, the public front end's Elastic IPs, one per public subnet, the record as the
    # API address.
    public_subnets = [f"subnet-0a1b2c3d4e5f607{i}" for i in (44, 55, 66)]
    assert {n for n in by_name if "-eip-" in n} == {f"kurl-public-eip-{s}" for s in public_subnets}
    assert by_name["kurl-nlb"]["subnetMappings"] == [
        {"subnetId": s, "privateIpv4Address": a}
        for s, a in zip(SUBNETS, ["10.0.1.5", "10.0.2.5", "10.0.3.5"], strict=True)
    ]
    assert by_name["kurl-dns-api.kurl.example.com"]["name"] == "api.kurl.example.com"
    assert outputs["loadBalancerAddress"] == "api.kurl.example.com:6443"


# --- extra ports --------------------------------------------------------------------------------


def test_each_extra_port_gets_a_target_group_listener_and_attachments() -> None:
    graph = run(with_changes(AWS_DEV, {**PORTS, **HTTPS}))
    assert names(graph, TG) == ["kurl-api443-tg", "kurl-kotsadm-tg", "kurl-tg"]
    assert names(graph, LISTENER) == [
        "kurl-api443-listener",
        "kurl-kotsadm-listener",
        "kurl-listener",
    ]
    assert names(graph, ATTACHMENT) == [
        "kurl-api443-target-primary-1",
        "kurl-kotsadm-target-primary-1",
        "kurl-target-primary-1",
    ]
    kotsadm, api443 = inputs(graph, "kurl-kotsadm-tg"), inputs(graph, "kurl-api443-tg")
    for tg in (kotsadm, api443):
        assert tg["protocol"] == "TCP"
        assert tg["targetType"] == "ip"
        assert tg["preserveClientIp"] == "false"
        assert tg["vpcId"] == "vpc-0a1b2c3d4e5f60718"
        assert tg["deregistrationDelay"] == 60
    # Target group port = targetPort; health check TCP on it, or the API's for the API port.
    assert kotsadm["port"] == 8800
    assert kotsadm["healthCheck"]["protocol"] == "TCP"
    # No path or matcher on a TCP check (empty: healthCheck.protocol is given).
    assert (kotsadm["healthCheck"]["path"], kotsadm["healthCheck"]["matcher"]) == ("", "")
    assert api443["port"] == 6443
    assert api443["healthCheck"] == inputs(graph, "kurl-tg")["healthCheck"]
    assert api443["healthCheck"]["path"] == "/readyz"
    # Listener port = port, forwarding to its own target group.
    listener = inputs(graph, "kurl-api443-listener")
    assert listener["port"] == 443 and listener["protocol"] == "TCP"
    assert listener["loadBalancerArn"] == inputs(graph, "kurl-listener")["loadBalancerArn"]
    (action,) = listener["defaultActions"]
    assert action["type"] == "forward"
    assert "kurl-api443-tg" in action["targetGroupArn"]
    # Attachments on the port on the primaries.
    assert inputs(graph, "kurl-kotsadm-target-primary-1")["port"] == 8800
    assert inputs(graph, "kurl-api443-target-primary-1")["port"] == 6443
    assert inputs(graph, "kurl-api443-target-primary-1")["targetId"] == "10.0.1.10"
    assert graph.outputs["extraPortAddresses"] == {
        "kotsadm": f"{INTERNAL_HOST}:8800",
        "api443": f"{INTERNAL_HOST}:443",
    }


def test_extra_ports_get_the_api_ports_rules_hairpin_included() -> None:
    graph = run(with_changes(AWS_DEV, PORTS))
    rules = set(names(graph, INGRESS) + names(graph, EGRESS))
    assert rules == {
        # the API port's, as before
        "kurl-clients-10.0.0.0-16",
        "kurl-nlb-to-targets",
        "kurl-primaries-from-nlb",
        "kurl-nlb-from-primaries",
        # kotsadm: clients and hairpin on 8800 at the NLB, 8800 from the NLB at the primaries
        "kurl-kotsadm-clients-10.0.0.0-16",
        "kurl-kotsadm-nlb-from-primaries",
        "kurl-kotsadm-nlb-to-targets",
        "kurl-kotsadm-primaries-from-nlb",
        # api443: clients and hairpin on 443; 6443 to the primaries is the API port's rules
        "kurl-api443-clients-10.0.0.0-16",
        "kurl-api443-nlb-from-primaries",
    }
    assert ports_of(graph, "kurl-kotsadm-clients-10.0.0.0-16") == (8800, 8800)
    assert ports_of(graph, "kurl-kotsadm-nlb-to-targets") == (8800, 8800)
    assert ports_of(graph, "kurl-kotsadm-primaries-from-nlb") == (8800, 8800)
    assert ports_of(graph, "kurl-api443-clients-10.0.0.0-16") == (443, 443)
    assert ports_of(graph, "kurl-api443-nlb-from-primaries") == (443, 443)
    nlb_sg, primaries_sg = "kurl-nlb-sg-id", "sg-0a1b2c3d4e5f60799"
    hairpin = inputs(graph, "kurl-kotsadm-nlb-from-primaries")
    assert hairpin["securityGroupId"] == nlb_sg
    assert hairpin["referencedSecurityGroupId"] == primaries_sg
    from_nlb = inputs(graph, "kurl-kotsadm-primaries-from-nlb")
    assert from_nlb["securityGroupId"] == primaries_sg
    assert from_nlb["referencedSecurityGroupId"] == nlb_sg
    assert inputs(graph, "kurl-kotsadm-clients-10.0.0.0-16")["cidrIpv4"] == "10.0.0.0/16"
    assert inputs(graph, "kurl-kotsadm-clients-10.0.0.0-16")["description"] == (
        "kURL kotsadm port clients"
    )


def test_extra_ports_without_an_nlb_security_group_admit_the_nlb_subnets_per_port() -> None:
    graph = run(with_changes(AWS_DEV, {**PORTS, "aws.loadBalancerSecurityGroup": False}))
    rules = names(graph, INGRESS)
    assert rules == sorted(
        [f"kurl-primaries-from-{s}" for s in SUBNETS]
        + [f"kurl-kotsadm-primaries-from-{s}" for s in SUBNETS]
    )
    rule = inputs(graph, f"kurl-kotsadm-primaries-from-{SUBNETS[0]}")
    assert (rule["fromPort"], rule["cidrIpv4"]) == (8800, SUBNET_CIDRS[SUBNETS[0]])
    assert rule["description"] == f"kURL kotsadm port from the NLB in {SUBNETS[0]}"


def test_public_nlb_extra_ports_admit_hairpin_sources_per_port() -> None:
    graph = run(with_changes(public(), {"extraPorts": [KOTSADM]}))
    assert ports_of(graph, "kurl-kotsadm-hairpin-198.51.100.7-32") == (8800, 8800)
    assert ports_of(graph, "kurl-kotsadm-clients-203.0.113.0-24") == (8800, 8800)
    assert "kurl-kotsadm-nlb-from-primaries" not in names(graph, INGRESS)


# --- the public front end -----------------------------------------------------------------------


def test_public_front_end_is_a_second_internet_facing_nlb_with_ip_targets() -> None:
    graph = run(paired())
    assert names(graph, NLB) == ["kurl-nlb", "kurl-public-nlb"]
    internal_nlb, public_nlb = inputs(graph, "kurl-nlb"), inputs(graph, "kurl-public-nlb")
    assert internal_nlb["internal"] is True and internal_nlb["subnets"] == SUBNETS
    assert public_nlb["internal"] is False
    assert public_nlb["subnets"] == PUBLIC_SUBNETS
    assert public_nlb["loadBalancerType"] == "network"
    assert public_nlb["securityGroups"] == ["kurl-public-nlb-sg-id"]
    assert public_nlb["enableDeletionProtection"] is True
    tg = inputs(graph, "kurl-public-tg")
    assert (tg["targetType"], tg["preserveClientIp"], tg["port"]) == ("ip", "false", 6443)
    assert inputs(graph, "kurl-public-listener")["port"] == 6443
    attachment = inputs(graph, "kurl-public-target-primary-1")
    assert attachment["targetId"] == "10.0.1.10"
    assert "kurl-public-tg" in attachment["targetGroupArn"]
    # Its own rules, as a public NLB gets them; the internal NLB's are unchanged.
    rules = set(names(graph, INGRESS) + names(graph, EGRESS))
    assert rules == {
        "kurl-clients-10.0.0.0-16",
        "kurl-nlb-to-targets",
        "kurl-primaries-from-nlb",
        "kurl-nlb-from-primaries",
        "kurl-public-clients-203.0.113.0-24",
        "kurl-public-hairpin-198.51.100.7-32",
        "kurl-public-nlb-to-targets",
        "kurl-public-primaries-from-nlb",
    }
    assert inputs(graph, "kurl-public-hairpin-198.51.100.7-32")["securityGroupId"] == (
        "kurl-public-nlb-sg-id"
    )
    assert inputs(graph, "kurl-public-primaries-from-nlb")["referencedSecurityGroupId"] == (
        "kurl-public-nlb-sg-id"
    )


def test_public_front_end_host_is_the_nlb_dns_name_without_a_record() -> None:
    graph = run(paired())
    public_host = "kurl-public-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com"
    out = graph.outputs
    assert out["loadBalancerAddress"] == f"{INTERNAL_HOST}:6443"
    assert out["publicLoadBalancerHost"] == public_host
    assert out["publicLoadBalancerAddress"] == f"{public_host}:6443"
    assert out["kurlInstallFlags"] == (
        f"ha load-balancer-address={INTERNAL_HOST}:6443 public-address={public_host}"
    )
    assert out["kurlInstaller"]["spec"]["kurl"] == {"publicAddress": public_host}


def test_full_pair_outputs_carry_both_names_and_every_port() -> None:
    graph = run(FULL)
    out = graph.outputs
    assert out["loadBalancerAddress"] == "api.kurl.internal:6443"
    assert out["publicLoadBalancerHost"] == "k8s.example.com"
    assert out["kurlInstallFlags"] == (
        "ha load-balancer-address=api.kurl.internal:6443 public-address=k8s.example.com"
    )
    assert out["kurlInstaller"]["spec"] == {
        "kubernetes": {"HACluster": True, "loadBalancerAddress": "api.kurl.internal:6443"},
        "kurl": {"publicAddress": "k8s.example.com"},
        "ekco": {"enableInternalLoadBalancer": False},
    }
    assert out["extraPortAddresses"] == {
        "kotsadm": "api.kurl.internal:8800",
        "api443": "api.kurl.internal:443",
    }
    assert out["publicExtraPortAddresses"] == {
        "kotsadm": "k8s.example.com:8800",
        "api443": "k8s.example.com:443",
    }
    # The internal NLB keeps its private addresses; the public one gets Elastic IPs instead.
    assert inputs(graph, "kurl-nlb")["subnetMappings"] == [
        {"subnetId": s, "privateIpv4Address": a}
        for s, a in zip(SUBNETS, ["10.0.1.5", "10.0.2.5", "10.0.3.5"], strict=True)
    ]
    assert names(graph, EIP) == [f"kurl-public-eip-{s}" for s in PUBLIC_SUBNETS]
    assert inputs(graph, "kurl-public-nlb")["subnetMappings"] == [
        {"subnetId": s, "allocationId": allocation_id(f"kurl-public-eip-{s}")}
        for s in PUBLIC_SUBNETS
    ]
    assert names(graph, RECORD) == ["kurl-dns-api.kurl.internal", "kurl-public-dns-k8s.example.com"]
    record = inputs(graph, "kurl-public-dns-k8s.example.com")
    assert record["zoneId"] == PUBLIC_ZONE and record["name"] == "k8s.example.com"
    assert record["aliases"][0]["name"].startswith("kurl-public-nlb-")
    # Every front end x every port: its own target group, listener and attachment.
    assert names(graph, TG) == [
        "kurl-api443-tg",
        "kurl-kotsadm-tg",
        "kurl-public-api443-tg",
        "kurl-public-kotsadm-tg",
        "kurl-public-tg",
        "kurl-tg",
    ]
    assert len(names(graph, LISTENER)) == 6
    for name in ("kurl-public-tg", "kurl-public-api443-tg", "kurl-tg", "kurl-api443-tg"):
        assert inputs(graph, name)["healthCheck"]["protocol"] == "HTTPS"
    assert inputs(graph, "kurl-public-kotsadm-tg")["healthCheck"]["protocol"] == "TCP"


def test_public_front_end_may_share_the_internal_subnets() -> None:
    graph = run(paired(subnetIds=SUBNETS))
    assert inputs(graph, "kurl-public-nlb")["subnets"] == SUBNETS
    assert inputs(graph, "kurl-nlb")["subnets"] == SUBNETS


def test_public_front_end_without_its_own_group_admits_its_subnets_at_the_primaries() -> None:
    graph = run(paired(loadBalancerSecurityGroup=False, allowedClientCidrs=["0.0.0.0/0"]))
    assert inputs(graph, "kurl-public-nlb")["securityGroups"] == []
    assert inputs(graph, "kurl-nlb")["securityGroups"] == ["kurl-nlb-sg-id"]
    rules = names(graph, INGRESS)
    assert [r for r in rules if "primaries-from-subnet" in r] == [
        f"kurl-primaries-from-{s}" for s in PUBLIC_SUBNETS
    ]


def test_a_secret_public_front_end_keeps_its_record_name_out_of_urns() -> None:
    config = paired(dnsRecord={"zoneId": PUBLIC_ZONE, "name": "k8s.example.com"})
    graph, _ = component(config, secret_args=["publicFrontEnd"])
    (record_,) = of_type(graph, RECORD)
    digest = hashlib.sha256(b"k8s.example.com").hexdigest()[:12]
    assert record_.name == f"kurl-public-dns-{digest}"
    assert record_.inputs["name"] == {"secret": "k8s.example.com"}
    assert inputs(graph, "kurl-public-nlb")["subnets"] == {"secret": PUBLIC_SUBNETS}
    # The internal NLB's values are not the public front end's: they stay plain.
    assert inputs(graph, "kurl-nlb")["subnets"] == SUBNETS


# --- registrations ------------------------------------------------------------------------------


def _register_second(config: dict[str, Any]) -> tuple[Graph, Graph]:
    after = with_changes(config, {"primaries.1.registered": True})
    return run(config), run(after)


def test_registering_one_primary_is_one_attachment_per_front_end_and_port() -> None:
    before, after = _register_second(FULL)
    old = {(r.type, r.name): r.inputs for r in before.resources}
    new = {(r.type, r.name): r.inputs for r in after.resources}
    added = sorted(name for (type_, name) in set(new) - set(old) if type_ == ATTACHMENT)
    # 2 front ends x (API port + 2 extra ports) = 6, nothing else created, deleted or changed.
    assert added == [
        "kurl-api443-target-primary-2",
        "kurl-kotsadm-target-primary-2",
        "kurl-public-api443-target-primary-2",
        "kurl-public-kotsadm-target-primary-2",
        "kurl-public-target-primary-2",
        "kurl-target-primary-2",
    ]
    assert set(new) - set(old) == {(ATTACHMENT, n) for n in added}
    assert set(old) <= set(new)
    assert all(new[k] == v for k, v in old.items())
    assert inputs(after, "kurl-public-kotsadm-target-primary-2")["targetId"] == "10.0.2.10"


def test_registrations_keep_the_api_ports_meaning() -> None:
    _, lb = component(with_changes(FULL, {"primaries.1.registered": True}))
    assert sorted(lb.registrations) == ["primary-1", "primary-2"]
    assert lb.attachments is lb.registrations
    assert lb.registrations == lb.front_end_parts["v1"].registrations
    assert lb.target_group is lb.front_end_parts["v1"].target_group
    extra = lb.extra_port_registrations
    assert {p: sorted(a) for p, a in extra.items()} == {
        "kotsadm": ["primary-1", "primary-2"],
        "api443": ["primary-1", "primary-2"],
    }
    assert extra["kotsadm"] is lb.front_end_parts["v1"].ports["kotsadm"].attachments
    assert sorted(lb.front_end_parts) == ["public", "v1"]
    assert sorted(lb.front_end_parts["public"].ports) == ["api443", "kotsadm"]
    assert sorted(lb.front_end_parts["public"].registrations) == ["primary-1", "primary-2"]


# --- nothing changes without the options ----------------------------------------------------------

BEFORE = json.loads((Path(__file__).parent / "aws_ports_before.json").read_text(encoding="utf-8"))
# The configs tests/aws_ports_before.json was recorded from, with the code before issue 22
# (commit d6296e2): every resource's type, name, parent and inputs, and the stack outputs.
UNCHANGED: dict[str, dict[str, Any]] = {
    "dev": AWS_DEV,
    "no-nlb-sg": with_changes(AWS_DEV, {"aws.loadBalancerSecurityGroup": False}),
    "public-full": AWS_FULL,
    "internal-addresses-record": internal(
        privateIpv4Addresses=["10.0.1.5", "10.0.2.5", "10.0.3.5"],
        dnsRecord={"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"},
    ),
    "move": with_changes(AWS_DEV, {"addressMove": {"frontEnd": "v2"}}),
    "public-instance-no-sg": with_changes(
        public(targetType="instance", preserveClientIp=True, loadBalancerSecurityGroup=False),
        {
            "primaries": [
                {"name": "primary-1", "instanceId": "i-0123456789abcdef0", "registered": True},
                {"name": "primary-2", "instanceId": "i-0123456789abcdef1", "registered": True},
            ]
        },
    ),
}


@pytest.mark.parametrize("label", list(UNCHANGED))
def test_without_the_options_every_resource_and_output_is_as_before(label: str) -> None:
    graph = run(copy.deepcopy(UNCHANGED[label]))
    now = {
        "resources": sorted([r.type, r.name, r.parent, r.inputs] for r in graph.resources),
        "outputs": graph.outputs,
    }
    assert json.loads(json.dumps(now, sort_keys=True, default=str)) == BEFORE[label]


def test_tcp_given_explicitly_sends_an_empty_path_and_matcher() -> None:
    """What going back from https to tcp needs (tests/test_aws_provider_ports.py); the default
    sends neither, as before issue 22."""
    explicit = inputs(run(with_changes(AWS_DEV, {"healthCheck": {"protocol": "tcp"}})), "kurl-tg")
    default = inputs(run(AWS_DEV), "kurl-tg")
    assert explicit["healthCheck"] == {**default["healthCheck"], "path": "", "matcher": ""}
    assert {k: v for k, v in explicit.items() if k != "healthCheck"} == {
        k: v for k, v in default.items() if k != "healthCheck"
    }


# --- bad inputs ---------------------------------------------------------------------------------

BAD = [
    (
        "health-check-protocol",
        {"healthCheck": {"protocol": "http"}},
        ["kurl-lb:healthCheck.protocol", '"http"', "allowed: tcp or https"],
    ),
    (
        "port-name-form",
        {"extraPorts": [{"name": "Kots", "port": 8800}]},
        ["kurl-lb:extraPorts[0].name", '"Kots"', "allowed: a lowercase letter"],
    ),
    (
        "port-zero",
        {"extraPorts": [{"name": "kots", "port": 0}]},
        ["kurl-lb:extraPorts[0].port", "allowed: integer 1-65535"],
    ),
    (
        "target-port-high",
        {"extraPorts": [{"name": "kots", "port": 8800, "targetPort": 70000}]},
        ["kurl-lb:extraPorts[0].targetPort", "70000", "allowed: integer 1-65535"],
    ),
    (
        "port-name-is-a-label",
        {"extraPorts": [{"name": "public", "port": 8800}]},
        ["kurl-lb:extraPorts[0].name", '"public" is a front end\'s label'],
    ),
    (
        "port-name-is-the-moves-label",
        {"extraPorts": [{"name": "v2", "port": 8800}], "addressMove": {"frontEnd": "v2"}},
        ["kurl-lb:extraPorts[0].name", '"v2" is a front end\'s label'],
    ),
    (
        "port-name-makes-the-moves-label",
        {
            "frontEnd": "v2",
            "extraPorts": [{"name": "x", "port": 8800}],
            "addressMove": {"frontEnd": "v2-x"},
        },
        ["kurl-lb:extraPorts[0].name", '"x" is a front end\'s label, or makes one'],
    ),
    (
        "port-target-group-name-too-long",
        {"name": "abcdefghijklmnop", "extraPorts": [{"name": "kotsadm", "port": 8800}]},
        [
            "kurl-lb:extraPorts[0].name",
            "abcdefghijklmnop-kotsadm-tg-xxxxxxx, longer than AWS's 32 characters",
            "at most 4 characters",
        ],
    ),
    (
        "clients-per-port",
        {
            "allowedClientCidrs": [f"10.0.{i}.0/24" for i in range(30)],
            "extraPorts": [{"name": "kots", "port": 8800}],
        },
        ["kurl-lb:allowedClientCidrs", "per port (2: port and extraPorts)", "at most 29"],
    ),
    (
        "pair-name-too-long",
        {"name": "kurl-production", "aws.publicFrontEnd": PAIR},
        [
            'kurl-lb:aws.publicFrontEnd: "public" makes resource names start with '
            "kurl-production-public",
            "use a shorter name",
        ],
    ),
    (
        "pair-without-subnets",
        {"aws.publicFrontEnd": {"allowedClientCidrs": ["203.0.113.0/24"]}},
        ["kurl-lb:aws.publicFrontEnd.subnetIds: is required", "allowed: list of subnet IDs"],
    ),
    (
        "pair-bad-subnet",
        {"aws.publicFrontEnd": {**PAIR, "subnetIds": ["subnet-x"]}},
        ["kurl-lb:aws.publicFrontEnd.subnetIds[0]", '"subnet-x" is not a subnet ID'],
    ),
    (
        "pair-without-clients",
        {"aws.publicFrontEnd": {k: v for k, v in PAIR.items() if k != "allowedClientCidrs"}},
        [
            "kurl-lb:aws.publicFrontEnd.allowedClientCidrs: is required for a public NLB",
            # The hint names the public front end's own list, not the internal one's.
            "public IPs go in aws.publicFrontEnd.hairpinSourceCidrs)",
        ],
    ),
    (
        "pair-without-hairpin-sources",
        {"aws.publicFrontEnd": {k: v for k, v in PAIR.items() if k != "hairpinSourceCidrs"}},
        ["kurl-lb:aws.publicFrontEnd.hairpinSourceCidrs: is required with scheme public"],
    ),
    (
        "pair-client-host-bits",
        {"aws.publicFrontEnd": {**PAIR, "allowedClientCidrs": ["10.0.0.1/16"]}},
        ["kurl-lb:aws.publicFrontEnd.allowedClientCidrs[0]", "allowed: list of IPv4 CIDR"],
    ),
    (
        "pair-allocation-count",
        {"aws.publicFrontEnd": {**PAIR, "elasticIpAllocationIds": ["eipalloc-0123456789abcdef0"]}},
        ["kurl-lb:aws.publicFrontEnd.elasticIpAllocationIds: has 1 entries", "one per subnet"],
    ),
    (
        "pair-eips-and-allocations",
        {
            "aws.publicFrontEnd": {
                **PAIR,
                "elasticIps": True,
                "elasticIpAllocationIds": ["eipalloc-0123456789abcdef0", "eipalloc-01234567"],
            }
        },
        ["kurl-lb:aws.publicFrontEnd.elasticIpAllocationIds: cannot be used with elasticIps"],
    ),
    (
        "pair-security-group-not-bool",
        {"aws.publicFrontEnd": {**PAIR, "loadBalancerSecurityGroup": "x"}},
        ["kurl-lb:aws.publicFrontEnd.loadBalancerSecurityGroup", "allowed: true or false"],
    ),
    (
        "pair-private-addresses",
        {"aws.publicFrontEnd": {**PAIR, "privateIpv4Addresses": ["10.0.1.5"]}},
        ["kurl-lb:aws.publicFrontEnd.privateIpv4Addresses: unknown key", "allowed here:"],
    ),
    (
        "pair-record-zone",
        {"aws.publicFrontEnd": {**PAIR, "dnsRecord": {"zoneId": "zone", "name": "k8s.a.com"}}},
        ["kurl-lb:aws.publicFrontEnd.dnsRecord.zoneId", "Route 53 hosted zone ID"],
    ),
    (
        "pair-same-record",
        {
            "aws.dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"},
            "aws.publicFrontEnd": {
                **PAIR,
                "dnsRecord": {"zoneId": PRIVATE_ZONE, "name": "api.kurl.internal"},
            },
        },
        ["kurl-lb:aws.publicFrontEnd.dnsRecord.name", "is also the record in aws.dnsRecord"],
    ),
    (
        "pair-with-a-public-nlb",
        {
            "scheme": "public",
            "allowedClientCidrs": ["203.0.113.0/24"],
            "aws.hairpinSourceCidrs": ["198.51.100.7/32"],
            "aws.publicFrontEnd": PAIR,
        },
        ["kurl-lb:aws.publicFrontEnd: is only used with scheme internal"],
    ),
    (
        "pair-name-too-long-11",
        {"name": "abcdefghijk", "aws.publicFrontEnd": PAIR},
        [
            'kurl-lb:aws.publicFrontEnd: "public" makes resource names start with '
            "abcdefghijk-public, longer than 16 characters",
        ],
    ),
]


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(BAD))
def test_bad_values_name_the_key_and_the_allowed_form(
    changes: dict[str, Any], fragments: list[str]
) -> None:
    assert_rejected(AWS_DEV, changes, fragments)


def test_the_same_record_name_in_another_zone_is_split_horizon() -> None:
    graph = run(
        with_changes(
            paired(dnsRecord={"zoneId": PUBLIC_ZONE, "name": "api.example.com"}),
            {"aws.dnsRecord": {"zoneId": SPLIT_ZONE, "name": "api.example.com"}},
        )
    )
    assert names(graph, RECORD) == ["kurl-dns-api.example.com", "kurl-public-dns-api.example.com"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"extraPorts": [KOTSADM]}, id="one-extra-port"),
        pytest.param({"extraPorts": [KOTSADM, API443]}, id="two-extra-ports"),
        pytest.param({"aws.publicFrontEnd": PAIR}, id="public-front-end"),
        pytest.param({**PORTS, "aws.publicFrontEnd": PAIR}, id="both"),
    ],
)
def test_adding_ports_or_the_public_front_end_only_creates(changes: dict[str, Any]) -> None:
    before, after = run(AWS_DEV), run(with_changes(AWS_DEV, changes))
    old = {(r.type, r.name): r.inputs for r in before.resources}
    new = {(r.type, r.name): r.inputs for r in after.resources}
    assert set(old) < set(new)
    changed = [k for k, v in old.items() if new[k] != v and k[0] != "pulumi:pulumi:Stack"]
    assert changed == []
