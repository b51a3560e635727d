"""An API forwarding rule whose backend service comes from a lookup: what it forwards to is unknown
offline.
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


existing = compute.get_region_backend_service_output(name="kube-api", region="europe-west1")
compute.ForwardingRule(
    "api",
    region="europe-west1",
    backend_service=existing.self_link,
    ports=["6443"],
    load_balancing_scheme="EXTERNAL",
    opts=PROTECT,
)
