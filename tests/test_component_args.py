"""The components used directly, with Args: known values checked when the component is built,
outputs of other resources checked when they resolve, and composed into the registrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.args import AwsKurlNlbArgs, GcpKurlLbArgs
from components.aws import AwsKurlNlb
from components.checked import ArgsError
from components.gcp import GcpKurlLb
from offline.recorder import UNKNOWN, Graph
from tests.conftest import OUTPUTS, REGION, SUBNET_CIDRS, run_program

SUBNETS = list(SUBNET_CIDRS)
ADDRESSES = {"vm-1": "10.0.1.10", "vm-2": "10.0.2.10", "vm-public": "8.8.8.8"}
MOCK_OUTPUTS = {
    **OUTPUTS,
    "aws:ec2/instance:Instance": lambda a: {"privateIp": ADDRESSES[a.name]},
    "aws:ec2/vpc:Vpc": lambda a: {"id": "vpc-0a1b2c3d4e5f60718"},
}


def run(program: Callable[[], Any], *, preview: bool = False, graph: Graph | None = None) -> Graph:
    return run_program(program, outputs=MOCK_OUTPUTS, preview=preview, graph=graph)


def aws_args(**changes: Any) -> AwsKurlNlbArgs:
    args: dict[str, Any] = {
        "scheme": "internal",
        "region": REGION,
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "subnet_ids": SUBNETS,
        "instance_security_group_id": "sg-0a1b2c3d4e5f60799",
        "allowed_client_cidrs": ["10.0.0.0/16"],
        "primaries": [
            {"name": "primary-1", "address": "10.0.1.10", "registered": True},
            {"name": "primary-2", "address": "10.0.2.10"},
        ],
    }
    args.update(changes)
    return args  # type: ignore[return-value]


def instance(name: str) -> aws.ec2.Instance:
    return aws.ec2.Instance(name, ami="ami-0123456789abcdef0", instance_type="t3.large")


# --- known values: checked when the component is built ------------------------------------------


def test_a_bad_known_value_is_named_by_component_and_field_and_nothing_is_created() -> None:
    graph = Graph(project="kurl-lb", stack="test")

    def program() -> None:
        AwsKurlNlb("api", aws_args(vpc_id="vpc-1", subnet_ids=["subnet-1"]))

    with pytest.raises(ArgsError) as err:
        run(program, graph=graph)
    message = str(err.value)
    assert message.startswith('AwsKurlNlb "api": invalid arguments (')
    assert '  - vpcId: "vpc-1" is not a VPC ID' in message
    assert '  - subnetIds[0]: "subnet-1" is not a subnet ID' in message
    assert [r.type for r in graph.resources if r.type != "pulumi:pulumi:Stack"] == []


def test_rules_across_fields_say_what_the_stack_config_says_on_the_args_paths() -> None:
    with pytest.raises(ArgsError) as err:
        run(lambda: AwsKurlNlb("api", aws_args(target_type="instance")))
    assert '  - targetType: "instance" cannot be used with scheme internal' in str(err.value)


def test_a_public_front_end_problem_names_the_public_front_end_s_own_keys() -> None:
    pair = {"subnet_ids": ["subnet-0a1b2c3d4e5f60744"], "hairpin_source_cidrs": ["198.51.100.7/32"]}
    with pytest.raises(ArgsError) as err:
        run(lambda: AwsKurlNlb("api", aws_args(public_front_end=pair)))
    assert (
        "  - publicFrontEnd.allowedClientCidrs: is required for a public NLB (it is never silently "
        "0.0.0.0/0): list your clients (the primaries' NAT gateway or own public IPs go in "
        "publicFrontEnd.hairpinSourceCidrs)"
    ) in str(err.value)


def test_missing_required_args_are_named() -> None:
    args = aws_args()
    del args["vpc_id"]
    with pytest.raises(ArgsError, match=r"  - vpcId: is required"):
        run(lambda: AwsKurlNlb("api", args))


def test_the_component_name_is_checked_as_the_resource_prefix() -> None:
    with pytest.raises(ArgsError, match=r'AwsKurlNlb "Api_1".*\n  - name: "Api_1" is not'):
        run(lambda: AwsKurlNlb("Api_1", aws_args()))


def test_args_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match="args must be a dict"):
        run(lambda: AwsKurlNlb("api", ["not", "args"]))  # type: ignore[arg-type]


# --- outputs: composed, and checked when they resolve -------------------------------------------


def test_outputs_of_other_resources_reach_the_registrations() -> None:
    def program() -> None:
        vms = [instance("vm-1"), instance("vm-2")]
        primaries = [
            {"name": f"primary-{i}", "address": vm.private_ip, "registered": True}
            for i, vm in enumerate(vms, 1)
        ]
        AwsKurlNlb("api", aws_args(primaries=primaries))

    graph = run(program)
    for i, vm in enumerate(["vm-1", "vm-2"], 1):
        attachment = graph.by_name(f"api-target-primary-{i}")
        assert attachment.inputs["targetId"] == ADDRESSES[vm]
        assert graph.by_name(vm).urn in attachment.property_dependencies["targetId"]


def test_unknown_outputs_at_preview_build_the_same_resources() -> None:
    def program() -> None:
        vm = instance("vm-1")
        AwsKurlNlb(
            "api",
            aws_args(primaries=[{"name": "primary-1", "address": vm.private_ip, "registered": 1}]),
        )

    graph = run(program, preview=True)
    assert graph.by_name("api-target-primary-1").inputs["targetId"] == UNKNOWN
    assert len(graph.of_type("aws:lb/loadBalancer:LoadBalancer")) == 1


def test_a_bad_output_fails_the_resource_it_feeds_naming_component_and_field() -> None:
    def program() -> None:
        vm = instance("vm-public")
        AwsKurlNlb(
            "api",
            aws_args(
                primaries=[{"name": "primary-1", "address": vm.private_ip, "registered": True}]
            ),
        )

    with pytest.raises(Exception, match=r'AwsKurlNlb "api".*\n  - primaries\[0\]\.address: '):
        run(program)


def test_a_rule_across_two_outputs_runs_when_both_resolve() -> None:
    """Two primaries whose addresses are outputs resolving to one address: the rule reads both,
    so it can only run once both resolved, and it gates the registrations."""

    def program() -> None:
        vm = instance("vm-1")
        AwsKurlNlb(
            "api",
            aws_args(
                primaries=[
                    {"name": "primary-1", "address": vm.private_ip, "registered": True},
                    {"name": "primary-2", "address": vm.private_ip},
                ]
            ),
        )

    with pytest.raises(Exception, match=r"primaries\[1\]\.address: .*also primaries\[0\]"):
        run(program)


def test_output_ids_and_cidrs_name_their_rules_by_position() -> None:
    """A rule's name must be known when it is registered: a subnet ID or CIDR that is an
    output names its rule by its place in the list."""

    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        AwsKurlNlb(
            "api",
            aws_args(
                vpc_id=vpc.id,
                load_balancer_security_group=False,
                subnet_ids=[pulumi.Output.from_input(SUBNETS[0]), SUBNETS[1]],
                allowed_client_cidrs=[vpc.cidr_block],
            ),
        )

    graph = run(program)
    names = {
        r.name for r in graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    assert names == {"api-primaries-from-subnet-0", f"api-primaries-from-{SUBNETS[1]}"}
    tg = graph.by_name("api-tg")
    assert tg.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert graph.by_name("vpc").urn in tg.property_dependencies["vpcId"]


def test_secret_args_keep_plain_args_secret() -> None:
    seen: dict[str, Any] = {}

    async def program() -> None:
        lb = AwsKurlNlb("api", aws_args(secret_args=["scheme", "primaries"]))
        output = lb.registered_primaries
        seen["registered"] = (await output.future(), await output.is_secret())

    graph = run(program)
    assert graph.by_name("api-nlb").inputs["internal"] == {"secret": True}
    assert graph.by_name("api-target-primary-1").inputs["targetId"] == {"secret": "10.0.1.10"}
    assert seen["registered"] == (["primary-1"], True)


def gcp_args(instance: pulumi.Input[str]) -> GcpKurlLbArgs:
    return {
        "scheme": "public",
        "region": "us-central1",
        "network": "kurl-vpc",
        "target_tags": ["kurl-primary"],
        "allowed_client_cidrs": ["203.0.113.0/24"],
        "primaries": [
            {
                "name": "primary-1",
                "zone": "us-central1-a",
                "instance": instance,
                "registered": True,
            }
        ],
    }


def test_gcp_instances_may_be_outputs() -> None:
    graph = run(lambda: GcpKurlLb("api", gcp_args(pulumi.Output.from_input("vm-1"))))
    member = graph.by_name("api-member-primary-1")
    assert member.inputs["instance"] == "vm-1"
    assert member.inputs["zone"] == "us-central1-a"


def test_a_secret_output_that_is_bad_is_reported_without_its_value() -> None:
    def program() -> None:
        vm = instance("vm-public")
        address = pulumi.Output.secret(vm.private_ip)
        AwsKurlNlb(
            "api",
            aws_args(primaries=[{"name": "primary-1", "address": address, "registered": True}]),
        )

    with pytest.raises(Exception) as err:
        run(program)
    assert "primaries[0].address: [secret] is not a private IPv4 address" in str(err.value)
    assert "8.8.8.8" not in str(err.value)


def test_a_bad_value_of_a_secret_arg_is_reported_without_its_value() -> None:
    args = aws_args(secret_args=["vpcId"], vpc_id="vpc-nope")
    with pytest.raises(ArgsError) as err:
        run(lambda: AwsKurlNlb("api", args))
    assert "  - vpcId: [secret] is not a VPC ID" in str(err.value)
    assert "vpc-nope" not in str(err.value)


def test_unknown_args_and_record_fields_are_named_with_what_is_allowed() -> None:
    args: Any = aws_args(vpcid="vpc-0a1b2c3d4e5f60718")
    args["primaries"][0]["adress"] = "10.0.1.10"
    with pytest.raises(ArgsError) as err:
        run(lambda: AwsKurlNlb("api", args))
    message = str(err.value)
    assert "  - vpcid: is not an argument of AwsKurlNlbArgs; allowed: primaries, vpc_id," in message
    assert (
        "  - primaries[0].adress: is not an argument of AwsPrimaryArgs; allowed: name," in message
    )


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("scheme", "scheme: is an output, but it decides which resources exist"),
        ("subnet_ids", "subnetIds: is an output; give a list"),
        ("load_balancer_security_group", "loadBalancerSecurityGroup: is an output, but"),
    ],
)
def test_an_output_where_a_plain_value_decides_the_resources_is_refused(
    field: str, expected: str
) -> None:
    """Outputs (including secrets, which reach a component package as outputs) cannot decide
    which resources exist: refused by name, before anything is registered."""
    plain = {**aws_args(), "load_balancer_security_group": True}[field]

    def program() -> None:
        AwsKurlNlb("api", aws_args(**{field: pulumi.Output.secret(plain)}))

    with pytest.raises(ArgsError, match=f"  - {expected}"):
        run(program)


def test_an_output_primary_name_is_refused() -> None:
    def program() -> None:
        primary = {"name": pulumi.Output.from_input("primary-1"), "address": "10.0.1.10"}
        AwsKurlNlb("api", aws_args(primaries=[primary]))

    with pytest.raises(ArgsError, match=r"  - primaries\[0\]\.name: is an output, but"):
        run(program)


def test_integral_floats_from_the_wire_are_ints_and_others_are_refused() -> None:
    """Other languages' numbers arrive as floats (the provider host leaves some so)."""
    args = aws_args(port=6443.0, health_check={"interval_seconds": 10.0})
    graph = run(lambda: AwsKurlNlb("api", args))
    assert graph.by_name("api-tg").inputs["port"] == 6443
    assert graph.by_name("api-tg").inputs["healthCheck"]["interval"] == 10
    with pytest.raises(ArgsError, match=r"  - port: 6443\.5 is not an integer"):
        run(lambda: AwsKurlNlb("api", aws_args(port=6443.5)))


