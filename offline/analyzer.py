"""Drives a Python policy pack over its real gRPC Analyzer interface, as the Pulumi engine does
during `pulumi preview --policy-pack DIR`:

1. start `python -m pulumi.policy <engine-address> <pack dir>` and read the port it prints;
2. GetAnalyzerInfo, then Configure each policy with its enforcement level and schema defaults;
3. Analyze every custom resource (type, URN, name, inputs, options);
4. AnalyzeStack with every resource, its parent, dependencies and property dependencies.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .graph import Graph, RecordedResource
from .policyconfig import ENFORCEMENT_LEVELS, PolicyConfig, schema_errors

START_TIMEOUT_SECONDS = 60.0
CALL_TIMEOUT_SECONDS = 120.0
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
SKIPPED_PREFIX = "can't run policy"
# The kurl-lb pack's marker of a mandatory check it cannot verify at preview (an unknown value):
# kept equal to kurl_policies.verdict.UNVERIFIED (tests check it).
UNVERIFIED_MARKER = "cannot verify at preview"


STDERR_TAIL_BYTES = 64 * 1024
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
assert set(LEVEL_VALUES) == set(ENFORCEMENT_LEVELS)


class PolicyPackError(Exception):
    """The pack did not start or broke the protocol (exit code 2)."""


class _Drain(threading.Thread):
    """Reads the pack's stderr as it comes, so a chatty pack never blocks on a full pipe; keeps
    the tail for error messages."""

    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.chunks: deque[bytes] = deque()
        self.size = 0

    def run(self) -> None:
        while chunk := self.stream.read1(1 << 16):
            self.chunks.append(chunk)
            self.size += len(chunk)
            while self.size - len(self.chunks[0]) >= STDERR_TAIL_BYTES:
                self.size -= len(self.chunks.popleft())

    def tail(self) -> str:
        self.join(timeout=5)
        return b"".join(self.chunks)[-STDERR_TAIL_BYTES:].decode(errors="replace").strip()


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str  # advisory or mandatory
    urn: str
    message: str

    @property
    def skipped(self) -> bool:
        """The SDK could not run the policy (it read an unknown value during preview)."""
        return self.message.startswith(SKIPPED_PREFIX)

    @property
    def unverified(self) -> bool:
        """A mandatory check the pack could not verify at preview (it names what was unknown)."""
        return self.level == "mandatory" and any(
            line.startswith(UNVERIFIED_MARKER) for line in self.message.splitlines()
        )

    def to_json(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "level": self.level,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass
class PolicyResult:
    pack: str
    version: str
    policies: dict[str, str]  # name -> enforcement level
    diagnostics: list[Diagnostic]

    @property
    def mandatory(self) -> list[Diagnostic]:
        """Mandatory violations: checks that ran on known values and failed."""
        return [d for d in self.diagnostics if d.level == "mandatory" and not d.unverified]

    @property
    def unverified(self) -> list[Diagnostic]:
        """Mandatory checks not verified at preview: the pack's "cannot verify at preview"
        results, and mandatory policies the SDK skipped ("can't run policy ... during preview",
        which it reports as advisory)."""
        return [
            d
            for d in self.diagnostics
            if d.unverified or (d.skipped and self.policies.get(d.policy) == "mandatory")
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "version": self.version,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def _read_port(process: subprocess.Popen[bytes], timeout: float, stderr: _Drain) -> int:
    """The first stdout line of the pack (its port), or a clear error; never hangs."""
    assert process.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    timed_out = reader.is_alive()
    text = line[0].decode().strip() if line else ""
    if text.isdigit():
        return int(text)
    process.kill()
    process.wait(timeout=10)
    detail = stderr.tail() or text or "no output"
    if timed_out:
        raise PolicyPackError(f"policy pack did not start within {timeout:.0f} s: {detail}")
    raise PolicyPackError(f"policy pack failed to start: {detail}")


# The pack's process: not dumpable (a same-user program cannot open its /proc entries or ptrace
# it), serving on a private unix socket instead of the TCP port pulumi-policy binds (so the gate
# works with loopback down; the port it prints is then only the sign that it has loaded), then
# the SDK's own `python -m pulumi.policy <engine> <pack dir>`. This runs the trusted pack, never
# the judged program.
PACK_MAIN = """
import ctypes
import os
import runpy
import sys

import grpc

try:
    libc = ctypes.CDLL(None)
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    # PR_SET_PDEATHSIG SIGKILL: the pack dies with the gate that started it, a killed one too.
    libc.prctl(1, 9, 0, 0, 0)
except Exception:
    pass
if str(os.getppid()) != os.environ.get("KURL_LB_GATE_PID"):
    sys.exit("the offline gate that started this pack is gone")
_server = grpc.server


