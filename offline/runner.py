"""Runs a Pulumi program as the Python language host runs it, against the engine the gate serves.

The program runs in its own process, with its own virtualenv's interpreter, under the Pulumi
Python SDK's standard runtime (`pulumi-language-python-exec`, the SDK's own script, shipped here
verbatim from the sdk/v3 module), with `PULUMI_CONFIG` and `PULUMI_CONFIG_SECRET_KEYS` and the
project's `main:`; it connects to the `ResourceMonitor` and `Engine` services the gate serves on a
private unix socket (offline/engine.py). Nothing of the gate runs in the program's process, so
patching the gate from there changes nothing; and what it registered is what the gate received.

A run counts only when the SDK sent its own completion signal (SignalAndWaitForShutdown) and the
process then exited 0. Anything else (sys.exit, os._exit, a crash, a signal, the deadline, a cap)
is a ProgramError naming what happened. Its stdout and stderr reach the gate's stderr escaped,
never `--json` output. Every process it started is killed when the run ends (offline/sandbox.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import sandbox
from .stackfile import StackFiles
from .wire import RESOURCE_SIG, SIG_KEY

if TYPE_CHECKING:
    from .engine import Session
    from .graph import Graph
    from .limits import Caps

# In a folder of its own: Python puts a script's folder first on sys.path, and the gate's modules
# must not shadow the program's.
EXEC = Path(__file__).parent / "langhost" / "pulumi-language-python-exec"
GATE_ROOT = Path(__file__).resolve().parent.parent  # the gate's checkout: read-only for the program
DEFAULT_TIMEOUT_SECONDS = 300.0
STACK_DUMP_GRACE_SECONDS = 1.0  # for the program's faulthandler to print every thread's stack
OUTPUT_CAP_BYTES = 4 * 1024 * 1024  # of the program's own stdout and stderr shown
# The language host's --parallel: the CLI's default (4 per CPU), at most 8; the SDK runs 4x as
# many executor threads, each with at most one call in flight (engine.MAX_CONCURRENT_RPCS).
PARALLEL = min(8, 4 * (os.cpu_count() or 1))
# Never handed to the program: a preview needs no cloud account and no CI token.
SECRET_ENV = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSPHRASE|CREDENTIAL|^(AWS|ARM|AZURE|GOOGLE|GCP|CLOUDSDK|ACTIONS)_",
    re.IGNORECASE,
)


class ProgramError(Exception):
    """The program did not complete a recording the gate can judge (exit code 2)."""


@dataclass(frozen=True)
class Interpreter:
    python: str
    venv: Path | None  # None: the gate's own environment

    def describe(self) -> str:
        if self.venv is None:
            return f"the gate's Python environment ({sys.prefix})"
        return f"the program's virtualenv {self.venv} (Pulumi.yaml runtime.options.virtualenv)"


def interpreter(files: StackFiles, project_dir: Path, venv_base: Path | None = None) -> Interpreter:
    """The program's virtualenv's python (Pulumi.yaml runtime.options.virtualenv, relative to the
    project folder or to `venv_base`, e.g. the working tree when running an older revision),
    else the gate's own."""
    venv = files.runtime_options.get("virtualenv")
    if not venv:
        return Interpreter(sys.executable, None)
    candidates = [project_dir / str(venv)]
    if venv_base is not None:
        candidates.append(venv_base / str(venv))
    for path in candidates:
        python = path / "bin" / "python"
        if python.exists():
            return Interpreter(str(python), path.resolve())
    raise ProgramError(
        f"the program's virtualenv {candidates[0]} (Pulumi.yaml runtime.options.virtualenv) does "
        f"not exist: create it and install the program's requirements "
        f"(python3 -m venv {venv} && {venv}/bin/pip install -r requirements.txt)"
    )


def entry_point(files: StackFiles, project_dir: Path) -> tuple[Path, Path]:
    """(what runpy runs, the program's working folder), honouring Pulumi.yaml `main`."""
    main = (project_dir / files.main).resolve() if files.main else project_dir.resolve()
    if main.is_dir():
        if not (main / "__main__.py").is_file():
            raise ProgramError(f"{main} has no __main__.py (Pulumi.yaml main: {files.main or '.'})")
        return main, main
    if main.is_file():
        return main, main.parent
    raise ProgramError(f"Pulumi.yaml main: {files.main} does not exist ({main})")


def program_env(files: StackFiles) -> dict[str, str]:
    """The language host's environment for the program: the gate's, less anything secret, plus
    the stack's config as the engine hands it over."""
    env = {k: v for k, v in os.environ.items() if not SECRET_ENV.search(k)}
    env.update(
        PULUMI_CONFIG=json.dumps(files.config),
        PULUMI_CONFIG_SECRET_KEYS=json.dumps(files.secret_keys),
        PYTHONUNBUFFERED="1",
        # The standard library's own: at the deadline, SIGABRT prints where every thread was.
        PYTHONFAULTHANDLER="1",
    )
    env.pop("PYTHONPATH", None)  # the program's virtualenv decides what it imports
    return env


