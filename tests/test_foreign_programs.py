"""Foreign programs (ordinary Pulumi programs, no kurl-lb components) through the offline gate.

Each directory in tests/programs/ holds Pulumi.yaml, __main__.py, Pulumi.ci.yaml and
expected.yaml: the gate's exit code and its verdicts as (policy, resource name) pairs, split into
mandatory violations, mandatory checks unverified at preview, and (when listed) advisories.

Every program is recorded in this process (the recorder the gate's harness is built on, the
program's own directory, cwd and stack config) and judged by the pack over gRPC, one pack process
for the module. A few per cloud and per policy category (BOUNDARY) also run as the gate runs
them, each in its own process (`offline.runner.run_program`): their verdicts must be the same, so
the in-process recording stands for the gate's.
"""

from __future__ import annotations

import functools
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.analyzer import Diagnostic, PolicyGate, PolicyResult
from offline.cli import EXIT_UNVERIFIED, exit_code
from offline.recorder import Graph
from offline.runner import run_program
from offline.stackfile import read_stack
from tests.conftest import PROJECT_ROOT
from tests.inprocess import preview, record_stack
from tests.test_offline_preview import run_preview

PROGRAMS = PROJECT_ROOT / "tests" / "programs"
EXPECTED = sorted(p.parent for p in PROGRAMS.glob("*/expected.yaml"))
# Run in their own process too: a handful per cloud and per policy category.
BOUNDARY = [
    "aws_alb_443_to_6443",  # api-layer4-only
    "aws_http_health_check_behind_443",  # api-health-check-tcp
    "aws_listener_in_apply_instance_targets",  # a front end created inside an apply
    "aws_native_internal_nlb_instances",  # aws-native
    "azure_classic_rule_on_native_internal_lb",  # azure-native and classic mixed
    "azure_internal_nat_rule_range",  # Azure inbound NAT rules
    "gcp_url_map_path_matcher_to_api",  # GCP routing beyond defaultService
    "gcp_internal_all_ports_appliance",  # no false alarm
]


@pytest.fixture
def gate(pack: PolicyGate) -> PolicyGate:
    """The project's pack (tests/conftest.py: one per test process)."""
    return pack


LOOKED_UP = str(PROGRAMS / "aws_listener_on_looked_up_lb")
CLI_RUNS = {"strict": ("--program", LOOKED_UP, "--stack", "ci")}


