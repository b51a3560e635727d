"""Attacks on the offline gate, each as a gate run of a small hostile program
(tests/programs/attacks/): what it registers is judged whatever it does to its own process, the
gate's output, the pack or the deadline; each cap refuses with exit 2 naming it.

Every program hides the same thing (attacks/bad_nlb.py): an internal NLB with instance targets,
which the pack rejects (exit 1) when run plainly. docs/policies.md ("What the offline gate can and
cannot promise") says which attacks stay open and why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from offline import sandbox
from offline.analyzer import PolicyGate
from offline.cli import verdict
from offline.engine import Unverifiable
from offline.stackfile import read_stack
from tests.conftest import PROJECT_ROOT
from tests.inprocess import record_files

ATTACKS = PROJECT_ROOT / "tests" / "programs" / "attacks"
NAMESPACED = sandbox.namespaced()
BAD_NLB_VERDICTS = [
    ("aws-internal-nlb-ip-targets", "mandatory"),
    ("aws-internal-nlb-ip-targets", "mandatory"),
    ("aws-internal-nlb-no-client-ip-preservation", "mandatory"),
]


def attack(tmp_path: Path, name: str, config: dict[str, str] | None = None) -> Path:
    """The attack program `name` as a project of its own, stack `ci`."""
    prog = tmp_path / name
    shutil.copytree(ATTACKS / name, prog)
    shutil.copy(ATTACKS / "bad_nlb.py", prog / "bad_nlb.py")
    (prog / "Pulumi.yaml").write_text(f"name: {name.replace('_', '-')}\nruntime: python\n")
    lines = ["config:", "  aws:region: us-east-1"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in (config or {}).items()]
    (prog / "Pulumi.ci.yaml").write_text("\n".join(lines) + "\n")
    return prog


def gate(prog: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "offline",
            "preview",
            "--program",
            str(prog),
            "--stack",
            "ci",
            *list(args),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def verdicts(stdout: str) -> list[tuple[str, str]]:
    document = json.loads(stdout)  # exactly one document, or this raises
    return sorted((d["policy"], d["level"]) for d in document["policy"]["diagnostics"])


def test_the_hidden_graph_fails_when_run_plainly(tmp_path: Path) -> None:
    prog = tmp_path / "plain"
    prog.mkdir()
    shutil.copy(ATTACKS / "bad_nlb.py", prog / "bad_nlb.py")
    (prog / "__main__.py").write_text("from bad_nlb import build\n\nbuild()\n")
    (prog / "Pulumi.yaml").write_text("name: plain\nruntime: python\n")
    (prog / "Pulumi.ci.yaml").write_text("config:\n  aws:region: us-east-1\n")
    result = gate(prog, "--json")
    assert result.returncode == 1, result.stderr
    assert verdicts(result.stdout) == BAD_NLB_VERDICTS


def test_a_forged_completion_and_os_exit_0_cannot_hide_what_was_registered(
    tmp_path: Path,
) -> None:
    result = gate(attack(tmp_path, "forged_completion"), "--json")
    assert result.returncode == 1, result.stderr
    assert verdicts(result.stdout) == BAD_NLB_VERDICTS


def test_the_monitor_is_no_mock_the_program_could_recognise(tmp_path: Path) -> None:
    result = gate(attack(tmp_path, "mock_monitor_detection"), "--json")
    assert result.returncode == 1, result.stderr
    assert verdicts(result.stdout) == BAD_NLB_VERDICTS


def test_a_remote_component_is_a_mandatory_cannot_verify_naming_it(
    tmp_path: Path, pack: PolicyGate
) -> None:
    prog = attack(tmp_path, "remote_component")
    result = gate(prog, "--json", "--no-strict")  # not a check --no-strict may waive
    assert result.returncode == 3, result.stderr
    assert "the gate cannot see into evilpkg:index:InternalNlb 'api'" in result.stderr
    found = json.loads(result.stdout)["unverifiable"]
    assert found == [
        {
            "urn": "urn:pulumi:ci::remote-component::evilpkg:index:InternalNlb::api",
            "type": "evilpkg:index:InternalNlb",
            "name": "api",
            "reason": "a remote component: its children are registered by the provider",
        }
    ]
    # Strict and as text: the gate's last step given what its engine found (tests/inprocess.py).
    files = read_stack(prog, "ci")
    graph = record_files(files, prog)
    policy = pack.analyze(graph)
    unverifiable = [Unverifiable(u["urn"], u["type"], u["name"], u["reason"]) for u in found]
    strict = verdict(prog, files, graph, policy=policy, unverifiable=unverifiable, as_json=True)
    assert strict.code == 3
    assert "the gate cannot see into evilpkg:index:InternalNlb 'api'" in "\n".join(strict.errors)
    assert json.loads(strict.stdout)["unverifiable"] == found
    text = verdict(prog, files, graph, policy=policy, unverifiable=unverifiable)
    assert text.code == 3
    assert "Cannot verify at preview" in text.stdout
    assert "evilpkg:index:InternalNlb 'api'" in text.stdout


def test_rewriting_the_pack_while_judged_changes_nothing(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PROJECT_ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__"))
    prog = attack(tmp_path, "rewrites_the_pack", {"attack:pack": str(pack)})
    result = gate(prog, "--json", "--policy-pack", str(pack))
    rewritten = "noop" in (pack / "__main__.py").read_text()
    # In its own mount namespace the pack's folder is read-only to the program; without one the
    # rewrite lands, too late: the gate's pack had loaded from its own copy first.
    assert rewritten is not NAMESPACED
    if NAMESPACED:
        assert "could not rewrite the pack" in result.stdout or "Read-only" in result.stdout
    assert result.returncode == 1, result.stderr
    assert verdicts(result.stdout) == BAD_NLB_VERDICTS


@pytest.fixture(scope="module", autouse=True)
def stopped_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Future[tuple[float, subprocess.CompletedProcess[str]]] | None]:
    """The SIGSTOP attack's run, which waits out its deadline, started with the module (when its
    test is selected): it waits while the other tests run. No pack: it ends before a verdict."""
    selected = {i.name for i in request.session.items if i.path == request.path}
    if not NAMESPACED or STOPPED not in selected:
        yield None
        return

    def run(prog: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.monotonic()
        result = gate(prog, "--no-policy", "--timeout", "8")
        return time.monotonic() - started, result

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(run, attack(tmp_path_factory.mktemp("stopped"), "stops_every_process"))


STOPPED = "test_sigstop_to_every_visible_process_does_not_outlast_the_deadline"


def test_a_flood_of_tiny_calls_is_refused_at_the_rpc_cap(tmp_path: Path) -> None:
    started = time.monotonic()
    result = gate(
        attack(tmp_path, "log_flood"), "--no-policy", "--max-rpcs", "2000", "--timeout", "60"
    )
    assert time.monotonic() - started < 45
    assert result.returncode == 2
    assert "refused: the program made more than 2000 engine calls (--max-rpcs)" in result.stderr


def test_one_message_over_the_size_cap_is_refused_naming_it(tmp_path: Path) -> None:
    result = gate(
        attack(tmp_path, "one_huge_message"), "--no-policy", "--max-message-bytes", "1000000"
    )
    assert result.returncode == 2
    assert "refused: a single engine call exceeds 1000000 bytes (--max-message-bytes)" in (
        result.stderr
    )


def test_registrations_adding_up_past_the_memory_cap_are_refused(tmp_path: Path) -> None:
    result = gate(
        attack(tmp_path, "many_large_registrations"), "--no-policy", "--max-memory", "2000000"
    )
    assert result.returncode == 2
    assert "exceeds 2000000 bytes (--max-memory)" in result.stderr


def _sleepers(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_setsid_grandchild_neither_holds_the_output_nor_survives(tmp_path: Path) -> None:
    started = time.monotonic()
    # Pipes, as `$(...)` has them: run() returns only once every writer closed them.
    result = gate(attack(tmp_path, "setsid_grandchild"), "--json", timeout=60)
    assert time.monotonic() - started < 40
    assert result.returncode == 0, result.stderr
    assert _sleepers("301.25") == [] and _sleepers("302.25") == []


@pytest.mark.skipif(
    not NAMESPACED and os.geteuid() == 0,
    reason="root without a PID namespace can open any process's descriptors",
)
def test_a_program_cannot_write_into_the_gates_stdout(tmp_path: Path) -> None:
    result = gate(attack(tmp_path, "writes_into_gate_stdout"), "--json")
    assert result.returncode == 1, result.stderr
    assert verdicts(result.stdout) == BAD_NLB_VERDICTS  # one document, the gate's


def test_text_output_is_shown_never_obeyed(tmp_path: Path) -> None:
    result = gate(attack(tmp_path, "hostile_text"), "--no-policy")
    assert result.returncode == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\r" not in stream and "\x07" not in stream
        commands = [
            line
            for line in stream.splitlines()
            if line.lstrip().startswith("::") or line.lstrip().startswith("##[")
        ]
        assert commands == []
    assert "\\x1b[31mforged" in result.stdout  # shown, escaped
    assert "\\::add-mask::secret" in result.stdout
    assert "vpc\\n::stop-commands::token" in result.stdout  # a name stays on its line
    assert "\\::error title=forged::" in result.stderr  # the program's own prints too
    doc = gate(attack(tmp_path / "json", "hostile_text"), "--no-policy", "--json")
    assert doc.returncode == 0
    assert "\x1b" not in doc.stdout and "\r" not in doc.stdout  # JSON escapes them itself
    assert json.loads(doc.stdout)["outputs"]["note"] == "\x1b]0;title\x07::warning::exported"


def test_a_pipeline_can_require_the_namespaces(tmp_path: Path) -> None:
    prog = attack(tmp_path, "mock_monitor_detection")
    # No pack: refused before the program starts, the pack plays no part.
    args = ["--program", str(prog), "--stack", "ci", "--no-policy"]
    result = subprocess.run(
        [sys.executable, "-m", "offline", "preview", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "KURL_LB_GATE_NO_NAMESPACE": "1",  # as on a machine without them
            "KURL_LB_GATE_REQUIRE_NAMESPACE": "1",
        },
    )
    assert result.returncode == 2
    assert "cannot get its own user, PID and mount namespace" in result.stderr


# Last in the file: its run (stopped_run) waits out the deadline while the tests above run.
@pytest.mark.skipif(not NAMESPACED, reason="needs the PID namespace (unshare) to hide the gate")
def test_sigstop_to_every_visible_process_does_not_outlast_the_deadline(
    stopped_run: Future[tuple[float, subprocess.CompletedProcess[str]]],
) -> None:
    elapsed, result = stopped_run.result()
    assert elapsed < 8 + 15
    assert result.returncode == 2
    assert "did not finish before the deadline (--timeout)" in result.stderr
    # It had stopped everything it could see before the deadline: it was in its last loop.
    assert 'stops_every_process/__main__.py", line 19 in <module>' in result.stderr
