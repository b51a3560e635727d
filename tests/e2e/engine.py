"""A sandbox for the real Pulumi CLI: a copy of the project, a local file backend, no network.

Each `Sandbox` is a temporary directory holding a copy of the project's tracked files (what a
fresh clone holds) with `.venv` linked in (what `make venv` creates), its own PULUMI_HOME and a
file backend. The CLI is tests/e2e/toolchain/bin/pulumi (or a released one on PATH); the cloud
plugins are the pass-through doubles of tests/e2e/doubles/plugins, found on PATH (the engine
says "using pulumi-resource-aws from $PATH").
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "e2e"
BUILT_BIN = HERE / "toolchain" / "bin"
# A released Pulumi CLI on PATH (with the language hosts it ships beside it) is used when
# `make engine` has not built one here.
_released = shutil.which("pulumi")
ENGINE_BIN = (
    Path(_released).resolve().parent
    if not (BUILT_BIN / "pulumi").exists() and _released
    else BUILT_BIN
)
PLUGINS = HERE / "doubles" / "plugins"
# `make providers`: the Terraform AWS provider's planning code under pulumi-terraform-bridge
# (tests/e2e/toolchain/aws-provider), on PATH only in the sandboxes that ask for it.
REAL_PROVIDERS = HERE / "toolchain" / "providers" / "bin"
AWS_PLUGIN = REAL_PROVIDERS / "pulumi-resource-aws"
# What that plugin runs for each lookup instead of asking AWS: the doubles' answer (fixtures.py).
AWS_LOOKUPS = HERE / "doubles" / "lookups.sh"
VENV = ROOT / ".venv"
PASSPHRASE = "kurl-lb-e2e"  # the passphrase secrets provider's key, fixed for repeatable runs
COMMAND_TIMEOUT = 300  # seconds; a CLI call that hangs fails the run instead of stalling CI


class E2EFailure(Exception):
    """A step's expectation did not hold; the message says what and shows the CLI's output."""


@dataclass
class Result:
    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as e:
            raise E2EFailure(f"`{self.command}` printed no JSON ({e}):\n{self.output}") from e


def tracked_files() -> list[str]:
    """What a fresh clone of the working tree would hold (tracked and new, not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


@dataclass
class Sandbox:
    label: str
    base: Path = field(init=False)
    project: Path = field(init=False)
    log: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    # Folders of real provider plugins, found before the doubles of the same name.
    providers: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix=f"kurl-e2e-{self.label}-"))
        self.project = self.base / "project"
        for rel in tracked_files():
            dest = self.project / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest)
        (self.project / ".venv").symlink_to(VENV)
        for d in ("state", "home"):
            (self.base / d).mkdir()

    def env(self, extra_path: list[Path] | None = None) -> dict[str, str]:
        path = [ENGINE_BIN, *self.providers, PLUGINS, *(extra_path or [])]
        env = {
            k: v
            for k, v in os.environ.items()
            # The run must not reach a real backend, cloud or plugin that happens to be set up.
            if not k.startswith(("PULUMI_", "AWS_", "ARM_", "AZURE_", "GOOGLE_", "CLOUDSDK_"))
        }
        env.update(
            PATH=os.pathsep.join([*map(str, path), env.get("PATH", "")]),
            PULUMI_HOME=str(self.base / "home"),
            PULUMI_BACKEND_URL=f"file://{self.base / 'state'}",
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="1",
            PULUMI_SKIP_CONFIRMATIONS="1",
            NO_COLOR="1",
        )
        env.update(self.extra_env)
        return env

    def run(
        self,
        command: str,
        *,
        cwd: Path | None = None,
        expect_ok: bool = True,
        extra_path: list[Path] | None = None,
    ) -> Result:
        """Run one shell command line as a user would type it, in the project copy."""
        self.log.append(command)
        try:
            proc = subprocess.run(
                ["bash", "-c", command],
                cwd=cwd or self.project,
                env=self.env(extra_path),
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            raise E2EFailure(f"`{command}` did not finish within {COMMAND_TIMEOUT} s") from e
        result = Result(command, proc.returncode, proc.stdout, proc.stderr)
        if expect_ok and result.returncode != 0:
            raise E2EFailure(f"`{command}` exited {result.returncode}:\n{result.output}")
        return result

    def pulumi(self, *args: str, **kwargs: Any) -> Result:
        return self.run(shlex.join(["pulumi", *args]), **kwargs)

    def preview_steps(self, cwd: Path | None = None) -> list[dict[str, Any]]:
        """The engine's own plan: `pulumi preview --json` steps (default providers left out)."""
        steps = self.pulumi("preview", "--json", cwd=cwd).json().get("steps", [])
        return [s for s in steps if ":pulumi:providers:" not in s["urn"]]

    def cleanup(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def changes(steps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(op, urn) of every step that is not `same`."""
    return [(s["op"], s["urn"]) for s in steps if s["op"] != "same"]
