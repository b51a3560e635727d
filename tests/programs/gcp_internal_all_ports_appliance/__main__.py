"""An internal all-ports forwarding rule for network appliances (HTTP health check on 8080): not
the API.
"""

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


hc = compute.RegionHealthCheck("nva", region="europe-west1", http_health_check={"port": 8080})
group = compute.InstanceGroup("nva", zone="europe-west1-b")
backend = compute.RegionBackendService(
    "nva",
    region="europe-west1",
    protocol="TCP",
    load_balancing_scheme="INTERNAL",
    health_checks=hc.id,
    backends=[{"group": group.self_link}],
)
compute.ForwardingRule(
    "nva",
    region="europe-west1",
    backend_service=backend.id,
    all_ports=True,
    load_balancing_scheme="INTERNAL",
    network="vpc",
    subnetwork="appliances",
)
