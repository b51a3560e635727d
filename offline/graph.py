"""The recorded graph: what the engine would hand a policy pack, from the registration requests a
program sent. Shared by the gate (offline/engine.py) and the tests' in-process recorder
(offline/recorder.py); it needs protobuf alone, no Pulumi SDK internals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2

from .wire import SECRET_SIG as _SECRET_VALUE
from .wire import SIG_KEY as _SECRET_SIG
from .wire import UNKNOWN as UNKNOWN  # the engine's marker for a value known only after deployment

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]  # plain JSON; unknowns are UNKNOWN, secrets {"secret": value}
    wire_inputs: struct_pb2.Struct  # exactly what was sent to the engine
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    provider: str

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
        }


@dataclass
class RecordedInvoke:
    token: str
    args: dict[str, Any]
    answered: bool = False  # by a fixture (`--invokes`); otherwise unknown, as in a first preview


@dataclass
class Graph:
    project: str
    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    wire_outputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    invokes: list[RecordedInvoke] = field(default_factory=list)
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (severity, message)

    def by_name(self, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    @property
    def custom(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.custom]


def plain(value: Any) -> Any:
    """Wire JSON -> plain JSON: secrets unwrapped into {"secret": ...}, unknowns kept as UNKNOWN."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) == _SECRET_VALUE:
            return {"secret": plain(value.get("value"))}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    result: dict[str, Any] = plain(json_format.MessageToDict(struct))
    return result


def engine_urn(project: str, stack: str, parent: str, type_: str, name: str) -> str:
    """The URN the engine gives a registration (pkg resource.NewURN): the parent's whole
    qualified type prefixes the child's, except for the root stack's direct children. The SDK's
    mock monitor differs (it keeps the stack type and only the parent's last segment), so the
    gate's engine and the recorder both build URNs here; `make e2e` compares them with the
    engine's."""
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != ROOT_STACK_TYPE:
            type_ = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def make_urn(project: str, stack: str, request: Any) -> str:
    """The URN the engine gives a registration request."""
    return engine_urn(project, stack, request.parent, request.type, request.name)


def resource_from_request(request: Any, urn: str) -> RecordedResource:
    """What the engine would hand a policy pack, from a RegisterResourceRequest."""
    inputs = struct_pb2.Struct()
    inputs.CopyFrom(request.object)
    return RecordedResource(
        urn=urn,
        type=request.type,
        name=request.name,
        parent=request.parent,
        custom=bool(request.custom),
        inputs=struct_to_plain(inputs),
        wire_inputs=inputs,
        dependencies=list(request.dependencies),
        property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
        protect=bool(request.protect),
        provider=request.provider,
    )
