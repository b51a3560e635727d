"""An HTTP proxy on port 80 whose URL map sends everything to the primaries' named port 6443."""

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
    protocol="HTTP",
    port_name="kube",
    health_checks=hc.id,
    backends=[{"group": g.self_link} for g in groups()],
)
url_map = compute.URLMap("api", default_service=backend.id)
proxy = compute.TargetHttpProxy("api", url_map=url_map.id)
compute.GlobalForwardingRule("api", target=proxy.id, port_range="80", opts=PROTECT)
