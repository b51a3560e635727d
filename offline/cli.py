"""`python -m offline preview`: the stack's plan without a cloud account or the Pulumi CLI.

Exit codes: 0 clean, 1 mandatory policy violation, 2 invalid config or program error (including a
program that ended its process early, crashed, or missed the --timeout deadline), 3 a mandatory
check could not be verified at preview (an unknown value; `--no-strict` reports it and exits 0 for
it), 4 the plan against `--against REV` moves the API address (offline.address) and
`--allow-address-change` was not given. When several apply, the lowest non-zero code is returned.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .address import (
    EXIT_ADDRESS_CHANGE,
    FLAG,
    AddressGate,
    address_changes,
    provider_setting_changes,
    replacement_warnings,
)
from .against import RevisionError, program_at, stack_config_at
from .policyconfig import PolicyConfigError, read_policy_config
from .runner import (
    DEFAULT_TIMEOUT_SECONDS,
    InvokesFileError,
    ProgramError,
    RunningProgram,
    read_invokes,
    run_program,
)
from .stackfile import (
    MissingStackFile,
    StackFileError,
    StackFiles,
    explain_secrets,
    read_stack,
    scrub,
)

if TYPE_CHECKING:
    from .analyzer import PolicyResult
    from .diff import Change
    from .recorder import Graph

# The Pulumi SDK, gRPC and the renderer are imported in main() once the program has started in
# its own process: the gate's start-up overlaps the program's run instead of preceding it.

EXIT_OK, EXIT_POLICY, EXIT_ERROR, EXIT_UNVERIFIED = 0, 1, 2, 3
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
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="exit 3 when a mandatory check cannot be verified at preview (default); "
        "--no-strict reports such checks and exits 0 for them",
    )
    preview.add_argument(
        "--against",
        metavar="REV",
        help="show what changes against the program and config at this git revision",
    )
    preview.add_argument(
        FLAG,
        action="store_true",
        help="with --against: a planned move of the API address does not fail the preview",
    )
    preview.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="one deadline for the whole preview: a program still running then is stopped and "
        f"the resources it was waiting on are named (default: {DEFAULT_TIMEOUT_SECONDS:.0f})",
    )
    preview.add_argument(
        "--invokes",
        type=Path,
        metavar="FILE",
        help="known results of lookups (invokes): a YAML list of token, args, result",
    )
    preview.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="policy configuration, as `pulumi preview --policy-pack-config` takes it (JSON)",
    )
    return parser


def _graph_at(program: Path, stack: str, revision: str, *, deadline: float, invokes: Any) -> Graph:
    """The stack's graph at a revision; empty when the stack did not exist there yet."""
    from .recorder import Graph

    with program_at(program, revision) as old_program:

        def at_revision(exc: Exception, files: StackFiles | None = None) -> str:
            # Say it is the old revision's, with paths as git names them there.
            message = explain_secrets(str(exc), files) if files is not None else str(exc)
            message = message.replace(f"{old_program}{os.sep}", f"{revision}:")
            return (
                f"in --against {revision} (Pulumi.{stack}.yaml and the program as of {revision}, "
                f"not the working tree): {message}"
            )

        try:
            files = read_stack(old_program, stack)
        except MissingStackFile:
            return Graph(project="", stack=stack)
        except StackFileError as exc:
            raise StackFileError(at_revision(exc)) from None
        try:
            # A relative virtualenv is not in the temporary tree: the working tree's serves.
            return run_program(
                files,
                old_program.resolve(),
                deadline=deadline,
                invokes=invokes,
                venv_base=program.resolve(),
            )
        except ProgramError as exc:
            raise ProgramError(at_revision(exc, files)) from None


def _address_gate(
    args: argparse.Namespace, old: Graph, graph: Graph, changes: list[Change]
) -> AddressGate:
    """Every way the plan moves the API address, including provider settings no input carries
    (read from both revisions' stack files; at the revision it may not exist yet)."""
    settings = provider_setting_changes(
        old,
        stack_config_at(args.program, args.stack, args.against),
        read_stack(args.program, args.stack).config,
    )
    return AddressGate(address_changes(changes, old, graph) + settings, args.allow_address_change)


def main(argv: list[str] | None = None) -> int:
    """Exit 1 means a mandatory policy violation and nothing else (3 and 4 are the gate's other
    verdicts, see the module docstring); every failure is 2 with a one-line reason (the
    program's own errors add their traceback)."""
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
    deadline = time.monotonic() + args.timeout
    running: RunningProgram | None = None
    files: StackFiles | None = None
    try:
        invokes = read_invokes(args.invokes) if args.invokes else None
        policy_config = (
            read_policy_config(args.policy_pack_config) if args.policy_pack_config else None
        )
        files = read_stack(args.program, args.stack)
        running = RunningProgram(files, args.program.resolve(), deadline=deadline, invokes=invokes)
        old = (
            _graph_at(args.program, args.stack, args.against, deadline=deadline, invokes=invokes)
            if args.against
            else None
        )
        from .analyzer import START_TIMEOUT_SECONDS, PolicyPackError, analyze
        from .diff import diff
        from .render import render_diff_text, render_json, render_text

        graph = running.result()
    except (
        RevisionError,
        StackFileError,
        InvokesFileError,
        PolicyConfigError,
        ProgramError,
    ) as exc:
        # A clean user error (bad config) is the message alone, as the Pulumi CLI shows it; a
        # program failure carries the program's traceback. Secrets it could not decrypt are
        # named as such; decrypted ones never shown.
        message = explain_secrets(str(exc), files) if files is not None else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if running is not None:
            running.stop()
    warnings = files.warnings
    policy = None
    if not args.no_policy:
        try:
            policy = analyze(
                graph,
                args.policy_pack.resolve(),
                timeout=max(1.0, min(START_TIMEOUT_SECONDS, deadline - time.monotonic())),
                config=policy_config,
            )
        except PolicyPackError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except Exception as exc:  # e.g. no loopback: the pack's port cannot be reached
            reason = " ".join(f"{type(exc).__name__}: {exc}".split()) or type(exc).__name__
            print(f"error: policy pack {args.policy_pack} unreachable: {reason}", file=sys.stderr)
            return EXIT_ERROR
    changes = gate = None
    if old is not None:
        changes = diff(old, graph)
        gate = _address_gate(args, old, graph, changes)
        warnings = [*warnings, *replacement_warnings(changes)]
    if args.json:
        out = render_json(
            graph,
            warnings=warnings,
            policy=policy,
            changes=changes,
            against=args.against,
            gate=gate,
        )
    elif changes is not None:
        out = render_diff_text(
            graph, changes, args.against, warnings=warnings, policy=policy, gate=gate
        )
    else:
        out = render_text(graph, warnings=warnings, policy=policy)
    print(scrub(out, files.plaintexts))  # a decrypted secret is never printed
    blocked = gate is not None and gate.blocks
    if blocked:
        print(
            "error: the plan changes the API address every kURL node and certificate holds; "
            f"pass {FLAG} once the move is planned (docs/runbook.md, section 6.3)",
            file=sys.stderr,
        )
    return exit_code(policy, strict=args.strict, address_blocked=blocked)


def exit_code(policy: PolicyResult | None, *, strict: bool, address_blocked: bool = False) -> int:
    """The lowest that applies: 1 a mandatory violation, 3 an unverified mandatory check (when
    strict), 4 a blocked API address change; else 0."""
    if policy and policy.mandatory:
        return EXIT_POLICY
    if policy and policy.unverified and strict:
        return EXIT_UNVERIFIED
    return EXIT_ADDRESS_CHANGE if address_blocked else EXIT_OK
