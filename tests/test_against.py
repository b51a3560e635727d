"""`python -m offline preview --against REV`: the plan diff a PR reviewer reads.

The gate runs end to end where its process matters (a blocked plan's text, exit code and stderr,
the same as in-process; an error in the older revision; a revision that is no commit); the other
plans are recorded and judged in this process by the gate's own steps (tests/inprocess.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from offline.analyzer import PolicyGate
from offline.cli import graph_at
from offline.stackfile import StackFileError
from tests.conftest import PROJECT_ROOT, share_venv
from tests.inprocess import preview, record_files
from tests.test_offline_preview import run_preview


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding this project's program and example stacks, one commit."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.gcp-dev.yaml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(
        PROJECT_ROOT / "components",
        root / "components",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    share_venv(root)  # after the commit: the virtualenv is not part of the program
    return root


def register_primary_2(stack_file: Path) -> None:
    text = stack_file.read_text()
    marker = "    - name: primary-2\n"
    head, tail = text.split(marker)
    stack_file.write_text(head + marker + tail.replace("registered: false", "registered: true", 1))


def test_a_commit_registering_one_primary_shows_exactly_one_create(
    repo: Path, pack: PolicyGate
) -> None:
    register_primary_2(repo / "Pulumi.dev.yaml")
    git(repo, "commit", "-qam", "register primary-2")
    result = preview("dev", program=repo, pack=pack, against="HEAD~1")
    assert result.code == 0, result.errors
    out = result.stdout
    assert "against HEAD~1" in out
    rows = [line for line in out.splitlines() if line.startswith((" +", " -", " ~"))]
    assert len(rows) == 1 and "aws:lb:TargetGroupAttachment" in rows[0]
    assert "kurl-target-primary-2" in rows[0] and "create" in rows[0]
    assert "    + 1 to create" in out
    assert "to update" not in out and "to delete" not in out
    assert "no violations" in out  # the verdicts of the new graph follow


def test_json_carries_the_diff(repo: Path, pack: PolicyGate) -> None:
    register_primary_2(repo / "Pulumi.gcp-dev.yaml")
    result = preview("gcp-dev", program=repo, pack=pack, against="HEAD", as_json=True)
    assert result.code == 0, result.errors
    doc = json.loads(result.stdout)
    assert doc["diff"]["against"] == "HEAD"
    assert doc["diff"]["summary"] == {"create": 1, "update": 0, "replace": 0, "delete": 0}
    [change] = doc["diff"]["changes"]
    assert (change["op"], change["name"]) == ("create", "kurl-member-primary-2")
    assert change["type"] == "gcp:compute/instanceGroupMembership:InstanceGroupMembership"


def test_code_changes_show_as_updates_with_their_properties(repo: Path, pack: PolicyGate) -> None:
    aws = repo / "components" / "aws.py"
    aws.write_text(
        aws.read_text().replace(
            "DEREGISTRATION_DELAY_SECONDS = 60", "DEREGISTRATION_DELAY_SECONDS = 90"
        )
    )
    result = preview("dev", program=repo, pack=pack, against="HEAD")
    assert result.code == 0, result.errors
    rows = [line for line in result.stdout.splitlines() if line.startswith(" ~")]
    assert len(rows) == 1
    assert "kurl-tg" in rows[0] and "update" in rows[0] and "deregistrationDelay" in rows[0]


def test_a_stack_new_since_the_revision_is_all_creates(repo: Path, pack: PolicyGate) -> None:
    shutil.copy(PROJECT_ROOT / "Pulumi.azure-dev.yaml", repo / "Pulumi.azure-dev.yaml")
    result = preview("azure-dev", program=repo, pack=pack, against="HEAD", as_json=True)
    assert result.code == 0, result.errors
    assert json.loads(result.stdout)["diff"]["summary"] == {
        "create": 7,
        "update": 0,
        "replace": 0,
        "delete": 0,
    }


def test_an_unknown_revision_exits_2(repo: Path) -> None:
    result = run_preview("--program", str(repo), "--stack", "dev", "--against", "no-such-rev")
    assert result.returncode == 2
    assert "--against no-such-rev: not a commit" in result.stderr


def switch_off_nlb_security_group(repo: Path) -> None:
    stack = repo / "Pulumi.dev.yaml"
    text = stack.read_text()
    assert "loadBalancerSecurityGroup: true" in text
    stack.write_text(
        text.replace("loadBalancerSecurityGroup: true", "loadBalancerSecurityGroup: false")
    )


def test_a_plan_that_replaces_the_nlb_is_marked_and_stops_with_exit_4(
    repo: Path, pack: PolicyGate
) -> None:
    switch_off_nlb_security_group(repo)
    result = run_preview("--program", str(repo), "--stack", "dev", "--against", "HEAD")
    assert result.returncode == 4, result.stderr
    # The gate's process prints what its steps give in this process (the rest of this file).
    here = preview("dev", program=repo, pack=pack, against="HEAD")
    assert (result.stdout, result.returncode) == (here.stdout + "\n", here.code)
    assert all(line in result.stderr for line in here.errors)
    rows = {line.split()[2]: line for line in result.stdout.splitlines() if line.startswith(" +-")}
    assert sorted(rows) == ["kurl-listener", "kurl-nlb"]
    assert rows["kurl-nlb"].startswith(" +-  aws:lb:LoadBalancer")
    assert (
        "[forces replacement: securityGroups (kurl-lb:aws.loadBalancerSecurityGroup)]"
        in (rows["kurl-nlb"])
    )
    assert "    +-2 to replace" in result.stdout
    assert (
        "aws:lb:LoadBalancer kurl-nlb is replaced, forced by securityGroups "
        "(kurl-lb:aws.loadBalancerSecurityGroup); its deletion protection is on (pulumi up fails "
        "to delete the old one): changes the API address every kURL node and certificate holds"
    ) in result.stdout
    assert "Blocked (exit 4)" in result.stdout
    assert "--allow-address-change" in result.stderr


def test_allow_address_change_lets_a_planned_move_pass(repo: Path, pack: PolicyGate) -> None:
    switch_off_nlb_security_group(repo)
    result = preview("dev", program=repo, pack=pack, against="HEAD", allow_address_change=True)
    assert result.code == 0, result.errors
    assert "Allowed by --allow-address-change" in result.stdout


def test_json_carries_replacements_and_the_gate(repo: Path, pack: PolicyGate) -> None:
    switch_off_nlb_security_group(repo)
    result = preview("dev", program=repo, pack=pack, against="HEAD", as_json=True)
    assert result.code == 4
    diff = json.loads(result.stdout)["diff"]
    assert diff["summary"] == {"create": 3, "update": 0, "replace": 2, "delete": 5}
    nlb = next(c for c in diff["changes"] if c["name"] == "kurl-nlb")
    assert (nlb["op"], nlb["inPlace"], nlb["properties"]) == ("replace", False, ["securityGroups"])
    [reason] = nlb["replaceReasons"]
    assert (reason["property"], reason["via"]) == ("securityGroups", None)
    assert reason["condition"] == (
        "network LB goes from no security group to some, or from some to none"
    )
    assert reason["source"].endswith("load_balancer.go, customizeDiffLoadBalancerNLB")
    gate = diff["apiAddress"]
    assert (gate["allowed"], gate["blocks"]) == (False, True)
    assert [(c["kind"], c["name"]) for c in gate["changes"]] == [("replace", "kurl-nlb")]


def test_registering_a_primary_keeps_the_address_and_passes(repo: Path, pack: PolicyGate) -> None:
    register_primary_2(repo / "Pulumi.gcp-dev.yaml")
    result = preview("gcp-dev", program=repo, pack=pack, against="HEAD", as_json=True)
    assert result.code == 0, result.errors
    gate = json.loads(result.stdout)["diff"]["apiAddress"]
    assert gate == {"changes": [], "allowed": False, "blocks": False, "notes": [], "move": None}


def test_a_new_region_is_named_and_stops_with_exit_4(repo: Path, pack: PolicyGate) -> None:
    stack = repo / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("aws:region: us-east-1", "aws:region: us-west-2"))
    result = preview("dev", program=repo, pack=pack, against="HEAD")
    assert result.code == 4, result.errors
    assert (
        "provider setting aws:region goes from us-east-1 to us-west-2, which replaces every aws "
        "resource (not shown in the plan above)"
    ) in result.stdout


def test_an_error_in_the_older_revision_says_which_revision_and_file(repo: Path) -> None:
    """The working tree is fine; the config at HEAD~1 is not: the message says it is HEAD~1's."""
    stack_file = repo / "Pulumi.dev.yaml"
    good = stack_file.read_text()
    stack_file.write_text(good.replace("kurl-lb:port: 6443", "kurl-lb:port: 70000"))
    git(repo, "commit", "-qam", "bad port")
    stack_file.write_text(good)
    git(repo, "commit", "-qam", "fix port")
    # Ends before a verdict: no pack.
    args = ("--stack", "dev", "--against", "HEAD~1", "--no-policy")
    result = run_preview("--program", str(repo), *args)
    assert result.returncode == 2
    assert (
        "in --against HEAD~1 (Pulumi.dev.yaml and the program as of HEAD~1, not the working tree)"
        in (result.stderr)
    )
    assert "kurl-lb:port: 70000 is invalid" in result.stderr


def test_a_malformed_stack_file_in_the_older_revision_is_named_as_git_names_it(
    repo: Path,
) -> None:
    stack_file = repo / "Pulumi.dev.yaml"
    good = stack_file.read_text()
    stack_file.write_text(good + "  kurl-lb:port: 1\n")  # a repeated key
    git(repo, "commit", "-qam", "repeated key")
    stack_file.write_text(good)
    git(repo, "commit", "-qam", "fixed")
    # Refused as it is read, before that revision's program runs (exit 2, as every stack file
    # error: tests/test_gate_failures.py).
    with pytest.raises(StackFileError) as info:
        graph_at(repo, "dev", "HEAD~1", record_files)
    assert "HEAD~1:Pulumi.dev.yaml:" in str(info.value)
    assert 'mapping key "kurl-lb:port" already defined' in str(info.value)
    assert "kurl-lb-against-" not in str(info.value)  # no temporary worktree path
