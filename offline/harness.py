"""The recording harness: runs ONE Pulumi program under the SDK's mock engine, in the program's own
interpreter, and reports what it registers to the gate over a private pipe.

The gate (offline/runner.py) starts it as `<program's python> harness.py SPEC CHANNEL_FD`; the gate
itself never imports it. It imports only the standard library and the program's own `pulumi`,
because it runs in the program's virtualenv, which need not hold anything of the gate's; and it
keeps to Python 3.8 syntax for the same reason.

Channel frames: 4-byte big-endian length, 1-byte tag, payload. The gate decides from these frames
and the process's exit alone; its verdict logic stays in its own process.
    C  JSON [type, name]: a resource started registering (for naming what a hung program waits on)
    M  empty: the program's module code returned (what is left is settling outputs)
    R  RegisterResourceRequest (protobuf), exactly as the program sent it
    O  RegisterResourceOutputs request of the stack (protobuf)
    I  JSON {token, args, answered}: an invoke and whether a fixture answered it
    L  JSON [severity, message]: pulumi.log warnings and errors
    E  JSON {kind, message, ...}: how the program failed
    D  JSON {registered}: the completion record, sent only after the program finished
"""

from __future__ import annotations

import os
import sys

# Run as a script, Python puts this file's folder first on sys.path: the gate's own modules
# (render, diff, ...) would shadow the program's. The program gets its own folder instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _HERE:
    del sys.path[0]

import asyncio  # noqa: E402
import faulthandler  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import runpy  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from typing import Any  # noqa: E402

HEADER = struct.Struct(">IB")
TAGS = {tag: tag.encode() for tag in "CMROILED"}


class Channel:
    """Unbuffered frames to the gate: a frame written is the gate's even if the process is killed
    a moment later (which is how it names what a hung program was waiting on)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lock = threading.Lock()  # the mock monitor answers on executor threads
        self.sent = dict.fromkeys(TAGS, 0)
        os.set_inheritable(fd, False)  # the program's own subprocesses do not get the channel

    def send(self, tag: str, payload: bytes) -> None:
        data = HEADER.pack(len(payload), TAGS[tag][0]) + payload
        with self.lock:
            self.sent[tag] += 1
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]

    def send_json(self, tag: str, value: Any) -> None:
        self.send(tag, json.dumps(value).encode())


class MissingInvokeResult(Exception):
    """A plain (non-output) invoke whose result the gate cannot know."""

    def __init__(self, token: str, args: dict[str, Any] | None) -> None:
        super().__init__(token)
        self.token = token
        self.call_args = args


def fixture_matches(wanted: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether an --invokes entry's args (all of them, same values) are among the call's."""
    return all(key in args and args[key] == value for key, value in wanted.items())


def run(spec: dict[str, Any], channel: Channel) -> int:
    # The program's own SDK: imported here, so that a virtualenv without it is reported as such.
    import pulumi
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.proto import resource_pb2
    from pulumi.runtime.stack import run_in_stack

    fixtures: list[dict[str, Any]] = spec["invokes"]
    misses: dict[str, dict[str, Any]] = {}

    class GateMocks(pulumi.runtime.Mocks):
        """`pulumi preview` of a new stack: outputs are the inputs, the rest is unknown."""

        def new_resource(self, args: Any) -> Any:
            return "", dict(args.inputs)

        def call(self, args: Any) -> Any:
            return {}, []

    class RecordingMonitor(mocks.MockMonitor):
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # The engine's URNs (offline.recorder.engine_urn, which this must equal: the harness
            # imports nothing of the gate), not the mock's, so parents and dependencies match.
            if parent:
                parent_type = parent.split("::")[2]
                if parent_type != "pulumi:pulumi:Stack":
                    type_ = parent_type + "$" + type_
            return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

        def RegisterResource(self, request: Any) -> Any:
            channel.send("R", request.SerializeToString())
            return super().RegisterResource(request)

        def RegisterResourceOutputs(self, request: Any) -> Any:
            if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
                channel.send("O", request.SerializeToString())
            return super().RegisterResourceOutputs(request)

        def Invoke(self, request: Any) -> Any:
            if request.tok == "pulumi:pulumi:getResource":
                return super().Invoke(request)
            args = json_format.MessageToDict(request.args)
            result = next(
                (
                    f["result"]
                    for f in fixtures
                    if f["token"] == request.tok and fixture_matches(f["args"], args)
                ),
                None,
            )
            channel.send_json(
                "I", {"token": request.tok, "args": args, "answered": result is not None}
            )
            if result is None:
                misses[request.tok] = args
                # As when the engine declines an invoke during preview: the result is unknown.
                return resource_pb2.ResourceInvokeResponse(unknown=True)
            answer = struct_pb2.Struct()
            answer.update(result)
            return resource_pb2.ResourceInvokeResponse(**{"return": answer})

    class Diagnostics(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                channel.send_json("L", [record.levelname.lower(), record.getMessage()])

    logger = logging.getLogger("kurl-lb.offline.harness")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Diagnostics())

    monitor = RecordingMonitor(GateMocks())
    settings.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=mocks.MockEngine(logger),
            project=spec["project"],
            stack=spec["stack"],
            dry_run=True,
            organization="organization",
            callbacks=None,
        )
    )
    config, secret_keys = spec["config"], spec["secret_keys"]
    if hasattr(pulumi.runtime, "set_all_config"):
        pulumi.runtime.set_all_config(config, secret_keys)
    else:  # older SDKs
        for key, value in config.items():
            pulumi.runtime.set_config(key, value)

    # Plain invokes return their value at once: an unknown one would crash deep in the provider
    # SDK (`pulumi.get` on None); say instead which lookup needs a fixture.
    invoke_module = sys.modules["pulumi.runtime.invoke"]
    plain_invoke = invoke_module.invoke

    def invoke(token: str, *args: Any, **kwargs: Any) -> Any:
        result = plain_invoke(token, *args, **kwargs)
        if not getattr(result, "is_known", True):
            raise MissingInvokeResult(token, misses.get(token))
        return result

    invoke_module.invoke = invoke  # type: ignore[attr-defined]
    pulumi.runtime.invoke = invoke  # type: ignore[assignment]

    # Which resources started registering, for naming what a hung program was waiting on.
    resource_module = sys.modules["pulumi.resource"]
    register_resource = getattr(resource_module, "register_resource", None)
    if register_resource is not None:

        def register(res: Any, ty: str, name: str, *args: Any, **kwargs: Any) -> Any:
            channel.send_json("C", [ty, name])
            return register_resource(res, ty, name, *args, **kwargs)

        resource_module.register_resource = register  # type: ignore[attr-defined]

    _settle_outputs_in_linear_time()

    main, directory = spec["main"], spec["cwd"]
    os.chdir(directory)
    sys.path.insert(0, directory)
    sys.argv = [main]
    # As the language host does: asyncio's complaints about futures a failed program left behind
    # are noise.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run_in_stack(lambda: _run_path(main, channel)))
    except SystemExit as exc:
        channel.send_json("E", {"kind": "exit", "code": _exit_code(exc)})
        return 1
    except MissingInvokeResult as exc:
        channel.send_json(
            "E",
            {
                "kind": "invoke",
                "token": exc.token,
                "args": exc.call_args,
                "where": _program_frame(exc, directory),
            },
        )
        return 1
    except pulumi.RunError as exc:
        channel.send_json("E", {"kind": "run-error", "message": str(exc)})
        return 1
    except ModuleNotFoundError as exc:
        channel.send_json(
            "E", {"kind": "module", "module": exc.name, "traceback": traceback.format_exc()}
        )
        return 1
    except BaseException:  # KeyboardInterrupt, GeneratorExit...: every way out is reported
        channel.send_json("E", {"kind": "exception", "traceback": traceback.format_exc()})
        return 1
    channel.send_json("D", {"registered": channel.sent["R"]})
    return 0


