"""The offline gate as a PR security boundary: the program it judges runs in its own process and
virtualenv, under the SDK's standard runtime against the engine the gate serves, and cannot change
the verdict, end the run early with exit 0, hang the gate, or write into `--json` output; lookups,
`main:`, policy config and chatty packs behave as documented. (Attacks on the gate itself and its
caps: tests/test_gate_attacks.py.)"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.analyzer import PolicyGate, PolicyPackError, policy_gate
from offline.policyconfig import read_policy_config
from offline.recorder import UNKNOWN
from tests.conftest import PROJECT_ROOT
from tests.inprocess import preview
from tests.test_offline_preview import copy_program, run_preview

FOREIGN = PROJECT_ROOT / "tests" / "programs" / "aws_instance_targets"
GATE_SITE_PACKAGES = next(p for p in sys.path if p.endswith("site-packages"))


def program(
    directory: Path, code: str, *, project: dict[str, object] | None = None, main: str = ""
) -> Path:
    """A one-file Pulumi program with a stack `ci` (AWS region only) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = {"name": "boundary", "runtime": "python", **(project or {})}
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    (directory / "Pulumi.ci.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (directory / (main or "__main__.py")).parent.mkdir(parents=True, exist_ok=True)
    (directory / (main or "__main__.py")).write_text(code)
    return directory


# One VPC as the engine receives it from `aws.ec2.Vpc("vpc", cidr_block=...)`, registered without
# the class: what these programs do to their process is the subject, and pulumi_aws.ec2 costs
# each program process half a CPU-second to import. SDK_VPC where the SDK's classes matter.
VPC = 'pulumi.CustomResource("aws:ec2/vpc:Vpc", "vpc", {{"cidrBlock": "{cidr}"}})\n'
ONE_VPC = "import pulumi\n\n" + VPC.format(cidr="10.0.0.0/16")
SDK_VPC = 'import pulumi_aws as aws\n\naws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")\n'


def test_a_program_calling_sys_exit_0_fails_the_gate(tmp_path: Path) -> None:
    prog = program(tmp_path, ONE_VPC + "import sys\nsys.exit(0)\n" + FOREIGN_BODY)
    result = run_preview("--program", str(prog), "--stack", "ci", "--json", "--no-policy")
    assert result.returncode == 2
    assert "exited with code 0 before the Pulumi SDK signalled that the program finished" in (
        result.stderr
    )
    assert "after 2 registration(s)" in result.stderr  # the stack and the VPC
    assert result.stdout == ""


def test_a_program_calling_os_exit_0_fails_the_gate(tmp_path: Path) -> None:
    prog = program(tmp_path, ONE_VPC + "import os\nos._exit(0)\n" + FOREIGN_BODY)
    result = run_preview("--program", str(prog), "--stack", "ci", "--json", "--no-policy")
    assert result.returncode == 2
    assert "exited with code 0 before the Pulumi SDK signalled that the program finished" in (
        result.stderr
    )
    assert "the recording is incomplete" in result.stderr
    assert result.stdout == ""


def test_a_program_killed_by_a_signal_fails_the_gate(tmp_path: Path) -> None:
    prog = program(tmp_path, ONE_VPC + "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy")
    assert result.returncode == 2
    assert "was killed by signal SIGKILL before the program finished" in result.stderr


FOREIGN_BODY = (FOREIGN / "__main__.py").read_text().split('"""', 2)[2]
PATCH_THE_GATE = f"""
import sys
sys.path.insert(0, {str(PROJECT_ROOT)!r})
import offline.analyzer, offline.cli, offline.runner
from offline.analyzer import PolicyResult

# Everything a hostile program could reach of the gate, made to say "clean".
offline.analyzer.PolicyGate.analyze = lambda self, graph: PolicyResult("kurl-lb", "0", {{}}, [])
offline.analyzer.analyze = lambda *args, **kwargs: PolicyResult("kurl-lb", "0", {{}}, [])
offline.cli.main = lambda argv=None: 0
offline.runner.run_program = lambda *args, **kwargs: None
"""


def test_patching_the_gate_from_the_program_changes_nothing(tmp_path: Path) -> None:
    prog = program(tmp_path, PATCH_THE_GATE + FOREIGN_BODY)
    result = run_preview("--program", str(prog), "--stack", "ci", "--json")
    assert result.returncode == 1, result.stderr
    diagnostics = json.loads(result.stdout)["policy"]["diagnostics"]
    assert sorted((d["policy"], d["level"]) for d in diagnostics) == [
        ("aws-internal-nlb-ip-targets", "mandatory"),
        ("aws-internal-nlb-ip-targets", "mandatory"),
        ("aws-internal-nlb-no-client-ip-preservation", "mandatory"),
    ]


def test_what_the_program_prints_goes_to_stderr_never_into_json(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        'print(\'{"not": "the gate"}\')\n'
        "print('to stderr', file=sys.stderr)\n" + ONE_VPC
    )
    prog = program(tmp_path, code)
    result = run_preview("--program", str(prog), "--stack", "ci", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # the whole of stdout is the gate's one document
    assert sorted(r["name"] for r in doc["resources"]) == ["boundary-ci", "vpc"]
    assert '{"not": "the gate"}' in result.stderr and "to stderr" in result.stderr


NEVER_RESOLVES = """
import asyncio
import pulumi

vpc = pulumi.CustomResource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
never = pulumi.Output.from_input(asyncio.get_event_loop().create_future())
pulumi.CustomResource("aws:ec2/securityGroup:SecurityGroup", "waits-forever", {"vpcId": never})
pulumi.CustomResource(
    "aws:ec2/subnet:Subnet", "waits-too", {"vpcId": never, "cidrBlock": "10.0.1.0/24"}
)
"""
NEVER_RETURNS = ONE_VPC + "import time\nwhile True:\n    time.sleep(1)\n"
# The runs that wait out a deadline, by the test that reads each. No pack: they end before a
# verdict.
DEADLINE_RUNS = {
    "test_a_hung_program_is_stopped_at_the_deadline_showing_where_it_waited": (
        NEVER_RESOLVES,
        ("--json",),
    ),
    "test_a_program_that_never_returns_is_stopped_too": (NEVER_RETURNS, ()),
}
Timed = tuple[float, subprocess.CompletedProcess[str]]


def timed_run(prog: Path, *args: str) -> Timed:
    started = time.monotonic()
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy", *args)
    return time.monotonic() - started, result


@pytest.fixture(scope="module", autouse=True)
def deadline_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Timed]]]:
    """The deadline runs the selected tests read, started with the module: they wait out
    their deadline while the other tests run."""
    selected = {i.name for i in request.session.items if i.path == request.path}
    with ThreadPoolExecutor(max_workers=len(DEADLINE_RUNS)) as pool:
        yield {
            name: pool.submit(
                timed_run,
                program(tmp_path_factory.mktemp("deadline"), code),
                "--timeout",
                "8",
                *args,
            )
            for name, (code, args) in DEADLINE_RUNS.items()
            if name in selected
        }


