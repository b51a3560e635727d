"""Canary: the Pulumi SDK internals the tests' in-process recorder and the config loader rely on
still exist.

The offline gate itself uses none: it serves the engine's gRPC services and runs the program
under the SDK's standard runtime (offline/engine.py, offline/runner.py). offline/recorder.py, which
component tests use to run a program in their own process (tests/conftest.py), drives the SDK's
mock engine through names that are not public API, and components/stack.py reads the
runtime config map. A pulumi release may rename any of them;
requirements.lock pins the version we checked, and this test says what to update when a new pin
breaks one, before the offline gate (every PR's check) fails in a less readable way.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re

import pytest

FIX = (
    "pulumi {version} no longer has {name}, which {user} relies on: adapt {user} to the new "
    "SDK (see how pulumi.runtime.mocks.set_mocks does it now), or pin pulumi back in "
    "requirements.txt and run `make lock`"
)

# (module, attribute path, the repository file relying on it)
INTERNALS = [
    ("pulumi.runtime.mocks", "MockMonitor", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockMonitor.make_urn", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockMonitor.RegisterResource", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockMonitor.RegisterResourceOutputs", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockMonitor.Invoke", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockMonitor.GetDeploymentInfo", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockSettings", "offline/recorder.py"),
    ("pulumi.runtime.mocks", "MockEngine", "offline/recorder.py"),
    ("pulumi.runtime.settings", "ROOT", "offline/recorder.py"),
    ("pulumi.runtime.settings", "configure", "offline/recorder.py"),
    ("pulumi.runtime.settings", "SETTINGS.outputs", "offline/recorder.py"),
    ("pulumi.output", "Output.is_secret", "components/checked.py"),
    ("pulumi.runtime.config", "set_all_config", "offline/recorder.py"),
    ("pulumi.runtime.config", "CONFIG", "components/stack.py"),
    ("pulumi.runtime.stack", "run_in_stack", "offline/recorder.py"),
    ("pulumi.runtime.proto.resource_pb2", "ResourceInvokeResponse", "offline/recorder.py"),
    ("pulumi.runtime.proto.analyzer_pb2_grpc", "AnalyzerStub", "offline/analyzer.py"),
    ("pulumi.runtime.settings", "SETTINGS.outputs", "tests/test_examples.py"),
    # The engine the gate serves: the generated gRPC services and messages (public protocol).
    *[
        ("pulumi.runtime.proto.resource_pb2_grpc", name, "offline/engine.py")
        for name in ("ResourceMonitorServicer", "add_ResourceMonitorServicer_to_server")
    ],
    *[
        ("pulumi.runtime.proto.engine_pb2_grpc", name, "offline/engine.py")
        for name in ("EngineServicer", "add_EngineServicer_to_server")
    ],
    ("pulumi.runtime.proto.callback_pb2_grpc", "CallbacksStub", "offline/engine.py"),
    *[
        ("pulumi.runtime.proto.resource_pb2", name, "offline/engine.py")
        for name in (
            "RegisterResourceRequest",
            "RegisterResourceResponse",
            "TransformRequest",
            "TransformResponse",
            "TransformResourceOptions",
            "TransformInvokeRequest",
            "TransformInvokeResponse",
            "ResourceInvokeResponse",
            "DeploymentInfo",
        )
    ],
    *[
        ("pulumi.runtime.proto.analyzer_pb2", name, "offline/analyzer.py")
        for name in (
            "ADVISORY",
            "MANDATORY",
            "DISABLED",
            "REMEDIATE",
            "AnalyzeRequest",
            "AnalyzeStackRequest",
            "AnalyzerPropertyDependencies",
            "AnalyzerResource",
            "AnalyzerResourceOptions",
            "ConfigureAnalyzerRequest",
            "PolicyConfig",
        )
    ],
]


def _version() -> str:
    import pulumi

    return getattr(pulumi, "__version__", "(installed)")


@pytest.mark.parametrize(
    ("module", "path", "user"), INTERNALS, ids=[f"{m}.{p}" for m, p, _ in INTERNALS]
)
def test_sdk_name_exists(module: str, path: str, user: str) -> None:
    name = f"{module}.{path}"
    fix = FIX.format(version=_version(), name=name, user=user)
    try:
        target = importlib.import_module(module)
    except ImportError:
        pytest.fail(fix)
    for part in path.split("."):
        assert hasattr(target, part), fix
        target = getattr(target, part)


def test_mock_settings_take_the_keywords_the_recorder_passes() -> None:
    """MockSettings accepts any keyword, so a renamed setting would be silently ignored: the
    recorder must pass exactly what the SDK's own set_mocks passes."""
    from pulumi.runtime import mocks

    source = inspect.getsource(mocks.set_mocks)
    sdk = set(re.findall(r"^\s+(\w+)=", source.split("MockSettings(", 1)[1], re.M))
    for user, function in (
        ("offline/recorder.py", importlib.import_module("offline.recorder").record),
    ):
        source = inspect.getsource(function)
        ours = set(re.findall(r"^\s+(\w+)=", source.split("MockSettings(", 1)[1], re.M))
        assert ours == sdk, FIX.format(
            version=_version(), name=f"MockSettings keywords {sorted(sdk ^ ours)}", user=user
        )


def test_the_policy_pack_host_module_exists() -> None:
    # offline/analyzer.py starts `python -m pulumi.policy <engine> <pack>`, as the engine does.
    assert importlib.util.find_spec("pulumi.policy.__main__") is not None, FIX.format(
        version="pulumi-policy", name="pulumi.policy.__main__", user="offline/analyzer.py"
    )


def test_the_wire_markers_are_the_sdks() -> None:
    """offline/wire.py spells the wire format's markers out (the gate reads no SDK private name):
    they must be the values the program's SDK sends."""
    from pulumi.runtime import rpc

    from offline import wire

    assert wire.UNKNOWN == rpc.UNKNOWN
    assert rpc._special_sig_key == wire.SIG_KEY
    assert rpc._special_secret_sig == wire.SECRET_SIG
    assert rpc._special_resource_sig == wire.RESOURCE_SIG


def test_the_language_host_script_is_the_sdks_own() -> None:
    """offline/langhost/pulumi-language-python-exec is the SDK's script, verbatim (sdk/v3 module,
    python/cmd/), not gate code: compare it with the module's copy when the Go module cache has
    it (`make engine` fetches it)."""
    from pathlib import Path

    ours = Path(__file__).resolve().parent.parent / "offline" / "langhost"
    shipped = (ours / "pulumi-language-python-exec").read_text()
    assert "Copyright 2016, Pulumi Corporation" in shipped
    cache = Path.home() / "go" / "pkg" / "mod" / "github.com" / "pulumi" / "pulumi" / "sdk"
    copies = sorted(cache.glob("v3@v3.274.1/python/cmd/pulumi-language-python-exec"))
    if not copies:
        pytest.skip("the sdk/v3 Go module is not in the module cache")
    assert shipped == copies[0].read_text()
