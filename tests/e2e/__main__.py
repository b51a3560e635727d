"""`make e2e`: the README's deploy path through the real Pulumi CLI (toolchain/bin), per cloud.

Steps (each in its own sandbox: a copy of the project, a file backend, no network; see
tests/e2e/README.md):
  a. readme    every `pulumi` line of the README's "Deploying for real" block for the cloud, as
               written (the runner adds `--yes` where the CLI would ask for confirmation);
               `preview --policy-pack policies` must be clean, `up` must give the outputs.
  b. staged    registering primaries[1] is exactly one create in the engine's own plan;
               deregistering exactly one delete; reordering primaries no change.
  c. policy    `pulumi preview --policy-pack policies` on tests/programs/aws_instance_targets
               fails with the mandatory policies named.
  d. fidelity  the offline preview and the engine agree on each example stack (fidelity.py).
  e. destroy   `pulumi destroy` on a stack whose front end is protected stops, names the
               protected resource and how to unprotect it, and deletes nothing.
  f. consumers programs in YAML and TypeScript (tests/e2e/consumers/<language>) use the component
               package provider/: `pulumi preview` plans AwsKurlNlb and its children; after
               the YAML program's `pulumi up`, the component's outputs are the program's.
  g. real aws  `pulumi preview` of every AWS stack file, of examples/aws and of the README's AWS
               deploy block through the real AWS provider of `make providers` (the Terraform
               AWS provider's Check under pulumi-terraform-bridge, not a double): every AWS
               resource passes the provider's own validation. Skipped, saying so, when the
               plugin is not built.
  h. move      planned API address moves (moves.py, docs/runbook.md 6.3), of the README's stack
               and of each full example stack (Pulumi.<cloud>-full.yaml: static address + DNS
               record, to a new address and DNS name): step 1 plans creates only (Azure: its
               LB's in-place update), the outputs name the new address and the kURL flags;
               step 2, after `pulumi state unprotect` of what the engine names, plans the old
               front end's deletes only, and the address becomes the one step 1 named.
  i. ports     on each full example stack (every option on): adding back its last extra port
               plans creates only; registering one more primary plans exactly its
               registrations (AWS: one per front end and port; Azure, GCP: one) (ports.py).
Exit 0 when every step passed, 1 otherwise (the failures are listed).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.engine import (
    AWS_LOOKUPS,
    AWS_PLUGIN,
    ENGINE_BIN,
    REAL_PROVIDERS,
    ROOT,
    VENV,
    E2EFailure,
    Sandbox,
    changes,
)
from tests.e2e.fidelity import (
    KNOWN_DIFFERENCES,
    compare_graph,
    compare_outputs,
    invokes_file,
    offline_preview,
)
from tests.e2e.moves import step_move, step_move_full
from tests.e2e.ports import REGISTRATION_TYPES, step_ports

CLOUDS = ("aws", "azure", "gcp")
EXAMPLE_STACKS = {"aws": "dev", "azure": "azure-dev", "gcp": "gcp-dev"}
# Front ends the components protect (deletionProtection: true); AWS protects its NLB with the
# NLB's own deletion-protection attribute, which only AWS enforces (the doubles do not).
PROTECTED_TYPES = {
    "azure": {"azure-native:network:PublicIPAddress", "azure-native:network:LoadBalancer"},
    "gcp": {"gcp:compute/address:Address", "gcp:compute/forwardingRule:ForwardingRule"},
}
MANDATORY_ON_INSTANCE_TARGETS = (
    "aws-internal-nlb-ip-targets",
    "aws-internal-nlb-no-client-ip-preservation",
)
# What a consumer program's preview must plan: the component, and these children of it
# (tests/e2e/consumers/*: three primaries, the first two registered).
CONSUMER_COMPONENT = "kurl:index:AwsKurlNlb"
CONSUMER_CHILDREN = {
    "aws:lb/loadBalancer:LoadBalancer": 1,
    "aws:lb/targetGroup:TargetGroup": 1,
    "aws:lb/listener:Listener": 1,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": 2,
}
CONSUMERS = ("yaml", "typescript")
README_BLOCK = re.compile(r"<!-- e2e: (\w+) -->\s*```sh\n(.*?)```", re.S)


def readme_blocks() -> dict[str, list[str]]:
    """The README's deploy commands per cloud, one command line each (comments kept)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = {cloud: body.splitlines() for cloud, body in README_BLOCK.findall(text)}
    missing = [c for c in CLOUDS if c not in blocks]
    if missing:
        raise E2EFailure(f"README.md has no `<!-- e2e: {missing[0]} -->` deploy block")
    for cloud, lines in blocks.items():
        for line in lines:
            if line.strip() and not line.lstrip().startswith(("pulumi ", "#")):
                raise E2EFailure(f"README {cloud} block: not a pulumi command: {line!r}")
    return blocks