def test_a_resource_object_where_a_value_is_expected_is_named(tmp_path: Path) -> None:
    code = SDK_VPC.replace('aws.ec2.Vpc("vpc"', 'vpc = aws.ec2.Vpc("vpc"')
    prog = program(tmp_path, code + 'aws.ec2.SecurityGroup("sg", vpc_id=vpc)\n')
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy", "--timeout", "60")
    assert result.returncode == 2
    assert "aws:ec2/securityGroup:SecurityGroup 'sg': input vpcId is the resource" in (
        result.stderr
    )
    assert "aws:ec2/vpc:Vpc::vpc" in result.stderr


def make_venv(
    directory: Path, packages: dict[str, str], *, with_gate_packages: bool = True
) -> Path:
    """A virtualenv with the gate's packages (pulumi, providers) plus `packages` of its own."""
    venv.EnvBuilder(with_pip=False).create(directory)  # `python -m venv --without-pip`, here
    site = next(directory.glob("lib/python*/site-packages"))
    if with_gate_packages:
        (site / "gate-packages.pth").write_text(GATE_SITE_PACKAGES + "\n")
    for name, code in packages.items():
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(code)
    return directory


def test_the_program_runs_with_its_own_virtualenv(tmp_path: Path) -> None:
    assert importlib.util.find_spec("kurl_lb_only_in_program_venv") is None  # not the gate's
    make_venv(tmp_path / "venv", {"kurl_lb_only_in_program_venv": "CIDR = '10.9.0.0/16'\n"})
    code = (
        "import sys\nimport pulumi\nimport pulumi_aws as aws\n"
        "from kurl_lb_only_in_program_venv import CIDR\n"
        'aws.ec2.Vpc("vpc", cidr_block=CIDR)\n'
        'pulumi.export("python", sys.prefix)\n'
    )
    prog = program(tmp_path / "prog", code, project={"runtime": _venv_runtime("../venv")})
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    vpc = next(r for r in doc["resources"] if r["name"] == "vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.9.0.0/16"
    assert doc["outputs"]["python"] == str((tmp_path / "venv").resolve())


def _venv_runtime(venv: str) -> dict[str, object]:
    return {"name": "python", "options": {"toolchain": "pip", "virtualenv": venv}}


def test_a_package_missing_from_the_program_venv_is_named_with_the_venv(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv", {})
    code = "import pulumi_random\n" + ONE_VPC
    prog = program(tmp_path / "prog", code, project={"runtime": _venv_runtime("../venv")})
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy")
    assert result.returncode == 2
    assert "the program imports module 'pulumi_random', which is not installed in" in (
        result.stderr
    )
    assert f"the program's virtualenv {venv.resolve()}" in result.stderr


def test_a_program_venv_without_the_pulumi_sdk_is_named(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv", {}, with_gate_packages=False)
    prog = program(tmp_path / "prog", ONE_VPC, project={"runtime": _venv_runtime("../venv")})
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy")
    assert result.returncode == 2
    assert "module 'pulumi', which is not installed in the program's virtualenv" in result.stderr
    assert str(venv.resolve()) in result.stderr


def test_an_exception_in_an_apply_fails_the_gate_with_its_traceback(tmp_path: Path) -> None:
    code = SDK_VPC.replace('aws.ec2.Vpc("vpc"', 'vpc = aws.ec2.Vpc("vpc"')
    code += "def late(cidr):\n    raise ValueError(f'late failure for {cidr}')\n"
    code += "vpc.cidr_block.apply(late)\n"
    prog = program(tmp_path, code)
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy", "--json")
    assert result.returncode == 2
    assert "ValueError: late failure for 10.0.0.0/16" in result.stderr
    assert result.stdout == ""


def test_a_missing_program_venv_is_a_clear_error(tmp_path: Path) -> None:
    prog = program(tmp_path, ONE_VPC, project={"runtime": _venv_runtime("venv")})
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy")
    assert result.returncode == 2
    assert f"the program's virtualenv {tmp_path / 'venv'}" in result.stderr
    assert "does not exist" in result.stderr


def test_main_in_pulumi_yaml_is_honoured(tmp_path: Path) -> None:
    code = "from helpers import NAME\nimport pulumi\n"
    prog = program(
        tmp_path,
        code + "pulumi.CustomResource('aws:ec2/vpc:Vpc', NAME, {'cidrBlock': '10.0.0.0/16'})\n",
        project={"main": "infra/"},
        main="infra/__main__.py",
    )
    (prog / "infra" / "helpers.py").write_text("NAME = 'from-infra'\n")
    (prog / "__main__.py").write_text("raise SystemExit('the root __main__.py must not run')\n")
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy", "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(r["name"] for r in json.loads(result.stdout)["resources"]) == [
        "boundary-ci",
        "from-infra",
    ]


def test_a_missing_main_is_a_clear_error(tmp_path: Path) -> None:
    prog = program(tmp_path, ONE_VPC, project={"main": "src/"})
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy")
    assert result.returncode == 2
    assert "Pulumi.yaml main: src/ does not exist" in result.stderr


LOOKUPS = """
import pulumi
import pulumi_aws as aws

vpc = aws.ec2.get_vpc(id="vpc-0123")                      # plain invoke
subnet = aws.ec2.get_subnet_output(id="subnet-0123")      # output invoke
aws.ec2.SecurityGroup("sg", vpc_id=vpc.id, description=vpc.cidr_block)
pulumi.export("vpcCidr", vpc.cidr_block)
pulumi.export("subnetCidr", subnet.cidr_block)
"""

FIXTURES = [
    {
        "token": "aws:ec2/getVpc:getVpc",
        "args": {"id": "vpc-0123"},
        "result": {"id": "vpc-0123", "cidrBlock": "10.0.0.0/16"},
    },
    {
        "token": "aws:ec2/getSubnet:getSubnet",
        "args": {"id": "subnet-0123"},
        "result": {"id": "subnet-0123", "cidrBlock": "10.0.1.0/24"},
    },
]


def test_a_plain_invoke_without_a_fixture_names_the_token_and_the_fix(tmp_path: Path) -> None:
    prog = program(tmp_path, LOOKUPS)
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy")
    assert result.returncode == 2
    assert "plain invoke aws:ec2/getVpc:getVpc (at __main__.py:5) has no known result" in (
        result.stderr
    )
    assert "--invokes FILE" in result.stderr
    assert "token: aws:ec2/getVpc:getVpc" in result.stderr and "id: vpc-0123" in result.stderr
    assert "AssertionError" not in result.stderr


def preview_lookups(tmp_path: Path, fixtures: list[dict[str, object]]) -> dict[str, Any]:
    """The LOOKUPS program's --json document with `fixtures` as its --invokes file."""
    prog = program(tmp_path / "prog", LOOKUPS)
    (tmp_path / "invokes.yaml").write_text(yaml.safe_dump(fixtures))
    invokes = str(tmp_path / "invokes.yaml")
    result = run_preview(
        "--program", str(prog), "--stack", "ci", "--no-policy", "--json", "--invokes", invokes
    )
    assert result.returncode == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_invoke_fixtures_answer_plain_and_output_invokes(tmp_path: Path) -> None:
    doc = preview_lookups(tmp_path, FIXTURES)
    assert doc["outputs"] == {"vpcCidr": "10.0.0.0/16", "subnetCidr": "10.0.1.0/24"}
    sg = next(r for r in doc["resources"] if r["name"] == "sg")
    assert sg["inputs"]["vpcId"] == "vpc-0123"
    # --json lists lookups sorted (byte-identical output), not in call order.
    assert sorted((x["token"], x["answered"]) for x in doc["lookups"]) == [
        ("aws:ec2/getSubnet:getSubnet", True),
        ("aws:ec2/getVpc:getVpc", True),
    ]


def test_an_output_invoke_without_a_fixture_is_unknown(tmp_path: Path) -> None:
    doc = preview_lookups(tmp_path, FIXTURES[:1])
    assert doc["outputs"]["vpcCidr"] == "10.0.0.0/16"
    assert doc["outputs"]["subnetCidr"] == UNKNOWN
    subnet = next(x for x in doc["lookups"] if x["token"] == "aws:ec2/getSubnet:getSubnet")
    assert subnet == {
        "token": "aws:ec2/getSubnet:getSubnet",
        "args": {"id": "subnet-0123"},
        "answered": False,
    }


def test_a_malformed_invokes_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "invokes.yaml").write_text("- token: aws:ec2/getVpc:getVpc\n  result: 3\n")
    result = run_preview("--stack", "dev", "--invokes", str(tmp_path / "invokes.yaml"))
    assert result.returncode == 2
    assert "entry 0 (aws:ec2/getVpc:getVpc): args and result must be mappings" in result.stderr


def run_foreign_with_config(tmp_path: Path, config: object) -> subprocess.CompletedProcess[str]:
    (tmp_path / "policy.json").write_text(json.dumps(config))
    return run_preview(
        "--program",
        str(FOREIGN),
        "--stack",
        "ci",
        "--json",
        "--policy-pack-config",
        str(tmp_path / "policy.json"),
    )


def test_policy_pack_config_sets_enforcement_levels_like_the_cli(tmp_path: Path) -> None:
    result = run_foreign_with_config(
        tmp_path,
        {
            "all": "advisory",
            "aws-internal-nlb-no-client-ip-preservation": {"enforcementLevel": "mandatory"},
        },
    )
    assert result.returncode == 1, result.stderr
    levels = sorted(
        (d["policy"], d["level"]) for d in json.loads(result.stdout)["policy"]["diagnostics"]
    )
    assert levels == [
        ("aws-internal-nlb-ip-targets", "advisory"),
        ("aws-internal-nlb-ip-targets", "advisory"),
        ("aws-internal-nlb-no-client-ip-preservation", "mandatory"),
    ]


def test_policy_pack_config_disables_and_sets_properties(tmp_path: Path) -> None:
    # The foreign NLB serves 6443; with apiPorts [443] the pack does not judge it. (How the
    # gate's command line passes the file to the pack: the test above.)
    (tmp_path / "policy.json").write_text(
        json.dumps(
            {
                "aws-internal-nlb-ip-targets": {"apiPorts": [443]},
                "aws-internal-nlb-no-client-ip-preservation": "disabled",
            }
        )
    )
    config = read_policy_config(tmp_path / "policy.json")
    with policy_gate(PROJECT_ROOT / "policies", config=config) as configured:
        result = preview("ci", program=FOREIGN, pack=configured, as_json=True)
    assert result.code == 0, result.errors
    assert json.loads(result.stdout)["policy"]["diagnostics"] == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"all": "strict"}, "all: 'strict' is not an enforcement level"),
        ({"no-such-policy": "mandatory"}, "does not have: no-such-policy"),
        ({"api-layer4-only": 3}, "api-layer4-only: must be a string or an object"),
    ],
)
def test_invalid_policy_pack_config_is_exit_2(
    tmp_path: Path, config: dict[str, object], message: str
) -> None:
    result = run_foreign_with_config(tmp_path, config)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_policy_pack_config_is_checked_against_each_policys_schema(
    tmp_path: Path, pack: PolicyGate
) -> None:
    # Refused as the pack is configured, before anything is analyzed: exit 2, as the unknown
    # policy above (the same PolicyPackError).
    (tmp_path / "policy.json").write_text(
        json.dumps({"aws-internal-nlb-ip-targets": {"apiPorts": ["6443"]}})
    )
    config = read_policy_config(tmp_path / "policy.json")
    with pytest.raises(PolicyPackError) as info:
        PolicyGate(pack.stub, pack.version, config)
    assert 'aws-internal-nlb-ip-targets: apiPorts[0]: "6443" is not of type integer' in str(
        info.value
    )


