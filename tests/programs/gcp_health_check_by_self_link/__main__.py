"""The backend service names its (HTTP) health check by a literal self link: linked by value."""

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


compute.RegionHealthCheck(
    "api", name="kube-api", region="europe-west1", http_health_check={"port": 6443}
)
backend = compute.RegionBackendService(
    "api",
    region="europe-west1",
    protocol="TCP",
    load_balancing_scheme="EXTERNAL",
    health_checks="projects/acme/regions/europe-west1/healthChecks/kube-api",
    backends=[{"group": g.self_link} for g in groups()],
)
compute.ForwardingRule(
    "api",
    region="europe-west1",
    backend_service=backend.id,
    ports=["6443"],
    load_balancing_scheme="EXTERNAL",
    opts=PROTECT,
)