def non_interactive(line: str) -> str:
    """`pulumi up`/`destroy` ask for confirmation on a terminal; answer it as --yes does."""
    return re.sub(r"^(\s*pulumi (?:up|destroy))\b", r"\1 --yes", line)


def stack_file(box: Sandbox, stack: str) -> Path:
    return box.project / f"Pulumi.{stack}.yaml"


# ---- a. the README's commands ------------------------------------------------------------


def step_readme(cloud: str, lines: list[str]) -> Sandbox:
    box = Sandbox(f"readme-{cloud}")
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        result = box.run(non_interactive(line))
        if "--policy-pack" in line and (
            "mandatory" in result.output or "advisory" in result.output
        ):
            raise E2EFailure(f"`{line}` reported policy violations:\n{result.output}")
    outputs = box.pulumi("stack", "output", "--json").json()
    address = outputs.get("loadBalancerAddress")
    if not isinstance(address, str) or not re.fullmatch(r"[A-Za-z0-9.-]+:6443", address):
        raise E2EFailure(f"{cloud}: loadBalancerAddress {address!r} is not host:6443")
    expected = {
        "kurlInstallFlags": f"ha load-balancer-address={address}",
        "registeredPrimaries": ["primary-1"],
        "pendingPrimaries": ["primary-2"],
    }
    for key, value in expected.items():
        if outputs.get(key) != value:
            raise E2EFailure(f"{cloud}: output {key} is {outputs.get(key)!r}, want {value!r}")
    kubernetes = outputs.get("kurlInstaller", {}).get("spec", {}).get("kubernetes", {})
    if kubernetes != {"HACluster": True, "loadBalancerAddress": address}:
        raise E2EFailure(f"{cloud}: kurlInstaller.spec.kubernetes is {kubernetes!r}")
    return box


# ---- b. staged primaries through the engine's plan ---------------------------------------


def expect_one(box: Sandbox, cloud: str, op: str, primary: str) -> None:
    found = changes(box.preview_steps())
    ok = (
        len(found) == 1
        and found[0][0] == op
        and f"${REGISTRATION_TYPES[cloud]}::" in found[0][1]
        and primary in found[0][1].rsplit("::", 1)[1]
    )
    if not ok:
        raise E2EFailure(
            f"{cloud}: the engine plans {found}, want exactly one {op} of the "
            f"{REGISTRATION_TYPES[cloud]} of {primary}"
        )


def step_staged(cloud: str, box: Sandbox) -> None:
    box.run("pulumi config set --path 'kurl-lb:primaries[1].registered' true")
    expect_one(box, cloud, "create", "primary-2")
    box.pulumi("up", "--yes")
    registered = box.pulumi("stack", "output", "registeredPrimaries", "--json").json()
    if registered != ["primary-1", "primary-2"]:
        raise E2EFailure(f"{cloud}: registeredPrimaries after registering is {registered}")
    box.run("pulumi config set --path 'kurl-lb:primaries[1].registered' false")
    expect_one(box, cloud, "delete", "primary-2")
    box.pulumi("up", "--yes")
    # Reordering the listed primaries (an edit of the stack file) changes nothing.
    path = stack_file(box, "prod")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["config"]["kurl-lb:primaries"].reverse()
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    if found := changes(box.preview_steps()):
        raise E2EFailure(f"{cloud}: reordering primaries plans {found}, want no change")