class RunningProgram:
    """A program started in its own process against the gate's engine; `result()` waits for it
    (up to the deadline)."""

    def __init__(
        self,
        files: StackFiles,
        project_dir: Path,
        *,
        deadline: float,
        invokes: list[dict[str, Any]] | None = None,
        venv_base: Path | None = None,
        caps: Caps | None = None,
        readonly: tuple[Path, ...] = (),
        hidden: tuple[Path, ...] = (),
    ) -> None:
        from .engine import Session, serve
        from .graph import Graph
        from .limits import Caps

        self.files, self.deadline = files, deadline
        self.python = interpreter(files, project_dir, venv_base)
        main, cwd = entry_point(files, project_dir)
        self.session: Session = Session(
            Graph(project=files.project, stack=files.stack), invokes or [], caps or Caps()
        )
        self.tmp = tempfile.TemporaryDirectory(prefix="kurl-lb-engine-")  # mode 0700
        socket_path = os.path.join(self.tmp.name, "engine.sock")
        self.server = serve(self.session, socket_path)
        address = f"unix:{socket_path}"
        try:
            start = sandbox.prefix(
                (GATE_ROOT, Path(sys.prefix), project_dir, main, *readonly)
                + ((self.python.venv,) if self.python.venv else ()),
                hidden,
            )
        except sandbox.NamespaceRequired as exc:
            self.server.stop(None)
            self.tmp.cleanup()
            raise ProgramError(str(exc)) from None
        command = [
            *start,
            self.python.python,
            "-u",
            str(EXEC),
            *("--monitor", address, "--engine", address),
            *("--project", files.project, "--stack", files.stack),
            *("--pwd", str(cwd), "--dry_run", "true", "--parallel", str(PARALLEL)),
            *("--organization", "organization", "--root_directory", str(project_dir)),
            str(main),
        ]
        read_fd, write_fd = os.pipe()
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=write_fd,  # the program's prints never reach --json output
                stderr=write_fd,
                cwd=cwd,
                env=program_env(files),
                start_new_session=True,  # its own process group and session
            )
        except OSError as exc:
            os.close(read_fd)
            self.server.stop(None)
            self.tmp.cleanup()
            raise ProgramError(f"cannot start {self.python.python}: {exc}") from None
        finally:
            os.close(write_fd)
        sandbox.own_child(self.process.pid)
        self.output = sandbox.Output(read_fd, _stderr_fd(), OUTPUT_CAP_BYTES)
        self.output.start()
        self.read_fd = read_fd
        threading.Thread(target=self._wait, daemon=True).start()
        self.stopped = False

    def _wait(self) -> None:
        self.process.wait()
        self.session.changed.set()

    def stop(self) -> None:
        """End the program and everything it started (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        sandbox.kill_all([self.process.pid])
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # Every process that could hold the pipe is dead: the drain ends at once.
        self.output.join(timeout=2)
        with contextlib.suppress(OSError):
            os.close(self.read_fd)
        self.server.stop(None)
        self.session.close()
        self.tmp.cleanup()

    def _dump_stacks(self) -> None:
        """SIGABRT to the program's interpreter: faulthandler prints every thread's stack."""
        for pid in sandbox.descendants([self.process.pid]):
            if _runs(pid, str(EXEC)):  # unshare and its shell come first in a namespace
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STACK_DUMP_GRACE_SECONDS)

    def result(self) -> Graph:
        """The recording; ProgramError unless the program completed before the deadline."""
        session = self.session
        try:
            while self.process.poll() is None and session.refused is None:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    self._dump_stacks()
                    self.stop()
                    raise ProgramError(_timeout_message(session))
                session.changed.wait(timeout=remaining)
                session.changed.clear()
            if session.refused is not None:
                self.stop()
                raise ProgramError(
                    f"refused: {session.refused}; the run was stopped after "
                    f"{len(session.graph.resources)} registration(s)"
                )
        finally:
            self.stop()
        return _graph(session, self.process.returncode, self.python, self.output.tail())


def run_program(
    files: StackFiles,
    project_dir: Path,
    *,
    deadline: float,
    invokes: list[dict[str, Any]] | None = None,
    venv_base: Path | None = None,
    caps: Caps | None = None,
    readonly: tuple[Path, ...] = (),
    hidden: tuple[Path, ...] = (),
) -> Graph:
    """Record the program in `project_dir` for the stack in `files`; raise ProgramError unless it
    completed before `deadline` (time.monotonic())."""
    return RunningProgram(
        files,
        project_dir,
        deadline=deadline,
        invokes=invokes,
        venv_base=venv_base,
        caps=caps,
        readonly=readonly,
        hidden=hidden,
    ).result()


def _runs(pid: int, script: str) -> bool:
    """Whether the process runs `script` (the interpreter started on it)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            args = cmdline.read().split(b"\0")
    except OSError:
        return False
    return len(args) > 2 and args[2] == script.encode() and b"unshare" not in args[0]


def _stderr_fd() -> int:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


