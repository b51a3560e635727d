"""A global SSL proxy on 443 in front of instance groups whose named port is the API's 6443."""

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


hc = compute.HealthCheck("api", tcp_health_check={"port": 6443})
backend = compute.BackendService(
    "api",
    protocol="SSL",
    port_name="kube",
    load_balancing_scheme="EXTERNAL",
    health_checks=hc.id,
    backends=[{"group": g.self_link} for g in groups()],
)
proxy = compute.TargetSSLProxy(
    "api", backend_service=backend.id, ssl_certificates=["projects/p/global/sslCertificates/api"]
)
compute.GlobalForwardingRule("api", target=proxy.id, port_range="443", opts=PROTECT)
