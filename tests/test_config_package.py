"""The declarations keep their promises to docs/config.md: every field has an allowed form, and
every rule across fields is listed there, by the one-line description it is made with."""

from __future__ import annotations

from components.args import DECLARATIONS
from components.args.common import SHARED_RULES
from components.declare import Spec, form_of, record_specs
from tests.conftest import PROJECT_ROOT


def _specs() -> list[tuple[str, Spec]]:
    out: list[tuple[str, Spec]] = []
    for d in DECLARATIONS.values():
        for spec in d.specs.values():
            out.append((d.component, spec))
            if spec.record is not None:
                out += [(spec.record.__name__, s) for s in record_specs(spec).values()]
    return out


def test_every_field_has_an_allowed_form() -> None:
    # The provider settings say their form through their provider (`gcp:region`).
    exempt = {"region", "location", "subscription_id", "project", "secret_args"}
    for owner, spec in _specs():
        assert form_of(spec) or spec.name in exempt, f"{owner}.{spec.name}"


def test_derived_forms_read_the_constraints() -> None:
    aws = DECLARATIONS["aws"].specs
    health = record_specs(aws["health_check"])
    assert form_of(health["interval_seconds"]) == "integer 5-300"
    assert form_of(aws["target_type"]) == "ip or instance"
    assert form_of(record_specs(aws["primaries"])["address"]) == (
        "private IPv4 address (in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10), "
        "e.g. 10.0.1.10"
    )


def test_every_rule_is_listed_in_the_config_reference() -> None:
    text = (PROJECT_ROOT / "docs" / "config.md").read_text()
    for d in DECLARATIONS.values():
        assert len({r.name for r in d.rules}) == len(d.rules)
        for r in d.rules:
            assert "\n" not in r.description
            assert f"- {r.description}\n" in text, r.name


def test_each_cloud_runs_the_shared_rules_and_only_its_own() -> None:
    owners = {r.check.__module__ for d in DECLARATIONS.values() for r in d.rules}
    assert owners == {f"components.args.{m}" for m in ("common", "aws", "azure", "gcp")}
    for d in DECLARATIONS.values():
        assert d.rules[: len(SHARED_RULES)] == SHARED_RULES
        own = d.rules[len(SHARED_RULES) :]
        assert all(r.check.__module__ == f"components.args.{d.cloud}" for r in own)
