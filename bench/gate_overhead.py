"""What the offline gate costs on top of the program it judges, at 1,000 registered primaries.

Builds a copy of this project with an AWS stack listing 1,000 registered primaries (1,010
resources), then times, in fresh interpreters, interleaved, median of REPEAT runs:

- bare: the program alone under the SDK's mock engine, run the way the language host runs it
  (`run_in_stack`, the SDK's MockMonitor answering every registration with its inputs), config
  handed over already encoded, as the engine hands it: the SDK's in-process floor;
- null: the program under the SDK's standard runtime, started as the gate starts it, against
  `bench/nullengine` (Go: answers every call with the least work and records nothing): the floor
  of any out-of-process engine, the gate's and Pulumi's own included, since the program's own
  gRPC client work is spent whoever serves it. Built with `go` when it is on PATH, else skipped;
- render: `python -m offline preview --json --no-policy`: the gate reading the stack, serving the
  engine the program runs against (the SDK's standard runtime, in its own namespaces where the
  platform allows), recording and rendering;
- gate: the same with this project's pack, and with a no-op pack (one policy that checks nothing).

It prints, measured in this same run, in wall time and in CPU time of the whole process tree
(steadier on a shared machine: the gate's own process, the program's and the pack's all count):
render/bare (target 1.10), null/bare (what render/bare cannot go under), render/null (the gate's
own serving and recording), gate/render (target 1.15: the pack's start and its analysis overlap the
program's run) and gate/no-op-pack (the pack's own cost). `--baseline DIR` times another
checkout's gate (e.g. `git worktree add /tmp/main main`) on the same program in the same run and
prints its ratios beside these.

    .venv/bin/python -m bench.gate_overhead [--baseline DIR] [--repeat N]     (or: make bench)
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

from offline.runner import EXEC, PARALLEL, program_env
from offline.stackfile import read_stack

ROOT = Path(__file__).resolve().parent.parent
PRIMARIES = 1000
REPEAT = 3
RENDER_TARGET = 1.10  # render / bare
GATE_TARGET = 1.15  # gate with the pack / render

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

# The gate run in-process so that its own CPU and its children's (the program's) are told apart:
# the program's CPU under the gate against the bare run is the floor render/bare cannot go under,
# however fast the gate serves (the SDK's own gRPC client work, on the program's side).
SPLIT = """
import json, resource, runpy, sys
out = sys.argv[1]
sys.argv = ["offline", *sys.argv[2:]]
try:
    runpy.run_module("offline", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
finally:
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    json.dump({"gate": own.ru_utime + own.ru_stime, "program": kids.ru_utime + kids.ru_stime},
              open(out, "w"))
"""

# The program started as offline/runner.py starts it (its interpreter, the SDK's exec script,
# PULUMI_CONFIG), minus the sandbox, against a fresh null engine; the engine's CPU counts too.
NULL = """
import json, os, subprocess, sys, tempfile, time
engine, spec = sys.argv[1], json.load(open(sys.argv[2]))
with tempfile.TemporaryDirectory() as tmp:
    socket = os.path.join(tmp, "engine.sock")
    server = subprocess.Popen([engine, socket, spec["project"], spec["stack"]])
    while not os.path.exists(socket):
        assert server.poll() is None, "nullengine did not start"
        time.sleep(0.005)
    address = "unix:" + socket
    program = subprocess.run(
        [*spec["exec"], "--monitor", address, "--engine", address, *spec["flags"]],
        env=spec["env"], cwd=spec["dir"], stdout=subprocess.DEVNULL)
    server.kill()
    server.wait()
sys.exit(program.returncode)
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


def null_engine(work: Path) -> Path | None:
    """bench/nullengine built into `work`, or None without `go` on PATH."""
    go = shutil.which("go")
    if go is None:
        print("go is not on PATH: the null-engine floor is skipped", file=sys.stderr)
        return None
    binary = work / "nullengine"
    subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=ROOT / "bench" / "nullengine", check=True
    )
    return binary


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
    parser.add_argument(
        "--baseline", type=Path, help="another checkout whose gate to time in the same run"
    )
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs of each, interleaved")
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
        engine = null_engine(Path(tmp))
        null_spec = Path(tmp) / "null.json"
        null_spec.write_text(
            json.dumps(
                {
                    "project": files.project,
                    "stack": "big",
                    "dir": str(program),
                    "env": program_env(files),
                    "exec": [str(program / ".venv" / "bin" / "python"), "-u", str(EXEC)],
                    "flags": [
                        *("--project", files.project, "--stack", "big", "--pwd", str(program)),
                        *("--dry_run", "true", "--parallel", str(PARALLEL)),
                        *("--organization", "organization", "--root_directory", str(program)),
                        str(program),
                    ],
                }
            )
        )
        preview = [sys.executable, "-m", "offline", "preview", "--program", str(program)]
        preview += ["--stack", "big", "--json"]
        # (name, command, the checkout it runs in)
        commands = [
            ("bare", [sys.executable, "-c", BARE, str(spec)], ROOT),
            *(
                [("null", [sys.executable, "-c", NULL, str(engine), str(null_spec)], ROOT)]
                if engine is not None
                else []
            ),
            ("render", [*preview, "--no-policy"], ROOT),
            ("gate", [*preview, "--policy-pack", str(ROOT / "policies")], ROOT),
            ("noop", [*preview, "--policy-pack", str(noop)], ROOT),
        ]
        if args.baseline is not None:
            base = args.baseline.resolve()
            commands += [
                ("base-render", [*preview, "--no-policy"], base),
                ("base-gate", [*preview, "--policy-pack", str(base / "policies")], base),
            ]
        split_file = Path(tmp) / "split.json"
        split_args = ["--program", str(program), "--stack", "big", "--json", "--no-policy"]
        commands.append(
            ("split", [sys.executable, "-c", SPLIT, str(split_file), "preview", *split_args], ROOT)
        )
        splits: list[dict[str, float]] = []
        walls: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        for _ in range(args.repeat):
            for name, command, cwd in commands:
                took, used = timed(command, cwd=cwd)
                walls[name].append(took)
                cpus[name].append(used)
                if name == "split":
                    splits.append(json.loads(split_file.read_text()))
    wall = {name: statistics.median(runs) for name, runs in walls.items()}
    cpu = {name: statistics.median(runs) for name, runs in cpus.items()}
    labels = {
        "bare": "bare program, SDK mock engine",
        "null": "null engine (Go, records nothing)",
        "render": "gate render (--no-policy)",
        "gate": "gate + kurl-lb pack",
        "noop": "gate + no-op pack",
        "base-render": f"baseline render ({args.baseline})",
        "base-gate": "baseline gate + its pack",
        "split": "gate render, in-process (CPU split below)",
    }
    print(f"{PRIMARIES} registered primaries ({expected} resources), median of {args.repeat} runs")
    print(f"  {'':<44} {'wall':>7} {'CPU':>7}")
    for name in wall:
        print(f"  {labels[name]:<44} {wall[name]:6.2f}s {cpu[name]:6.2f}s")
    print(f"{'':<24} {'wall':>5} {'CPU':>6}")

    def ratio(label: str, top: str, bottom: str, target: float | None = None) -> None:
        pair = wall[top] / wall[bottom], cpu[top] / cpu[bottom]
        verdict = ""
        if target is not None:
            verdict = f"  ({'within' if pair[0] <= target else 'OVER'} the {target}x target, wall)"
        print(f"{label:<24} {pair[0]:5.2f} {pair[1]:6.2f}{verdict}")

    gate_cpu = statistics.median(x["gate"] for x in splits)
    program_cpu = statistics.median(x["program"] for x in splits)
    print(f"  render CPU split: gate process {gate_cpu:.2f}s, program {program_cpu:.2f}s")
    print(
        f"  program under the gate / bare program, CPU: {program_cpu / cpu['bare']:.2f} "
        "(the SDK's own RPC client work: the floor of render / bare)"
    )
    ratio("render / bare", "render", "bare", RENDER_TARGET)
    if "null" in wall:
        ratio("null / bare", "null", "bare")
        ratio("render / null", "render", "null")
    ratio("gate / render", "gate", "render", GATE_TARGET)
    ratio("gate / no-op-pack", "gate", "noop")
    if args.baseline is not None:
        ratio("baseline render / bare", "base-render", "bare")
        ratio("baseline gate / render", "base-gate", "base-render")
    return 0


if __name__ == "__main__":
    sys.exit(main())
