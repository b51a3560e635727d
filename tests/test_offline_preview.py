"""`python -m offline preview` as a newcomer and a PR pipeline run it: end to end where the
gate's process matters (exit codes; the program's own interpreter), its output from the gate's
steps in this process (tests/inprocess.py; that the gate's process prints the same, byte for byte:
tests/test_policy_gate.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.analyzer import PolicyGate
from offline.recorder import UNKNOWN
from offline.stackfile import SECRET_PLACEHOLDER, read_stack
from tests.conftest import PROJECT_ROOT, share_venv
from tests.inprocess import preview


def run_preview(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offline", "preview", *args],
        cwd=PROJECT_ROOT if cwd is None else cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_program(tmp_path: Path, stack: str, config: dict[str, Any]) -> Path:
    """This project's program in tmp_path with one stack file of our own."""
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(
        PROJECT_ROOT / "components",
        tmp_path / "components",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    share_venv(tmp_path)
    return tmp_path


def dev_stack_config() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())["config"]


def test_dev_preview_shows_the_plan(pack: PolicyGate) -> None:
    # By the gate's steps in this process: the gate's process prints the same text byte for
    # byte (a program's text preview: tests/test_policy_gate.py; dev's --json: the same file).
    result = preview("dev", pack=pack)
    assert result.code == 0, result.errors
    out = result.stdout
    assert " +   pulumi:pulumi:Stack" in out and "kurl-lb-dev" in out
    for line in (
        "└─ kurl:index:AwsKurlNlb",
        "aws:lb:LoadBalancer",
        "aws:lb:TargetGroup",
        "aws:lb:Listener",
        "aws:lb:TargetGroupAttachment",
        "kurl-target-primary-1",
        "aws:vpc:SecurityGroupIngressRule",
        "aws:vpc:SecurityGroupEgressRule",
    ):
        assert line in out
    assert 'targetType             : "ip"' in out
    assert "healthCheck" in out and '"protocol": "TCP"' in out
    assert "Outputs:" in out
    assert 'registeredPrimaries  : ["primary-1"]' in out
    assert "loadBalancerAddress  : [unknown]" in out
    assert "+ 11 to create" in out
    assert "Policies (kurl-lb@v0.1.0, 10 policies):\n    no violations" in out
    assert not any("Traceback" in line for line in result.errors)


def test_json_has_the_design_shape(pack: PolicyGate) -> None:
    result = preview("dev", pack=pack, as_json=True)
    assert result.code == 0, result.errors
    doc = json.loads(result.stdout)
    assert {"project", "stack", "resources", "outputs", "policy"} <= set(doc)
    assert (doc["project"], doc["stack"]) == ("kurl-lb", "dev")
    assert doc["policy"] == {"pack": "kurl-lb", "version": "0.1.0", "diagnostics": []}
    by_name = {r["name"]: r for r in doc["resources"]}
    for r in doc["resources"]:
        assert set(r) == {
            "urn",
            "type",
            "name",
            "parent",
            "custom",
            "inputs",
            "dependencies",
            "propertyDependencies",
        }
    tg = by_name["kurl-tg"]
    assert tg["type"] == "aws:lb/targetGroup:TargetGroup"
    assert tg["custom"] is True
    assert tg["parent"] == by_name["kurl"]["urn"]
    assert tg["inputs"]["targetType"] == "ip"
    attachment = by_name["kurl-target-primary-1"]
    assert attachment["inputs"]["targetGroupArn"] == UNKNOWN
    assert attachment["propertyDependencies"]["targetGroupArn"] == [tg["urn"]]
    assert doc["outputs"]["pendingPrimaries"] == ["primary-2", "primary-3"]
    assert doc["outputs"]["kurlInstallFlags"] == UNKNOWN


def test_invalid_config_exits_2_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    config = dev_stack_config()
    config["kurl-lb:aws"]["targetType"] = "instance"
    program = copy_program(tmp_path, "bad", config)
    result = run_preview("--program", str(program), "--stack", "bad", "--no-policy")
    assert result.returncode == 2
    assert "kurl-lb:aws.targetType" in result.stderr
    assert "hairpinning" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_stack_file_exits_2(tmp_path: Path) -> None:
    result = run_preview("--stack", "nosuchstack")
    assert result.returncode == 2
    assert "Pulumi.nosuchstack.yaml" in result.stderr and "dev" in result.stderr