def server(*args, **kwargs):
    served = _server(*args, **kwargs)
    add = served.add_insecure_port

    def add_insecure_port(address):
        if address.startswith("127.0.0.1:"):
            add("unix:" + os.environ["KURL_LB_PACK_SOCKET"])
            return 1
        return add(address)

    served.add_insecure_port = add_insecure_port
    return served


grpc.server = server

# Configure is the gate's, once: no other client of the socket may change the levels later.
from pulumi.runtime.proto import analyzer_pb2_grpc

_add_servicer = analyzer_pb2_grpc.add_AnalyzerServicer_to_server


def add_servicer(servicer, served):
    configure, done = servicer.Configure, []

    def configure_once(request, context):
        if done:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "the pack is configured once")
        done.append(True)
        return configure(request, context)

    servicer.Configure = configure_once
    return _add_servicer(servicer, served)


analyzer_pb2_grpc.add_AnalyzerServicer_to_server = add_servicer
sys.argv = ["pulumi.policy", *sys.argv[1:]]
runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
"""


def _private_copy(pack_dir: Path) -> Path:
    """The pack copied into a private (0700) folder, read-only, without byte-code caches: what
    the pack process loads is what was there when the gate started, whatever the judged program
    later does to the checkout."""
    root = Path(tempfile.mkdtemp(prefix="kurl-lb-pack-"))
    copy = root / pack_dir.name
    shutil.copytree(
        pack_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "venv")
    )
    for path in sorted(copy.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    copy.chmod(0o555)
    return copy


def _remove_copy(copy: Path) -> None:
    for path in [copy, *copy.rglob("*")]:
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.chmod(0o755)
    shutil.rmtree(copy.parent, ignore_errors=True)


class PackProcess:
    """A policy pack started as the engine starts it, from a private read-only copy; `connect`
    waits until it has loaded its policies (so the judged program can start after it)."""

    def __init__(self, pack_dir: Path) -> None:
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{pack_dir} is not a policy pack (no PulumiPolicy.yaml)")
        self.pack_dir = pack_dir
        self.version = _manifest_version(pack_dir)
        self.copy = _private_copy(pack_dir)
        self.socket = self.copy.parent / "analyzer.sock"
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "KURL_LB_PACK_SOCKET": str(self.socket),
            "KURL_LB_GATE_PID": str(os.getpid()),
        }
        try:
            self.process = subprocess.Popen(
                # The engine address is only used for logging, which the offline gate does not
                # serve.
                [sys.executable, "-c", PACK_MAIN, "127.0.0.1:0", str(self.copy)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=self.copy,
            )
        except OSError as exc:
            _remove_copy(self.copy)
            raise PolicyPackError(f"cannot start the policy pack: {exc}") from None
        assert self.process.stderr is not None
        self.stderr = _Drain(self.process.stderr)
        self.stderr.start()
        self.channel: grpc.Channel | None = None

    def connect(self, timeout: float = START_TIMEOUT_SECONDS) -> Any:
        """The pack's Analyzer stub, once the pack serves it."""
        _read_port(self.process, timeout, self.stderr)
        assert self.process.stdout is not None
        _Drain(self.process.stdout).start()  # a policy's prints must not fill the pipe either
        self.channel = grpc.insecure_channel(f"unix:{self.socket}")
        grpc.channel_ready_future(self.channel).result(timeout=timeout)
        return analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def gate(self, timeout: float, config: PolicyConfig | None) -> PolicyGate:
        stub = self.connect(timeout)
        try:
            return PolicyGate(stub, self.version, config)
        except grpc.RpcError as exc:
            raise PolicyPackError(f"policy pack call failed: {exc}") from None

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.stderr.join(timeout=5)
        _remove_copy(self.copy)


def _manifest_version(pack_dir: Path) -> str | None:
    manifest = pack_dir / "PulumiPolicy.yaml"
    data = yaml.safe_load(manifest.read_text()) or {}
    return str(data["version"]) if "version" in data else None