# ---- c. the policy pack through the engine -----------------------------------------------


def step_policy() -> None:
    box = Sandbox("policy")
    try:
        program = box.project / "tests" / "programs" / "aws_instance_targets"
        # The program names no virtualenv: the host runs the `python3` on PATH, here the
        # project's (it holds pulumi and pulumi-aws).
        venv_bin = [VENV / "bin"]
        box.run("pulumi stack init ci", cwd=program, extra_path=venv_bin)
        result = box.run(
            f"pulumi preview --policy-pack {box.project / 'policies'}",
            cwd=program,
            expect_ok=False,
            extra_path=venv_bin,
        )
        if result.returncode == 0:
            raise E2EFailure(f"the pack let instance targets through:\n{result.output}")
        missing = [p for p in MANDATORY_ON_INSTANCE_TARGETS if p not in result.output]
        if missing or "mandatory" not in result.output:
            raise E2EFailure(f"mandatory policies {missing} not reported:\n{result.output}")
    finally:
        box.cleanup()


# ---- d. offline fidelity -----------------------------------------------------------------


def step_fidelity(cloud: str) -> list[str]:
    stack = EXAMPLE_STACKS[cloud]
    box = Sandbox(f"fidelity-{cloud}")
    try:
        if invokes := invokes_file(box, stack):
            box.extra_env["KURL_E2E_INVOKES"] = str(invokes)
        box.pulumi("stack", "init", stack)
        offline = offline_preview(box, stack)
        diffs, weaker = compare_graph(offline, box.preview_steps())
        box.pulumi("up", "--yes")
        diffs += compare_outputs(offline, box.pulumi("stack", "output", "--json").json())
        if diffs:
            listing = "\n  ".join(map(str, diffs))
            raise E2EFailure(f"{stack}: offline and engine differ:\n  {listing}")
        return [f"{stack}: {d.urn.rsplit('::', 1)[1]} {d.what}" for d in weaker]
    finally:
        box.cleanup()


# ---- e. destroy stops at protected front ends --------------------------------------------


def step_destroy(cloud: str, box: Sandbox) -> None:
    before = {r["urn"]: r for r in box.pulumi("stack", "export").json()["deployment"]["resources"]}
    protected = sorted(u for u, r in before.items() if r.get("protect"))
    if {before[u]["type"] for u in protected} != PROTECTED_TYPES[cloud]:
        raise E2EFailure(f"{cloud}: protected resources are {protected}")
    result = box.pulumi("destroy", "--yes", expect_ok=False)
    said = all(w in result.output for w in ("cannot be deleted", "protected", "state unprotect"))
    if result.returncode == 0 or not said:
        raise E2EFailure(f"{cloud}: destroy did not stop at protection:\n{result.output}")
    after = {r["urn"] for r in box.pulumi("stack", "export").json()["deployment"]["resources"]}
    # The engine refuses the whole destroy in its preview: nothing at all is deleted.
    if gone := sorted(set(before) - after):
        raise E2EFailure(f"{cloud}: destroy deleted {gone}")


# ---- f. the component package from other languages ----------------------------------------


