"""A passthrough backend service with an HTTP health check on 6443 whose forwarding rule is created
in address.address.apply: it does not exist at preview."""

import pulumi
import pulumi_gcp as gcp

compute = gcp.compute

groups = [
    compute.InstanceGroup(f"primaries-{zone}", zone=f"europe-west1-{zone}") for zone in ("b", "c")
]
hc = compute.RegionHealthCheck("api", http_health_check={"port": 6443, "request_path": "/readyz"})
backend = compute.RegionBackendService(
    "api",
    protocol="TCP",
    load_balancing_scheme="EXTERNAL",
    health_checks=hc.id,
    backends=[{"group": g.self_link} for g in groups],
)
address = compute.Address("api", network_tier="PREMIUM")


def rule(ip: str) -> compute.ForwardingRule:
    return compute.ForwardingRule(
        "api",
        ip_address=ip,
        backend_service=backend.id,
        ports=["6443"],
        load_balancing_scheme="EXTERNAL",
        opts=pulumi.ResourceOptions(protect=True),
    )


address.address.apply(rule)
