"""The whole internal NLB inside a component resource, created with an explicit provider."""

import pulumi
import pulumi_aws as aws


class ApiLoadBalancer(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("acme:net:ApiLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        lb = aws.lb.LoadBalancer(
            f"{name}-nlb",
            load_balancer_type="network",
            internal=True,
            subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
            enable_deletion_protection=True,
            opts=child,
        )
        tg = aws.lb.TargetGroup(
            f"{name}-tg", port=6443, protocol="TCP", vpc_id="vpc-0a1b2c3d", opts=child
        )
        aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=lb.arn,
            port=6443,
            protocol="TCP",
            default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
            opts=child,
        )
        self.register_outputs({})


provider = aws.Provider("west", region="us-west-2")
ApiLoadBalancer("kube", opts=pulumi.ResourceOptions(providers=[provider]))
