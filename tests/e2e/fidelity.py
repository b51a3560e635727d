"""Offline fidelity: the offline preview's graph against the real engine's plan for one stack.

Compared per URN: the resource set, types, parents, and (custom resources) the inputs the
program sent to the provider (the doubles echo Check, so the engine's planned inputs are exactly
those); then the stack outputs against the engine's after `pulumi up`, where the offline value is
known. Every difference that remains on purpose is in KNOWN_DIFFERENCES with its reason; anything
else fails `make e2e`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.engine import VENV, Sandbox

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's and the offline JSON's marker

# (what differs, why it is expected). Empty means the two agree on everything compared.
KNOWN_DIFFERENCES: dict[str, str] = {
    "lookups unknown offline": (
        "the offline preview has no cloud to ask: a value built from a lookup the stack's "
        "offline/invokes/<stack>.yaml does not answer is unknown there, while the doubles answer "
        "every lookup kurl-lb makes. Both sides read that file first, so for the example stacks "
        "no such value remains; an unknown offline value matches any engine value (weaker, "
        "never contradictory), and each such match is listed."
    ),
    "secrets masked by the engine": (
        '`pulumi preview --json` shows every secret input as "[secret]"; the offline JSON '
        'carries {"secret": value}. Offline secrets are compared as "[secret]".'
    ),
    "provider bookkeeping": (
        "the engine adds `version` (the plugin's) and `__internal` to the inputs of an explicit "
        "provider resource (pulumi:providers:*, e.g. Azure's classic provider for NIC pools); "
        "those two are not compared."
    ),
    "outputs known only after deploy": (
        "values only a cloud computes (DNS names, addresses) are unknown offline, as in a first "
        "`pulumi preview`; after `pulumi up` the engine has them. Compared only where the "
        "offline value is known."
    ),
}


@dataclass(frozen=True)
class Difference:
    urn: str
    what: str
    offline: Any
    engine: Any

    def __str__(self) -> str:
        return f"{self.urn}: {self.what}: offline {self.offline!r} != engine {self.engine!r}"


def invokes_file(box: Sandbox, stack: str) -> Path | None:
    """The example stack's lookup results (offline/invokes/<stack>.yaml), if it ships them."""
    path = box.project / "offline" / "invokes" / f"{stack}.yaml"
    return path if path.is_file() else None


def offline_preview(box: Sandbox, stack: str) -> dict[str, Any]:
    invokes = invokes_file(box, stack)
    cmd = [
        str(VENV / "bin" / "python"),
        "-m",
        "offline",
        "preview",
        "--program",
        str(box.project),
        "--stack",
        stack,
        "--json",
        *(["--invokes", str(invokes)] if invokes else []),
    ]
    proc = subprocess.run(cmd, cwd=box.project, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"offline preview of {stack} exited {proc.returncode}")
    return dict(json.loads(proc.stdout))


def agrees(offline: Any, engine: Any) -> bool:
    """Equal, where an unknown offline value (anywhere inside) matches any engine value."""
    if offline == UNKNOWN:
        return True
    if isinstance(offline, dict) and isinstance(engine, dict):
        return offline.keys() == engine.keys() and all(
            agrees(offline[k], engine[k]) for k in offline
        )
    if isinstance(offline, list) and isinstance(engine, list):
        return len(offline) == len(engine) and all(map(agrees, offline, engine))
    return bool(offline == engine)


PROVIDER_BOOKKEEPING = ("version", "__internal")


def masked(value: Any) -> Any:
    """An offline value as the engine's preview JSON shows it: secrets as "[secret]"."""
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return "[secret]"
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def compare_graph(
    offline: dict[str, Any], steps: list[dict[str, Any]]
) -> tuple[list[Difference], list[Difference]]:
    """(differences, unknown-offline matches) between the offline graph and the engine's plan."""
    off = {r["urn"]: r for r in offline["resources"]}
    eng = {s["urn"]: s["newState"] for s in steps}
    diffs = [Difference(u, "only offline", True, False) for u in sorted(off.keys() - eng.keys())]
    diffs += [Difference(u, "only in the engine", False, True) for u in sorted(eng.keys() - off)]
    weaker: list[Difference] = []
    for urn in sorted(off.keys() & eng.keys()):
        o, e = off[urn], eng[urn]
        if o["type"] != e["type"]:
            diffs.append(Difference(urn, "type", o["type"], e["type"]))
        if (o.get("parent") or None) != (e.get("parent") or None):
            diffs.append(Difference(urn, "parent", o.get("parent"), e.get("parent")))
        o_inputs, e_inputs = masked(o["inputs"]), dict(e.get("inputs", {}))
        if o["type"].startswith("pulumi:providers:"):
            for k in PROVIDER_BOOKKEEPING:
                e_inputs.pop(k, None)
        if o["custom"] and o_inputs != e_inputs:
            keys = sorted(set(o_inputs) | set(e_inputs))
            for k in keys:
                ov, ev = o_inputs.get(k), e_inputs.get(k)
                if ov != ev:
                    found = Difference(urn, f"input {k}", ov, ev)
                    (weaker if agrees(ov, ev) else diffs).append(found)
    return diffs, weaker


def compare_outputs(offline: dict[str, Any], deployed: dict[str, Any]) -> list[Difference]:
    stack = "stack outputs"
    off = offline["outputs"]
    diffs = [
        Difference(stack, f"output {k} missing", k in off, k in deployed)
        for k in sorted(off.keys() ^ deployed.keys())
    ]
    for k in sorted(off.keys() & deployed.keys()):
        if off[k] != UNKNOWN and off[k] != deployed[k]:
            diffs.append(Difference(stack, f"output {k}", off[k], deployed[k]))
    return diffs
