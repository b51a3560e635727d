"""An HTTPS proxy on 443 whose URL map sends / to a web app and /api (a path matcher) to the
primaries' named port 6443."""

import pulumi
import pulumi_gcp as gcp

compute = gcp.compute
PROTECT = pulumi.ResourceOptions(protect=True)

web_group = compute.InstanceGroup(
    "web", zone="europe-west1-b", named_ports=[{"name": "http", "port": 8080}]
)
api_groups = [
    compute.InstanceGroup(
        f"primaries-{zone}",
        zone=f"europe-west1-{zone}",
        named_ports=[{"name": "kube", "port": 6443}],
    )
    for zone in ("b", "c")
]
web_hc = compute.HealthCheck("web", http_health_check={"port": 8080, "request_path": "/"})
api_hc = compute.HealthCheck("api", tcp_health_check={"port": 6443})
web = compute.BackendService(
    "web",
    protocol="HTTP",
    port_name="http",
    health_checks=web_hc.id,
    backends=[{"group": web_group.self_link}],
)
api = compute.BackendService(
    "api",
    protocol="HTTPS",
    port_name="kube",
    health_checks=api_hc.id,
    backends=[{"group": g.self_link} for g in api_groups],
)
url_map = compute.URLMap(
    "edge",
    default_service=web.id,
    host_rules=[{"hosts": ["*"], "path_matcher": "paths"}],
    path_matchers=[
        {
            "name": "paths",
            "default_service": web.id,
            "path_rules": [{"paths": ["/api", "/api/*"], "service": api.id}],
        }
    ],
)
proxy = compute.TargetHttpsProxy(
    "edge", url_map=url_map.id, ssl_certificates=["projects/p/global/sslCertificates/edge"]
)
compute.GlobalForwardingRule("edge", target=proxy.id, port_range="443", opts=PROTECT)
