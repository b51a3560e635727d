"""One pass-through provider (a TEST DOUBLE) serving any of the four packages kurl-lb uses.

Check echoes the program's inputs; Diff reports a change when an input differs (never a
replacement: the doubles know no ForceNew); Create/Update echo inputs plus the deterministic
computed outputs of `fixtures.py`; Delete forgets; Invoke answers from the fixtures and fails,
naming the token, for any lookup it has no fixture for.

When KURL_E2E_INVOKES names a lookup-fixtures file (the offline gate's `--invokes` format,
e.g. offline/invokes/<stack>.yaml), its matching entries answer first, so the engine run and the
offline preview see the same lookup results.

Because Check echoes, the inputs the engine shows in `pulumi preview --json` are exactly what the
program sent to the provider: tests/e2e/fidelity.py compares them with the offline preview's.
"""

import os
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    InvokeRequest,
    InvokeResponse,
    Provider,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.provider.experimental.server import main

from offline.invokes import fixture_matches, read_invokes
from tests.e2e.doubles.fixtures import PACKAGES, Package, Resource, digest

# The Python SDK package whose version the double reports, per Pulumi package name.
SDK_DISTRIBUTIONS = {
    "aws": "pulumi_aws",
    "azure-native": "pulumi_azure_native",
    "azure": "pulumi_azure",
    "gcp": "pulumi_gcp",
}


def to_python(value: PropertyValue) -> Any:
    """Plain JSON-like data (unknowns as None, secrets unwrapped) for the templates."""
    v = value.value
    if isinstance(v, Computed):
        return None
    if isinstance(v, Mapping):
        return {k: to_python(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return [to_python(x) for x in v]
    return v


def to_property(value: Any) -> PropertyValue:
    if isinstance(value, Mapping):
        return PropertyValue({k: to_property(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([to_property(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def _urn_parts(urn: str) -> tuple[str, str]:
    """(type, name) of a URN: urn:pulumi:stack::project::parent$type::name."""
    qualified, name = urn.split("::", 3)[2:]
    return qualified.rsplit("$", 1)[-1], name


class PassThroughProvider(Provider):
    def __init__(self, package: str) -> None:
        self.package = package
        self.spec: Package = PACKAGES[package]
        self.config: dict[str, str] = {}
        shared = os.environ.get("KURL_E2E_INVOKES")
        self.shared_invokes = read_invokes(Path(shared)) if shared else []

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        self.config = dict(request.variables)
        return ConfigureResponse(
            accept_secrets=True, supports_preview=True, accept_outputs=True, accept_resources=True
        )

    def _resource(self, urn: str, inputs: Mapping[str, PropertyValue]) -> Resource:
        type_, name = _urn_parts(urn)
        return Resource(urn, type_, name, to_python(PropertyValue(dict(inputs))), self.config)

    def _computed(self, r: Resource) -> dict[str, PropertyValue]:
        template = self.spec.computed.get(r.type)
        return {k: to_property(v) for k, v in (template(r) if template else {}).items()}

    def _id(self, r: Resource) -> str:
        make = self.spec.ids.get(r.type)
        if make is not None:
            return make(r)
        return f"{self.spec.id_prefix.get(r.type, 'id-')}{r.h}"

    async def check(self, request: CheckRequest) -> CheckResponse:
        return CheckResponse(inputs=request.new_inputs)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        r = self._resource(request.urn, request.new_inputs)
        computed = set(self._computed(r))
        ignored = set(request.ignore_changes)
        keys = (set(request.new_inputs) | set(request.old_state)) - computed - ignored
        changed = sorted(k for k in keys if request.new_inputs.get(k) != request.old_state.get(k))
        return DiffResponse(changes=bool(changed), diffs=changed)

    async def create(self, request: CreateRequest) -> CreateResponse:
        r = self._resource(request.urn, request.properties)
        if request.preview:
            # As a real provider: what only the cloud knows is unknown at preview. Outputs left
            # out of a preview answer are unknown to the program (the SDK cannot marshal
            # Computed values in a provider response).
            return CreateResponse(resource_id="", properties=dict(request.properties))
        properties = {**request.properties, **self._computed(r)}
        return CreateResponse(resource_id=self._id(r), properties=properties)

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        r = self._resource(request.urn, request.news)
        return UpdateResponse(properties={**request.news, **self._computed(r)})

    async def delete(self, request: DeleteRequest) -> None:
        return None

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        args = to_python(PropertyValue(dict(request.args)))
        shared = next(
            (
                f["result"]
                for f in self.shared_invokes
                if f["token"] == request.tok and fixture_matches(f["args"], args)
            ),
            None,
        )
        answer = self.spec.invokes.get(request.tok)
        if shared is not None:
            generic = answer(args, self.config) if answer else {}
            result = {**generic, **shared}
            return InvokeResponse(return_value={k: to_property(v) for k, v in result.items()})
        if answer is None:
            return InvokeResponse(
                failures=[
                    CheckFailure(
                        "",
                        f"the {self.package} provider double has no fixture for {request.tok}; "
                        "add one to tests/e2e/doubles/fixtures.py",
                    )
                ]
            )
        result = answer(args, self.config)
        return InvokeResponse(return_value={k: to_property(v) for k, v in result.items()})


def serve(package: str, args: list[str]) -> None:
    if package not in PACKAGES:
        sys.exit(f"unknown package {package!r}: one of {', '.join(PACKAGES)}")
    try:
        version = metadata.version(SDK_DISTRIBUTIONS[package])
    except metadata.PackageNotFoundError:
        version = "0.0.0"
    # argparse in main() reads sys.argv: leave only the engine address and flags.
    sys.argv = [sys.argv[0], *args]
    main(args, version, PassThroughProvider(package))


__all__ = ["PassThroughProvider", "digest", "serve"]
