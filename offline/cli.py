"""`python -m offline preview`: the stack's plan without a cloud account or the Pulumi CLI.

Exit codes: 0 clean, 1 mandatory policy violation, 2 invalid config or program error.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

import pulumi

from .against import RevisionError, program_at
from .analyzer import PolicyPackError, analyze
from .diff import diff
from .recorder import Graph, main_program, program_directory, record
from .render import render_diff_text, render_json, render_text
from .stackfile import MissingStackFile, StackFileError, read_stack

EXIT_OK, EXIT_POLICY, EXIT_ERROR = 0, 1, 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m offline")
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser(
        "preview", help="show what a stack would create, like `pulumi preview`"
    )
    preview.add_argument(
        "--program",
        type=Path,
        default=PROJECT_ROOT,
        help="Pulumi Python program directory (default: this project)",
    )
    preview.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    preview.add_argument("--json", action="store_true", help="print one JSON document")
    preview.add_argument(
        "--policy-pack",
        type=Path,
        default=PROJECT_ROOT / "policies",
        help="policy pack directory to run over the plan (default: this project's policies/)",
    )
    preview.add_argument(
        "--no-policy", action="store_true", help="skip the policy pack (plan only)"
    )
    preview.add_argument(
        "--against",
        metavar="REV",
        help="show what changes against the program and config at this git revision",
    )
    return parser


def preview_graph(program: Path, stack: str) -> tuple[Graph, list[str]]:
    """Record a stack of a program directory; raises StackFileError or the program's error."""
    files = read_stack(program, stack)
    directory = program.resolve()
    with program_directory(directory):
        graph = record(
            main_program(directory),
            project=files.project,
            stack=stack,
            config=files.config,
            secret_keys=files.secret_keys,
        )
    return graph, files.warnings


def _graph_at(program: Path, stack: str, revision: str) -> Graph:
    """The stack's graph at a revision; empty when the stack did not exist there yet."""
    with program_at(program, revision) as old_program:
        try:
            return preview_graph(old_program, stack)[0]
        except MissingStackFile:
            return Graph(project="", stack=stack)


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 1 for a mandatory policy violation and nothing else; every other failure is
    2 with a one-line reason (the program's own errors add their traceback)."""
    # Any locale: what cannot be encoded is printed escaped, never an encoding error.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        return _main(argv)
    except Exception as exc:  # whatever it is, it is not a policy violation
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"error: {reason}", file=sys.stderr)
        return EXIT_ERROR


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        old = _graph_at(args.program, args.stack, args.against) if args.against else None
        graph, warnings = preview_graph(args.program, args.stack)
    except (RevisionError, StackFileError, pulumi.RunError) as exc:
        # A clean user error (bad config): the message alone, as the Pulumi CLI shows it.
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception:
        print("error: the program failed:", file=sys.stderr)
        traceback.print_exc()
        return EXIT_ERROR
    policy = None
    if not args.no_policy:
        try:
            policy = analyze(graph, args.policy_pack.resolve())
        except PolicyPackError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except Exception as exc:  # e.g. no loopback: the pack's port cannot be reached
            reason = " ".join(f"{type(exc).__name__}: {exc}".split()) or type(exc).__name__
            print(f"error: policy pack {args.policy_pack} unreachable: {reason}", file=sys.stderr)
            return EXIT_ERROR
    changes = diff(old, graph) if old is not None else None
    if args.json:
        print(
            render_json(
                graph, warnings=warnings, policy=policy, changes=changes, against=args.against
            )
        )
    elif changes is not None:
        print(render_diff_text(graph, changes, args.against, warnings=warnings, policy=policy))
    else:
        print(render_text(graph, warnings=warnings, policy=policy))
    return EXIT_POLICY if policy and policy.mandatory else EXIT_OK
