"""An internal all-ports forwarding rule to the primaries (its health check probes 6443 over HTTP)."""

import pulumi
import pulumi_gcp as gcp

compute = gcp.compute
PROTECT = pulumi.ResourceOptions(protect=True)


def groups():
    return [
        compute.InstanceGroup(
            f"primaries-{zone}",
            zone=f"europe-west1-{zone}",
            named_ports=[{"name": "kube", "port": 6443}],
        )
        for zone in ("b", "c")
    ]


hc = compute.RegionHealthCheck(
    "api", region="europe-west1", http_health_check={"port": 6443, "request_path": "/readyz"}
)
backend = compute.RegionBackendService(
    "api",
    region="europe-west1",
    protocol="TCP",
    load_balancing_scheme="INTERNAL",
    health_checks=hc.id,
    backends=[{"group": g.self_link} for g in groups()],
)
compute.ForwardingRule(
    "api",
    region="europe-west1",
    backend_service=backend.id,
    all_ports=True,
    load_balancing_scheme="INTERNAL",
    network="vpc",
    subnetwork="primaries",
    opts=PROTECT,
)
