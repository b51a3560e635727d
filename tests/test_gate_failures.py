"""The offline gate's failures that are not policy verdicts: hostile stack files, an unreachable
pack, a locale that cannot print the plan. Exit 1 means a mandatory violation and nothing else;
everything else is exit 2 with a one-line reason. And the text preview comes in one order, and the
gate needs no loopback (`--json` byte-identical across runs: tests/test_policy_gate.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from offline import analyzer, cli
from offline.stackfile import MAX_NODES, StackFileError, read_stack
from tests.conftest import PROJECT_ROOT
from tests.inprocess import record_stack
from tests.test_offline_preview import copy_program, dev_stack_config, run_preview

PROJECT = "name: kurl-lb\nruntime: python\n"


def stack_dir(tmp_path: Path, text: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT)
    (tmp_path / "Pulumi.x.yaml").write_text(text)
    return tmp_path


BILLION_LAUGHS = "\n".join(
    ["config:", '  kurl-lb:tags: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"  k{i}: &a{i} [{','.join(f'*a{i - 1}' for _ in range(9))}]" for i in range(1, 10)]
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(BILLION_LAUGHS, f"more than {MAX_NODES} values", id="anchor-bomb"),
        pytest.param("config:\n  kurl-lb:x: &a [*a]\n", "refers to itself", id="alias-cycle"),
        pytest.param("config:\n  kurl-lb:port: " + "[" * 3000 + "]" * 3000, "", id="deep"),
        pytest.param("config:\n  kurl-lb:port: " + "1" * 5000 + "\n", "", id="long-number"),
        pytest.param("config: [1, 2]\n", "mapping", id="config-list"),
    ],
)
def test_hostile_stack_files_are_refused_not_crashed_on(
    tmp_path: Path, text: str, reason: str
) -> None:
    with pytest.raises(StackFileError) as info:
        read_stack(stack_dir(tmp_path, text), "x")
    assert reason in str(info.value)


def test_an_anchor_bomb_stops_the_gate_with_exit_2(tmp_path: Path) -> None:
    result = run_preview("--program", str(stack_dir(tmp_path, BILLION_LAUGHS)), "--stack", "x")
    assert result.returncode == 2
    assert "expands to more than" in result.stderr


def test_an_unreachable_pack_is_exit_2_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise grpc.FutureTimeoutError()

    # The gate connects to the pack before it starts the program (offline/cli.py).
    monkeypatch.setattr(analyzer.PackProcess, "connect", unreachable)
    assert cli.main(["preview", "--stack", "dev"]) == 2


def test_a_locale_that_cannot_print_the_plan_is_not_a_violation(tmp_path: Path) -> None:
    config = dev_stack_config()
    config["kurl-lb:tags"] = {"équipe": "plateforme"}
    program = copy_program(tmp_path, "utf", config)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    # The plan is what cannot be printed; the pack's part of the text is ASCII.
    args = ["--program", str(program), "--stack", "utf", "--no-policy"]
    result = subprocess.run(
        [sys.executable, "-m", "offline", "preview", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert b"\\u2514\\u2500 kurl:index:AwsKurlNlb" in result.stdout  # the tree, escaped


def test_text_lists_resources_in_one_stable_order() -> None:
    # The program's async work settles in any order: the text preview (tree, settings, lookups,
    # warnings) comes out the same for every order of the same registrations.
    import random

    from offline.recorder import Graph, RecordedInvoke
    from offline.render import render_text

    graph = record_stack("dev")
    graph.invokes = [RecordedInvoke("aws:a", {"x": 2}), RecordedInvoke("aws:a", {"x": 1})]
    graph.diagnostics = [("warning", "b"), ("warning", "a")]
    expected = render_text(graph)
    for seed in range(5):
        shuffled = Graph(graph.project, graph.stack, list(graph.resources), graph.outputs)
        random.Random(seed).shuffle(shuffled.resources)
        shuffled.invokes = random.Random(seed).sample(graph.invokes, len(graph.invokes))
        shuffled.diagnostics = random.Random(seed).sample(graph.diagnostics, len(graph.diagnostics))
        assert render_text(shuffled) == expected


def test_the_gate_works_with_loopback_down() -> None:
    # Monitor and pack on private unix sockets: a network namespace whose loopback is down.
    probe = subprocess.run(
        ["unshare", "--map-root-user", "--net", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("no unprivileged network namespace here")
    preview = ["preview", "--stack", "dev", "--invokes", "offline/invokes/dev.yaml", "--json"]
    result = subprocess.run(
        ["unshare", "--map-root-user", "--net", "--", sys.executable, "-m", "offline", *preview],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["policy"]["pack"] == "kurl-lb"