def step_consumer(language: str) -> None:
    box = Sandbox(f"consumer-{language}")
    try:
        program = box.project / "tests" / "e2e" / "consumers" / language
        if language == "typescript":
            missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
            if missing:
                raise E2EFailure(f"typescript: {' and '.join(missing)} not on PATH (Node.js 20+)")
            # What a user does: generate the SDK into sdks/, link it in package.json, npm install
            # (from npm's cache when it holds the pinned packages), record it in Pulumi.yaml.
            box.extra_env["npm_config_prefer_offline"] = "true"
            box.pulumi("package", "add", "../../../../provider", cwd=program)
        box.pulumi("stack", "init", "dev", cwd=program)
        steps = box.preview_steps(cwd=program)
        planned = [(s["op"], s["urn"].split("::")[2], s["urn"]) for s in steps]
        if not any(t == CONSUMER_COMPONENT and op == "create" for op, t, _ in planned):
            raise E2EFailure(f"{language}: no {CONSUMER_COMPONENT} planned: {planned}")
        for child, want in CONSUMER_CHILDREN.items():
            found = [u for op, t, u in planned if t == f"{CONSUMER_COMPONENT}${child}"]
            if len(found) != want:
                raise E2EFailure(
                    f"{language}: {len(found)} {child} planned under {CONSUMER_COMPONENT}, "
                    f"want {want}: {found}"
                )
        if stray := [u for op, _, u in planned if op != "create"]:
            raise E2EFailure(f"{language}: a first preview plans more than creates: {stray}")
        if language != "yaml":
            return  # `up` adds 5-10 s per language; one shows the outputs arrive
        # The component's outputs cross the package boundary back to the program.
        box.pulumi("up", "--yes", "--skip-preview", cwd=program)  # just previewed
        outputs = box.pulumi("stack", "output", "--json", cwd=program).json()
        address = outputs.get("loadBalancerAddress")
        if not isinstance(address, str) or not address.endswith(".amazonaws.com:6443"):
            raise E2EFailure(f"{language}: loadBalancerAddress is {address!r}")
        registered = outputs.get("registeredPrimaries")
        if registered != ["primary-1", "primary-2"]:
            raise E2EFailure(f"{language}: registeredPrimaries is {registered!r}")
    finally:
        box.cleanup()


# ---- g. every AWS plan through the real AWS provider's Check -------------------------------

# Auto-named by pulumi-aws's rule (the plugin reproduces it): at most 32 characters, "-" and 7
# random ones. The doubles echo inputs, so a name here shows the real provider's Check ran.
AUTONAMED_32 = ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup")


def aws_stacks() -> list[str]:
    """The stacks whose Pulumi.<stack>.yaml builds the AWS component."""
    stacks = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
        if config.get("kurl-lb:cloud") == "aws":
            stacks.append(path.name.removeprefix("Pulumi.").removesuffix(".yaml"))
    return stacks


def real_aws_sandbox(label: str) -> Sandbox:
    box = Sandbox(label, providers=[REAL_PROVIDERS])
    box.extra_env["KURL_AWS_LOOKUPS"] = str(AWS_LOOKUPS)  # lookups as the doubles answer them
    return box


def checked_by_the_provider(what: str, steps: list[dict[str, Any]]) -> int:
    """The AWS resources of a first preview's plan, all creates, the auto-named ones named by
    the real provider's Check; returns how many there are."""
    aws = [s for s in steps if s["urn"].split("::")[2].rsplit("$", 1)[-1].startswith("aws:")]
    if not aws:
        raise E2EFailure(f"{what}: no AWS resource planned")
    for step in aws:
        token = step["urn"].split("::")[2].rsplit("$", 1)[-1]
        if step["op"] != "create":
            raise E2EFailure(f"{what}: a first preview plans {step['op']} of {step['urn']}")
        name = step.get("newState", {}).get("inputs", {}).get("name")
        if token in AUTONAMED_32 and not (
            isinstance(name, str) and len(name) <= 32 and re.fullmatch(r".+-[a-z0-9]{7}", name)
        ):
            raise E2EFailure(
                f"{what}: {step['urn']} has name {name!r}, not one the real provider's Check "
                "gives (is the pass-through double on PATH instead?)"
            )
    return len(aws)


