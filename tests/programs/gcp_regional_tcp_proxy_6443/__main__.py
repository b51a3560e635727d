"""A regional TCP proxy forwarding rule on the API port."""

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


hc = compute.RegionHealthCheck("api", region="europe-west1", tcp_health_check={"port": 6443})
backend = compute.RegionBackendService(
    "api",
    region="europe-west1",
    protocol="TCP",
    load_balancing_scheme="EXTERNAL_MANAGED",
    health_checks=hc.id,
    backends=[{"group": g.self_link, "balancing_mode": "UTILIZATION"} for g in groups()],
)
proxy = compute.RegionTargetTcpProxy("api", region="europe-west1", backend_service=backend.id)
compute.ForwardingRule(
    "api",
    region="europe-west1",
    target=proxy.id,
    port_range="6443",
    load_balancing_scheme="EXTERNAL_MANAGED",
    opts=PROTECT,
)
