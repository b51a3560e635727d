"""The stack program's one mapping: validated stack config -> the component's Args. It chooses
the component for the stack's cloud, importing only that cloud's SDK."""

from __future__ import annotations

from typing import Any

from pydantic.alias_generators import to_camel

from .base import KurlLoadBalancer
from .checked import PROVIDER_FIELDS, SECRET_ARGS
from .config import StackConfig


def stack_args(config: StackConfig) -> dict[str, Any]:
    """The Args (snake_case keys, as the component's Args TypedDict) a stack config says.

    Top-level keys map one to one; the cloud's section (`aws:`, `azure:`, `gcp:`) is flattened;
    provider settings the component needs (region, location, project, subscription) become
    arguments; keys stored as secrets are named in `secret_args` (a secret section names each
    of its fields), so every value derived from them stays secret, as before.
    """
    cloud = config.cloud
    # Only what the stack sets: a default the config left out is the component's default too.
    dumped = config.model_dump(exclude_unset=True, exclude_none=True, exclude={"cloud", "name"})
    section: dict[str, Any] = dumped.pop(cloud)
    args: dict[str, Any] = {**dumped, **section}
    for arg, key in PROVIDER_FIELDS[cloud].items():
        value = config.provider_setting(key)
        if value is not None:
            args[arg] = value
    section_args = [to_camel(f) for f in section]
    secrets = [
        name
        for key in type(config).model_fields
        if config.is_secret(alias := to_camel(key))
        for name in (section_args if key == cloud else [alias])
    ]
    if secrets:
        args[SECRET_ARGS] = secrets
    return args


def build_load_balancer(config: StackConfig) -> KurlLoadBalancer:
    args: Any = stack_args(config)
    if config.cloud == "aws":
        from .aws import AwsKurlNlb

        return AwsKurlNlb(config.name, args)
    if config.cloud == "azure":
        from .azure import AzureKurlLb

        return AzureKurlLb(config.name, args)
    from .gcp import GcpKurlLb

    return GcpKurlLb(config.name, args)
