"""AwsKurlNlb builds what the kURL page's AWS section asks for, with real values asserted."""

from __future__ import annotations

from typing import Any

import pytest

from components.aws import DEREGISTRATION_DELAY_SECONDS, AwsKurlNlb
from components.stack import stack_args
from tests.conftest import REGION, encode, run_program, run_project, with_changes

TG = "aws:lb/targetGroup:TargetGroup"
NLB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
DNS = f"kurl-nlb-0123456789abcdef.elb.{REGION}.amazonaws.com"
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:targetgroup/kurl-tg/0123456789abcdef"


def public_instance(base: dict[str, Any]) -> dict[str, Any]:
    return with_changes(
        base,
        {
            "scheme": "public",
            "allowedClientCidrs": ["203.0.113.0/24", "198.51.100.7/32"],
            "aws.hairpinSourceCidrs": ["198.51.100.7/32", "192.0.2.44/32"],
            "aws.targetType": "instance",
            "primaries": [
                {"name": "primary-1", "instanceId": "i-0123456789abcdef0", "registered": True},
                {"name": "primary-2", "instanceId": "i-0123456789abcdef1", "registered": True},
            ],
        },
    )


def test_internal_ip_topology_follows_the_kurl_page(aws_dev: dict[str, Any]) -> None:
    graph = run_project(aws_dev)
    tg = graph.by_name("kurl-tg").inputs
    assert tg["port"] == 6443
    assert tg["protocol"] == "TCP"
    assert tg["targetType"] == "ip"
    assert tg["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert tg["preserveClientIp"] == "false"
    assert tg["deregistrationDelay"] == DEREGISTRATION_DELAY_SECONDS
    assert tg["connectionTermination"] is True
    assert tg["healthCheck"] == {
        "enabled": True,
        "protocol": "TCP",
        "port": "traffic-port",
        "interval": 10,
        "timeout": 9,
        "healthyThreshold": 3,
        "unhealthyThreshold": 3,
    }

    nlb = graph.by_name("kurl-nlb").inputs
    assert nlb["loadBalancerType"] == "network"
    assert nlb["internal"] is True
    assert nlb["ipAddressType"] == "ipv4"
    assert nlb["subnets"] == list(aws_dev["kurl-lb:aws"]["subnetIds"])
    assert nlb["enableCrossZoneLoadBalancing"] is True
    assert nlb["enableDeletionProtection"] is True
    assert nlb["securityGroups"] == ["kurl-nlb-sg-id"]

    listener = graph.by_name("kurl-listener").inputs
    assert listener["port"] == 6443
    assert listener["protocol"] == "TCP"
    assert listener["loadBalancerArn"].endswith("loadbalancer/net/kurl-nlb/0123456789abcdef")
    assert listener["defaultActions"] == [{"type": "forward", "targetGroupArn": TG_ARN}]

    attachments = graph.of_type(ATTACHMENT)
    assert [a.name for a in attachments] == ["kurl-target-primary-1"]
    assert attachments[0].inputs == {
        "targetGroupArn": TG_ARN,
        "targetId": "10.0.1.10",
        "port": 6443,
    }


def test_every_child_is_parented_to_the_component_and_named_after_it(
    aws_dev: dict[str, Any],
) -> None:
    graph = run_project(aws_dev)
    component = graph.by_name("kurl")
    assert component.type == "kurl:index:AwsKurlNlb"
    assert not component.custom
    children = [r for r in graph.resources if r.parent == component.urn]
    assert len(children) == len(graph.custom) == 9
    assert all(r.name.startswith("kurl-") for r in children)


def test_outputs_give_kurl_its_load_balancer_address(aws_dev: dict[str, Any]) -> None:
    outputs = run_project(aws_dev).outputs
    assert outputs["loadBalancerAddress"] == f"{DNS}:6443"
    assert outputs["kurlInstallFlags"] == f"ha load-balancer-address={DNS}:6443"
    assert outputs["kurlInstaller"] == {
        "apiVersion": "cluster.kurl.sh/v1beta1",
        "kind": "Installer",
        "spec": {
            "kubernetes": {"HACluster": True, "loadBalancerAddress": f"{DNS}:6443"},
            "ekco": {"enableInternalLoadBalancer": False},
        },
    }
    assert outputs["registeredPrimaries"] == ["primary-1"]
    assert outputs["pendingPrimaries"] == ["primary-2", "primary-3"]


def test_security_group_rules_admit_clients_targets_and_hairpin(aws_dev: dict[str, Any]) -> None:
    graph = run_project(aws_dev)
    nlb_sg = "kurl-nlb-sg-id"
    instance_sg = "sg-0a1b2c3d4e5f60799"
    rules = {r.name: r.inputs for r in graph.of_type(INGRESS) + graph.of_type(EGRESS)}
    for rule in rules.values():
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 6443, 6443)
    assert rules["kurl-clients-10.0.0.0-16"]["securityGroupId"] == nlb_sg
    assert rules["kurl-clients-10.0.0.0-16"]["cidrIpv4"] == "10.0.0.0/16"
    assert rules["kurl-nlb-to-targets"]["securityGroupId"] == nlb_sg
    assert rules["kurl-nlb-to-targets"]["referencedSecurityGroupId"] == instance_sg
    assert rules["kurl-primaries-from-nlb"]["securityGroupId"] == instance_sg
    assert rules["kurl-primaries-from-nlb"]["referencedSecurityGroupId"] == nlb_sg
    assert rules["kurl-nlb-from-primaries"]["securityGroupId"] == nlb_sg
    assert rules["kurl-nlb-from-primaries"]["referencedSecurityGroupId"] == instance_sg
    assert len(rules) == 4
    assert graph.of_type(EGRESS)[0].name == "kurl-nlb-to-targets"
    assert graph.by_name("kurl-nlb-sg").inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert not graph.invokes  # every CIDR was given: nothing to look up


