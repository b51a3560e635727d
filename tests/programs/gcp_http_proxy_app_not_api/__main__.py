"""An HTTP proxy for a web application (named port 8080, HTTP health check) next to a correct API
passthrough: not the API.
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


web_groups = [
    compute.InstanceGroup(
        "web", zone="europe-west1-b", named_ports=[{"name": "http", "port": 8080}]
    )
]
web_hc = compute.HealthCheck("web", http_health_check={"port": 8080, "request_path": "/"})
web = compute.BackendService(
    "web",
    protocol="HTTP",
    port_name="http",
    health_checks=web_hc.id,
    backends=[{"group": g.self_link} for g in web_groups],
)
url_map = compute.URLMap("web", default_service=web.id)
proxy = compute.TargetHttpProxy("web", url_map=url_map.id)
compute.GlobalForwardingRule("web", target=proxy.id, port_range="80")
hc = compute.RegionHealthCheck("api", region="europe-west1", tcp_health_check={"port": 6443})
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
