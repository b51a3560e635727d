"""The offline policy gate end to end: `python -m offline preview` with the policy pack."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from offline.analyzer import PolicyGate, PolicyPackError, analyze
from offline.recorder import Graph
from tests.conftest import PROJECT_ROOT
from tests.inprocess import preview
from tests.test_offline_preview import run_preview

FOREIGN = PROJECT_ROOT / "tests" / "programs" / "aws_instance_targets"
STACKS = ["dev", "azure-dev", "gcp-dev"]
RUNS: dict[str, tuple[str, ...]] = {
    "text": ("--program", str(FOREIGN), "--stack", "ci"),
    **{stack: ("--stack", stack, "--json") for stack in STACKS},
    "gcp-dev again": ("--stack", "gcp-dev", "--json"),
}
Runs = dict[str, Future[subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    """The gate's command line, each run in its own process, all started at once (each mostly
    waits on its program's process and the pack's)."""
    with ThreadPoolExecutor(max_workers=len(RUNS)) as pool:
        yield {key: pool.submit(run_preview, *args) for key, args in RUNS.items()}


def test_foreign_program_with_instance_targets_fails_the_gate(runs: Runs, pack: PolicyGate) -> None:
    result = runs["text"].result()
    assert result.returncode == 1, result.stderr
    # The text preview too is what tests/inprocess.py gives, byte for byte.
    assert result.stdout == preview("ci", program=FOREIGN, pack=pack).stdout + "\n"
    out = result.stdout
    assert "[mandatory]  aws-internal-nlb-ip-targets  (aws:lb:TargetGroup: api)" in out
    assert (
        "[mandatory]  aws-internal-nlb-ip-targets  (aws:lb:TargetGroupAttachment: primary-1)" in out
    )
    assert "registers instance ID i-0123456789abcdef0" in out
    assert "[mandatory]  aws-internal-nlb-no-client-ip-preservation" in out


def test_gate_verdicts_are_in_the_json_document(pack: PolicyGate) -> None:
    result = preview("ci", program=FOREIGN, pack=pack, as_json=True)
    assert result.code == 1
    doc = json.loads(result.stdout)
    assert doc["policy"]["pack"] == "kurl-lb"
    assert doc["policy"]["version"] == "0.1.0"
    diagnostics = doc["policy"]["diagnostics"]
    assert {(d["policy"], d["level"], d["urn"].rsplit("::", 1)[1]) for d in diagnostics} == {
        ("aws-internal-nlb-ip-targets", "mandatory", "api"),
        ("aws-internal-nlb-ip-targets", "mandatory", "primary-1"),
        ("aws-internal-nlb-no-client-ip-preservation", "mandatory", "api"),
    }
    assert all(set(d) == {"policy", "level", "urn", "message"} for d in diagnostics)


@pytest.mark.parametrize("stack", STACKS)
def test_example_stacks_pass_the_gate_with_nothing_skipped(runs: Runs, stack: str) -> None:
    result = runs[stack].result()
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["policy"]["diagnostics"] == []  # no mandatory, no advisory, no "can't run" note


@pytest.mark.parametrize("stack", STACKS)
def test_the_gates_document_is_the_in_process_steps_byte_for_byte(
    runs: Runs, pack: PolicyGate, stack: str
) -> None:
    """The gate's process (its engine, the program's own process, the pack over gRPC) gives
    what tests/inprocess.py gives from a recording under the SDK's mock engine: the ground for
    the tests that preview in-process."""
    result = runs[stack].result()
    assert result.stdout == preview(stack, pack=pack, as_json=True).stdout + "\n"


def test_json_is_byte_identical_across_runs(runs: Runs) -> None:
    first, second = runs["gcp-dev"].result(), runs["gcp-dev again"].result()
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_a_pack_that_fails_to_start_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('broken pack: missing dependency')\n")
    result = run_preview("--program", str(FOREIGN), "--stack", "ci", "--policy-pack", str(tmp_path))
    assert result.returncode == 2
    assert "policy pack failed to start" in result.stderr
    assert "broken pack: missing dependency" in result.stderr


def test_a_pack_that_never_answers_times_out(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("import time\ntime.sleep(60)\n")
    with pytest.raises(PolicyPackError, match="did not start within 1 s"):
        analyze(Graph(project="p", stack="s"), tmp_path, timeout=1)


def test_a_directory_without_a_pack_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="is not a policy pack"):
        analyze(Graph(project="p", stack="s"), tmp_path)