def test_internal_default_clients_and_egress_use_the_vpc_cidr(aws_dev: dict[str, Any]) -> None:
    config = with_changes(
        aws_dev,
        {"allowedClientCidrs": None, "aws.instanceSecurityGroupId": None},
    )
    del config["kurl-lb:allowedClientCidrs"]
    del config["kurl-lb:aws"]["instanceSecurityGroupId"]
    graph = run_project(config)
    rules = {r.name: r.inputs for r in graph.of_type(INGRESS) + graph.of_type(EGRESS)}
    assert set(rules) == {"kurl-clients-vpc", "kurl-nlb-to-targets"}
    assert rules["kurl-clients-vpc"]["cidrIpv4"] == "10.0.0.0/16"
    assert rules["kurl-nlb-to-targets"]["cidrIpv4"] == "10.0.0.0/16"
    assert [i.token for i in graph.invokes] == ["aws:ec2/getVpc:getVpc"]  # looked up once


def test_public_instance_targets(aws_dev: dict[str, Any]) -> None:
    graph = run_project(public_instance(aws_dev))
    assert graph.by_name("kurl-nlb").inputs["internal"] is False
    assert graph.by_name("kurl-tg").inputs["targetType"] == "instance"
    assert graph.by_name("kurl-tg").inputs["preserveClientIp"] == "false"
    targets = {a.name: a.inputs["targetId"] for a in graph.of_type(ATTACHMENT)}
    assert targets == {
        "kurl-target-primary-1": "i-0123456789abcdef0",
        "kurl-target-primary-2": "i-0123456789abcdef1",
    }
    clients = sorted(r.inputs["cidrIpv4"] for r in graph.of_type(INGRESS) if "clients" in r.name)
    assert clients == ["198.51.100.7/32", "203.0.113.0/24"]
    assert "0.0.0.0/0" not in str([r.inputs for r in graph.resources])