CHATTY_PACK = """
import sys
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

sys.stderr.write("x" * 1_000_000)  # far more than a pipe holds
sys.stderr.flush()


def noisy(args, report_violation):
    print("analyzing", args.urn, file=sys.stderr)
    print("y" * 100_000)  # stdout too, after the port line
    if args.resource_type == "aws:ec2/vpc:Vpc":
        report_violation("seen")


PolicyPack(
    name="chatty",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[ResourceValidationPolicy(name="noisy", description="d", validate=noisy)],
)
"""


def test_a_pack_writing_lots_to_stderr_does_not_block(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 1.0.0\n")
    (pack / "__main__.py").write_text(CHATTY_PACK)
    prog = program(tmp_path / "prog", ONE_VPC)
    result = run_preview(
        "--program", str(prog), "--stack", "ci", "--json", "--policy-pack", str(pack)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    diagnostics = json.loads(result.stdout)["policy"]["diagnostics"]
    assert [(d["policy"], d["level"], d["message"]) for d in diagnostics] == [
        ("noisy", "advisory", "d\nseen")
    ]


def test_the_azure_example_ships_its_lookup_results(pack: PolicyGate) -> None:
    invokes = PROJECT_ROOT / "offline" / "invokes" / "azure-dev.yaml"
    result = run_preview("--stack", "azure-dev", "--json", "--invokes", str(invokes))
    assert result.returncode == 0, result.stderr
    # The gate's engine answers lookups as the in-process recorder does (the tests below).
    here = preview("azure-dev", pack=pack, invokes=invokes, as_json=True)
    assert result.stdout == here.stdout + "\n"
    doc = json.loads(result.stdout)
    assert doc["lookups"] == [
        {"token": "azure-native:authorization:getClientConfig", "args": {}, "answered": True}
    ]
    lb = next(r for r in doc["resources"] if r["type"] == "azure-native:network:LoadBalancer")
    assert lb["inputs"]["loadBalancingRules"][0]["probe"]["id"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kurl-dev-rg"
        "/providers/Microsoft.Network/loadBalancers/kurl-lb/probes/api-probe"
    )
    text = preview("azure-dev", pack=pack, invokes=invokes).stdout
    assert "azure-native:authorization:getClientConfig {}  (answered by --invokes)" in text


@pytest.mark.parametrize(
    ("nlb_security_group", "cidrs"),
    [
        (True, ["10.0.0.0/16"]),  # clients default to the VPC's CIDR
        (False, ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]),  # primaries admit the subnets
    ],
)
def test_the_dev_fixtures_answer_the_lookups_an_edited_dev_stack_makes(
    tmp_path: Path, pack: PolicyGate, nlb_security_group: bool, cidrs: list[str]
) -> None:
    config = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    del config["kurl-lb:allowedClientCidrs"]
    config["kurl-lb:aws"]["loadBalancerSecurityGroup"] = nlb_security_group
    prog = copy_program(tmp_path, "edited", config)
    invokes = PROJECT_ROOT / "offline" / "invokes" / "dev.yaml"
    result = preview("edited", program=prog, pack=pack, invokes=invokes, as_json=True)
    assert result.code == 0, result.errors
    doc = json.loads(result.stdout)
    assert doc["lookups"] and all(x["answered"] for x in doc["lookups"])
    assert cidrs == sorted(
        r["inputs"]["cidrIpv4"]
        for r in doc["resources"]
        if r["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        and "cidrIpv4" in r["inputs"]
    )


def test_make_preview_passes_the_stacks_invokes_file() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "INVOKES ?= offline/invokes/$(STACK).yaml" in makefile
    assert "$(if $(wildcard $(INVOKES)), --invokes $(INVOKES))" in makefile
    assert "invokes=offline/invokes/$$stack.yaml" in makefile  # make previews (CI) too
    assert '$${invokes:+--invokes "$$invokes"}' in makefile


def test_the_program_does_not_outlive_a_killed_gate(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"  # outside the program's folder, which may be read-only to it
    prog = program(
        tmp_path / "prog",
        NEVER_RESOLVES.replace("import asyncio", "import asyncio, os")
        + f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n",
    )
    gate = subprocess.Popen(
        [sys.executable, "-m", "offline", "preview", "--program", str(prog), "--stack", "ci"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):  # the program writes the file once it runs
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.1)
    program_pids = in_folder(prog)  # its own PID namespace numbers it differently
    assert program_pids
    pack_pids = [pid for pid in children(gate.pid) if "pulumi.policy" in cmdline(pid)]
    assert pack_pids  # the policy pack runs beside the program
    gate.kill()
    gate.wait()
    for _ in range(100):
        if not any(running(pid) for pid in [*program_pids, *pack_pids]):
            break
        time.sleep(0.1)
    assert not any(running(pid) for pid in program_pids)
    assert not any(running(pid) for pid in pack_pids), "the policy pack outlived a killed gate"


def children(pid: int) -> list[int]:
    """The direct children of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def in_folder(folder: Path) -> list[int]:
    """Processes whose working folder is `folder` (as the gate's PID namespace numbers them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(entry / "cwd").resolve() == folder.resolve():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for whoever adopted it to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


TRANSFORMS = """
import pulumi
import pulumi_aws as aws


def internal(args: pulumi.ResourceTransformArgs):
    if args.type_ == "aws:lb/loadBalancer:LoadBalancer":
        return pulumi.ResourceTransformResult({**args.props, "internal": True}, args.opts)
    return None


def ip_targets(args: pulumi.ResourceTransformArgs):
    return pulumi.ResourceTransformResult({**args.props, "targetType": "ip"}, args.opts)


pulumi.runtime.register_resource_transform(internal)
aws.lb.LoadBalancer("api", load_balancer_type="network", internal=False, subnets=["subnet-1"])
aws.lb.TargetGroup(
    "api", port=6443, protocol="TCP", vpc_id="vpc-1",
    opts=pulumi.ResourceOptions(transforms=[ip_targets]),
)
"""


def test_engine_side_transforms_run_through_the_callbacks_service(tmp_path: Path) -> None:
    # As the engine runs them: the pack sees the inputs after the stack's and the resource's own
    # transforms.
    prog = program(tmp_path, TRANSFORMS)
    result = run_preview("--program", str(prog), "--stack", "ci", "--json", "--no-policy")
    assert result.returncode == 0, result.stderr
    inputs = {r["type"]: r["inputs"] for r in json.loads(result.stdout)["resources"]}
    assert inputs["aws:lb/loadBalancer:LoadBalancer"]["internal"] is True
    assert inputs["aws:lb/targetGroup:TargetGroup"]["targetType"] == "ip"
    assert "goaway" not in result.stderr.lower()


def test_a_duplicate_urn_fails_as_the_engine_fails_it(tmp_path: Path) -> None:
    # Two registrations cannot share a URN: the engine refuses the second (exit 2), so a
    # program cannot register a compliant twin beside what it hides either.
    code = (
        ONE_VPC + 'pulumi.CustomResource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.1.0.0/16"})\n'
    )
    prog = program(tmp_path, code)
    result = run_preview("--program", str(prog), "--stack", "ci", "--no-policy", "--json")
    assert result.returncode == 2
    assert "Duplicate resource URN 'urn:pulumi:ci::boundary::aws:ec2/vpc:Vpc::vpc'" in (
        result.stderr
    )
    assert result.stdout == ""


# Last in the file: their runs (deadline_runs) wait out the deadline while the tests above run.
def test_a_hung_program_is_stopped_at_the_deadline_showing_where_it_waited(
    deadline_runs: dict[str, Future[Timed]],
) -> None:
    elapsed, result = deadline_runs[
        "test_a_hung_program_is_stopped_at_the_deadline_showing_where_it_waited"
    ].result()
    assert elapsed < 8 + 10
    assert result.returncode == 2
    assert "did not finish before the deadline (--timeout)" in result.stderr
    # What reached the engine is the gate's to count: the stack and the VPC; the security group
    # and the subnet wait on an input that never resolves, so they never did.
    assert "stopped after registering 2 resource(s), the last aws:ec2/vpc:Vpc 'vpc'" in (
        result.stderr
    )
    assert "(most recent call first)" in result.stderr  # where the program's threads were
    assert result.stdout == ""


def test_a_program_that_never_returns_is_stopped_too(
    deadline_runs: dict[str, Future[Timed]],
) -> None:
    _, result = deadline_runs["test_a_program_that_never_returns_is_stopped_too"].result()
    assert result.returncode == 2
    assert "did not finish before the deadline (--timeout)" in result.stderr
    assert '__main__.py", line 6 in <module>' in result.stderr  # where it sleeps
