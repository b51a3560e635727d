"""The config package keeps its promises to docs/config.md: every field has an allowed form, and
every rule across fields is listed there, by the one-line description it is registered with."""

from __future__ import annotations

from pydantic import BaseModel

from components import config
from components.config.core import nested_models
from tests.conftest import PROJECT_ROOT


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = list(config.STACK_MODELS.values())
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.append(model)
            todo += [
                m for info in model.model_fields.values() for m in nested_models(info.annotation)
            ]
    return seen


def test_every_field_has_an_allowed_form() -> None:
    for model in _models():
        for name, info in model.model_fields.items():
            assert config.form_of(info), f"{model.__name__}.{name}"


def test_derived_forms_read_the_constraints() -> None:
    fields = config.AwsHealthCheck.model_fields
    assert config.form_of(fields["interval_seconds"]) == "integer 5-300"
    assert config.form_of(config.AwsSettings.model_fields["target_type"]) == "ip or instance"
    assert config.form_of(config.AwsPrimary.model_fields["address"]) == (
        "private IPv4 address (in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10), "
        "e.g. 10.0.1.10"
    )


def test_every_rule_is_listed_in_the_config_reference() -> None:
    text = (PROJECT_ROOT / "docs" / "config.md").read_text()
    assert len({(r.model, r.name) for r in config.RULES}) == len(config.RULES)
    for r in config.RULES:
        assert "\n" not in r.description
        assert f"- {r.description}\n" in text, r.name


def test_each_cloud_runs_the_shared_rules_and_only_its_own() -> None:
    shared = config.rules_for(config.Stack)
    for model in config.STACK_MODELS.values():
        own = config.rules_for(model)
        assert own[: len(shared)] == shared
        assert all(r.model in (config.Stack, model) for r in own)
