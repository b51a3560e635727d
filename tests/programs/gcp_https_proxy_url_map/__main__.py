"""An HTTPS proxy (URL map -> backend service, named port 6443) on 443."""

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


hc = compute.HealthCheck("api", https_health_check={"port": 6443, "request_path": "/readyz"})
backend = compute.BackendService(
    "api",
    protocol="HTTPS",
    port_name="kube",
    health_checks=hc.id,
    backends=[{"group": g.self_link} for g in groups()],
)
url_map = compute.URLMap("api", default_service=backend.id)
proxy = compute.TargetHttpsProxy(
    "api", url_map=url_map.id, ssl_certificates=["projects/p/global/sslCertificates/api"]
)
compute.GlobalForwardingRule("api", target=proxy.id, port_range="443", opts=PROTECT)