def test_program_error_exits_2_with_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (tmp_path / "Pulumi.x.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text("raise ValueError('boom')\n")
    result = run_preview("--program", str(tmp_path), "--stack", "x", "--no-policy")
    assert result.returncode == 2
    assert "ValueError: boom" in result.stderr


def test_secure_values_are_reported_not_crashed_on(tmp_path: Path, pack: PolicyGate) -> None:
    config = dev_stack_config()
    config["kurl-lb:tags"]["owner"] = {"secure": "v1:abc:def"}
    config["app:token"] = {"secure": "v1:xyz"}
    program = copy_program(tmp_path, "secret", config)
    files = read_stack(program, "secret")
    assert files.config["app:token"] == SECRET_PLACEHOLDER
    assert json.loads(files.config["kurl-lb:tags"])["owner"] == SECRET_PLACEHOLDER
    assert sorted(files.secret_keys) == ["app:token", "kurl-lb:tags"]
    result = preview("secret", program=program, pack=pack)
    assert result.code == 0, result.errors
    assert "kurl-lb:tags.owner is a secret the offline preview cannot decrypt" in result.stdout
    assert "app:token is a secret the offline preview cannot decrypt" in result.stdout


def test_stack_file_values_reach_the_program_as_the_cli_sends_them() -> None:
    files = read_stack(PROJECT_ROOT, "dev")
    assert files.project == "kurl-lb"
    assert files.config["kurl-lb:port"] == "6443"
    assert files.config["kurl-lb:deletionProtection"] == "true"
    assert json.loads(files.config["kurl-lb:primaries"])[0] == {
        "name": "primary-1",
        "address": "10.0.1.10",
        "registered": True,
    }


SDKS = {
    "dev": ("pulumi_aws", ("pulumi_azure", "pulumi_gcp")),
    "azure-dev": ("pulumi_azure_native", ("pulumi_aws", "pulumi_gcp")),
    "gcp-dev": ("pulumi_gcp", ("pulumi_aws", "pulumi_azure")),
}
# One interpreter loads what every stack's program shares (the SDK, the recorder), then records
# each stack in a child of its own forked from it: each child starts with no cloud SDK loaded,
# as the gate's program does, and prints which SDKs its stack loaded.
IMPORTS = """
import json, os, sys
from pathlib import Path
from offline.recorder import main_program, program_directory, record
from offline.stackfile import read_stack

assert not [m for m in sys.modules if m.startswith(("pulumi_aws", "pulumi_azure", "pulumi_gcp"))]
for stack, (own, others) in json.loads(sys.argv[1]).items():
    pid = os.fork()
    if pid == 0:
        files = read_stack(Path("."), stack)
        with program_directory(Path(".").resolve()):
            record(main_program(Path(".").resolve()), project=files.project, stack=files.stack,
                   config=files.config)
        loaded = sorted(m for m in sys.modules if m.startswith(tuple(others)))
        print("SDKS", json.dumps([stack, own in sys.modules, loaded]), flush=True)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, (stack, status)
"""


@pytest.fixture(scope="module")
def sdks_loaded() -> Iterator[Future[dict[str, tuple[bool, list[str]]]]]:
    """Per stack: whether its program loaded its own cloud SDK, and which others it loaded.
    Started with the module (it runs while the in-process tests do)."""

    def run() -> dict[str, tuple[bool, list[str]]]:
        result = subprocess.run(
            [sys.executable, "-c", IMPORTS, json.dumps(SDKS)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        found = [json.loads(line[5:]) for line in result.stdout.splitlines() if line[:5] == "SDKS "]
        return {stack: (own, loaded) for stack, own, loaded in found}

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(run)


@pytest.mark.parametrize("stack", sorted(SDKS))
def test_a_stack_imports_only_its_own_cloud_sdk(
    sdks_loaded: Future[dict[str, tuple[bool, list[str]]]], stack: str
) -> None:
    # In a fresh process, like the gate's program: the program under the SDK's mock engine.
    own, others = sdks_loaded.result()[stack]
    assert own, SDKS[stack][0]
    assert others == []


def test_pulumi_yaml_shares_the_makefile_virtualenv() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "kurl-lb"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }


PLANS = {
    "azure-dev": [
        "└─ kurl:index:AzureKurlLb",
        "azure-native:network:PublicIPAddress",
        "azure-native:network:LoadBalancer",
        "azure-native:network:SecurityRule",
        "azure:network:NetworkInterfaceBackendAddressPoolAssociation  kurl-nic-primary-1",
        '"disableOutboundSnat": false',
        'loadBalancerAddress  : "kurl-dev-api.eastus.cloudapp.azure.com:6443"',
        "azure-native:authorization:getClientConfig",
        "pulumi:providers:azure",
        "+ 7 to create",
    ],
    "gcp-dev": [
        "└─ kurl:index:GcpKurlLb",
        "gcp:compute:Address",
        "gcp:compute:RegionHealthCheck",
        "kurl-us-central1-a",
        "kurl-us-central1-b",
        "gcp:compute:InstanceGroupMembership  kurl-member-primary-1",
        "gcp:compute:RegionBackendService",
        "gcp:compute:ForwardingRule",
        "gcp:compute:Firewall",
        'loadBalancingScheme           : "EXTERNAL"',
        "nodePortAliasScript  : [unknown]",
        "+ 10 to create",
    ],
}


@pytest.mark.parametrize("stack", sorted(PLANS))
def test_example_stack_preview_shows_the_plan(stack: str, pack: PolicyGate) -> None:
    result = preview(stack, pack=pack)
    assert result.code == 0, result.errors
    for fragment in PLANS[stack]:
        assert fragment in result.stdout, fragment


def test_urns_are_the_engines_whole_qualified_type_without_the_stack() -> None:
    """`make e2e` found the SDK mock's URNs differ from the engine's for the stack's children."""
    result = preview("dev", as_json=True)
    assert result.code == 0, result.errors
    resources = {r["name"]: r for r in json.loads(result.stdout)["resources"]}
    component = "urn:pulumi:dev::kurl-lb::kurl:index:AwsKurlNlb::kurl"
    assert resources["kurl"]["urn"] == component
    nlb = resources["kurl-nlb"]
    assert nlb["urn"] == (
        "urn:pulumi:dev::kurl-lb::kurl:index:AwsKurlNlb$aws:lb/loadBalancer:LoadBalancer::kurl-nlb"
    )
    assert nlb["parent"] == component
    assert resources["kurl-listener"]["propertyDependencies"]["loadBalancerArn"] == [nlb["urn"]]


def test_non_ascii_values_are_shown_as_written_in_text(tmp_path: Path) -> None:
    config = dev_stack_config()
    config["kurl-lb:tags"]["owner"] = "Zoë Müller"
    program = copy_program(tmp_path, "utf", config)
    (program / "Pulumi.utf.yaml").write_text(
        yaml.safe_dump({"config": config}, allow_unicode=True), encoding="utf-8"
    )
    result = preview("utf", program=program)
    assert result.code == 0, result.errors
    assert '"owner": "Zoë Müller"' in result.stdout
    assert "\\u00eb" not in result.stdout


def test_the_json_reference_documents_the_unknown_sentinel() -> None:
    """--json shows unknowns as the engine's sentinel: docs/architecture.md names it exactly."""
    reference = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    assert f'`"{UNKNOWN}"`' in reference
    doc = json.loads(preview("dev", as_json=True).stdout)
    assert doc["outputs"]["kurlInstallFlags"] == UNKNOWN


def test_make_preview_prints_the_tools_exit_code() -> None:
    """make exits 2 on any recipe failure; `make preview` says which code the tool gave."""
    result = subprocess.run(
        ["make", "-s", "preview", "STACK=nosuchstack"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "offline preview exited 2 (invalid config or program error)" in result.stderr
