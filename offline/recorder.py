"""Runs a Pulumi Python program under the SDK's mock engine and records what it registers.

The recording keeps what the engine would hand a policy pack: each resource's type, name, URN,
parent, inputs (as the wire Struct, unknowns included), dependencies and property dependencies,
and the stack outputs. Nothing here talks to a cloud.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack

# The graph's types live in offline/graph.py (the gate uses them without the SDK's mock engine);
# tests import them from here too.
from .graph import (
    ROOT_STACK_TYPE,
    UNKNOWN,
    Graph,
    RecordedInvoke,
    RecordedResource,
    engine_urn,
    make_urn,
    plain,
    resource_from_request,
    struct_to_plain,
)
from .invokes import fixture_result

__all__ = [
    "ROOT_STACK_TYPE",
    "UNKNOWN",
    "Graph",
    "PreviewMocks",
    "RecordedInvoke",
    "RecordedResource",
    "engine_urn",
    "main_program",
    "make_urn",
    "plain",
    "program_directory",
    "record",
    "resource_from_request",
    "struct_to_plain",
]


class PreviewMocks(pulumi.runtime.Mocks):
    """Answers like the engine does during `pulumi preview` of a new stack.

    Outputs equal the inputs; everything a provider computes (IDs, ARNs, DNS names, looked-up
    values) is unknown. With `preview=False` (an update, as tests use), `outputs` (type token ->
    callable) fills computed outputs; `invokes` (token -> callable) answers data-source lookups.
    `fixtures` (an `--invokes` file's entries, offline.invokes) answer lookups as the gate's
    engine answers them instead: the first matching entry, else unknown.
    """

    def __init__(
        self,
        outputs: Mapping[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]]
        | None = None,
        invokes: Mapping[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]]
        | None = None,
        preview: bool = True,
        fixtures: list[dict[str, Any]] | None = None,
    ) -> None:
        self.outputs = outputs if outputs is not None else {}
        self.invokes = invokes if invokes is not None else {}
        self.preview = preview
        self.fixtures = fixtures

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        state = dict(args.inputs)
        if self.preview:
            return "", state
        make = self.outputs.get(args.typ)
        computed = dict(make(args)) if make is not None else {}
        resource_id = computed.pop("id", f"{args.name}-id")  # a template may set the ID too
        state.update(computed)
        return resource_id, state

    def answers(self, token: str) -> bool:
        return token in self.invokes

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        return self.invokes[args.token](args), []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping the full registration requests."""

    def __init__(self, mocks: pulumi.runtime.Mocks, graph: Graph) -> None:
        super().__init__(mocks)
        self.graph = graph
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()

    def _keep_thread_loop(self) -> None:
        # The SDK's mock monitor gives each executor thread its own event loop and never closes
        # it; `record` closes them, so none is finalized noisily at interpreter exit.
        with contextlib.suppress(RuntimeError):
            self.thread_loops.add(asyncio.get_event_loop())

    def close_thread_loops(self) -> None:
        for loop in self.thread_loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()
        self.thread_loops.clear()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(pulumi.get_project(), pulumi.get_stack(), parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        urn = make_urn(self.graph.project, self.graph.stack, request)
        self.graph.resources.append(resource_from_request(request, urn))
        try:
            return super().RegisterResource(request)
        finally:
            self._keep_thread_loop()

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == ROOT_STACK_TYPE:
            self.graph.wire_outputs.CopyFrom(request.outputs)
            self.graph.outputs = struct_to_plain(request.outputs)
        return super().RegisterResourceOutputs(request)

    def Invoke(self, request: Any) -> Any:
        fixtures = getattr(self.mocks, "fixtures", None)
        if fixtures is not None:
            args = struct_to_plain(request.args)
            result = fixture_result(fixtures, request.tok, args)
            self.graph.invokes.append(RecordedInvoke(request.tok, args, result is not None))
            if result is None:
                return resource_pb2.ResourceInvokeResponse(unknown=True)
            found = struct_pb2.Struct()
            found.update(result)
            return resource_pb2.ResourceInvokeResponse(**{"return": found})
        self.graph.invokes.append(RecordedInvoke(request.tok, struct_to_plain(request.args)))
        answers = getattr(self.mocks, "answers", None)
        if answers is not None and not answers(request.tok):
            # Offline there is no account to look things up in: the result is wholly unknown,
            # as when the engine declines an invoke during preview.
            return resource_pb2.ResourceInvokeResponse(unknown=True)
        try:
            return super().Invoke(request)
        finally:
            self._keep_thread_loop()


class _DiagnosticsHandler(logging.Handler):
    def __init__(self, graph: Graph) -> None:
        super().__init__(logging.DEBUG)
        self.graph = graph

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.graph.diagnostics.append((record.levelname.lower(), record.getMessage()))


def record(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    mocks: PreviewMocks | None = None,
    graph: Graph | None = None,
) -> Graph:
    """Run `program` as the root of a stack under the mock engine; return what it registered.

    Process-global Pulumi state is reset on every call, so calls do not leak into each other.
    Exceptions raised by the program propagate (pulumi.RunError for a clean user error); pass
    `graph` to see what was registered before the failure.
    """
    mocks = mocks or PreviewMocks()
    graph = graph if graph is not None else Graph(project=project, stack=stack)
    monitor = RecordingMonitor(mocks, graph)
    logger = logging.getLogger(f"kurl-lb.offline.{id(graph)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_DiagnosticsHandler(graph))

    settings.ROOT.set(None)
    settings.configure(
        pulumi_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=pulumi_mocks.MockEngine(logger),
            project=project,
            stack=stack,
            dry_run=mocks.preview,
            organization="organization",
            callbacks=None,
        )
    )
    set_all_config(dict(config), list(secret_keys or []))
    # Outputs a failed earlier run left behind belong to its closed loop: never wait on them.
    settings.SETTINGS.outputs = set()
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(run_in_stack(program))
    finally:
        # A program that failed leaves registrations and applies pending: end them here, in
        # their own loop, or they run (and fail) inside whatever uses the next loop.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        monitor.close_thread_loops()
        asyncio.set_event_loop(None)
        settings.ROOT.set(None)
    return graph


@contextmanager
def program_directory(directory: Path) -> Iterator[None]:
    """cwd and import path of a Pulumi program, as the Python language host sets them.

    The program imports its own modules: modules of the same name imported earlier (from another
    program directory, e.g. an older revision of this one) are set aside and restored after.
    """
    old_cwd, old_path = os.getcwd(), list(sys.path)
    own = {p.stem for p in directory.glob("*.py")} | {
        p.parent.name for p in directory.glob("*/__init__.py")
    }
    shadowed = {
        name: module
        for name, module in sys.modules.items()
        if name.split(".")[0] in own
        and name != "__main__"
        and not (getattr(module, "__file__", None) or "").startswith(str(directory))
    }
    for name in shadowed:
        del sys.modules[name]
    before = set(sys.modules)
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(directory)) and "site-packages" not in module_file:
                del sys.modules[name]
        sys.modules.update(shadowed)


def main_program(directory: Path) -> Callable[[], None]:
    """The program in `directory` (its __main__.py), for `record` inside `program_directory`.

    The program's modules must stay imported until `record` returns: the SDK resolves resource
    classes' annotations through their modules while outputs settle.
    """

    def run() -> None:
        runpy.run_path(str(directory / "__main__.py"), run_name="__main__")

    return run
