"""Azure: only public Standard load balancers can front the API (internal ones cannot hairpin)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationPolicy

from .discovery import Views, stack_validator
from .props import API_PORTS_SCHEMA, MISSING
from .verdict import FALSE, TRUE, Reporter, Tri, any_of, shown, test

POLICY = "azure-lb-public-standard"


def candidates_verdict(verdicts: list[Tri], link: Tri) -> Tri:
    """Some of several candidates (the link to the real one unknown) are bad: True when all are,
    unknown (naming the link) when only some are."""
    if not verdicts:
        return FALSE
    if link.value is None:
        if all(v.value is True for v in verdicts):
            return TRUE
        return link if any_of(verdicts).value is not False else FALSE
    return any_of(verdicts)


def check_public_standard(views: Views, report: Reporter) -> None:
    for front in views.azure:
        lb = front.load_balancer
        for rule in front.rules:
            frontends, link = front.frontends_of(rule)
            private = candidates_verdict([f.private for f in frontends], link)
            if not frontends and link.value is None:
                private = link
            names = ", ".join(f"{f.name or 'unnamed'}: {f.shown}" for f in frontends if f.shown)
            report.judge(
                rule.serves_api & private,
                lb.urn,
                (
                    f"load balancer '{lb.name}' serves the Kubernetes API on a private frontend "
                    f"({names or 'private'}): internal Azure load balancers do not support "
                    "hairpinning. Use a public frontend (a Standard public IP)."
                ),
                f"{POLICY}: the frontend of load balancer '{lb.name}'",
            )
        serves = any_of(r.serves_api for r in front.rules)
        sku = front.sku
        report.judge(
            serves
            & test(sku, lambda s: s is MISSING or str(s).lower() != "standard", lb, front.sku_prop),
            lb.urn,
            (
                f"load balancer '{lb.name}' serves the Kubernetes API with SKU "
                f"{shown(sku, 'Azure default: Basic')}: use the Standard SKU (Basic was retired "
                "on 2025-09-30)."
            ),
            f"{POLICY}: the SKU of load balancer '{lb.name}'",
        )


azure_lb_public_standard = StackValidationPolicy(
    name=POLICY,
    description=(
        "An Azure load balancer serving the Kubernetes API has only public frontends (no "
        "private IP, no subnet) and the Standard SKU: internal Azure load balancers cannot "
        "hairpin, and Basic is retired."
    ),
    validate=stack_validator(check_public_standard),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
