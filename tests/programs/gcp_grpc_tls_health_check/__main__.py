"""An external passthrough NLB whose health check is gRPC with TLS."""

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


hc = compute.RegionHealthCheck("api", region="europe-west1", grpc_tls_health_check={"port": 6443})
backend = compute.RegionBackendService(
    "api",
    region="europe-west1",
    protocol="TCP",
    load_balancing_scheme="EXTERNAL",
    health_checks=hc.id,
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