def test_azure_scheme_may_be_left_out() -> None:
    """AzureKurlLbArgs documents `scheme` as optional, `public` the default and only value."""
    from components.azure import AzureKurlLb

    nic = (
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers"
        "/Microsoft.Network/networkInterfaces/vm-1-nic"
    )
    args: Any = {
        "resource_group_name": "kurl-rg",
        "allowed_client_cidrs": ["203.0.113.0/24"],
        "primaries": [{"name": "primary-1", "nic_id": nic, "registered": True}],
    }
    seen: dict[str, Any] = {}

    def program() -> None:
        seen["registrations"] = sorted(AzureKurlLb("api", args).registrations)

    graph = run(program)
    assert seen == {"registrations": ["primary-1"]}
    assert len(graph.of_type("azure-native:network:LoadBalancer")) == 1


def test_a_new_primary_leaves_the_known_registrations_known_at_preview() -> None:
    """Staged growth: a primary whose instance is new (its address unknown at preview) must
    not make the registered primaries' targets unknown, or the plan would replace them."""

    def program() -> None:
        vm = aws.ec2.Instance("vm-new", ami="ami-0123456789abcdef0", instance_type="t3.large")
        AwsKurlNlb(
            "api",
            aws_args(
                primaries=[
                    {"name": "primary-1", "address": "10.0.1.10", "registered": True},
                    {"name": "primary-2", "address": vm.private_ip, "registered": True},
                ]
            ),
        )

    graph = run(program, preview=True)
    assert graph.by_name("api-target-primary-1").inputs["targetId"] == "10.0.1.10"
    assert graph.by_name("api-target-primary-2").inputs["targetId"] == UNKNOWN