def test_public_nlb_admits_the_primaries_public_egress_ips(aws_dev: dict[str, Any]) -> None:
    """Hairpinning through a public NLB: a primary arrives from its NAT gateway's (or own) public
    IP, so the NLB SG admits aws.hairpinSourceCidrs by address (each once: one already a client
    CIDR gets no second rule), and no rule pretends the primaries' SG reference matches."""
    graph = run_project(public_instance(aws_dev))
    rules = {r.name: r.inputs for r in graph.of_type(INGRESS)}
    assert rules["kurl-hairpin-192.0.2.44-32"]["cidrIpv4"] == "192.0.2.44/32"
    assert rules["kurl-hairpin-192.0.2.44-32"]["securityGroupId"] == "kurl-nlb-sg-id"
    assert rules["kurl-hairpin-192.0.2.44-32"]["fromPort"] == 6443
    assert "kurl-hairpin-198.51.100.7-32" not in rules  # kurl-clients-198.51.100.7-32 admits it
    assert rules["kurl-clients-198.51.100.7-32"]["cidrIpv4"] == "198.51.100.7/32"
    assert "kurl-nlb-from-primaries" not in rules
    assert rules["kurl-primaries-from-nlb"]["referencedSecurityGroupId"] == "kurl-nlb-sg-id"


def test_public_nlb_with_preserved_client_ip_admits_hairpin_at_the_primaries(
    aws_dev: dict[str, Any],
) -> None:
    config = with_changes(
        public_instance(aws_dev),
        {"aws.loadBalancerSecurityGroup": False, "aws.preserveClientIp": True},
    )
    graph = run_project(config)
    rules = {r.name: r.inputs for r in graph.of_type(INGRESS)}
    hairpin = rules["kurl-primaries-from-hairpin-192.0.2.44-32"]
    assert (hairpin["securityGroupId"], hairpin["cidrIpv4"]) == (
        "sg-0a1b2c3d4e5f60799",
        "192.0.2.44/32",
    )
    assert "kurl-primaries-from-hairpin-198.51.100.7-32" not in rules


def test_public_ip_targets(aws_dev: dict[str, Any]) -> None:
    config = with_changes(aws_dev, {"scheme": "public", "allowedClientCidrs": ["0.0.0.0/0"]})
    graph = run_project(config)
    assert graph.by_name("kurl-nlb").inputs["internal"] is False
    assert graph.by_name("kurl-tg").inputs["targetType"] == "ip"
    assert graph.by_name("kurl-clients-0.0.0.0-0").inputs["cidrIpv4"] == "0.0.0.0/0"


def test_without_nlb_security_group_targets_admit_the_nlb_subnets(
    aws_dev: dict[str, Any],
) -> None:
    config = with_changes(aws_dev, {"aws.loadBalancerSecurityGroup": False})
    graph = run_project(config)
    assert graph.of_type(SG) == []
    # Sent empty, not left out: the provider keeps the current groups for an absent list.
    assert graph.by_name("kurl-nlb").inputs["securityGroups"] == []
    rules = {r.name: r.inputs for r in graph.of_type(INGRESS)}
    assert {name: (r["securityGroupId"], r["cidrIpv4"]) for name, r in rules.items()} == {
        "kurl-primaries-from-subnet-0a1b2c3d4e5f60711": ("sg-0a1b2c3d4e5f60799", "10.0.1.0/24"),
        "kurl-primaries-from-subnet-0a1b2c3d4e5f60722": ("sg-0a1b2c3d4e5f60799", "10.0.2.0/24"),
        "kurl-primaries-from-subnet-0a1b2c3d4e5f60733": ("sg-0a1b2c3d4e5f60799", "10.0.3.0/24"),
    }
    assert graph.of_type(EGRESS) == []


def test_no_managed_rule_is_a_warning(aws_dev: dict[str, Any]) -> None:
    config = with_changes(aws_dev, {"aws.loadBalancerSecurityGroup": False})
    del config["kurl-lb:aws"]["instanceSecurityGroupId"]
    graph = run_project(config)
    assert graph.of_type(INGRESS) == [] and graph.of_type(EGRESS) == []
    assert any("manages no network rule" in message for _, message in graph.diagnostics)