@pytest.fixture(scope="module", autouse=True)
def own_process(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[Any]]]:
    """The runs in their own process that the selected tests need, started with the module (they
    run while the in-process tests do, and each mostly waits on its child): boundary programs
    through the gate's runner, and the gate's command line."""
    selected = {i.name for i in request.session.items if i.path == request.path}
    cli_tests = {"strict": "test_unverified_exits_3_strict_and_0_with_no_strict"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs: dict[str, Future[Any]] = {
            name: pool.submit(
                run_program,
                read_stack(PROGRAMS / name, "ci"),
                PROGRAMS / name,
                deadline=time.monotonic() + 300,
            )
            for name in BOUNDARY
            if f"test_foreign_program_verdict_in_its_own_process[{name}]" in selected
        }
        runs.update(
            {
                key: pool.submit(run_preview, *args)
                for key, args in CLI_RUNS.items()
                if cli_tests[key] in selected
            }
        )
        yield runs


def _pairs(diagnostics: Any) -> list[list[str]]:
    return sorted([d.policy, d.urn.rsplit("::", 1)[-1]] for d in diagnostics)


def summary(result: PolicyResult) -> dict[str, list[list[str]]]:
    unverified = result.unverified
    return {
        "mandatory": _pairs(result.mandatory),
        "unverified": _pairs(unverified),
        "advisory": _pairs(
            d for d in result.diagnostics if d.level == "advisory" and d not in unverified
        ),
    }


def test_there_are_enough_foreign_programs() -> None:
    assert len(EXPECTED) >= 40
    clouds = {p.name.split("_")[0] for p in EXPECTED}
    assert clouds == {"aws", "azure", "gcp"}


@functools.cache
def record_in_process(program: Path) -> Graph:
    """The program recorded as the gate's harness records it, in this process (once: a boundary
    program's own-process test compares with the recording its in-process test judged)."""
    return record_stack("ci", program)


def test_the_boundary_programs_exist() -> None:
    assert set(BOUNDARY) <= {p.name for p in EXPECTED}


@pytest.mark.parametrize("program", EXPECTED, ids=lambda p: p.name)
def test_foreign_program_verdict(gate: PolicyGate, program: Path) -> None:
    check_verdict(gate, program, record_in_process(program))


@pytest.mark.parametrize("name", BOUNDARY)
def test_foreign_program_verdict_in_its_own_process(
    gate: PolicyGate, own_process: dict[str, Future[Any]], name: str
) -> None:
    program = PROGRAMS / name
    graph = own_process[name].result()
    check_verdict(gate, program, graph)
    assert summary(gate.analyze(graph)) == summary(gate.analyze(record_in_process(program)))


def check_verdict(gate: PolicyGate, program: Path, graph: Graph) -> None:
    expected = yaml.safe_load((program / "expected.yaml").read_text())
    result = gate.analyze(graph)
    # Never the SDK's generic "can't run policy" note: the pack reads unknowns itself.
    assert not [d for d in result.diagnostics if d.skipped], result.diagnostics
    got = summary(result)
    assert got["mandatory"] == sorted(expected.get("mandatory", [])), result.diagnostics
    assert got["unverified"] == sorted(expected.get("unverified", [])), result.diagnostics
    if "advisory" in expected:
        assert got["advisory"] == sorted(expected["advisory"]), result.diagnostics
    assert exit_code(result, strict=True) == expected["exit"]
    for d in result.unverified:
        # It names what it could not see: an unknown property, or the missing piece.
        assert "cannot verify at preview" in d.message
        assert "property" in d.message or "missing" in d.message, d.message


def test_unverified_exits_3_strict_and_0_with_no_strict(
    own_process: dict[str, Future[subprocess.CompletedProcess[str]]], gate: PolicyGate
) -> None:
    strict = own_process["strict"].result()
    assert strict.returncode == EXIT_UNVERIFIED, strict.stdout + strict.stderr
    assert "[unverified]  aws-internal-nlb-ip-targets  (aws:lb:TargetGroup: api)" in strict.stdout
    assert "0 mandatory, 3 unverified at preview" in strict.stdout
    # --no-strict --json, by the gate's steps in this process (tests/inprocess.py).
    lenient = preview("ci", program=Path(LOOKED_UP), pack=gate, strict=False, as_json=True)
    assert lenient.code == 0
    doc = yaml.safe_load(lenient.stdout)
    assert {d["level"] for d in doc["policy"]["diagnostics"]} == {"mandatory"}
    assert all("cannot verify at preview" in d["message"] for d in doc["policy"]["diagnostics"])


def test_a_violation_wins_over_unverified_checks(gate: PolicyGate) -> None:
    result = preview("ci", program=PROGRAMS / "aws_alb_443_to_6443", pack=gate)
    assert result.code == 1
    assert "[mandatory]  api-layer4-only  (aws:lb:LoadBalancer: api)" in result.stdout


def test_exit_codes_return_the_lowest_that_applies() -> None:
    def result(*messages: tuple[str, str]) -> PolicyResult:
        return PolicyResult(
            pack="kurl-lb",
            version="0",
            policies={"p": "mandatory"},
            diagnostics=[Diagnostic("p", level, "urn", message) for level, message in messages],
        )

    violated = ("mandatory", "description\nthe target group is wrong")
    unverified = ("mandatory", "description\ncannot verify at preview: p: x unknown")
    skipped = ("advisory", "can't run policy 'p' from policy pack 'kurl-lb@v0' during preview")
    assert exit_code(result(violated, unverified), strict=True, address_blocked=True) == 1
    assert exit_code(result(unverified), strict=True, address_blocked=True) == EXIT_UNVERIFIED
    assert exit_code(result(skipped), strict=True) == EXIT_UNVERIFIED  # the SDK skipped it
    assert exit_code(result(unverified), strict=False) == 0
    assert exit_code(result(unverified), strict=False, address_blocked=True) == 4
    assert exit_code(result(("advisory", "description\nopen")), strict=True) == 0
    assert exit_code(None, strict=True) == 0
