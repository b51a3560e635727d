"""Azure: only public Standard load balancers can front the API (internal ones cannot hairpin),
with outbound SNAT on for every API rule (a primary's hairpinned flow leaves with a frontend IP).

A frontend whose public IP is given by ID (not a resource of the stack, e.g. kurl-lb's
`publicIpId`) is public by construction: a public IP reference is all the hairpin check needs,
so its unseen properties cannot change the verdict (Azure itself refuses a Basic public IP on a
Standard load balancer; kurl-lb's lookup checks SKU, allocation, version, region at deploy).
Azure DNS record sets (`azure-native:dns:RecordSet`) live in public zones and alias a public IP
of a public load balancer: nothing there can break hairpinning, and nothing is flagged."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationPolicy

from .discovery import Views, stack_validator
from .props import API_PORTS_SCHEMA, MISSING
from .verdict import FALSE, TRUE, Reporter, Tri, any_of, shown, test
from .view_azure import AzureFront

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
            through = "" if rule.kind == "rule" else f" through {rule.label}"
            report.judge(
                rule.serves_api & private,
                lb.urn,
                (
                    f"load balancer '{lb.name}' serves the Kubernetes API{through} on a private "
                    f"frontend ({names or 'private'}): internal Azure load balancers do not "
                    "support hairpinning, for any flow (NAT rules included). Use a public "
                    "frontend (a Standard public IP)."
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
        _outbound_snat(front, report)
    _incomplete(views, report)


def _snat_disabled(value: Any) -> bool:
    return value is not MISSING and str(value).lower() == "true"


def _outbound_snat(front: AzureFront, report: Reporter) -> None:
    """Hairpinning (issue 21: every front end's rule, a move's second one included): a rule on
    the API keeps outbound SNAT on (the portal's "Outbound and inbound use the same IP"), so a
    primary's own call to a frontend leaves with a frontend IP and comes back through it."""
    lb = front.load_balancer
    for rule in front.rules:
        if rule.kind != "rule":
            continue
        report.judge(
            rule.serves_api & test(rule.snat_disabled, _snat_disabled, rule.owner, rule.snat_prop),
            rule.owner.urn,
            (
                f"load balancer '{lb.name}' serves the Kubernetes API through {rule.label} with "
                "disableOutboundSnat true: a primary reaching the API through the load balancer "
                "(hairpinning) then leaves with another address or none, and the flow fails. "
                "Keep outbound SNAT on (disableOutboundSnat false, the portal's \"Outbound and "
                'inbound use the same IP").'
            ),
            f"{POLICY}: outbound SNAT of {rule.label} of load balancer '{lb.name}'",
        )


def _not_standard(front: AzureFront) -> Tri:
    sku = front.sku
    return test(
        sku,
        lambda s: s is MISSING or str(s).lower() != "standard",
        front.load_balancer,
        front.sku_prop,
    )


def _incomplete(views: Views, report: Reporter) -> None:
    """Fail closed where a rule is missing at preview (created inside an `.apply`): a load
    balancer without any rule whose probes check an API port (or that has none), and separate
    rules whose load balancer cannot be linked."""
    for front in views.azure_ruleless:
        lb = front.load_balancer
        probes = front.api_probes(views.ports)
        if front.probes and not probes:
            continue  # its probes check other ports: not the API's backends
        risk = front.private | _not_standard(front)
        if risk.value is False:
            continue  # public and Standard: no rule added later can break hairpinning
        checked = (
            f"its probe(s) {', '.join(str(p.name) for p in probes)} check the API port"
            if probes
            else "it has no probe either"
        )
        report.missing(
            lb.urn,
            POLICY,
            (
                f"load balancer '{lb.name}' (private frontend: {_said(front.private)}, SKU "
                f"{shown(front.sku, 'Azure default: Basic')}) has no load-balancing or inbound "
                f"NAT rule at preview, and {checked}: the rules are missing"
            ),
        )
    for piece in views.azure_unlinked:
        if piece.rule is not None:
            report.judge(
                piece.rule.serves_api & piece.link,
                piece.resource.urn,
                "",
                f"{POLICY}: the load balancer of {piece.rule.label}",
            )


def _said(value: Tri) -> str:
    return "unknown" if value.value is None else ("yes" if value.value else "no")


azure_lb_public_standard = StackValidationPolicy(
    name=POLICY,
    description=(
        "An Azure load balancer serving the Kubernetes API has only public frontends (no "
        "private IP, no subnet), the Standard SKU, and outbound SNAT on for its API rules: "
        "internal Azure load balancers cannot hairpin, nor can a rule without outbound SNAT, "
        "and Basic is retired."
    ),
    validate=stack_validator(check_public_standard),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