def step_real_aws(blocks: dict[str, list[str]]) -> str:
    checked: list[str] = []
    for stack in aws_stacks():
        box = real_aws_sandbox(f"real-aws-{stack}")
        try:
            if invokes := invokes_file(box, stack):
                box.extra_env["KURL_E2E_INVOKES"] = str(invokes)
            box.pulumi("stack", "init", stack)
            n = checked_by_the_provider(f"stack {stack}", box.preview_steps())
            checked.append(f"{stack} ({n})")
        finally:
            box.cleanup()
    box = real_aws_sandbox("real-aws-example")
    try:
        program = box.project / "examples" / "aws"
        box.pulumi("stack", "init", "example", cwd=program)
        n = checked_by_the_provider("examples/aws", box.preview_steps(cwd=program))
        checked.append(f"examples/aws ({n})")
    finally:
        box.cleanup()
    # The README's commands up to `pulumi up` (the plugin plans; it never creates anything).
    box = real_aws_sandbox("real-aws-readme")
    try:
        for line in blocks["aws"]:
            if line.lstrip().startswith("pulumi up"):
                break
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            result = box.run(line)
            if "--policy-pack" in line and (
                "mandatory" in result.output or "advisory" in result.output
            ):
                raise E2EFailure(f"`{line}` reported policy violations:\n{result.output}")
        n = checked_by_the_provider("README aws block", box.preview_steps())
        checked.append(f"README aws block ({n})")
    finally:
        box.cleanup()
    return ", ".join(checked)


# ---- driver ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--cloud", action="append", choices=CLOUDS, help="only these clouds")
    parser.add_argument("--keep", action="store_true", help="keep the sandboxes for inspection")
    args = parser.parse_args()
    if not (ENGINE_BIN / "pulumi").exists():
        print(
            "make e2e: no Pulumi CLI: run `make engine` (builds tests/e2e/toolchain/bin/pulumi)"
            " or put a released `pulumi` on PATH",
            file=sys.stderr,
        )
        return 2
    clouds = args.cloud or list(CLOUDS)
    failures: list[str] = []
    started = time.monotonic()

    def check(name: str, fn: Callable[..., Any], *a: Any) -> Any:
        t0 = time.monotonic()
        try:
            value = fn(*a)
        except E2EFailure as e:
            failures.append(f"{name}: {e}")
            print(f"FAIL {name} ({time.monotonic() - t0:.0f} s)\n{e}", flush=True)
            return None
        print(f"ok   {name} ({time.monotonic() - t0:.0f} s)", flush=True)
        return value

    blocks = check("README deploy blocks", readme_blocks) or {}
    for cloud in clouds:
        if cloud not in blocks:
            continue
        box = check(f"{cloud} a. README deploy commands", step_readme, cloud, blocks[cloud])
        if box is None:
            continue
        check(f"{cloud} b. staged primaries, engine plan", step_staged, cloud, box)
        check(f"{cloud} h. planned API address move, engine plan", step_move, cloud, box)
        if cloud in PROTECTED_TYPES:
            check(f"{cloud} e. destroy stops at the protected front end", step_destroy, cloud, box)
        if not args.keep:
            box.cleanup()
    if "aws" in clouds:
        check("c. policy pack through the engine rejects instance targets", step_policy)
    if "aws" in clouds:
        for language in CONSUMERS:
            check(f"f. component package from {language}", step_consumer, language)
    if "aws" in clouds and "aws" in blocks:
        if AWS_PLUGIN.exists():
            checked = check("g. real AWS provider: Check of every AWS plan", step_real_aws, blocks)
            if checked:
                print(f"     AWS resources checked by the provider: {checked}")
        else:
            print(
                f"skip g. real AWS provider: {AWS_PLUGIN.relative_to(ROOT)} is not built "
                "(`make providers`; needs Go)",
                flush=True,
            )
    for cloud in clouds:
        check(f"{cloud} h. full stack: static address + DNS, address move", step_move_full, cloud)
        check(f"{cloud} i. full stack: an extra port, one more primary", step_ports, cloud)
    weaker: list[str] = []
    for cloud in clouds:
        weaker += check(f"{cloud} d. offline preview == engine preview", step_fidelity, cloud) or []

    print("\nknown offline/engine differences (tests/e2e/fidelity.py):")
    for what, why in KNOWN_DIFFERENCES.items():
        print(f"  - {what}: {why}")
    for line in weaker:
        print(f"      unknown offline, known to the engine: {line}")
    total = time.monotonic() - started
    print(f"\ne2e: {len(failures)} failed in {total:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
