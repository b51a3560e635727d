"""Runs a Pulumi program in its own process, with its own virtualenv's interpreter, and rebuilds
its recording from what the harness (offline/harness.py) sends over a private pipe.

Patching the gate from inside the program changes nothing: the gate's code does not run there.
Nor can the program pass by ending the run early: a run counts only when the harness sent its
completion record, every registration it counted arrived, and the process exited 0. Anything else
(sys.exit, os._exit, a crash, a signal, the deadline) is a ProgramError naming what happened. Its
stdout and stderr go to the gate's stderr, never into `--json` output.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .stackfile import StackFiles

if TYPE_CHECKING:
    from .recorder import Graph

# The Pulumi SDK (protobuf messages, the recorder) is imported only once the program runs: the
# gate's own start-up then overlaps the program's instead of preceding it.

HARNESS = Path(__file__).with_name("harness.py")
DEFAULT_TIMEOUT_SECONDS = 300.0
STACK_DUMP_GRACE_SECONDS = 1.0  # for the harness to print every thread's stack before the kill
HEADER = struct.Struct(
    ">IB"
)  # the harness's frame header (harness.HEADER; the gate never imports it)


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


class _Frames(threading.Thread):
    """Reads the harness's frames until the pipe closes."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.frames: list[tuple[str, bytes]] = []

    def run(self) -> None:
        buffer = bytearray()
        with os.fdopen(self.fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buffer += chunk
                start = 0
                while len(buffer) - start >= HEADER.size:
                    length, tag = HEADER.unpack_from(buffer, start)
                    end = start + HEADER.size + length
                    if len(buffer) < end:
                        break
                    self.frames.append((chr(tag), bytes(buffer[start + HEADER.size : end])))
                    start = end
                del buffer[:start]


class RunningProgram:
    """A program started in its own process; `result()` waits for it (up to the deadline)."""

    def __init__(
        self,
        files: StackFiles,
        project_dir: Path,
        *,
        deadline: float,
        invokes: list[dict[str, Any]] | None = None,
        venv_base: Path | None = None,
    ) -> None:
        self.files, self.deadline = files, deadline
        self.python = interpreter(files, project_dir, venv_base)
        main, cwd = entry_point(files, project_dir)
        spec = {
            "project": files.project,
            "stack": files.stack,
            "config": files.config,
            "secret_keys": files.secret_keys,
            "main": str(main),
            "cwd": str(cwd),
            "invokes": invokes or [],
        }
        self.tmp = tempfile.TemporaryDirectory(prefix="kurl-lb-run-")
        spec_path = Path(self.tmp.name) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        read_fd, write_fd = os.pipe()
        try:
            self.process = subprocess.Popen(
                [self.python.python, "-u", str(HARNESS), str(spec_path), str(write_fd)],
                stdin=subprocess.DEVNULL,
                stdout=_stderr_fd(),  # the program's prints never reach --json output
                cwd=cwd,
                pass_fds=(write_fd,),
                start_new_session=True,  # one process group: the deadline kills its children too
            )
        except OSError as exc:
            os.close(read_fd)
            self.tmp.cleanup()
            raise ProgramError(f"cannot start {self.python.python}: {exc}") from None
        finally:
            os.close(write_fd)
        self.reader = _Frames(read_fd)
        self.reader.start()

    def stop(self) -> None:
        """Kill the program if it still runs (the gate is giving up for another reason)."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.tmp.cleanup()

    def result(self) -> Graph:
        """The recording; ProgramError unless the program completed before the deadline."""
        try:
            self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _stop(self.process)
            self.reader.join(timeout=2)
            raise ProgramError(_timeout_message(list(self.reader.frames))) from None
        finally:
            self.tmp.cleanup()
        # A grandchild the program left behind may hold the pipe open: what counts was sent
        # before the completion record, so do not wait for it long.
        self.reader.join(timeout=2)
        return _graph(self.files, list(self.reader.frames), self.process.returncode, self.python)


def run_program(
    files: StackFiles,
    project_dir: Path,
    *,
    deadline: float,
    invokes: list[dict[str, Any]] | None = None,
    venv_base: Path | None = None,
) -> Graph:
    """Record the program in `project_dir` for the stack in `files`; raise ProgramError unless it
    completed before `deadline` (time.monotonic())."""
    return RunningProgram(
        files, project_dir, deadline=deadline, invokes=invokes, venv_base=venv_base
    ).result()


def _stderr_fd() -> int:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Every thread's stack to stderr (where the program hung), then kill the process group."""
    try:
        os.killpg(process.pid, signal.SIGUSR1)
        process.wait(timeout=STACK_DUMP_GRACE_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _pending(frames: list[tuple[str, bytes]]) -> list[str]:
    """Resources that started registering but never reached the engine."""
    from pulumi.runtime.proto import resource_pb2

    started = [tuple(json.loads(p)) for tag, p in frames if tag == "C"]
    done: set[tuple[str, str]] = set()
    for tag, payload in frames:
        if tag == "R":
            request = resource_pb2.RegisterResourceRequest.FromString(payload)
            done.add((request.type, request.name))
    return [f"{type_} {name!r}" for type_, name in started if (type_, name) not in done]


def _timeout_message(frames: list[tuple[str, bytes]]) -> str:
    pending = "\n".join(f"    {p}" for p in _pending(frames))
    registered = sum(tag == "R" for tag, _ in frames)
    head = (
        "the program did not finish before the deadline (--timeout); it was stopped after "
        f"registering {registered} resource(s)"
    )
    if not any(tag == "M" for tag, _ in frames):
        return f"{head}: its own code had not returned (the stacks above show where it was)" + (
            f"; not yet registered:\n{pending}" if pending else ""
        )
    if pending:
        return (
            f"{head}; still waiting for their inputs (an Output that never resolves, or a "
            f"resource object where a value is expected):\n{pending}"
        )
    return (
        f"{head}; every resource registered, but outputs were still settling (an apply that "
        "never finishes)"
    )


def _graph(
    files: StackFiles, frames: list[tuple[str, bytes]], returncode: int, python: Interpreter
) -> Graph:
    from pulumi.runtime.proto import resource_pb2

    from .recorder import (
        Graph,
        RecordedInvoke,
        make_urn,
        plain,
        resource_from_request,
        struct_to_plain,
    )

    graph = Graph(project=files.project, stack=files.stack)
    error: dict[str, Any] | None = None
    done: dict[str, Any] | None = None
    for tag, payload in frames:
        if tag == "R":
            request = resource_pb2.RegisterResourceRequest.FromString(payload)
            urn = make_urn(files.project, files.stack, request)
            graph.resources.append(resource_from_request(request, urn))
        elif tag == "O":
            outputs = resource_pb2.RegisterResourceOutputsRequest.FromString(payload)
            graph.wire_outputs.CopyFrom(outputs.outputs)
            graph.outputs = struct_to_plain(outputs.outputs)
        elif tag == "I":
            invoke = json.loads(payload)
            graph.invokes.append(
                RecordedInvoke(invoke["token"], plain(invoke["args"]), bool(invoke["answered"]))
            )
        elif tag == "L":
            severity, message = json.loads(payload)
            graph.diagnostics.append((severity, message))
        elif tag == "E":
            error = json.loads(payload)
        elif tag == "D":
            done = json.loads(payload)
    if error is not None:
        raise _program_error(error, python)
    if done is None:
        raise ProgramError(_early_end(returncode, len(graph.resources)))
    if references := _resource_references(graph):
        raise ProgramError(
            "resource objects passed where the provider expects a value (the engine's provider "
            "check rejects them; pass one of the resource's outputs, e.g. `.id`):\n"
            + "\n".join(f"    {r}" for r in references)
        )
    if done["registered"] != len(graph.resources) or returncode != 0:
        raise ProgramError(
            f"the recording is incomplete: the harness counted {done['registered']} "
            f"registrations, the gate received {len(graph.resources)} (process exit code "
            f"{returncode})"
        )
    return graph


def _resource_references(graph: Graph) -> list[str]:
    """Custom resources' inputs that hold a resource reference: no bridged provider takes one."""
    from pulumi.runtime import rpc

    sig_key, resource_sig = rpc._special_sig_key, rpc._special_resource_sig
    found: list[str] = []

    def walk(value: Any, path: str, owner: str) -> None:
        if isinstance(value, dict):
            if value.get(sig_key) == resource_sig:
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


def _early_end(returncode: int, registered: int) -> str:
    if returncode < 0:
        try:
            how = f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    elif returncode == 0:
        how = "exited with code 0 (os._exit?)"
    else:
        how = f"exited with code {returncode}"
    return (
        f"the program's process {how} before the program finished, after {registered} "
        "registration(s): the recording is incomplete, so there is nothing the gate can judge"
    )


def _program_error(error: dict[str, Any], python: Interpreter) -> ProgramError:
    kind = error["kind"]
    if kind == "run-error":
        return ProgramError(error["message"])  # a clean user error: the message alone
    if kind == "exit":
        return ProgramError(
            f"the program called sys.exit({error['code']!r}) before it finished: what it would "
            "have registered after that is unknown, so the gate cannot judge it"
        )
    if kind == "module":
        return ProgramError(
            f"the program imports module {error['module']!r}, which is not installed in "
            f"{python.describe()} ({python.python}); install the program's requirements there"
            + (f"\n{error['traceback']}" if error.get("traceback") else "")
        )
    if kind == "invoke":
        return ProgramError(_invoke_message(error))
    if kind == "harness":
        return ProgramError(
            f"the recording harness failed in {python.python}:\n{error['traceback']}"
        )
    return ProgramError(f"the program failed:\n{error['traceback']}")


def _invoke_message(error: dict[str, Any]) -> str:
    token, args, where = error["token"], error["args"], error["where"]
    at = f" (at {where})" if where else ""
    if args is None:
        return (
            f"plain invoke {token}{at} was called with values known only after deployment: its "
            f"result cannot be known in a preview; use the output form ({_output_form(token)})"
        )
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


class InvokesFileError(Exception):
    """The --invokes file is missing or malformed (exit code 2)."""


def read_invokes(path: Path) -> list[dict[str, Any]]:
    """Invoke fixtures: a YAML list of {token, args (optional), result}; the first entry whose
    token matches and whose args are all among the call's (same values) answers the call."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InvokesFileError(f"--invokes {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvokesFileError(f"--invokes {path} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise InvokesFileError(f"--invokes {path} must be a YAML list of token, args, result")
    fixtures = []
    for i, entry in enumerate(data):
        where = f"--invokes {path}: entry {i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            raise InvokesFileError(f"{where} needs a token (e.g. aws:ec2/getVpc:getVpc)")
        args, result = entry.get("args") or {}, entry.get("result")
        if not isinstance(args, dict) or not isinstance(result, dict):
            raise InvokesFileError(f"{where} ({entry['token']}): args and result must be mappings")
        if unknown := set(entry) - {"token", "args", "result"}:
            raise InvokesFileError(f"{where}: unknown keys {sorted(unknown)}")
        fixtures.append({"token": entry["token"], "args": args, "result": result})
    return fixtures
