"""The real AWS provider plugin `make providers` builds, driven over gRPC as the engine drives it.

tests/e2e/toolchain/providers/bin/pulumi-resource-aws is the Terraform AWS provider's planning
code under pulumi-terraform-bridge (tests/e2e/toolchain/aws-provider): Check runs the provider's
own validators, Diff its ForceNew and CustomizeDiff decisions. It is started in attach mode (no
engine: it prints its port), configured offline (the plugin forces dummy credentials and skips
every AWS call), and never asked to create anything.

Tests that use it skip, saying why, when it is not built; with KURL_AWS_PROVIDER_REQUIRED=1
(`make provider-checks`, which CI runs after `make providers`) a missing plugin fails instead.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "tests" / "e2e" / "toolchain" / "providers" / "bin" / "pulumi-resource-aws"
REGION = "us-east-1"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # an unknown value on the wire
START_TIMEOUT = 120  # seconds: the plugin builds its schema from the provider at start


def require_plugin() -> Path:
    """The plugin's path; skips the test (fails under KURL_AWS_PROVIDER_REQUIRED) without it."""
    if PLUGIN.exists():
        return PLUGIN
    why = (
        f"{PLUGIN.relative_to(ROOT)} is not built: `make providers` builds it (needs Go 1.26+ "
        "and the Go module proxy)"
    )
    if os.environ.get("KURL_AWS_PROVIDER_REQUIRED"):
        pytest.fail(why)
    pytest.skip(why)


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:test::kurl-lb::{token}::{name}"


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(dict(value), struct_pb2.Struct())


def from_struct(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


@dataclass(frozen=True)
class CheckResult:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]  # (property, reason)


@dataclass(frozen=True)
class DiffResult:
    changes: bool
    replaces: list[str]
    diffs: list[str]
    detailed: dict[str, str]  # property path -> kind name (UPDATE, ADD_REPLACE, ...)

    @property
    def decision(self) -> str:
        """ "replace", "update" or "none", as `pulumi preview` would plan the resource."""
        if self.replaces:
            return "replace"
        return "update" if self.changes else "none"


class AwsProvider:
    """One running plugin process and its gRPC stub."""

    def __init__(self, plugin: Path, region: str = REGION) -> None:
        self.process = subprocess.Popen(
            [str(plugin)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))},
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise RuntimeError(f"{plugin} did not start: {port!r}\n{err}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.schema: dict[str, Any] = json.loads(
            self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema
        )
        self.stub.Configure(
            provider_pb2.ConfigureRequest(
                variables={"aws:region": region},
                args=to_struct({"region": region}),
                acceptSecrets=True,
                acceptResources=True,
            )
        )

    def version(self) -> str:
        return str(self.stub.GetPluginInfo(_empty()).version)

    def check(
        self, token: str, name: str, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
    ) -> CheckResult:
        try:
            response = self.stub.Check(
                provider_pb2.CheckRequest(
                    urn=urn(token, name),
                    olds=to_struct(olds or {}),
                    news=to_struct(news),
                    randomSeed=name.encode().ljust(32, b"\0"),
                    name=name,
                    type=token,
                )
            )
        except grpc.RpcError as e:
            # Some refusals come as an error, not a failure (e.g. an auto-name too long).
            return CheckResult({}, [("", str(e.details()))])
        return CheckResult(
            from_struct(response.inputs), [(f.property, f.reason) for f in response.failures]
        )

    def created_state(self, token: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The state a create of `inputs` (Check's result) leaves, as the provider plans it: its
        Create at preview, with each value only AWS knows (unknown there) filled with a value of
        its type. Only the provider's own planning decides what is computed; no AWS call."""
        response = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=urn(token, name),
                properties=to_struct(inputs),
                preview=True,
                name=name,
                type=token,
            )
        )
        outputs = self.schema["resources"][token]["properties"]
        state = {
            key: self._filled(value, outputs.get(key, {}))
            for key, value in from_struct(response.properties).items()
        }
        return {**state, "id": f"{name}-id"}

    def _filled(self, value: Any, spec: Mapping[str, Any]) -> Any:
        # Empty values: what AWS returns for what a config leaves unset (a TCP health check's
        # path and matcher are "", an NLB created without security groups has none).
        if value == UNKNOWN:
            kind = spec.get("type", "object")
            empty = {"string": "", "integer": 0, "number": 0, "boolean": False}
            return empty.get(kind, [] if kind == "array" else {})
        if isinstance(value, dict) and "$ref" in spec:
            props = self.schema["types"][spec["$ref"].removeprefix("#/types/")]["properties"]
            return {k: self._filled(v, props.get(k, {})) for k, v in value.items()}
        if isinstance(value, list) and "items" in spec:
            return [self._filled(v, spec["items"]) for v in value]
        return value

    def diff(
        self,
        token: str,
        name: str,
        state: Mapping[str, Any],
        old_inputs: Mapping[str, Any],
        news: Mapping[str, Any],
    ) -> DiffResult:
        response = self.stub.Diff(
            provider_pb2.DiffRequest(
                id=str(state.get("id", f"{name}-id")),
                urn=urn(token, name),
                olds=to_struct(state),
                news=to_struct(news),
                old_inputs=to_struct(old_inputs),
                name=name,
                type=token,
            )
        )
        kinds = provider_pb2.PropertyDiff.Kind
        return DiffResult(
            changes=response.changes == provider_pb2.DiffResponse.DIFF_SOME,
            replaces=list(response.replaces),
            diffs=list(response.diffs),
            detailed={k: kinds.Name(v.kind) for k, v in response.detailedDiff.items()},
        )

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _empty() -> Any:
    from google.protobuf import empty_pb2

    return empty_pb2.Empty()


@pytest.fixture(scope="session")
def aws_provider() -> Iterator[AwsProvider]:
    provider = AwsProvider(require_plugin())
    try:
        yield provider
    finally:
        provider.close()


__all__ = [
    "PLUGIN",
    "AwsProvider",
    "CheckResult",
    "DiffResult",
    "aws_provider",
    "plugin_pb2",
    "require_plugin",
    "to_struct",
    "urn",
]
