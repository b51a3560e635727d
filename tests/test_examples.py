"""examples/: each cloud's program, with the stack config it ships, under the mock engine.

The programs create their own network and primaries and hand those resources' outputs to the
component, so these tests check what plain-config tests cannot: a registration takes its
primary's output (value and dependency), growing `registeredPrimaries` by one is one create,
and a bad output fails the run naming the component and the argument.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.args import AWS as AWS_DECLARATION
from components.checked import check_args
from components.problems import ArgsError
from offline.address import address_changes
from offline.diff import CREATE, diff
from offline.recorder import (
    UNKNOWN,
    Graph,
    PreviewMocks,
    main_program,
    program_directory,
    record,
)
from tests.conftest import (
    GCP_API,
    GCP_PROJECT,
    INVOKES,
    OUTPUTS,
    PROJECT_ROOT,
    SUBSCRIPTION,
    encode,
)

EXAMPLES = PROJECT_ROOT / "examples"
STACK = "example"


@functools.cache
def primaries_keep_plain_fields() -> bool:
    """Whether a primary whose `address` is an output keeps its plain `name` and `registered`
    in what the component reads (AwsKurlNlb's Args check). Builds no resource, so a failure
    leaves nothing behind in the process."""
    seen: dict[str, bool] = {}

    def program() -> None:
        primaries = [
            {
                "name": "primary-1",
                "registered": True,
                "address": pulumi.Output.from_input("10.0.1.10"),
            }
        ]
        args = {"primaries": primaries, "vpc_id": "vpc-0a1b2c3d", "subnet_ids": ["subnet-0a1b2c3d"]}
        view = check_args(AWS_DECLARATION, "api", {**args, "scheme": "internal"}).build_view()
        first = view["primaries"][0]
        seen["plain"] = (
            not isinstance(first, pulumi.Output)
            and first["name"] == "primary-1"
            and first["registered"] is True
        )

    record(program, project="kurl-lb", stack="test", config={}, mocks=PreviewMocks(preview=False))
    return seen["plain"]


@dataclass(frozen=True)
class Example:
    cloud: str
    registration: str  # type token of the resource that puts one primary behind the LB
    prefix: str  # its name: <prefix><primary name>
    primary: str  # type token of the primary's own resource
    target: str  # the registration's input that names the primary

    @property
    def directory(self) -> Path:
        return EXAMPLES / self.cloud

    @property
    def project(self) -> str:
        return str(yaml.safe_load((self.directory / "Pulumi.yaml").read_text())["name"])

    def config(self, registered: int) -> dict[str, Any]:
        """The shipped Pulumi.example.yaml, with `registered` primaries."""
        shipped = yaml.safe_load((self.directory / "Pulumi.example.yaml").read_text())["config"]
        return {**shipped, f"{self.project}:registeredPrimaries": registered}


AWS = Example(
    "aws",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "kurl-target-",
    "aws:ec2/instance:Instance",
    "targetId",
)
AZURE = Example(
    "azure",
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation",
    "kurl-nic-",
    "azure-native:network:NetworkInterface",
    "networkInterfaceId",
)
GCP = Example(
    "gcp",
    "gcp:compute/instanceGroupMembership:InstanceGroupMembership",
    "kurl-member-",
    "gcp:compute/instance:Instance",
    "instance",
)
EXAMPLE_LIST = [AWS, AZURE, GCP]


@pytest.fixture(params=EXAMPLE_LIST, ids=lambda e: e.cloud)
def example(request: pytest.FixtureRequest) -> Example:
    return request.param


# --- computed outputs of the examples' own resources (camelCase, as conftest's templates) -------

Template = Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]


def _hex(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:17]


def _physical(name: str) -> str:
    return f"{name}-a1b2c3d"  # as Pulumi auto-naming would


# Where the mocked EC2 instances get their addresses (in their subnets: 10.0.<n>.0/24).
PRIVATE_IPS = {"primary-1": "10.0.1.11", "primary-2": "10.0.2.12", "primary-3": "10.0.1.13"}


def _azure_id(rg: str, kind: str, name: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}/providers/Microsoft.Network"
        f"/{kind}/{name}"
    )


def _nic_id(name: str) -> str:
    return _azure_id("kurl-rg", "networkInterfaces", name)


def _azure_network(kind: str) -> Template:
    def make(a: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        name = _physical(a.name)
        return {"id": _azure_id(a.inputs["resourceGroupName"], kind, name), "name": name}

    return make


def _gcp_link(path: str) -> Template:
    """id and selfLink of a GCP resource at `path` (`zones/{zone}/instances`) of the project."""

    def make(a: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        where = path.format(region="us-central1", zone=a.inputs.get("zone"))
        relative = f"{where}/{_physical(a.name)}"
        return {
            "id": f"projects/{GCP_PROJECT}/{relative}",
            "selfLink": f"{GCP_API}/{relative}",
        }

    return make


def outputs(overrides: Mapping[str, Template] | None = None) -> dict[str, Template]:
    """conftest's templates, those of the examples' own resource types, then `overrides`."""
    sg = OUTPUTS["aws:ec2/securityGroup:SecurityGroup"]
    return {
        **OUTPUTS,
        "aws:ec2/vpc:Vpc": lambda a: {"id": f"vpc-{_hex(a.name)}"},
        "aws:ec2/subnet:Subnet": lambda a: {
            "id": f"subnet-{_hex(a.name)}",
            "availabilityZone": a.inputs["availabilityZone"],
        },
        # IDs in AWS's form: the component checks the VPC, subnet and group IDs it is handed.
        "aws:ec2/securityGroup:SecurityGroup": lambda a: {**sg(a), "id": f"sg-{_hex(a.name)}"},
        "aws:ec2/instance:Instance": lambda a: {
            "id": f"i-{_hex(a.name)}",
            "privateIp": PRIVATE_IPS[a.name],
        },
        "azure-native:resources:ResourceGroup": lambda a: {
            "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{_physical(a.name)}",
            "name": _physical(a.name),
            "location": a.inputs.get("location", "eastus"),
        },
        "azure-native:network:NetworkSecurityGroup": _azure_network("networkSecurityGroups"),
        "azure-native:network:VirtualNetwork": _azure_network("virtualNetworks"),
        "azure-native:network:NetworkInterface": _azure_network("networkInterfaces"),
        "azure-native:network:Subnet": lambda a: {
            "id": _azure_id(
                a.inputs["resourceGroupName"],
                f"virtualNetworks/{a.inputs['virtualNetworkName']}/subnets",
                _physical(a.name),
            ),
            "name": _physical(a.name),
        },
        "gcp:compute/network:Network": _gcp_link("global/networks"),
        "gcp:compute/subnetwork:Subnetwork": _gcp_link("regions/{region}/subnetworks"),
        "gcp:compute/instance:Instance": _gcp_link("zones/{zone}/instances"),
        **(overrides or {}),
    }


def run_example(
    example: Example,
    registered: int = 1,
    *,
    preview: bool = False,
    templates: Mapping[str, Template] | None = None,
    graph: Graph | None = None,
) -> Graph:
    """Run the example's __main__.py for the stack `example` with its shipped config."""
    mocks = PreviewMocks(
        outputs=templates if templates is not None else outputs(),
        invokes=INVOKES,
        preview=preview,
    )
    with program_directory(example.directory):
        return record(
            main_program(example.directory),
            project=example.project,
            stack=STACK,
            config=encode(example.config(registered)),
            mocks=mocks,
            graph=graph,
        )


def render(example: Example, registered: int = 1, **kwargs: Any) -> Graph:
    return run_example(example, registered, **kwargs)


@functools.cache
def rendered(example: Example, registered: int, preview: bool = False) -> Graph:
    """`render` with the mocks' own outputs, once per session (tests only read the graphs)."""
    return render(example, registered, preview=preview)


def registrations(graph: Graph, example: Example) -> dict[str, Any]:
    """Registration resources by primary name."""
    return {r.name.removeprefix(example.prefix): r for r in graph.of_type(example.registration)}


# --- the projects ---------------------------------------------------------------------------


def test_each_example_is_its_own_project_on_the_shared_virtualenv(example: Example) -> None:
    project = yaml.safe_load((example.directory / "Pulumi.yaml").read_text())
    assert project["name"] == f"kurl-lb-{example.cloud}-example"
    assert project["runtime"]["name"] == "python"
    virtualenv = example.directory / project["runtime"]["options"]["virtualenv"]
    assert virtualenv.resolve() == (PROJECT_ROOT / ".venv").resolve()
    shipped = yaml.safe_load((example.directory / "Pulumi.example.yaml").read_text())["config"]
    assert shipped[f"{example.project}:registeredPrimaries"] == 1
    # Its own keys and its providers' only: nothing of the kurl-lb project's stack config.
    providers = {"aws": {"aws"}, "azure": {"azure-native"}, "gcp": {"gcp"}}[example.cloud]
    assert {key.split(":")[0] for key in shipped} == {example.project, *providers}


@pytest.mark.parametrize("registered", [0, 4])
def test_registered_primaries_out_of_range_is_refused(example: Example, registered: int) -> None:
    graph = Graph(project=example.project, stack=STACK)
    with pytest.raises(
        pulumi.RunError, match=f"registeredPrimaries must be 1 to 3, not {registered}"
    ):
        run_example(example, registered, graph=graph)
    assert [r.type for r in graph.resources] == ["pulumi:pulumi:Stack"]


# --- the registrations take the primaries' outputs ----------------------------------------------


@pytest.mark.parametrize("registered", [1, 2, 3])
def test_registered_primaries_are_the_first_n(example: Example, registered: int) -> None:
    graph = rendered(example, registered)
    names = [f"primary-{i}" for i in range(1, 4)]
    assert sorted(registrations(graph, example)) == names[:registered]
    assert graph.outputs["registeredPrimaries"] == names[:registered]
    assert graph.outputs["pendingPrimaries"] == names[registered:]
    address = graph.outputs["loadBalancerAddress"]
    assert address.endswith(":6443") and not address.startswith(":")
    assert graph.outputs["kurlInstallFlags"] == f"ha load-balancer-address={address}"
    assert graph.outputs["kurlInstaller"]["spec"]["kubernetes"]["loadBalancerAddress"] == address


def test_each_registration_depends_on_its_primary(example: Example) -> None:
    graph = rendered(example, 3)
    for name, registration in registrations(graph, example).items():
        primary = graph.by_name(name)
        assert primary.type == example.primary
        assert primary.urn in registration.property_dependencies[example.target], name
        assert primary.urn in registration.dependencies, name


def _expected_target(example: Example, name: str, graph: Graph) -> str:
    """What the mocks gave the primary's resource: its private IP, NIC ID or self link."""
    if example is AWS:
        return PRIVATE_IPS[name]
    if example is AZURE:
        rg = graph.of_type("azure-native:resources:ResourceGroup")[0]
        return _azure_id(_physical(rg.name), "networkInterfaces", _physical(name))
    zone = graph.by_name(name).inputs["zone"]
    return f"{GCP_API}/zones/{zone}/instances/{_physical(name)}"


def test_each_registration_targets_its_primarys_output(example: Example) -> None:
    graph = rendered(example, 3)
    found = registrations(graph, example)
    assert len(found) == 3
    for name, registration in found.items():
        assert registration.inputs[example.target] == _expected_target(example, name, graph)
    if example is AWS:
        # The attachment's zone is the subnet's (availabilityZone output) the instance is in.
        zones = {n: r.inputs["availabilityZone"] for n, r in found.items()}
        assert zones == {
            "primary-1": "us-east-1a",
            "primary-2": "us-east-1b",
            "primary-3": "us-east-1a",
        }


def test_the_first_preview_registers_the_first_n_with_unknown_targets(example: Example) -> None:
    """As `pulumi preview` of a new stack: the primaries' outputs are not known yet."""
    from offline.recorder import UNKNOWN

    graph = rendered(example, 2, preview=True)
    found = registrations(graph, example)
    assert sorted(found) == ["primary-1", "primary-2"]
    assert all(r.inputs[example.target] == UNKNOWN for r in found.values())
    assert graph.outputs["registeredPrimaries"] == ["primary-1", "primary-2"]


# --- staged growth ------------------------------------------------------------------------------


@pytest.mark.parametrize("registered", [1, 2])
def test_bumping_registered_primaries_is_exactly_one_create(
    example: Example, registered: int
) -> None:
    before, after = rendered(example, registered), rendered(example, registered + 1)
    changes = diff(before, after)
    added = f"primary-{registered + 1}"
    assert [(c.op, c.type, c.name) for c in changes] == [
        (CREATE, example.registration, f"{example.prefix}{added}")
    ]
    assert address_changes(changes, before, after) == []


class AfterDeploy(PreviewMocks):
    """A preview of a stack already deployed: every resource has its outputs (from state),
    but `new` is being created (or replaced), so its outputs are unknown."""

    def __init__(self, new: str) -> None:
        super().__init__(outputs=outputs(), invokes=INVOKES, preview=True)
        self.new = new

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if args.name == self.new:
            return "", dict(args.inputs)
        make = self.outputs.get(args.typ)
        computed = dict(make(args)) if make is not None else {}
        return computed.pop("id", f"{args.name}-id"), {**args.inputs, **computed}


@pytest.mark.parametrize("registered", [1, 3])
def test_a_new_primary_resource_leaves_the_other_registrations_known_at_preview(
    example: Example, registered: int
) -> None:
    """Recreating (or adding) primary-3's VM or NIC must not touch another registration in the
    plan: at preview their targets stay known, or the engine would plan them replaced."""
    deployed = rendered(example, registered)
    with program_directory(example.directory):
        planned = record(
            main_program(example.directory),
            project=example.project,
            stack=STACK,
            config=encode(example.config(registered)),
            mocks=AfterDeploy("primary-3"),
        )
    new_vm = planned.by_name("primary-3").urn
    before, after = registrations(deployed, example), registrations(planned, example)
    for name in ("primary-1",):
        assert after[name].inputs[example.target] == before[name].inputs[example.target]
        assert new_vm not in after[name].property_dependencies[example.target]
    if registered == 3:
        assert after["primary-3"].inputs[example.target] == UNKNOWN


# --- bad outputs fail the run, naming the component and the argument ----------------------------


def _bad_primary_1(example: Example) -> tuple[Template, str]:
    """A template of the primaries' type under which primary-1's output is wrong, and the Args
    field the failure names."""
    if example is AWS:
        ips = {**PRIVATE_IPS, "primary-1": "8.8.8.8"}  # public: no IP target of a VPC
        return lambda a: {"id": f"i-{_hex(a.name)}", "privateIp": ips[a.name]}, (
            "primaries[0].address"
        )
    if example is AZURE:
        nic, vnet = _azure_network("networkInterfaces"), _azure_network("virtualNetworks")
        # A VNet's ID where the NIC's belongs.
        return lambda a: vnet(a) if a.name == "primary-1" else nic(a), "primaries[0].nicId"

    def instance(a: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        made = _gcp_link("zones/{zone}/instances")(a)
        if a.name == "primary-1":  # a VM in another zone than the primary's
            made["selfLink"] = made["selfLink"].replace("us-central1-a", "us-central1-f")
        return made

    return instance, "primaries[0].instance"


def test_a_bad_output_fails_naming_the_component_and_the_field(example: Example) -> None:
    template, field = _bad_primary_1(example)
    graph = Graph(project=example.project, stack=STACK)
    try:
        render(example, 1, templates=outputs({example.primary: template}), graph=graph)
    except ArgsError as error:
        message = str(error)
    else:
        pytest.fail("a bad output did not stop the run")
    # Once the error is dropped, the coroutines of the failed run that never ran are collected
    # here, not as "never awaited" warnings in whichever test runs next.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        gc.collect()
    component = {"aws": "AwsKurlNlb", "azure": "AzureKurlLb", "gcp": "GcpKurlLb"}[example.cloud]
    assert message.startswith(f'{component} "kurl": invalid arguments (1 problem)'), message
    assert f"\n  - {field}: " in message, message
    assert registrations(graph, example) == {}  # nothing registered a bad primary


# --- the defect itself, without an example ------------------------------------------------------


def test_a_primary_holding_an_output_keeps_its_plain_fields() -> None:
    """`AwsPrimaryArgs.address` is a `pulumi.Input`: an output there must leave the primary's
    `name` and `registered` plain, as the component reads them when it is built."""
    assert primaries_keep_plain_fields()