def _settle_outputs_in_linear_time() -> None:
    """The SDK's `wait_for_rpcs`, awaiting outstanding outputs in O(n) instead of O(n^2).

    The SDK waits for the first of all pending outputs to complete, then starts over with all
    that remain: every completion re-registers a callback on every pending task, which dominates
    a program with a thousand resources. This waits for the whole batch at once, stopping at the
    first exception, which it re-raises as the SDK does; outputs created meanwhile are picked up
    in the next round, as there. Installed only when the SDK has the internals it relies on.
    """
    stack = sys.modules["pulumi.runtime.stack"]
    settings = sys.modules["pulumi.runtime.settings"]
    shared: Any = getattr(settings, "SETTINGS", None)
    if not (
        hasattr(stack, "wait_for_rpcs")
        and hasattr(stack, "_get_rpc_manager")
        and hasattr(shared, "outputs")
        and hasattr(shared, "lock")
    ):
        return

    async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
        rpc_manager = stack._get_rpc_manager()
        while True:
            while rpc_manager.rpcs:
                await asyncio.sleep(0)
                try:
                    await rpc_manager.rpcs.pop()
                except Exception as exn:
                    if rpc_manager.unhandled_exception is not None:
                        cause = rpc_manager.unhandled_exception.with_traceback(
                            rpc_manager.exception_traceback
                        )
                        raise exn from cause
                    raise
            if rpc_manager.unhandled_exception is not None:
                raise rpc_manager.unhandled_exception.with_traceback(
                    rpc_manager.exception_traceback
                )
            while await_all_outstanding_tasks:
                with shared.lock:
                    pending = list(shared.outputs)
                    shared.outputs.clear()
                if not pending:
                    break
                done, not_done = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                with shared.lock:
                    shared.outputs.update(not_done)  # only after an exception, raised next
                for task in done:
                    await task
            if not rpc_manager.rpcs:
                break

    stack.wait_for_rpcs = wait_for_rpcs  # type: ignore[attr-defined]


def _run_path(main: str, channel: Channel) -> None:
    runpy.run_path(main, run_name="__main__")
    channel.send("M", b"")


def _exit_code(exc: SystemExit) -> Any:
    code = exc.code
    return code if code is None or isinstance(code, int) else str(code)


def _program_frame(exc: BaseException, directory: str) -> str:
    """`file:line` of the program's own line that made the call, for the error message."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(directory) and "site-packages" not in frame.filename:
            where = f"{os.path.relpath(frame.filename, directory)}:{frame.lineno}"
    return where


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def main() -> None:
    spec_path, fd = sys.argv[1], int(sys.argv[2])
    channel = Channel(fd)
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    # On a deadline the gate asks for every thread's stack before it kills the process.
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    # A gate killed outright cannot stop a hung program: the harness notices on its own.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    try:
        status = run(spec, channel)
    except ModuleNotFoundError as exc:  # no pulumi (or protobuf) in the program's interpreter
        channel.send_json("E", {"kind": "module", "module": exc.name, "traceback": ""})
        status = 1
    except BaseException:
        channel.send_json("E", {"kind": "harness", "traceback": traceback.format_exc()})
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: threads the program started must not keep the run alive, and
    # nothing the program registered with atexit may speak after the completion record.
    os._exit(status)


if __name__ == "__main__":
    main()
