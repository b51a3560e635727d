"""The engine side of a preview, served by the gate's own process: the `ResourceMonitor` and
`Engine` gRPC services the Pulumi SDK's standard runtime connects to, on a private unix socket.

Every registration, read, invoke and log the program makes is an RPC answered here, in the
gate's process: the program can neither take one back nor forge one, and the gate's verdict never
depends on anything the program's own process reports about itself. Answers are those of
`pulumi preview` of a new stack without a cloud account: a custom resource's outputs are its
inputs, everything a provider computes is unknown; lookups (invokes) are answered from `--invokes`
fixtures or are unknown. Transforms run as the engine runs them: through the program's callbacks
service, the resource's own first, then its parents', then the stack's.

Limits the program cannot outlast: every RPC counts against `max_rpcs`, each message against
`max_message_bytes` (gRPC refuses a larger one before it is read) and what the gate keeps against
`max_memory_bytes`; the first refusal ends the run (Limits.refused names the cap).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    callback_pb2,
    callback_pb2_grpc,
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    resource_pb2,
    resource_pb2_grpc,
)

from .graph import (
    ROOT_STACK_TYPE,
    Graph,
    RecordedInvoke,
    RecordedResource,
    make_urn,
    plain,
    resource_from_request,
    struct_to_plain,
)
from .invokes import fixture_result
from .limits import Caps

# What the SDK's mock monitor says it supports, and so what the in-process recorder's tests see:
# output values stay off, so inputs arrive resolved (the engine's own preview resolves them too
# before a policy pack sees them).
FEATURES = [
    resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
    resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
    resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
    resource_pb2.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
    resource_pb2.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
    resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
]
FEATURE_IDS = {
    "secrets",
    "resourceReferences",
    "aliasSpecs",
    "deletedWith",
    "transforms",
    "invokeTransforms",
}
# Custom resources whose provider runs the program's own code (a dynamic provider): what it would
# compute cannot be modelled offline.
DYNAMIC_TYPES = ("pulumi-python:dynamic:Resource", "pulumi-nodejs:dynamic:Resource")
LOG_SEVERITIES = {engine_pb2.WARNING: "warning", engine_pb2.ERROR: "error"}

WORKERS = 8  # the SDK's own parallelism is bounded too; more threads only add contention
# Calls in flight at once: the SDK's executor threads (runner.PARALLEL x 4) and then some. gRPC
# refuses more, which bounds what it holds before a handler counts it (this x --max-message-bytes).
MAX_CONCURRENT_RPCS = 64


class Refused(Exception):
    """A cap was reached: the run ends (exit 2, naming the cap)."""


@dataclass
class Unverifiable:
    """A registration the gate cannot see into (a mandatory "cannot verify")."""

    urn: str
    type: str
    name: str
    why: str

    def describe(self) -> str:
        return f"{self.type} {self.name!r} ({self.why})"


@dataclass
class Session:
    """What one program run registered, as the served engine saw it."""

    graph: Graph
    invokes: list[dict[str, Any]]  # --invokes fixtures
    caps: Caps
    unverifiable: list[Unverifiable] = field(default_factory=list)
    misses: list[RecordedInvoke] = field(default_factory=list)  # invokes nobody could answer
    errors: list[str] = field(default_factory=list)  # the program's error logs, in order
    shutdown: bool = False  # the SDK's own completion signal (SignalAndWaitForShutdown)
    refused: str | None = None  # the cap that ended the run
    rpcs: int = 0
    kept_bytes: int = 0
    changed: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.listeners: list[Callable[[RecordedResource], None]] = []
        self.states: dict[str, tuple[str, struct_pb2.Struct]] = {}  # urn -> (id, state)
        self.parents: dict[str, str] = {}
        self.own_transforms: dict[str, list[callback_pb2.Callback]] = {}
        self.stack_transforms: list[callback_pb2.Callback] = []
        self.invoke_transforms: list[callback_pb2.Callback] = []
        self.callbacks: dict[str, Any] = {}  # target -> CallbacksStub
        self.channels: list[grpc.Channel] = []

    def subscribe(self, listener: Callable[[RecordedResource], None]) -> None:
        """Call `listener` with every registration: those so far, then each as it comes."""
        with self.lock:
            self.listeners.append(listener)
            so_far = list(self.graph.resources)
        for resource in so_far:
            listener(resource)

    def count(self, message: Any) -> None:
        """One RPC, and the bytes the gate keeps of it; Refused past a cap."""
        with self.lock:
            if self.refused is not None:
                raise Refused(self.refused)
            self.rpcs += 1
            self.kept_bytes += message.ByteSize()
            if self.rpcs > self.caps.max_rpcs:
                self.refused = (
                    f"the program made more than {self.caps.max_rpcs} engine calls (--max-rpcs)"
                )
            elif self.kept_bytes > self.caps.max_memory_bytes:
                self.refused = (
                    f"what the program registered exceeds {self.caps.max_memory_bytes} bytes "
                    "(--max-memory)"
                )
            if self.refused is not None:
                self.changed.set()
                raise Refused(self.refused)

    def callback(self, target: str) -> Any:
        with self.lock:
            stub = self.callbacks.get(target)
            if stub is None:
                channel = grpc.insecure_channel(
                    target,
                    options=[("grpc.max_receive_message_length", self.caps.max_message_bytes)],
                )
                self.channels.append(channel)
                stub = self.callbacks[target] = callback_pb2_grpc.CallbacksStub(channel)
            return stub

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


def _guard(method: Callable[..., Any]) -> Callable[..., Any]:
    """Count the call; a refusal or a bug answers the program with an error, never a value."""

    def handler(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            self.session.count(request)
            return method(self, request, context)
        except Refused as exc:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        except _TransformFailed as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))

    handler.__name__ = method.__name__
    return handler


class _TransformFailed(Exception):
    pass


_OPTION_FIELDS = {  # RegisterResourceRequest -> TransformResourceOptions, as the engine maps them
    "dependencies": "depends_on",
    "ignoreChanges": "ignore_changes",
    "replaceOnChanges": "replace_on_changes",
    "version": "version",
    "provider": "provider",
    "pluginDownloadURL": "plugin_download_url",
    "deletedWith": "deleted_with",
    "additionalSecretOutputs": "additional_secret_outputs",
}


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, session: Session) -> None:
        self.session = session

    @_guard
    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in FEATURE_IDS)

    @_guard
    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        return resource_pb2.DeploymentInfo(supportedFeatures=FEATURES)

    @_guard
    def RegisterResource(self, request: Any, context: Any) -> Any:
        s = self.session
        stack = request.type == ROOT_STACK_TYPE and not request.parent
        if not stack:
            self._transform(request)
        urn = make_urn(s.graph.project, s.graph.stack, request)
        recorded = resource_from_request(request, urn)
        why = None
        if request.remote:
            why = "a remote component: its children are registered by the provider"
        elif request.custom and request.type in DYNAMIC_TYPES:
            why = "a dynamic provider's resource: the provider runs the program's own code"
        with s.lock:
            if urn in s.states:  # as the engine refuses it: one resource per URN
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"Duplicate resource URN '{urn}'")
            s.graph.resources.append(recorded)
            s.states[urn] = ("", request.object)
            s.parents[urn] = request.parent
            if request.transforms:
                s.own_transforms[urn] = list(request.transforms)
            if why is not None:
                s.unverifiable.append(Unverifiable(urn, request.type, request.name, why))
            listeners = list(s.listeners)
        for listener in listeners:
            listener(recorded)
        if stack:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        # As in a preview of a new stack: outputs are the inputs, the ID unknown.
        return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=request.object)

    def _transform(self, request: Any) -> None:
        s = self.session
        with s.lock:
            chain = list(request.transforms)
            parent = request.parent
            while parent:
                chain += s.own_transforms.get(parent, [])
                parent = s.parents.get(parent, "")
            chain += s.stack_transforms
        if not chain:
            return
        options = resource_pb2.TransformResourceOptions(
            protect=request.protect,
            retain_on_delete=request.retainOnDelete,
            delete_before_replace=request.deleteBeforeReplace,
            providers=dict(request.providers),
            aliases=list(request.aliases),
            **{option: getattr(request, wire) for wire, option in _OPTION_FIELDS.items()},
        )
        if request.HasField("customTimeouts"):
            options.custom_timeouts.CopyFrom(request.customTimeouts)
        properties = request.object
        for callback in chain:
            call = resource_pb2.TransformRequest(
                type=request.type,
                name=request.name,
                custom=request.custom,
                parent=request.parent,
                properties=properties,
                options=options,
            )
            response = resource_pb2.TransformResponse.FromString(
                self._call(callback, call.SerializeToString())
            )
            if response.HasField("properties"):
                properties = response.properties
            if response.HasField("options"):
                options = response.options
        request.object.CopyFrom(properties)
        for wire, option in _OPTION_FIELDS.items():
            value = getattr(options, option)
            if isinstance(value, str):
                setattr(request, wire, value)
            else:
                del getattr(request, wire)[:]
                getattr(request, wire).extend(value)
        request.protect = options.protect
        request.retainOnDelete = options.retain_on_delete
        request.deleteBeforeReplace = options.delete_before_replace

    def _call(self, callback: Any, payload: bytes) -> bytes:
        try:
            response = self.session.callback(callback.target).Invoke(
                callback_pb2.CallbackInvokeRequest(token=callback.token, request=payload),
                timeout=60,
            )
        except grpc.RpcError as exc:
            raise _TransformFailed(f"invoke transform: {exc.details()}") from None
        self.session.count(response)
        result: bytes = response.response
        return result

    @_guard
    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        s = self.session
        if request.urn.split("::")[2] == ROOT_STACK_TYPE:
            with s.lock:
                s.graph.wire_outputs.CopyFrom(request.outputs)
                s.graph.outputs = struct_to_plain(request.outputs)
        return empty_pb2.Empty()

    @_guard
    def ReadResource(self, request: Any, context: Any) -> Any:
        s = self.session
        urn = make_urn(s.graph.project, s.graph.stack, request)
        with s.lock:
            s.states[urn] = (request.id, request.properties)
            s.parents[urn] = request.parent
        # Offline nothing is read: the state is what the program gave, the rest unknown.
        return resource_pb2.ReadResourceResponse(urn=urn, properties=request.properties)

    @_guard
    def Invoke(self, request: Any, context: Any) -> Any:
        s = self.session
        args = request.args
        if s.invoke_transforms:
            args = self._invoke_transforms(request)
        if request.tok == "pulumi:pulumi:getResource":
            urn = args.fields["urn"].string_value
            with s.lock:
                known = s.states.get(urn)
            if known is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"unknown resource {urn}")
                raise AssertionError  # abort raises
            answer = struct_pb2.Struct()
            answer.update({"urn": urn, "id": known[0]})
            answer.fields["state"].struct_value.CopyFrom(known[1])
            return resource_pb2.ResourceInvokeResponse(**{"return": answer})
        call_args = plain(json_format.MessageToDict(args))
        result = fixture_result(s.invokes, request.tok, call_args)
        recorded = RecordedInvoke(request.tok, call_args, result is not None)
        with s.lock:
            s.graph.invokes.append(recorded)
            if result is None:
                s.misses.append(recorded)
        if result is None:
            # As when the engine declines an invoke during preview: the result is unknown.
            return resource_pb2.ResourceInvokeResponse(unknown=True)
        answer = struct_pb2.Struct()
        answer.update(result)
        return resource_pb2.ResourceInvokeResponse(**{"return": answer})

    def _invoke_transforms(self, request: Any) -> struct_pb2.Struct:
        args, options = (
            request.args,
            resource_pb2.TransformInvokeOptions(
                provider=request.provider,
                plugin_download_url=request.pluginDownloadURL,
                version=request.version,
            ),
        )
        for callback in list(self.session.invoke_transforms):
            call = resource_pb2.TransformInvokeRequest(
                token=request.tok, args=args, options=options
            )
            response = resource_pb2.TransformInvokeResponse.FromString(
                self._call(callback, call.SerializeToString())
            )
            if response.HasField("args"):
                args = response.args
            if response.HasField("options"):
                options = response.options
        return args

    @_guard
    def Call(self, request: Any, context: Any) -> Any:
        s = self.session
        with s.lock:
            s.unverifiable.append(
                Unverifiable(
                    "",
                    request.tok,
                    "",
                    "a method call on a remote component: the provider runs it",
                )
            )
        return provider_pb2.CallResponse()

    @_guard
    def RegisterStackTransform(self, request: Any, context: Any) -> Any:
        with self.session.lock:
            self.session.stack_transforms.append(request)
        return empty_pb2.Empty()

    @_guard
    def RegisterStackInvokeTransform(self, request: Any, context: Any) -> Any:
        with self.session.lock:
            self.session.invoke_transforms.append(request)
        return empty_pb2.Empty()

    @_guard
    def RegisterResourceHook(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()  # hooks run on deployments; a preview creates nothing

    @_guard
    def RegisterErrorHook(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    @_guard
    def RegisterPackage(self, request: Any, context: Any) -> Any:
        return resource_pb2.RegisterPackageResponse(ref=f"{request.name}@{request.version}")

    @_guard
    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        with self.session.lock:
            self.session.shutdown = True
        self.session.changed.set()
        return empty_pb2.Empty()


class Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self, session: Session) -> None:
        self.session = session
        self.root = ""

    @_guard
    def Log(self, request: Any, context: Any) -> Any:
        s = self.session
        severity = LOG_SEVERITIES.get(request.severity)
        if severity is not None:
            with s.lock:
                s.graph.diagnostics.append((severity, request.message))
                if severity == "error":
                    s.errors.append(request.message)
        return empty_pb2.Empty()

    @_guard
    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    @_guard
    def SetRootResource(self, request: Any, context: Any) -> Any:
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


def serve(session: Session, socket_path: str) -> grpc.Server:
    """Both services on one unix socket (no TCP: works with loopback down)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="gate-monitor"),
        options=[
            ("grpc.max_receive_message_length", session.caps.max_message_bytes),
            ("grpc.max_send_message_length", session.caps.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
    )
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(Monitor(session), server)
    engine_pb2_grpc.add_EngineServicer_to_server(Engine(session), server)
    server.add_insecure_port(f"unix:{socket_path}")
    server.start()
    return server
