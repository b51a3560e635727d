"""An HTTP proxy on 80 whose URL map's defaultRouteAction weights traffic to a backend service of
GCE_VM_IP_PORT network endpoints on 6443."""

import pulumi
import pulumi_gcp as gcp

compute = gcp.compute

neg = compute.NetworkEndpointGroup(
    "primaries",
    zone="europe-west1-b",
    network="vpc",
    subnetwork="primaries",
    network_endpoint_type="GCE_VM_IP_PORT",
)
for i in range(3):
    compute.NetworkEndpoint(
        f"primary-{i}",
        zone="europe-west1-b",
        network_endpoint_group=neg.name,
        instance=f"primary-{i}",
        ip_address=f"10.0.1.{10 + i}",
        port=6443,
    )
hc = compute.HealthCheck("api", tcp_health_check={"port": 6443})
api = compute.BackendService(
    "api",
    protocol="HTTP",
    health_checks=hc.id,
    backends=[{"group": neg.id, "balancing_mode": "RATE", "max_rate_per_endpoint": 100}],
)
url_map = compute.URLMap(
    "edge",
    default_route_action={
        "weighted_backend_services": [{"backend_service": api.id, "weight": 100}]
    },
)
proxy = compute.TargetHttpProxy("edge", url_map=url_map.id)
compute.GlobalForwardingRule(
    "edge", target=proxy.id, port_range="80", opts=pulumi.ResourceOptions(protect=True)
)
