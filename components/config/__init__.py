"""Stack config: the `kurl-lb:` keys, validated before any resource is registered.

- core: model base, `field` and allowed forms, Problem/ConfigError, the rule registry, pydantic
  error translation and loading;
- scalars: string types with their format checks;
- shared: the keys and rules every cloud has, and helpers rules are written with;
- aws, azure, gcp: each cloud's models and its rules across fields, side by side.
A new option goes into its cloud's module (field and any rule); docs/config.md is generated from
the models and the registered rules (`make docs`).
"""

from __future__ import annotations

from typing import TypeAlias

# Importing a cloud module registers its stack model and rules.
from .aws import AwsHealthCheck, AwsPrimary, AwsSettings, AwsStack
from .azure import AzureHealthCheck, AzurePrimary, AzureSettings, AzureStack
from .core import (
    NAMESPACE,
    PROVIDER_ENV,
    PROVIDER_KEYS,
    RULES,
    STACK_MODELS,
    ConfigError,
    Model,
    Problem,
    Rule,
    field,
    form_of,
    key_path,
    load_stack_config,
    parse_stack_config,
    rule,
    rules_for,
)
from .gcp import GCP_LABEL_KEY, GCP_LABEL_VALUE, GcpHealthCheck, GcpPrimary, GcpSettings, GcpStack
from .scalars import AWS_NAME_LIMIT, LONGEST_AWS_NAME_SUFFIX, NAME_MAX, PULUMI_SUFFIX
from .shared import HAIRPIN, STACK_TAG, Cloud, Primary, Stack

StackConfig: TypeAlias = AwsStack | AzureStack | GcpStack

__all__ = [
    "AWS_NAME_LIMIT",
    "GCP_LABEL_KEY",
    "GCP_LABEL_VALUE",
    "HAIRPIN",
    "LONGEST_AWS_NAME_SUFFIX",
    "NAMESPACE",
    "NAME_MAX",
    "PROVIDER_ENV",
    "PROVIDER_KEYS",
    "PULUMI_SUFFIX",
    "RULES",
    "STACK_MODELS",
    "STACK_TAG",
    "AwsHealthCheck",
    "AwsPrimary",
    "AwsSettings",
    "AwsStack",
    "AzureHealthCheck",
    "AzurePrimary",
    "AzureSettings",
    "AzureStack",
    "Cloud",
    "ConfigError",
    "GcpHealthCheck",
    "GcpPrimary",
    "GcpSettings",
    "GcpStack",
    "Model",
    "Primary",
    "Problem",
    "Rule",
    "Stack",
    "StackConfig",
    "field",
    "form_of",
    "key_path",
    "load_stack_config",
    "parse_stack_config",
    "rule",
    "rules_for",
]
