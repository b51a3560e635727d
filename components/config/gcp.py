"""GCP stack config (`cloud: gcp`): its models and the rules across their fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Literal

from .core import Int, Model, Problem, field, key_path, rule, shown, stack_model
from .scalars import (
    PULUMI_SUFFIX,
    GcpInstanceRef,
    GcpName,
    GcpNetworkRef,
    GcpSubnetworkRef,
    GcpZone,
)
from .shared import Primary, Stack, TagRules, by_mode, check_tags

GCP_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
GCP_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
GCP_API = "https://www.googleapis.com/compute/v1/"


class GcpHealthCheck(Model):
    interval_seconds: Int = field(5, ge=1, le=300, doc="Seconds between checks (checkIntervalSec).")
    healthy_threshold: Int = field(2, ge=1, le=10, doc="Passes before a backend is healthy.")
    unhealthy_threshold: Int = field(2, ge=1, le=10, doc="Failures before a backend is unhealthy.")

    @property
    def timeout_seconds(self) -> int:
        # GCP requires timeoutSec <= checkIntervalSec; 5 s is its default.
        return min(5, self.interval_seconds)


class GcpPrimary(Primary):
    zone: GcpZone = field(
        form="zone of gcp:region, e.g. us-central1-a", doc="Zone of the VM; one group per zone."
    )
    instance: GcpInstanceRef = field(
        form="instance name or self link", doc="The VM (name, or self link in another project)."
    )

    def targets(self, stack: Stack) -> dict[str, str | None]:
        # A name and a self link may name one VM: compare projects/<p>/zones/<z>/instances/<n>.
        project = stack.provider_setting("gcp:project") or "<gcp:project>"
        if "/" not in self.instance:
            return {"instance": f"projects/{project}/zones/{self.zone}/instances/{self.instance}"}
        return {"instance": self.instance.removeprefix(GCP_API)}


class GcpSettings(Model):
    network: GcpNetworkRef = field(form="VPC network name or self link", doc="Network of the VMs.")
    subnetwork: GcpSubnetworkRef | None = field(
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
                f"{shown(p.zone)} is not in gcp:region {region}; allowed: {region}-<letter>",
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
            f"{shown(cfg.gcp.network_tier)} cannot be used with scheme internal; internal "
            "addresses are always PREMIUM",
        )


def _label(pattern: re.Pattern[str], what: str) -> Callable[[str], str | None]:
    return lambda text: None if pattern.fullmatch(text) else f"allowed: {what}"


GCP_LABELS = TagRules(
    noun="label",
    limit=64,
    key_max=63,
    value_max=63,
    key_ok=_label(GCP_LABEL_KEY, "[a-z][a-z0-9_-]{0,62} (ASCII)"),
    value_ok=_label(GCP_LABEL_VALUE, "[a-z0-9_-]{0,63} (ASCII)"),
)


@rule(
    GcpStack,
    "`tags` are GCP labels: at most 64 per resource with `kurl-lb-stack`, keys "
    "`[a-z][a-z0-9_-]{0,62}`, values `[a-z0-9_-]{0,63}` (ASCII).",
)
def tags_are_labels(cfg: GcpStack) -> Iterator[Problem]:
    yield from check_tags(cfg.tags, GCP_LABELS)


# Names of the GCP resources the component creates (before Pulumi's 8-character suffix).
GCP_NAME_SUFFIXES = ("ip", "hc", "backend", "fr", "allow-api")
RFC1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
GCP_NAME_MAX = 63


@rule(
    GcpStack,
    "Every GCP name kurl-lb derives (`<name>-<zone>` instance groups, `<name>-hc`, ...) is "
    f"an RFC 1035 name of at most {GCP_NAME_MAX} characters with Pulumi's suffix.",
)
def gcp_names_are_rfc1035(cfg: GcpStack) -> Iterator[Problem]:
    derived = [(key_path(["name"]), f"{cfg.name}-{s}") for s in GCP_NAME_SUFFIXES]
    zones: dict[str, int] = {}
    for i, p in enumerate(cfg.primaries):
        zones.setdefault(p.zone, i)
    derived += [(key_path(["primaries", i, "zone"]), f"{cfg.name}-{z}") for z, i in zones.items()]
    for path, name in derived:
        if not RFC1035.fullmatch(name) or len(name) + PULUMI_SUFFIX > GCP_NAME_MAX:
            yield Problem(
                path,
                f"makes the GCP name {shown(name)} (+ {PULUMI_SUFFIX} characters Pulumi adds), "
                f"which is not an RFC 1035 name of at most {GCP_NAME_MAX} characters",
            )


@rule(
    GcpStack,
    "An `instance` self link is in the primary's `zone` (an instance group holds instances of "
    "its zone); `targetTags` lists each tag once.",
)
def instances_are_in_their_zone(cfg: GcpStack) -> Iterator[Problem]:
    for i, p in enumerate(cfg.primaries):
        if "/zones/" in p.instance:
            link_zone = p.instance.split("/zones/", 1)[1].split("/", 1)[0]
            if link_zone != p.zone:
                yield Problem(
                    key_path(["primaries", i, "instance"]),
                    f"{shown(p.instance)} is in zone {link_zone}, not in the primary's zone "
                    f"{p.zone}; allowed: an instance of zone {p.zone}",
                )
    first: dict[str, int] = {}
    for i, tag in enumerate(cfg.gcp.target_tags):
        if tag in first:
            yield Problem(
                key_path(["gcp", "targetTags", i]),
                f"{shown(tag)} is also targetTags[{first[tag]}]; list each tag once",
            )
        first.setdefault(tag, i)
