"""kurl-lb: stack config -> one load balancer component -> the outputs kURL needs."""

import pulumi

from components.kurl import install_flags, installer_fragment
from components.stack import build_load_balancer, read_stack

lb = build_load_balancer(read_stack())

pulumi.export("loadBalancerAddress", lb.load_balancer_address)
public = lb.public_load_balancer_host
pulumi.export("kurlInstaller", installer_fragment(lb.load_balancer_address, public))
pulumi.export("kurlInstallFlags", install_flags(lb.load_balancer_address, public))
address = lb.address_outputs()
outputs = {**lb.primary_outputs(), **address, **lb.port_outputs(), **lb.extra_outputs()}
for key, value in outputs.items():
    pulumi.export(key, value)
if "nextLoadBalancerAddress" in address:
    # During an address move: the flags to re-run kURL's installer with, on ONE primary.
    pulumi.export("nextKurlInstallFlags", install_flags(address["nextLoadBalancerAddress"], public))
