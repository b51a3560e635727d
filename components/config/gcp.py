"""GCP stack config (`cloud: gcp`): its models and the rules across their fields."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Literal

from .core import Model, Problem, field, key_path, rule, stack_model
from .scalars import GcpName, GcpRef, GcpZone
from .shared import Primary, Stack, by_mode

GCP_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
GCP_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


class GcpHealthCheck(Model):
    interval_seconds: int = field(5, ge=1, le=300, doc="Seconds between checks (checkIntervalSec).")
    healthy_threshold: int = field(2, ge=1, le=10, doc="Passes before a backend is healthy.")
    unhealthy_threshold: int = field(2, ge=1, le=10, doc="Failures before a backend is unhealthy.")

    @property
    def timeout_seconds(self) -> int:
        # GCP requires timeoutSec <= checkIntervalSec; 5 s is its default.
        return min(5, self.interval_seconds)


class GcpPrimary(Primary):
    zone: GcpZone = field(
        form="zone of gcp:region, e.g. us-central1-a", doc="Zone of the VM; one group per zone."
    )
    instance: GcpRef = field(
        form="instance name or self link", doc="The VM (name, or self link in another project)."
    )

    def targets(self) -> dict[str, str | None]:
        return {"instance": self.instance}


class GcpSettings(Model):
    network: GcpRef = field(form="VPC network name or self link", doc="Network of the VMs.")
    subnetwork: GcpRef | None = field(
        None, form="subnetwork name or self link", doc="Subnetwork (scheme internal only)."
    )
    network_tier: Literal["PREMIUM", "STANDARD"] = field(
        "PREMIUM", doc="Tier of the address and forwarding rule."
    )
    target_tags: list[GcpName] = field(
        form="list of network tags",
        doc="Tags of the primaries; the firewall rule targets them.",
        min_length=1,
    )


@stack_model("gcp")
class GcpStack(Stack):
    TITLE = "GCP"
    PUBLIC_LB = "an external load balancer"
    INTERNAL_CLIENTS_DEFAULTED = True  # the subnetwork's range

    cloud: Literal["gcp"] = field(doc="Which component the stack builds.")
    health_check: GcpHealthCheck = field(
        default_factory=GcpHealthCheck, doc="Regional TCP health check."
    )
    primaries: list[GcpPrimary] = field(
        form="list of primaries", doc="Primaries in join order.", min_length=1
    )
    gcp: GcpSettings = field(doc="GCP settings.")

    @property
    def region(self) -> str | None:
        return self.provider_setting("gcp:region")


@rule(GcpStack, "`gcp:region` must be set and every primary's `zone` must be in it.")
def zones_are_in_the_region(cfg: GcpStack) -> Iterator[Problem]:
    region = cfg.region
    if not region:
        yield Problem("gcp:region", "is required (pulumi config set gcp:region us-central1)")
        return
    for i, p in enumerate(cfg.primaries):
        if p.zone.rsplit("-", 1)[0] != region:
            yield Problem(
                key_path(["primaries", i, "zone"]),
                f'"{p.zone}" is not in gcp:region {region}; allowed: {region}-<letter>',
            )


@rule(
    GcpStack,
    "`scheme: internal` needs `subnetwork` and the PREMIUM tier; `subnetwork` is rejected for "
    "external load balancers.",
)
def internal_lb_has_a_subnetwork(cfg: GcpStack) -> Iterator[Problem]:
    yield from by_mode(
        ("scheme",),
        cfg.scheme,
        ("gcp",),
        cfg.gcp,
        {"internal": ["subnetwork"]},
        note=" (the internal address and forwarding rule live on it)",
    )
    if cfg.scheme == "internal" and cfg.gcp.network_tier != "PREMIUM":
        yield Problem(
            key_path(["gcp", "networkTier"]),
            f'"{cfg.gcp.network_tier}" cannot be used with scheme internal; internal '
            "addresses are always PREMIUM",
        )


@rule(GcpStack, "`tags` must be valid GCP labels.")
def tags_are_labels(cfg: GcpStack) -> Iterator[Problem]:
    for key, value in cfg.tags.items():
        if not GCP_LABEL_KEY.fullmatch(key) or not GCP_LABEL_VALUE.fullmatch(value):
            yield Problem(
                key_path(["tags", key]),
                f"{json.dumps(key)}: {json.dumps(value)} is not a GCP label; allowed: key "
                "[a-z][a-z0-9_-]{0,62}, value [a-z0-9_-]{0,63}",
            )
