"""A correct external passthrough NLB built inside a component resource."""

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


class KubeApi(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:gcp:KubeApi", name)
        child = pulumi.ResourceOptions(parent=self)
        hc = compute.RegionHealthCheck(
            f"{name}-hc", region="europe-west1", tcp_health_check={"port": 6443}, opts=child
        )
        igs = [
            compute.InstanceGroup(f"{name}-{z}", zone=f"europe-west1-{z}", opts=child)
            for z in ("b", "c")
        ]
        backend = compute.RegionBackendService(
            f"{name}-backend",
            region="europe-west1",
            protocol="TCP",
            load_balancing_scheme="EXTERNAL",
            health_checks=hc.id,
            backends=[{"group": g.self_link} for g in igs],
            opts=child,
        )
        compute.ForwardingRule(
            f"{name}-rule",
            region="europe-west1",
            backend_service=backend.id,
            port_range="6443",
            load_balancing_scheme="EXTERNAL",
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.register_outputs({})


KubeApi("kube")
