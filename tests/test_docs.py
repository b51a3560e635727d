"""Docs that are generated or promised stay true."""

from __future__ import annotations

import re

import yaml

from components import config
from components.config_reference import render
from tests.conftest import PROJECT_ROOT


def test_config_reference_is_generated_from_the_models() -> None:
    assert (PROJECT_ROOT / "docs" / "config.md").read_text() == render(), "run `make docs`"


def test_every_model_field_is_documented() -> None:
    text = (PROJECT_ROOT / "docs" / "config.md").read_text()
    for model in (
        config.AwsSettings,
        config.AzureSettings,
        config.GcpSettings,
        config.AwsPrimary,
        config.AzurePrimary,
        config.GcpPrimary,
    ):
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in text


def test_name_prefix_keeps_aws_names_within_32_characters() -> None:
    longest = config.NAME_MAX + config.LONGEST_AWS_NAME_SUFFIX + config.PULUMI_SUFFIX
    assert longest <= config.AWS_NAME_LIMIT
    config.parse_stack_config(
        {
            "kurl-lb:cloud": "aws",
            "kurl-lb:scheme": "internal",
            "kurl-lb:name": "a" * config.NAME_MAX,
            "kurl-lb:aws": '{"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0a1b2c3d"]}',
            "kurl-lb:primaries": '[{"name": "p1", "address": "10.0.0.5", "registered": true}]',
        }
    )


def test_readme_quick_start_is_the_two_make_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make preview" in readme and "make test" in readme
    assert "pulumi preview --policy-pack policies" in readme
    assert re.search(r"pulumi config set --path", readme)


def test_runbook_matches_the_outputs_and_commands() -> None:
    runbook = (PROJECT_ROOT / "docs" / "runbook.md").read_text()
    for output in (
        "loadBalancerAddress",
        "kurlInstallFlags",
        "kurlInstaller",
        "registeredPrimaries",
        "pendingPrimaries",
        "nodePortAliasScript",
    ):
        assert output in runbook
    assert "make preview STACK=prod AGAINST=" in runbook
    assert "pulumi preview --stack prod --diff --policy-pack policies" in runbook
    assert "/readyz" in runbook
    # The outputs the runbook reads are the ones the program exports.
    main = (PROJECT_ROOT / "__main__.py").read_text()
    for output in ("loadBalancerAddress", "kurlInstaller", "kurlInstallFlags"):
        assert f'"{output}"' in main


def test_the_makefile_passes_against_to_the_preview() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "--against $(AGAINST)" in makefile


def test_the_gate_flags_and_the_timeout_default_are_documented() -> None:
    from offline.runner import DEFAULT_TIMEOUT_SECONDS

    readme = (PROJECT_ROOT / "README.md").read_text()
    policies = (PROJECT_ROOT / "docs" / "policies.md").read_text()
    for flag in ("--timeout", "--invokes", "--policy-pack-config"):
        assert flag in readme and flag in policies
    default = f"(default {DEFAULT_TIMEOUT_SECONDS:.0f})"
    assert default in readme and default in policies


def test_architecture_names_only_paths_that_exist() -> None:
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    assert "docs/architecture.md" in (PROJECT_ROOT / "README.md").read_text()
    assert "```mermaid" in text
    owns = text.split("## What each folder owns", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"^\| `([^`*]+)`", owns, re.M)
    assert paths
    for path in paths:
        assert (PROJECT_ROOT / path).exists(), path


def test_the_pr_workflow_runs_the_strict_gate() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert '-m offline preview --strict --stack "$$stack"' in makefile  # `make previews`
    assert "make previews" in (PROJECT_ROOT / ".ci" / "run").read_text()
    workflow = (PROJECT_ROOT / ".github" / "workflows" / "pr.yml").read_text()
    assert "bash .ci/run" in workflow
    for doc in ("README.md", "docs/policies.md"):
        text = (PROJECT_ROOT / doc).read_text()
        assert "3 when a mandatory" in text or "| 3 |" in text, doc


def _read(name: str) -> str:
    return (PROJECT_ROOT / name).read_text()


def test_config_reference_says_what_an_operator_hits() -> None:
    text = _read("docs/config.md")
    allowed = next(line for line in text.splitlines() if line.startswith("| `allowedClientCidrs`"))
    assert "`aws.hairpinSourceCidrs`" in allowed and "NAT gateways" in allowed
    assert "Internal GCP load balancers default it to the subnetwork's range" in allowed
    nsg = next(line for line in text.splitlines() if "`networkSecurityGroupName`" in line)
    assert "must be in `azure.resourceGroupName`" in nsg
    assert "Python 3.11" in text


def test_readme_synopsis_lists_every_option() -> None:
    readme = _read("README.md")
    synopsis = next(line for line in readme.splitlines() if "-m offline preview --stack" in line)
    for option in ("--json", "--against REV", "--no-policy", "--program DIR", "--policy-pack DIR"):
        assert option in synopsis


def test_pulumi_yaml_does_not_claim_the_schema_has_no_objects() -> None:
    assert "has no objects" not in _read("Pulumi.yaml")


def test_pr_workflow_may_comment_and_runs_the_plan_against_the_base() -> None:
    workflow = yaml.safe_load(_read(".github/workflows/pr.yml"))
    cloud = workflow["jobs"]["cloud-preview"]
    assert any(step.get("with", {}).get("comment-on-pr") for step in cloud["steps"])
    assert cloud["permissions"]["pull-requests"] == "write"
    checks = workflow["jobs"]["checks"]["steps"]
    (ci,) = [s for s in checks if s.get("run") == "bash .ci/run"]
    assert "github.base_ref" in ci["env"]["AGAINST"]  # make previews plans against the base
    # The judge: the base branch's gate and pack, the PR's checkout as data (docs/policies.md).
    gate = workflow["jobs"]["offline-gate"]["steps"]
    judge = next(s for s in gate if s.get("with", {}).get("path") == "judge")
    assert "pull_request.base.sha" in judge["with"]["ref"]
    (run,) = [s for s in gate if "-m offline preview" in s.get("run", "")]
    assert run["working-directory"] == "judge" and "--program ../judged" in run["run"]
    assert "--policy-pack policies" in run["run"]


def test_make_lint_says_its_first_run_is_slow() -> None:
    assert "first run, building .mypy_cache" in _read("Makefile")
