"""The `kurl` package as the engine sees it: the provider started the way the engine starts it,
asked over gRPC for its plugin info and its schema, and that schema checked against the Args
TypedDicts (components/args/) and the components' outputs it is inferred from.

The expected input names, required inputs and shapes come from the TypedDicts' annotations, so
that a new Args field the schema does not describe fails here by name. provider/schema.json is
the committed snapshot of the same schema (`make schema`).
"""

from __future__ import annotations

import collections.abc
import inspect
import json
import os
import subprocess
import threading
import types
import typing
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    errors_pb2,
    provider_pb2,
    provider_pb2_grpc,
    status_pb2,
)

from components import args as kurl_args
from components.aws import AwsKurlNlb
from components.azure import AzureKurlLb
from components.declare import specs
from components.gcp import GcpKurlLb
from provider.schema_snapshot import SNAPSHOT, render
from tests.conftest import PROJECT_ROOT

PROVIDER_DIR = PROJECT_ROOT / "provider"
PACKAGE = "kurl"
COMPONENTS: dict[str, type[pulumi.ComponentResource]] = {
    f"kurl:index:{cls.__name__}": cls for cls in (AwsKurlNlb, AzureKurlLb, GcpKurlLb)
}


def _records(cls: type, found: dict[str, type]) -> dict[str, type]:
    """Every record type an Args type holds, however deep (primaries, health check, the
    address move and what it holds)."""
    for spec in specs(cls).values():
        if spec.record is not None and spec.record.__name__ not in found:
            found[spec.record.__name__] = spec.record
            _records(spec.record, found)
    return found


RECORDS = tuple(
    dict.fromkeys(r for d in kurl_args.DECLARATIONS.values() for r in _records(d.args, {}).values())
)
# Every wait is bounded: a provider that does not start or answer fails the test, never hangs it.
START_TIMEOUT = 60.0
RPC_TIMEOUT = 10.0
SOURCE_INDENTATION = "\n    "


