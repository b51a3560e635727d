"""The offline gate's steps in this process, for cases that need no process of their own.

A stack is read as the gate reads it (offline.stackfile), its program recorded under the SDK's
mock engine in preview mode (offline.recorder; lookups answered from an `--invokes` file by
the gate's own rule, offline.invokes), judged by a policy pack the test module started
once (offline.analyzer.policy_gate, the `pack` fixture in tests/conftest.py), and rendered and
scored by the gate's own last step (offline.cli.verdict; with `against`, the older revision
comes through offline.cli.graph_at, as the gate takes it). tests/test_policy_gate.py checks that
this gives the gate's output byte for byte for every example stack, and tests/test_against.py
for a plan against a revision; what only the gate's process does (its own engine, the program's
process, virtualenv and sandbox, caps, deadlines, lookups, exit paths) stays tested end to end
(test_gate_boundary.py, test_gate_attacks.py, test_gate_failures.py, test_offline_preview.py).
"""

from __future__ import annotations

from pathlib import Path

from offline.analyzer import PolicyGate
from offline.cli import Verdict, graph_at, verdict
from offline.graph import Graph
from offline.invokes import read_invokes
from offline.recorder import PreviewMocks, main_program, program_directory, record
from offline.stackfile import StackFiles, read_stack
from tests.conftest import PROJECT_ROOT

__all__ = ["Verdict", "preview", "record_files", "record_stack"]


def record_files(files: StackFiles, program: Path, invokes: Path | None = None) -> Graph:
    """The program in `program` run for the stack `files` were read for, as a preview (every
    value a provider computes unknown; lookups answered by the `invokes` file, as `--invokes`)."""
    with program_directory(program):
        return record(
            main_program(program),
            project=files.project,
            stack=files.stack,
            config=files.config,
            secret_keys=files.secret_keys,
            mocks=PreviewMocks(fixtures=read_invokes(invokes) if invokes else None),
        )


def record_stack(stack: str, program: Path = PROJECT_ROOT, invokes: Path | None = None) -> Graph:
    return record_files(read_stack(program, stack), program, invokes)


def preview(
    stack: str,
    *,
    program: Path = PROJECT_ROOT,
    pack: PolicyGate | None = None,
    invokes: Path | None = None,
    against: str | None = None,
    allow_address_change: bool = False,
    as_json: bool = False,
    strict: bool = True,
) -> Verdict:
    """What `python -m offline preview --stack <stack>` prints and returns (`pack` None: as
    `--no-policy`), with the stack's program and the older revision's recorded here."""
    files = read_stack(program, stack)
    graph = record_files(files, program, invokes)
    old = (
        graph_at(program, stack, against, lambda f, p: record_files(f, p, invokes))
        if against
        else None
    )
    return verdict(
        program,
        files,
        graph,
        policy=pack.analyze(graph) if pack is not None else None,
        old=old,
        against=against,
        allow_address_change=allow_address_change,
        as_json=as_json,
        strict=strict,
    )
