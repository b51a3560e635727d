"""Azure stack config (`cloud: azure`): its models and the rules across their fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from .core import Int, Model, Problem, field, key_path, rule, shown, stack_model
from .scalars import (
    AzureName,
    AzureNicId,
    AzureResourceGroup,
    AzureVnetId,
    DomainNameLabel,
    PrivateIPv4,
)
from .shared import Primary, Stack, TagRules, by_mode, check_tags


class AzureHealthCheck(Model):
    interval_seconds: Int = field(5, ge=5, le=300, doc="Seconds between probes (Azure minimum 5).")
    unhealthy_threshold: Int = field(
        2,
        ge=1,
        le=100,
        doc="Azure probeThreshold: consecutive failures to take a backend out, and passes to "
        "put it back (Azure has one threshold for both).",
    )


class AzurePrimary(Primary):
    nic_id: AzureNicId | None = field(None, doc="NIC of the VM (backendPool nic).")
    ip_configuration_name: AzureName = field(
        "ipconfig1", form="IP configuration name", doc="IP configuration of that NIC."
    )
    address: PrivateIPv4 | None = field(
        None, example="10.1.0.4", doc="VM address (backendPool ip)."
    )

    def targets(self, stack: Stack) -> dict[str, str | None]:
        # Azure resource IDs are case-insensitive.
        return {"nicId": self.nic_id and self.nic_id.lower(), "address": self.address}


class AzureSettings(Model):
    resource_group_name: AzureResourceGroup = field(
        form="resource group name", doc="Resource group of the public IP and LB."
    )
    backend_pool: Literal["nic", "ip"] = field(
        "nic", doc="Backend pool membership: by NIC (kURL page) or by IP."
    )
    virtual_network_id: AzureVnetId | None = field(
        None, doc="Virtual network of the primaries (backendPool ip only)."
    )
    network_security_group_name: AzureName | None = field(
        None,
        form="NSG name",
        doc="NSG of the primaries: gets the inbound rule for the port. It must be in "
        "`azure.resourceGroupName` (the rule is created in that resource group).",
    )
    network_security_rule_priority: Int = field(
        310, ge=100, le=4096, doc="Priority of that NSG rule."
    )
    domain_name_label: DomainNameLabel | None = field(
        None, doc="Gives the public IP a stable FQDN used as loadBalancerAddress."
    )


@stack_model("azure")
class AzureStack(Stack):
    TITLE = "Azure"
    PUBLIC_LB = "a public load balancer"

    cloud: Literal["azure"] = field(doc="Which component the stack builds.")
    health_check: AzureHealthCheck = field(
        default_factory=AzureHealthCheck, doc="Load balancer health probe."
    )
    primaries: list[AzurePrimary] = field(
        form="list of primaries", doc="Primaries in join order.", min_length=1
    )
    azure: AzureSettings = field(doc="Azure settings.")

    @property
    def location(self) -> str | None:
        return self.provider_setting("azure-native:location")


@rule(AzureStack, "`scheme` must be `public`: internal Azure load balancers cannot hairpin.")
def load_balancer_is_public(cfg: AzureStack) -> Iterator[Problem]:
    if cfg.scheme == "internal":
        yield Problem(
            key_path(["scheme"]),
            '"internal" cannot be used on Azure: internal load balancers do not support '
            "hairpinning (a primary reaching the API through its own LB fails, "
            "intermittently); allowed: public",
        )


@rule(
    AzureStack,
    "`backendPool: nic` needs `nicId` on every primary; `backendPool: ip` needs `address` on "
    "every primary and `virtualNetworkId`, and rejects `nicId`/`ipConfigurationName`.",
)
def members_match_the_backend_pool(cfg: AzureStack) -> Iterator[Problem]:
    pool = cfg.azure.backend_pool
    yield from by_mode(
        ("azure", "backendPool"),
        pool,
        ("azure",),
        cfg.azure,
        {"ip": ["virtual_network_id"]},
        note=" (an IP pool names its network; a NIC pool takes each NIC's)",
    )
    used_in = {"nic": ["nic_id", "ip_configuration_name"], "ip": ["address"]}
    for i, p in enumerate(cfg.primaries):
        yield from by_mode(("azure", "backendPool"), pool, ("primaries", i), p, used_in)


@rule(AzureStack, "`domainNameLabel` needs `azure-native:location` (it is part of the FQDN).")
def provider_settings_are_given(cfg: AzureStack) -> Iterator[Problem]:
    if cfg.azure.domain_name_label and not cfg.location:
        yield Problem(
            "azure-native:location",
            "is required with kurl-lb:azure.domainNameLabel (the FQDN is "
            "<label>.<location>.cloudapp.azure.com); e.g. pulumi config set "
            "azure-native:location eastus",
        )


def _azure_tag_name(key: str) -> str | None:
    bad = sorted(set(key) & set(AZURE_TAG_FORBIDDEN))
    return (
        f"{shown(''.join(bad))} not allowed (Azure refuses {AZURE_TAG_FORBIDDEN})" if bad else None
    )


AZURE_TAG_FORBIDDEN = "<>%&\\?/"
AZURE_TAGS = TagRules(
    noun="tag",
    limit=50,
    key_max=512,
    value_max=256,
    key_ok=_azure_tag_name,
    value_ok=lambda value: None,
    ignore_case=True,
)


@rule(
    AzureStack,
    "`tags` are tags Azure accepts: at most 50 per resource with `kurl-lb-stack`, names of "
    "1-512 characters without `<>%&\\?/`, unique ignoring case (also against `kurl-lb-stack`), "
    "values up to 256 characters.",
)
def tags_are_azure_tags(cfg: AzureStack) -> Iterator[Problem]:
    yield from check_tags(cfg.tags, AZURE_TAGS)


# Azure load-balancing rules take frontend and backend ports 1-65534.
AZURE_PORT_MAX = 65534


@rule(AzureStack, f"`port` is at most {AZURE_PORT_MAX} (Azure load-balancing rules).")
def port_fits_a_rule(cfg: AzureStack) -> Iterator[Problem]:
    if cfg.port > AZURE_PORT_MAX:
        yield Problem(
            key_path(["port"]),
            f"{cfg.port} is refused by Azure load-balancing rules (frontend and backend ports "
            f"1-{AZURE_PORT_MAX}); allowed: integer 1-{AZURE_PORT_MAX}",
        )