# --- the provider process and a minimal engine ----------------------------------------------------


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine services a provider may call back: it records what the provider logs."""

    def __init__(self) -> None:
        self.logs: list[engine_pb2.LogRequest] = []
        self.root_urn = ""

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        self.logs.append(request)
        return empty_pb2.Empty()

    def GetRootResource(
        self, request: engine_pb2.GetRootResourceRequest, context: Any
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self.root_urn)

    def SetRootResource(
        self, request: engine_pb2.SetRootResourceRequest, context: Any
    ) -> engine_pb2.SetRootResourceResponse:
        self.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()


@dataclass
class Package:
    provider: provider_pb2_grpc.ResourceProviderStub
    engine: _Engine
    process: subprocess.Popen[bytes]
    stderr: Path
    stdout_after_port: list[bytes] = field(default_factory=list)


def _plugin_python() -> Path:
    """The interpreter the language host runs the plugin with: its PulumiPlugin.yaml virtualenv."""
    plugin = yaml.safe_load((PROVIDER_DIR / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    python = PROVIDER_DIR / plugin["runtime"]["options"]["virtualenv"] / "bin" / "python"
    assert python.exists(), f"{python} is missing: create the project's virtualenv (make venv)"
    return python


def _read_line(stream: typing.IO[bytes], timeout: float) -> bytes | None:
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else None


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    """The provider plugin, started once for this module as the language host's RunPlugin starts
    it (`python -u <plugin dir> <engine address>`, from a directory of its own), with a live
    engine to call back; killed afterwards, whatever the tests did."""
    engine = _Engine()
    engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, engine_server)
    engine_port = engine_server.add_insecure_port("127.0.0.1:0")
    engine_server.start()

    workdir = tmp_path_factory.mktemp("provider")
    stderr_path = workdir / "stderr.log"
    # The plugin finds the components itself (provider/__main__.py), not through PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    process: subprocess.Popen[bytes] | None = None
    channel: grpc.Channel | None = None
    drain: threading.Thread | None = None
    try:
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [str(_plugin_python()), "-u", str(PROVIDER_DIR), f"127.0.0.1:{engine_port}"],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        stdout = process.stdout
        assert stdout is not None
        line = _read_line(stdout, START_TIMEOUT)
        if line is None or not line.strip().isdigit():
            said = "nothing" if line is None else repr(line)
            pytest.fail(
                f"the provider printed {said} instead of its port within {START_TIMEOUT}s "
                f"(exit code {process.poll()}); its stderr:\n"
                + stderr_path.read_text(errors="replace")
            )
        channel = grpc.insecure_channel(f"127.0.0.1:{int(line)}")
        package = Package(
            provider_pb2_grpc.ResourceProviderStub(channel), engine, process, stderr_path
        )
        # Anything the provider prints later is kept, so a full pipe never blocks it.
        drain = threading.Thread(
            target=lambda: package.stdout_after_port.extend(iter(stdout.readline, b"")),
            daemon=True,
        )
        drain.start()
        grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT)
        yield package
    finally:
        if channel is not None:
            channel.close()
        if process is not None:
            process.kill()
            process.wait(timeout=RPC_TIMEOUT)
            if drain is not None:
                drain.join(timeout=RPC_TIMEOUT)
            if process.stdout is not None:
                process.stdout.close()
        engine_server.stop(grace=None)


@pytest.fixture(scope="module")
def schema_json(package: Package) -> str:
    response = package.provider.GetSchema(provider_pb2.GetSchemaRequest(), timeout=RPC_TIMEOUT)
    return response.schema


@pytest.fixture(scope="module")
def schema(schema_json: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(schema_json)
    return parsed


# --- what the annotations say the schema holds ----------------------------------------------------


def camel(name: str) -> str:
    """Schema names are the camelCase of the field names (`vpc_id` -> `vpcId`)."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def args_type(component: type[pulumi.ComponentResource]) -> type:
    """The Args TypedDict a component takes: the schema host reads it from `__init__`."""
    hint = typing.get_type_hints(component.__init__)["args"]
    assert typing.is_typeddict(hint), f"{component.__name__}'s args are not a TypedDict"
    return typing.cast(type, hint)


def fields(typed_dict: type) -> dict[str, Any]:
    """A TypedDict's fields (its own and inherited), NotRequired stripped. Read from
    `__annotations__`: `typing.get_type_hints` cannot resolve `pulumi.Input[T]`, whose
    `'Output[T]'` forward reference loses its argument."""
    return {
        name: typing.get_args(tp)[0]
        if typing.get_origin(tp) in (typing.NotRequired, typing.Required)
        else tp
        for name, tp in typed_dict.__annotations__.items()
    }


def required(typed_dict: type) -> set[str]:
    return {camel(name) for name in typing.cast(Any, typed_dict).__required_keys__}


def outputs(component: type[pulumi.ComponentResource]) -> dict[str, Any]:
    """The outputs the schema host infers: the component class's own `pulumi.Output` fields."""
    annotations = inspect.get_annotations(component, eval_str=True)
    return {
        name: typing.get_args(tp)[0]
        for name, tp in annotations.items()
        if typing.get_origin(tp) is pulumi.Output
    }


def _unwrap_input(tp: Any) -> tuple[Any, bool]:
    """`pulumi.Input[T]` is `Union[T, Awaitable[T], 'Output[T]']`: (T, True); anything else is
    plain."""
    if typing.get_origin(tp) is typing.Union:
        for arg in typing.get_args(tp):
            if typing.get_origin(arg) is collections.abc.Awaitable:
                return typing.get_args(arg)[0], True
    return tp, False