def test_settings_follow_config(aws_dev: dict[str, Any]) -> None:
    config = with_changes(
        aws_dev,
        {
            "name": "prod-api",
            "port": 8443,
            "deletionProtection": False,
            "healthCheck": {"intervalSeconds": 5, "healthyThreshold": 2, "unhealthyThreshold": 10},
            "aws.crossZone": False,
            "primaries.0.zone": "us-east-1a",
        },
    )
    graph = run_project(config)
    nlb = graph.by_name("prod-api-nlb").inputs
    assert nlb["enableDeletionProtection"] is False
    assert nlb["enableCrossZoneLoadBalancing"] is False
    hc = graph.by_name("prod-api-tg").inputs["healthCheck"]
    assert (hc["interval"], hc["timeout"], hc["healthyThreshold"], hc["unhealthyThreshold"]) == (
        5,
        4,
        2,
        10,
    )
    assert graph.by_name("prod-api-listener").inputs["port"] == 8443
    attachment = graph.by_name("prod-api-target-primary-1").inputs
    assert (attachment["port"], attachment["availabilityZone"]) == (8443, "us-east-1a")
    assert graph.outputs["loadBalancerAddress"].endswith(".amazonaws.com:8443")


def test_tags_reach_every_taggable_resource(aws_dev: dict[str, Any]) -> None:
    graph = run_project(aws_dev)
    taggable = [r for r in graph.custom if r.type != ATTACHMENT]
    assert taggable
    for resource in taggable:
        assert resource.inputs["tags"]["team"] == "platform", resource.name
        assert resource.inputs["tags"]["kurl-lb-stack"] == "test", resource.name


def test_attachments_depend_on_the_target_group_through_properties(
    aws_dev: dict[str, Any],
) -> None:
    graph = run_project(aws_dev)
    tg = graph.by_name("kurl-tg")
    attachment = graph.by_name("kurl-target-primary-1")
    assert attachment.property_dependencies["targetGroupArn"] == [tg.urn]


def test_component_outputs_resolve_to_real_values(aws_dev: dict[str, Any]) -> None:
    """The component used directly (not through __main__.py), its outputs awaited."""
    config = stack_args(encode(aws_dev), {"aws:region": REGION})
    seen: dict[str, Any] = {}

    async def program() -> None:
        lb = AwsKurlNlb("api", config.args)  # type: ignore[arg-type]
        seen["address"] = await lb.load_balancer_address.future()
        seen["host"] = await lb.load_balancer_host.future()
        seen["tg_arn"] = await lb.target_group.arn.future()
        seen["attachments"] = sorted(lb.attachments)
        seen["sg"] = lb.security_group is not None

    run_program(program)
    host = f"api-nlb-0123456789abcdef.elb.{REGION}.amazonaws.com"
    assert seen == {
        "address": f"{host}:6443",
        "host": host,
        "tg_arn": TG_ARN.replace("kurl-tg", "api-tg"),
        "attachments": ["primary-1"],
        "sg": True,
    }


def test_preview_leaves_computed_values_unknown(aws_dev: dict[str, Any]) -> None:
    """As `pulumi preview` of a new stack: ARNs and the DNS name are not known yet."""
    graph = run_project(aws_dev, preview=True)
    from offline.recorder import UNKNOWN

    assert graph.by_name("kurl-target-primary-1").inputs["targetGroupArn"] == UNKNOWN
    assert graph.outputs["loadBalancerAddress"] == UNKNOWN
    assert graph.outputs["registeredPrimaries"] == ["primary-1"]


@pytest.mark.parametrize("registered", [1, 2, 3])
def test_one_attachment_per_registered_primary(aws_dev: dict[str, Any], registered: int) -> None:
    config = with_changes(aws_dev, {f"primaries.{i}.registered": True for i in range(registered)})
    graph = run_project(config)
    names = [r.name for r in graph.of_type(ATTACHMENT)]
    assert sorted(names) == [f"kurl-target-primary-{i + 1}" for i in range(registered)]
    assert len(graph.custom) == 8 + registered
