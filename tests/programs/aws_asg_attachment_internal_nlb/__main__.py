"""An Auto Scaling group attached (aws.autoscaling.Attachment) to the instance target group of an
internal API NLB."""

import pulumi_aws as aws

lb = aws.lb.LoadBalancer(
    "api",
    load_balancer_type="network",
    internal=True,
    subnets=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    enable_deletion_protection=True,
)
tg = aws.lb.TargetGroup(
    "api", port=6443, protocol="TCP", vpc_id="vpc-0a1b2c3d", preserve_client_ip="false"
)
aws.lb.Listener(
    "api",
    load_balancer_arn=lb.arn,
    port=6443,
    protocol="TCP",
    default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
)
template = aws.ec2.LaunchTemplate("primary", image_id="ami-0a1b2c3d", instance_type="m5.large")
group = aws.autoscaling.Group(
    "primaries",
    min_size=3,
    max_size=3,
    vpc_zone_identifiers=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    launch_template={"id": template.id, "version": "$Latest"},
)
aws.autoscaling.Attachment(
    "primaries", autoscaling_group_name=group.name, lb_target_group_arn=tg.arn
)