def shape(tp: Any, *, output: bool = False) -> dict[str, Any]:
    """The schema of a type, descriptions left out: inputs that are not `pulumi.Input` are
    `plain` (at every level); outputs are never plain."""
    inner, is_input = _unwrap_input(tp)
    if typing.get_origin(inner) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(inner):
        (inner,) = [a for a in typing.get_args(inner) if a is not type(None)]  # Optional[T]
    origin = typing.get_origin(inner)
    result: dict[str, Any]
    if origin is list:
        (item,) = typing.get_args(inner)
        result = {"type": "array", "items": shape(item, output=output)}
    elif origin is dict:
        key, value = typing.get_args(inner)
        assert key is str, f"map keys are strings in the schema, not {key}"
        result = {"type": "object", "additionalProperties": shape(value, output=output)}
    elif typing.is_typeddict(inner):
        result = {"$ref": f"#/types/{PACKAGE}:index:{inner.__name__}"}
    else:
        result = {"type": {str: "string", int: "integer", bool: "boolean", float: "number"}[inner]}
    if not (output or is_input):
        result["plain"] = True
    return result


def without_descriptions(prop: dict[str, Any]) -> dict[str, Any]:
    return {
        k: without_descriptions(v) if isinstance(v, dict) else v
        for k, v in prop.items()
        if k != "description"
    }


def described(prop: dict[str, Any]) -> bool:
    text = prop.get("description")
    return isinstance(text, str) and text.strip() != "" and text == text.strip()


INPUT_CASES = [
    pytest.param(token, name, tp, id=f"{cls.__name__}.{camel(name)}")
    for token, cls in COMPONENTS.items()
    for name, tp in fields(args_type(cls)).items()
]
OUTPUT_CASES = [
    pytest.param(token, name, tp, id=f"{cls.__name__}.{camel(name)}")
    for token, cls in COMPONENTS.items()
    for name, tp in outputs(cls).items()
]
RECORD_CASES = [
    pytest.param(record, name, tp, id=f"{record.__name__}.{camel(name)}")
    for record in RECORDS
    for name, tp in fields(record).items()
]


# --- plugin info and package ----------------------------------------------------------------------


def test_plugin_info_reports_the_schema_version(package: Package, schema: dict[str, Any]) -> None:
    info = package.provider.GetPluginInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT)
    # provider/__main__.py passes no version, so the SDK's host serves its default.
    assert info.version == "0.0.0"
    assert schema["version"] == info.version