@contextmanager
def running_pack(pack_dir: Path, *, timeout: float = START_TIMEOUT_SECONDS) -> Iterator[Any]:
    """The pack's Analyzer stub, served by `python -m pulumi.policy` as the engine starts it."""
    pack = PackProcess(pack_dir)
    try:
        yield pack.connect(timeout)
    finally:
        pack.close()


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _options(resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


class PolicyGate:
    """A running pack that analyzes graphs, each as one `pulumi preview` would."""

    def __init__(self, stub: Any, version: str | None, config: PolicyConfig | None = None) -> None:
        self.stub = stub
        self.streamed: list[tuple[RecordedResource, Any]] | None = None
        self.streamed_lock = threading.Lock()
        self.info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=CALL_TIMEOUT_SECONDS)
        # The CLI takes the version from PulumiPolicy.yaml (the Python SDK always says 0.0.1).
        self.version = version or self.info.version
        self.levels = {
            p.name: LEVELS.get(p.enforcementLevel, "advisory") for p in self.info.policies
        }
        self._configure(config or {})  # once per pack, as the engine does before analyzing

    def _configure(self, config: PolicyConfig) -> None:
        """Schema defaults, then `all`, then each policy's own settings, validated against the
        policy's config schema: the CLI's reconciliation of `--policy-pack-config`."""
        if unknown := set(config) - set(self.levels) - {"all"}:
            # The CLI passes these on silently; a gate says so, since a misspelt name would
            # leave a policy at its default level.
            raise PolicyPackError(
                f"--policy-pack-config names policies the pack {self.info.name} does not have: "
                f"{', '.join(sorted(unknown))}"
            )
        all_level = config.get("all", (None, {}))[0]
        request: dict[str, analyzer_pb2.PolicyConfig] = {}
        errors: list[str] = []
        for policy in self.info.policies:
            properties_schema = json_format.MessageToDict(policy.configSchema.properties)
            schema = {
                "type": "object",
                "properties": properties_schema,
                "required": list(policy.configSchema.required),
            }
            level, properties = config.get(policy.name, (None, {}))
            level = level or all_level or self.levels[policy.name]
            values = {
                k: spec["default"] for k, spec in properties_schema.items() if "default" in spec
            }
            values.update(properties)
            errors += [f"{policy.name}: {e}" for e in schema_errors(values, schema)]
            self.levels[policy.name] = level
            request[policy.name] = analyzer_pb2.PolicyConfig(
                enforcementLevel=LEVEL_VALUES[level], properties=_struct(values)
            )
        if errors:
            raise PolicyPackError("invalid --policy-pack-config: " + "; ".join(errors))
        self.stub.Configure(
            analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=request),
            timeout=CALL_TIMEOUT_SECONDS,
        )

    def stream(self) -> Callable[[RecordedResource], None]:
        """Analyze custom resources as the program registers them (several calls in flight),
        overlapping the pack's work with the program's run; `analyze` then only waits for them
        and adds AnalyzeStack. Returns what to call with each registration."""
        self.streamed = []
        streamed = self.streamed

        def submit(resource: RecordedResource) -> None:
            if resource.custom:
                future = self.stub.Analyze.future(
                    _analyze_request(resource), timeout=CALL_TIMEOUT_SECONDS
                )
                with self.streamed_lock:
                    streamed.append((resource, future))

        return submit

    def analyze(self, graph: Graph) -> PolicyResult:
        try:
            diagnostics: list[Diagnostic] = []
            if self.streamed is not None:
                with self.streamed_lock:
                    calls = list(self.streamed)
                for resource, future in calls:
                    diagnostics += _diagnostics(future.result(), default_urn=resource.urn)
            else:
                for resource in graph.custom:
                    response = self.stub.Analyze(
                        _analyze_request(resource), timeout=CALL_TIMEOUT_SECONDS
                    )
                    diagnostics += _diagnostics(response, default_urn=resource.urn)
            stack = self.stub.AnalyzeStack(
                analyzer_pb2.AnalyzeStackRequest(
                    resources=[_stack_resource(r) for r in graph.resources]
                ),
                timeout=CALL_TIMEOUT_SECONDS,
            )
            diagnostics += _diagnostics(stack, default_urn="")
        except grpc.RpcError as exc:
            raise PolicyPackError(f"policy pack call failed: {exc}") from None
        return PolicyResult(
            pack=self.info.name,
            version=self.version,
            policies=dict(self.levels),
            diagnostics=diagnostics,
        )


@contextmanager
def policy_gate(
    pack_dir: Path, *, timeout: float = START_TIMEOUT_SECONDS, config: PolicyConfig | None = None
) -> Iterator[PolicyGate]:
    pack = PackProcess(pack_dir)
    try:
        yield pack.gate(timeout, config)
    finally:
        pack.close()


def analyze(
    graph: Graph,
    pack_dir: Path,
    *,
    timeout: float = START_TIMEOUT_SECONDS,
    config: PolicyConfig | None = None,
) -> PolicyResult:
    """Start the pack, run it over one recorded graph, stop it."""
    with policy_gate(pack_dir, timeout=timeout, config=config) as gate:
        return gate.analyze(graph)


def _analyze_request(resource: RecordedResource) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=resource.wire_inputs,
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
    )


def _stack_resource(r: RecordedResource) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(
        type=r.type,
        properties=r.wire_inputs,
        urn=r.urn,
        name=r.name,
        options=_options(r),
        parent=r.parent,
        dependencies=r.dependencies,
        propertyDependencies={
            k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
            for k, v in r.property_dependencies.items()
        },
    )


def _diagnostics(response: Any, default_urn: str) -> list[Diagnostic]:
    return [
        Diagnostic(
            policy=d.policyName,
            level=LEVELS.get(d.enforcementLevel, "advisory"),
            urn=d.urn or default_urn,
            message=d.message,
        )
        for d in response.diagnostics
    ]