def test_a_rule_across_outputs_fails_a_preview_when_they_are_known() -> None:
    """At preview the registrations are not held, but the deferred rules still run on known
    outputs: the program fails."""

    def program() -> None:
        address = pulumi.Output.from_input("10.0.1.10")
        primaries = [
            {"name": "primary-1", "address": address, "registered": True},
            {"name": "primary-2", "address": address, "registered": True},
        ]
        AwsKurlNlb("api", aws_args(primaries=primaries))

    with pytest.raises(Exception, match=r"primaries\[1\]\.address: .*also primaries\[0\]"):
        run(program, preview=True)


def test_messages_speak_the_args_words_not_the_stack_configs() -> None:
    """A rule's text names Args fields (`targetType`, `region`), never config keys
    (`aws.targetType`, `gcp:region`) or `pulumi config set` advice."""
    args = aws_args(
        scheme="public",
        allowed_client_cidrs=["0.0.0.0/0"],
        target_type="instance",
        primaries=[{"name": "primary-1", "address": "10.0.1.10", "registered": True}],
    )
    with pytest.raises(ArgsError) as err:
        run(lambda: AwsKurlNlb("api", args))
    message = str(err.value)
    assert "primaries[0].address: is only used with targetType ip" in message
    assert "aws." not in message

    gcp = dict(gcp_args("vm-1"))
    del gcp["region"]
    with pytest.raises(ArgsError) as err:
        run(lambda: GcpKurlLb("api", gcp))  # type: ignore[arg-type]
    assert "  - region: is required\n" in str(err.value) + "\n"
    assert "pulumi config set" not in str(err.value)
