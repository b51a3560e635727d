"""What the offline gate costs on top of the program it judges, at 1,000 registered primaries.

Builds a copy of this project with an AWS stack listing 1,000 registered primaries (1,010
resources), then times, in fresh interpreters, interleaved, median of REPEAT runs:

- bare: the program alone under the SDK's mock engine, run the way the language host runs it
  (`run_in_stack`, the SDK's MockMonitor answering every registration with its inputs), config
  handed over already encoded, as the engine hands it;
- render: `python -m offline preview --json --no-policy`: the gate reading the stack, running the
  program against the engine it serves, rebuilding the graph and rendering it;
- gate with this project's pack, and gate with a no-op pack (one policy that checks nothing).

It prints the ratios render/bare and pack/no-op-pack, both measured in this same run, in wall
time and in CPU time of the whole process tree (steadier on a shared machine: the gate's own
process, the program's and the pack's all count).

    .venv/bin/python -m bench.gate_overhead [--gate DIR]     (or: make bench)

`--gate DIR` times another checkout's gate (e.g. an export of main) on the same program.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from offline.stackfile import read_stack

ROOT = Path(__file__).resolve().parent.parent
PRIMARIES = 1000
REPEAT = 3
TARGET = 1.25

BARE = """
import asyncio, json, os, runpy, sys
import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return "", dict(args.inputs)
    def call(self, args):
        return {}, []

spec = json.load(open(sys.argv[1]))
monitor = mocks.MockMonitor(Mocks())
settings.configure(mocks.MockSettings(
    monitor=monitor, monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
    engine=mocks.MockEngine(None), project=spec["project"], stack=spec["stack"], dry_run=True,
    organization="organization", callbacks=None))
pulumi.runtime.set_all_config(spec["config"], [])
os.chdir(spec["dir"])
sys.path.insert(0, spec["dir"])
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(run_in_stack(lambda: runpy.run_path("__main__.py", run_name="__main__")))
assert len(monitor.resources) == spec["expected"] - 1, len(monitor.resources)  # stack unstored
"""

NOOP_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

PolicyPack(
    name="noop",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="noop", description="checks nothing", validate=lambda args, report: None
        )
    ],
)
"""


def build(work: Path) -> tuple[Path, Path]:
    """(program copy with stack `big`, no-op pack)."""
    program = work / "program"
    program.mkdir()
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, program / name)
    shutil.copytree(
        ROOT / "components", program / "components", ignore=shutil.ignore_patterns("__pycache__")
    )
    (program / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config["kurl-lb:primaries"] = [
        {"name": f"primary-{i}", "address": f"10.0.{i // 250}.{i % 250 + 1}", "registered": True}
        for i in range(PRIMARIES)
    ]
    (program / "Pulumi.big.yaml").write_text(yaml.safe_dump({"config": config}))
    pack = work / "noop-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text(NOOP_PACK)
    return program, pack


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process tree: gate, program, pack)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gate_overhead")
    parser.add_argument("--gate", type=Path, default=ROOT, help="checkout whose gate to time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kurl-lb-bench-") as tmp:
        program, noop = build(Path(tmp))
        files = read_stack(program, "big")
        spec = Path(tmp) / "bare.json"
        expected = PRIMARIES + 10  # the stack, the component, 8 fixed children, 1 per primary
        spec.write_text(
            json.dumps(
                {
                    "project": files.project,
                    "stack": "big",
                    "config": files.config,
                    "dir": str(program),
                    "expected": expected,
                }
            )
        )
        preview = [sys.executable, "-m", "offline", "preview", "--program", str(program)]
        preview += ["--stack", "big", "--json"]
        commands = {
            "bare": [sys.executable, "-c", BARE, str(spec)],
            "render": [*preview, "--no-policy"],
            "pack": [*preview, "--policy-pack", str(ROOT / "policies")],
            "noop": [*preview, "--policy-pack", str(noop)],
        }
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(REPEAT):
            for name, command in commands.items():
                wall, cpu = timed(command, cwd=args.gate)
                walls[name].append(wall)
                cpus[name].append(cpu)
    median = {name: statistics.median(runs) for name, runs in walls.items()}
    cpu_median = {name: statistics.median(runs) for name, runs in cpus.items()}
    labels = {
        "bare": "bare program, SDK mock engine",
        "render": "gate render (--no-policy)",
        "pack": "gate + kurl-lb pack",
        "noop": "gate + no-op pack",
    }
    print(f"{PRIMARIES} registered primaries ({expected} resources), median of {REPEAT} runs")
    print(f"  {'':<32} {'wall':>7} {'CPU':>7}")
    for name, label in labels.items():
        print(f"  {label:<32} {median[name]:6.2f}s {cpu_median[name]:6.2f}s")
    print(f"{'':<20} {'wall':>5} {'CPU':>6}")
    render = median["render"] / median["bare"], cpu_median["render"] / cpu_median["bare"]
    verdict = "within" if max(render) <= TARGET else "OVER"
    print(
        f"render / bare        {render[0]:5.2f} {render[1]:6.2f}  ({verdict} the {TARGET}x target)"
    )
    pack = median["pack"] / median["noop"], cpu_median["pack"] / cpu_median["noop"]
    print(f"gate / no-op-pack    {pack[0]:5.2f} {pack[1]:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
