"""Azure: only public Standard load balancers can front the API (internal ones cannot hairpin)."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .discovery import AZURE_NATIVE_LB, azure_api_load_balancers
from .graph import StackIndex
from .props import API_PORTS_SCHEMA, MISSING, api_ports, get, is_unknown, items


def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    index = StackIndex(args.resources)
    for lb in azure_api_load_balancers(index, api_ports(args)):
        native = bool(AZURE_NATIVE_LB.match(lb.resource_type))
        frontends = items(
            lb.props, "frontendIPConfigurations" if native else "frontendIpConfigurations"
        )
        private_keys = (
            ("privateIPAddress", "subnet") if native else ("privateIpAddress", "subnetId")
        )
        for frontend in frontends:
            private = [k for k in private_keys if get(frontend, k) not in (MISSING, "")]
            if private:
                name = get(frontend, "name")
                report(
                    f"load balancer '{lb.name}' serves the Kubernetes API on a private frontend "
                    f"({name or 'unnamed'}: {', '.join(private)}): internal Azure load balancers "
                    "do not support hairpinning. Use a public frontend (a Standard public IP).",
                    lb.urn,
                )
        sku = get(lb.props, "sku", "name") if native else get(lb.props, "sku")
        if not is_unknown(sku) and (sku is MISSING or str(sku).lower() != "standard"):
            shown = "omitted (Azure default: Basic)" if sku is MISSING else f'"{sku}"'
            report(
                f"load balancer '{lb.name}' serves the Kubernetes API with SKU {shown}: use the "
                "Standard SKU (Basic was retired on 2025-09-30).",
                lb.urn,
            )


azure_lb_public_standard = StackValidationPolicy(
    name="azure-lb-public-standard",
    description=(
        "An Azure load balancer serving the Kubernetes API has only public frontends (no "
        "private IP, no subnet) and the Standard SKU: internal Azure load balancers cannot "
        "hairpin, and Basic is retired."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=API_PORTS_SCHEMA),
)