def test_the_package_is_kurl(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE
    assert not schema.get("functions"), "the package has no functions"
    assert schema.get("dependencies", []) == []


def test_exactly_the_three_components(schema: dict[str, Any]) -> None:
    assert set(schema["resources"]) == set(COMPONENTS)
    for token, resource in schema["resources"].items():
        assert resource.get("isComponent") is True, token
        assert described(resource), f"{token} has no description"


def test_exactly_the_record_types(schema: dict[str, Any]) -> None:
    assert set(schema["types"]) == {f"{PACKAGE}:index:{r.__name__}" for r in RECORDS}


# --- inputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", COMPONENTS)
def test_inputs_are_the_args_fields(schema: dict[str, Any], token: str) -> None:
    expected = {camel(name) for name in fields(args_type(COMPONENTS[token]))}
    actual = set(schema["resources"][token]["inputProperties"])
    assert actual == expected, (
        f"{token}: missing from the schema {sorted(expected - actual)}, "
        f"not in the Args {sorted(actual - expected)}"
    )


@pytest.mark.parametrize(("token", "name", "tp"), INPUT_CASES)
def test_input_is_typed_and_described(
    schema: dict[str, Any], token: str, name: str, tp: Any
) -> None:
    prop = schema["resources"][token]["inputProperties"].get(camel(name))
    assert prop is not None, f"the Args field {name} is not the schema input {camel(name)}"
    assert described(prop), f"{name} has no description: give it a docstring in the Args type"
    assert without_descriptions(prop) == shape(tp)


REQUIRED_INPUTS = {
    "kurl:index:AwsKurlNlb": {"primaries", "vpcId", "subnetIds", "scheme"},
    "kurl:index:AzureKurlLb": {"primaries", "resourceGroupName"},
    "kurl:index:GcpKurlLb": {"primaries", "region", "network", "targetTags", "scheme"},
}


@pytest.mark.parametrize("token", COMPONENTS)
def test_required_inputs(schema: dict[str, Any], token: str) -> None:
    assert required(args_type(COMPONENTS[token])) == REQUIRED_INPUTS[token]
    assert set(schema["resources"][token]["requiredInputs"]) == REQUIRED_INPUTS[token]


def test_plain_and_input_properties(schema: dict[str, Any]) -> None:
    """Values that decide which resources exist are plain; the rest may be other resources'
    outputs."""
    aws = schema["resources"]["kurl:index:AwsKurlNlb"]["inputProperties"]
    assert "plain" not in aws["vpcId"]
    for name in ("scheme", "targetType", "primaries", "port", "deletionProtection"):
        assert aws[name]["plain"] is True, name
    assert aws["subnetIds"]["plain"] is True
    assert aws["subnetIds"]["type"] == "array"
    assert aws["subnetIds"]["items"]["type"] == "string"
    assert "plain" not in aws["subnetIds"]["items"]
    assert aws["primaries"]["items"]["$ref"] == "#/types/kurl:index:AwsPrimaryArgs"
    assert aws["primaries"]["items"]["plain"] is True
    assert aws["tags"]["type"] == "object" and "plain" not in aws["tags"]

    azure = schema["resources"]["kurl:index:AzureKurlLb"]["inputProperties"]
    assert "plain" not in azure["resourceGroupName"]
    assert azure["backendPool"]["plain"] is True
    assert azure["primaries"]["items"]["$ref"] == "#/types/kurl:index:AzurePrimaryArgs"

    gcp = schema["resources"]["kurl:index:GcpKurlLb"]["inputProperties"]
    assert "plain" not in gcp["region"] and "plain" not in gcp["network"]
    assert gcp["targetTags"]["plain"] is True and "plain" not in gcp["targetTags"]["items"]
    assert gcp["scheme"]["plain"] is True
    assert gcp["primaries"]["items"]["$ref"] == "#/types/kurl:index:GcpPrimaryArgs"

    for resource in schema["resources"].values():
        health = resource["inputProperties"]["healthCheck"]
        assert health == {**health, "$ref": "#/types/kurl:index:HealthCheckArgs", "plain": True}


# --- outputs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", COMPONENTS)
def test_outputs_are_the_components_output_fields(schema: dict[str, Any], token: str) -> None:
    resource = schema["resources"][token]
    expected = {camel(name) for name in outputs(COMPONENTS[token])}
    common = {
        "loadBalancerHost",
        "loadBalancerAddress",
        "registeredPrimaries",
        "pendingPrimaries",
        "frontEnd",
        "extraPortAddresses",  # empty without extraPorts
    }
    # Set only during an address move, or with a public front end (null otherwise): optional
    # in the schema.
    moving = {"nextFrontEnd", "nextLoadBalancerHost", "nextLoadBalancerAddress"}
    if "Azure" in token:
        moving.add("nextFrontEndIp")  # the floating-IP rule's IP, on every primary's loopback
    else:  # publicFrontEnd: AWS and GCP only
        moving |= {"publicLoadBalancerHost", "publicLoadBalancerAddress"}
        common.add("publicExtraPortAddresses")  # empty without publicFrontEnd
    always = common | {"nodePortAliasScript"} if "Gcp" in token else common
    assert expected == always | moving
    assert set(resource["properties"]) == expected
    assert set(resource["required"]) == always, "every other output is always set"


@pytest.mark.parametrize(("token", "name", "tp"), OUTPUT_CASES)
def test_output_is_typed_and_described(
    schema: dict[str, Any], token: str, name: str, tp: Any
) -> None:
    prop = schema["resources"][token]["properties"][camel(name)]
    assert described(prop), f"{name} has no description: give it a docstring in the component"
    assert without_descriptions(prop) == shape(tp, output=True)


def test_output_types(schema: dict[str, Any]) -> None:
    strings = {"type": "array", "items": {"type": "string"}}
    for token, resource in schema["resources"].items():
        props = {k: without_descriptions(v) for k, v in resource["properties"].items()}
        assert props["loadBalancerHost"] == {"type": "string"}, token
        assert props["loadBalancerAddress"] == {"type": "string"}, token
        assert props["registeredPrimaries"] == strings, token
        assert props["pendingPrimaries"] == strings, token
    gcp = schema["resources"]["kurl:index:GcpKurlLb"]["properties"]
    assert without_descriptions(gcp["nodePortAliasScript"]) == {"type": "string"}


# --- record types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_record_type(schema: dict[str, Any], record: type) -> None:
    token = f"{PACKAGE}:index:{record.__name__}"
    definition = schema["types"][token]
    assert definition["type"] == "object"
    assert described(definition), f"{token} has no description"
    assert set(definition["properties"]) == {camel(name) for name in fields(record)}
    assert set(definition.get("required", [])) == required(record)


@pytest.mark.parametrize(("record", "name", "tp"), RECORD_CASES)
def test_record_property_is_typed_and_described(
    schema: dict[str, Any], record: type, name: str, tp: Any
) -> None:
    prop = schema["types"][f"{PACKAGE}:index:{record.__name__}"]["properties"][camel(name)]
    assert described(prop), f"{name} has no description: give it a docstring in {record.__name__}"
    assert without_descriptions(prop) == shape(tp)


def test_primary_records(schema: dict[str, Any]) -> None:
    types = schema["types"]
    aws = types["kurl:index:AwsPrimaryArgs"]
    assert aws["required"] == ["name"]
    assert aws["properties"]["name"]["plain"] is True
    assert aws["properties"]["registered"]["plain"] is True
    for name in ("address", "instanceId", "zone"):
        assert "plain" not in aws["properties"][name], name
    azure = types["kurl:index:AzurePrimaryArgs"]
    assert set(azure["properties"]) == {
        "name",
        "registered",
        "nicId",
        "ipConfigurationName",
        "address",
    }
    gcp = types["kurl:index:GcpPrimaryArgs"]
    assert sorted(gcp["required"]) == ["instance", "name", "zone"]
    assert gcp["properties"]["zone"]["plain"] is True, "one instance group per zone"
    assert "plain" not in gcp["properties"]["instance"]
    health = types["kurl:index:HealthCheckArgs"]
    assert set(health["properties"]) == {
        "protocol",
        "intervalSeconds",
        "healthyThreshold",
        "unhealthyThreshold",
    }
    assert not health.get("required")


# --- descriptions carry no source indentation -----------------------------------------------------


def _descriptions(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield path, value
            else:
                yield from _descriptions(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _descriptions(value, f"{path}[{i}]")


def test_input_and_record_descriptions_have_no_source_indentation(
    schema: dict[str, Any],
) -> None:
    indented = [
        path
        for token, resource in schema["resources"].items()
        for path, text in _descriptions(resource["inputProperties"], f"{token}.inputProperties")
        if SOURCE_INDENTATION in text
    ]
    indented += [
        path for path, text in _descriptions(schema["types"], "types") if SOURCE_INDENTATION in text
    ]
    assert indented == []


@pytest.mark.parametrize("token", list(COMPONENTS))
def test_component_description_has_no_source_indentation(
    schema: dict[str, Any], token: str
) -> None:
    assert SOURCE_INDENTATION not in schema["resources"][token]["description"]


@pytest.mark.parametrize(
    ("token", "name"),
    [
        pytest.param(token, camel(name), id=f"{cls.__name__}.{camel(name)}")
        for token, cls in COMPONENTS.items()
        for name in outputs(cls)
    ],
)
def test_output_description_has_no_source_indentation(
    schema: dict[str, Any], token: str, name: str
) -> None:
    assert SOURCE_INDENTATION not in schema["resources"][token]["properties"][name]["description"]


# --- the committed snapshot -----------------------------------------------------------------------


def test_the_schema_snapshot_is_current(schema_json: str) -> None:
    assert SNAPSHOT.exists(), "provider/schema.json is missing: run make schema"
    assert SNAPSHOT.read_text(encoding="utf-8") == render(schema_json), (
        "provider/schema.json differs from the schema the provider serves: run make schema"
    )


# --- Construct: what the provider rejects before it needs a resource monitor ----------------------


def _construct(package: Package, token: str, inputs: dict[str, Any] | None = None) -> grpc.RpcError:
    """A Construct the provider must refuse. No monitor is given: one that got as far as creating
    resources would fail for that reason instead, and the test would say so."""
    properties = struct_pb2.Struct()
    properties.update(inputs or {})
    request = provider_pb2.ConstructRequest(
        project="kurl-lb-test",
        stack="test",
        type=token,
        name="lb",
        inputs=properties,
        dryRun=True,
    )
    with pytest.raises(grpc.RpcError) as failure:
        package.provider.Construct(request, timeout=RPC_TIMEOUT)
    return failure.value


def _property_errors(error: grpc.RpcError) -> list[tuple[str, str]]:
    """The InputPropertiesError details the engine shows for a rejected input."""
    metadata = dict(typing.cast(Any, error).trailing_metadata() or ())
    status = status_pb2.Status.FromString(metadata["grpc-status-details-bin"])
    found: list[tuple[str, str]] = []
    for detail in status.details:
        errors = errors_pb2.InputPropertiesError()
        assert detail.Unpack(errors)
        found += [(e.property_path, e.reason) for e in errors.errors]
    return found


def test_construct_of_another_packages_type_fails_clearly(package: Package) -> None:
    error = _construct(package, "aws:index:AwsKurlNlb")
    assert "invalid provider: aws, expected kurl" in typing.cast(Any, error).details()


def test_construct_of_an_unknown_component_fails(package: Package) -> None:
    # The SDK looks the name up without checking it: the message is the bare KeyError, `'Nope'`
    # and a traceback. Clear enough to find, not to read.
    error = _construct(package, "kurl:index:Nope")
    assert typing.cast(Any, error).code() == grpc.StatusCode.UNKNOWN
    assert "'Nope'" in typing.cast(Any, error).details()


def _placeholder(tp: Any) -> Any:
    inner, _ = _unwrap_input(tp)
    return [] if typing.get_origin(inner) is list else "placeholder"


@pytest.mark.parametrize(
    ("token", "missing"),
    [
        pytest.param(token, name, id=f"{COMPONENTS[token].__name__}.{name}")
        for token in COMPONENTS
        for name in sorted(REQUIRED_INPUTS[token])
    ],
)
def test_construct_names_a_missing_required_input(
    package: Package, token: str, missing: str
) -> None:
    cls = COMPONENTS[token]
    given = {
        camel(name): _placeholder(tp)
        for name, tp in fields(args_type(cls)).items()
        if camel(name) in REQUIRED_INPUTS[token] and camel(name) != missing
    }
    error = _construct(package, token, given)
    assert typing.cast(Any, error).code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _property_errors(error) == [
        (missing, f"Missing required input '{missing}' on '{cls.__name__}'")
    ]


def test_construct_names_a_primary_without_its_name(package: Package) -> None:
    error = _construct(
        package,
        "kurl:index:AzureKurlLb",
        {"primaries": [{"nicId": "nic"}], "resourceGroupName": "rg"},
    )
    assert _property_errors(error) == [
        ("primaries[0].name", "Missing required input 'primaries[0].name' on 'AzureKurlLb'")
    ]


def test_the_provider_still_serves_after_refusals(package: Package) -> None:
    _construct(package, "kurl:index:Nope")
    info = package.provider.GetPluginInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT)
    assert info.version
    assert package.process.poll() is None, package.stderr.read_text(errors="replace")
    errors = [log.message for log in package.engine.logs if log.severity == engine_pb2.ERROR]
    assert errors == []
