"""`python -m offline preview`: the stack's plan without a cloud account or the Pulumi CLI.

Exit codes: 0 clean, 1 mandatory policy violation, 2 invalid config or program error (including a
program that ended its process early, crashed, or missed the --timeout deadline), 3 a mandatory
check could not be verified at preview (an unknown value; `--no-strict` reports it and exits 0 for
it), 4 the plan against `--against REV` moves the API address (offline.address) and
`--allow-address-change` was not given. When several apply, the lowest non-zero code is returned.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import sandbox
from .address import (
    EXIT_ADDRESS_CHANGE,
    FLAG,
    AddressGate,
    address_changes,
    api_ports,
    provider_setting_changes,
    replacement_warnings,
)
from .against import RevisionError, commit_of, program_at, stack_config_at
from .escape import escape_text
from .invokes import InvokesFileError, read_invokes
from .limits import DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_RPCS, Caps
from .moves import judge
from .policyconfig import PolicyConfigError, read_policy_config
from .runner import (
    DEFAULT_TIMEOUT_SECONDS,
    ProgramError,
    RunningProgram,
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
    from .analyzer import PackProcess, PolicyGate, PolicyResult
    from .diff import Change
    from .engine import Unverifiable
    from .graph import Graph

# The Pulumi SDK, gRPC and the renderer are imported in main() once the policy pack has started
# in its own process: the gate's start-up overlaps the pack's instead of preceding it.

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
        "--max-rpcs",
        type=_positive_int,
        default=DEFAULT_MAX_RPCS,
        metavar="N",
        help=f"refuse a program making more engine calls than this (default: {DEFAULT_MAX_RPCS})",
    )
    preview.add_argument(
        "--max-message-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_MESSAGE_BYTES,
        metavar="BYTES",
        help="refuse a larger single engine call (default: "
        f"{DEFAULT_MAX_MESSAGE_BYTES // 1024 // 1024} MiB)",
    )
    preview.add_argument(
        "--max-memory",
        type=_positive_int,
        default=DEFAULT_MAX_MEMORY_BYTES,
        metavar="BYTES",
        help="refuse a program whose calls add up to more than this (default: "
        f"{DEFAULT_MAX_MEMORY_BYTES // 1024 // 1024} MiB)",
    )
    preview.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="policy configuration, as `pulumi preview --policy-pack-config` takes it (JSON)",
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _caps(args: argparse.Namespace) -> Caps:
    return Caps(
        max_rpcs=args.max_rpcs,
        max_message_bytes=args.max_message_bytes,
        max_memory_bytes=args.max_memory,
    )


def graph_at(
    program: Path, stack: str, revision: str, run: Callable[[StackFiles, Path], Graph]
) -> Graph:
    """The stack's graph at a revision, recorded by `run(files, old_program)` (the gate: the
    program in its own process, run_program); empty when the stack did not exist there yet."""
    from .graph import Graph

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
            return run(files, old_program)
        except ProgramError as exc:
            raise ProgramError(at_revision(exc, files)) from None


def address_gate(
    program: Path,
    stack: str,
    against: str,
    old: Graph,
    graph: Graph,
    changes: list[Change],
    *,
    allowed: bool,
) -> AddressGate:
    """Every way the plan moves the API address, including provider settings no input carries
    (read from both revisions' stack files; at the revision it may not exist yet)."""
    old_config = stack_config_at(program, stack, against)
    new_config = read_stack(program, stack).config
    settings = provider_setting_changes(old, old_config, new_config)
    ports = api_ports(old_config, new_config)
    found, notes, move = judge(address_changes(changes, old, graph, ports), changes, old, graph)
    return AddressGate(found + settings, allowed, notes, move)


@dataclass(frozen=True)
class Verdict:
    """What the gate prints and returns once the plan is recorded and judged."""

    stdout: str  # the preview or the --json document (without the final newline)
    errors: list[str]  # the lines for stderr
    code: int


def verdict(
    program: Path,
    files: StackFiles,
    graph: Graph,
    *,
    policy: PolicyResult | None = None,
    unverifiable: Sequence[Unverifiable] = (),
    old: Graph | None = None,
    against: str | None = None,
    allow_address_change: bool = False,
    as_json: bool = False,
    strict: bool = True,
) -> Verdict:
    """The plan (against `old`, the graph at `against`, when given), the address gate, the
    rendering, the scrubbing of decrypted secrets and the exit code: the gate's last step, the
    same whoever recorded the graphs."""
    from .diff import diff
    from .render import render_diff_text, render_json, render_text

    warnings = files.warnings
    changes = address = None
    if old is not None:
        assert against is not None
        changes = diff(old, graph)
        address = address_gate(
            program, files.stack, against, old, graph, changes, allowed=allow_address_change
        )
        warnings = [*warnings, *replacement_warnings(changes)]
    if as_json:
        out = render_json(
            graph,
            warnings=warnings,
            policy=policy,
            changes=changes,
            against=against,
            gate=address,
            unverifiable=unverifiable,
        )
        json.loads(out)  # one document, the gate's own
    elif changes is not None:
        assert against is not None
        out = render_diff_text(
            graph,
            changes,
            against,
            warnings=warnings,
            policy=policy,
            gate=address,
            unverifiable=unverifiable,
        )
    else:
        out = render_text(graph, warnings=warnings, policy=policy, unverifiable=unverifiable)
    out = scrub(out, files.plaintexts)  # a decrypted secret is never printed
    if not as_json:
        out = escape_text(out)  # the program's text: no terminal escapes, no CI commands
    errors = []
    blocked = address is not None and address.blocks
    if blocked:
        errors.append(
            "error: the plan changes the API address every kURL node and certificate holds; "
            f"pass {FLAG} once the move is planned (docs/runbook.md, section 6.3)"
        )
    if unverifiable:
        errors.append(
            "error: the gate cannot see into "
            + "; ".join(escape_text(u.describe()) for u in unverifiable)
        )
    code = exit_code(
        policy, strict=strict, address_blocked=blocked, unverifiable=bool(unverifiable)
    )
    return Verdict(out, errors, code)


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
    sandbox.harden_gate()
    before = sandbox.gate_children()
    pack: PackProcess | None = None
    running: RunningProgram | None = None
    files: StackFiles | None = None
    try:
        invokes = read_invokes(args.invokes) if args.invokes else None
        policy_config = (
            read_policy_config(args.policy_pack_config) if args.policy_pack_config else None
        )
        files = read_stack(args.program, args.stack)
        if args.against:  # a revision that names no commit fails before anything starts
            commit_of(args.program.resolve(), args.against)
        from .analyzer import PackProcess

        gate: PolicyGate | None = None
        # The judge first. Where the program gets its own namespaces (the pack, its copy and
        # its socket out of the program's reach) the pack loads while the program starts;
        # elsewhere it has loaded its policies before the program it judges starts.
        with _pack_errors(args):
            if not args.no_policy:
                pack = PackProcess(args.policy_pack.resolve())
                if not sandbox.namespaced():
                    gate = pack.gate(_pack_timeout(deadline), policy_config)
        # Everything the verdict needs is imported before the program runs: a module loaded
        # later could be one the program rewrote (where it can write to the checkout).
        from . import diff, render  # noqa: F401  (verdict() uses them)

        caps = _caps(args)
        readonly = (args.policy_pack.resolve(),)
        hidden = (pack.copy.parent,) if pack else ()
        running = RunningProgram(
            files,
            args.program.resolve(),
            deadline=deadline,
            invokes=invokes,
            caps=caps,
            readonly=readonly,
            hidden=hidden,
        )
        with _pack_errors(args):
            if pack is not None and gate is None:
                gate = pack.gate(_pack_timeout(deadline), policy_config)
        if gate is not None:
            running.session.subscribe(gate.stream())
        old = (
            graph_at(
                args.program,
                args.stack,
                args.against,
                # A relative virtualenv is not in the temporary tree: the working tree's serves.
                lambda old_files, old_program: run_program(
                    old_files,
                    old_program.resolve(),
                    deadline=deadline,
                    invokes=invokes,
                    venv_base=args.program.resolve(),
                    caps=caps,
                    readonly=readonly,
                    hidden=hidden,
                ),
            )
            if args.against
            else None
        )
        graph = running.result()
        unverifiable = running.session.unverifiable
        policy = None
        if gate is not None:
            with _pack_errors(args):
                policy = gate.analyze(graph)
    except _PackFailed:
        return EXIT_ERROR
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
        print(f"error: {escape_text(message)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if running is not None:
            running.stop()
        if pack is not None:
            pack.close()
        # Whatever a program left behind (re-parented to the gate, a subreaper) ends with it.
        sandbox.kill_all(sandbox.adopted_orphans(before))
    result = verdict(
        args.program,
        files,
        graph,
        policy=policy,
        unverifiable=unverifiable,
        old=old,
        against=args.against,
        allow_address_change=args.allow_address_change,
        as_json=args.json,
        strict=args.strict,
    )
    _write_stdout(result.stdout + "\n")  # a decrypted secret is never printed
    for line in result.errors:
        print(line, file=sys.stderr)
    return result.code


class _PackFailed(Exception):
    """The pack failed; its error is printed already (exit 2)."""


@contextlib.contextmanager
def _pack_errors(args: argparse.Namespace) -> Iterator[None]:
    """A pack that fails to start, answer or be reached is exit 2 in one line."""
    from .analyzer import PolicyPackError

    try:
        yield
    except PolicyPackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise _PackFailed from None
    except (OSError, RuntimeError, ValueError) as exc:  # e.g. its socket cannot be reached
        reason = " ".join(f"{type(exc).__name__}: {exc}".split()) or type(exc).__name__
        print(f"error: policy pack {args.policy_pack} unreachable: {reason}", file=sys.stderr)
        raise _PackFailed from None
    except Exception as exc:
        if type(exc).__module__.startswith("grpc"):  # grpc.FutureTimeoutError, RpcError
            reason = " ".join(f"{type(exc).__name__}: {exc}".split()) or type(exc).__name__
            print(f"error: policy pack {args.policy_pack} unreachable: {reason}", file=sys.stderr)
            raise _PackFailed from None
        raise


def _pack_timeout(deadline: float) -> float:
    from .analyzer import START_TIMEOUT_SECONDS

    return max(1.0, min(START_TIMEOUT_SECONDS, deadline - time.monotonic()))


def _write_stdout(text: str) -> None:
    """The gate's one document (or preview), in one write loop to its own stdout."""
    sys.stdout.flush()
    data = memoryview(text.encode(sys.stdout.encoding or "utf-8", errors="backslashreplace"))
    fd = sys.stdout.fileno()
    while data:
        data = data[os.write(fd, data) :]


def exit_code(
    policy: PolicyResult | None,
    *,
    strict: bool,
    address_blocked: bool = False,
    unverifiable: bool = False,
) -> int:
    """The lowest that applies: 1 a mandatory violation, 3 an unverified mandatory check (when
    strict) or a registration the gate cannot see into (always), 4 a blocked API address change;
    else 0."""
    if policy and policy.mandatory:
        return EXIT_POLICY
    if unverifiable or (policy and policy.unverified and strict):
        return EXIT_UNVERIFIED
    return EXIT_ADDRESS_CHANGE if address_blocked else EXIT_OK