def _timeout_message(session: Session) -> str:
    graph = session.graph
    head = (
        "the program did not finish before the deadline (--timeout); it was stopped after "
        f"registering {len(graph.resources)} resource(s)"
    )
    if graph.resources:
        last = graph.resources[-1]
        head += f", the last {last.type} {last.name!r}"
    return (
        f"{head}: its code had not returned, or an Output never resolves (an apply that never "
        "finishes, a resource object where a value is expected); the stacks above show where "
        "its threads were"
    )


def _graph(session: Session, returncode: int, python: Interpreter, output: str) -> Graph:
    graph = session.graph
    if session.errors or returncode != 0:
        raise _program_error(session, returncode, python, output)
    if not session.shutdown:
        raise ProgramError(
            "the program's process exited with code 0 before the Pulumi SDK signalled that the "
            f"program finished (sys.exit or os._exit?), after {len(graph.resources)} "
            "registration(s): the recording is incomplete, so there is nothing the gate can judge"
        )
    if references := _resource_references(graph):
        raise ProgramError(
            "resource objects passed where the provider expects a value (the engine's provider "
            "check rejects them; pass one of the resource's outputs, e.g. `.id`):\n"
            + "\n".join(f"    {r}" for r in references)
        )
    return graph


def _resource_references(graph: Graph) -> list[str]:
    """Custom resources' inputs that hold a resource reference: no bridged provider takes one."""
    found: list[str] = []

    def walk(value: Any, path: str, owner: str) -> None:
        if isinstance(value, dict):
            if value.get(SIG_KEY) == RESOURCE_SIG:
                found.append(f"{owner}: input {path} is the resource {value.get('urn', '?')}")
                return
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key, owner)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]", owner)

    for resource in graph.custom:
        walk(resource.inputs, "", f"{resource.type} {resource.name!r}")
    return found


_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
_UNHANDLED = "Program failed with an unhandled exception:\n"


def _program_error(
    session: Session, returncode: int, python: Interpreter, output: str
) -> ProgramError:
    """What went wrong, from the program's own error logs (the SDK's runtime reports a failure
    through the engine's Log), its exit code and the tail of its output."""
    errors = "\n".join(session.errors)
    if "Received message larger than max" in errors or "Sent message larger than max" in errors:
        # gRPC refused the call before the gate read it; the program then failed on the refusal.
        return ProgramError(
            f"refused: a single engine call exceeds {session.caps.max_message_bytes} bytes "
            "(--max-message-bytes); the run was stopped after "
            f"{len(session.graph.resources)} registration(s)"
        )
    if "It looks like the Pulumi SDK has not been installed" in output or (
        not errors and "No module named 'pulumi'" in output
    ):
        return ProgramError(
            f"the program imports module 'pulumi', which is not installed in "
            f"{python.describe()} ({python.python}); install the program's requirements there"
        )
    if missing := _MISSING_MODULE.search(errors):
        return ProgramError(
            f"the program imports module {missing.group(1)!r}, which is not installed in "
            f"{python.describe()} ({python.python}); install the program's requirements there"
            f"\n{errors}"
        )
    if session.misses and _UNHANDLED in errors:
        # A plain lookup answered "unknown" is what made the provider SDK fail.
        return ProgramError(_invoke_message(session.misses[-1], _program_frame(errors)))
    if errors:
        if errors.startswith(_UNHANDLED):
            return ProgramError("the program failed:\n" + errors[len(_UNHANDLED) :])
        return ProgramError(errors)  # a clean user error (pulumi.RunError): the message alone
    if returncode < 0:
        try:
            how = f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    elif returncode > 128 and sandbox.namespaced():
        # unshare reports its child's death by a signal as 128 + the signal.
        try:
            how = f"was killed by signal {signal.Signals(returncode - 128).name}"
        except ValueError:
            how = f"exited with code {returncode}"
    else:
        how = f"exited with code {returncode} (sys.exit?)"
    return ProgramError(
        f"the program's process {how} before the program finished, after "
        f"{len(session.graph.resources)} registration(s): the recording is incomplete, so there "
        "is nothing the gate can judge"
    )


def _program_frame(errors: str) -> str:
    """`file:line` of the program's own last line in the traceback it reported."""
    where = ""
    for match in re.finditer(r'File "([^"]+)", line (\d+)', errors):
        filename = match.group(1)
        if "site-packages" not in filename and not filename.startswith("<"):
            where = f"{os.path.basename(filename)}:{match.group(2)}"
    return where


def _invoke_message(invoke: Any, where: str) -> str:
    token, args = invoke.token, invoke.args
    at = f" (at {where})" if where else ""
    entry = yaml.safe_dump(
        [{"token": token, "args": args, "result": {"<output>": "<value>"}}], sort_keys=False
    )
    return (
        f"plain invoke {token}{at} has no known result offline: the gate has no cloud account to "
        f"look it up in. Give its result in an --invokes FILE (YAML: a list of token, args, "
        f"result), e.g.\n{entry}or call the output form ({_output_form(token)}), whose result is "
        f"unknown in a preview, as in a first `pulumi preview`"
    )


def _output_form(token: str) -> str:
    function = token.rsplit(":", 1)[-1]
    snake = "".join("_" + c.lower() if c.isupper() else c for c in function)
    return f"{snake}_output()"
