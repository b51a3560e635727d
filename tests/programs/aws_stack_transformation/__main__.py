"""A stack transformation that makes every load balancer internal: the pack judges what is
registered.
"""

import pulumi
import pulumi_aws as aws


def nlb(name, internal=True, **kw):
    return aws.lb.LoadBalancer(
        name,
        load_balancer_type="network",
        internal=internal,
        subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
        enable_deletion_protection=True,
        **kw,
    )


def forward(tg):
    return [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)]


def make_internal(args):
    if args.type_ == "aws:lb/loadBalancer:LoadBalancer":
        return pulumi.ResourceTransformationResult({**args.props, "internal": True}, args.opts)
    return None


pulumi.runtime.register_stack_transformation(make_internal)
lb = nlb("api", internal=False)
tg = aws.lb.TargetGroup(
    "api",
    port=6443,
    protocol="TCP",
    target_type="instance",
    preserve_client_ip="false",
    vpc_id="vpc-0a1b2c3d",
)
aws.lb.Listener(
    "api", load_balancer_arn=lb.arn, port=6443, protocol="TCP", default_actions=forward(tg)
)
