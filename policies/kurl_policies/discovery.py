"""Finding the load balancers that serve an API port, per cloud, from a StackIndex.

A load balancer "serves" an API port when a listener, rule or forwarding rule on that port leads
to it. Ports are read with `get` (unknown-safe): an unknown port serves nothing we can judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_policy import PolicyResource

from .graph import StackIndex, token_matcher
from .props import as_port, covers, get, items

AWS_LB = token_matcher("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
AWS_LISTENER = token_matcher("aws:lb/listener:Listener", "aws:alb/listener:Listener")
AWS_TG = token_matcher("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
AWS_ATTACHMENT = token_matcher(
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws:alb/targetGroupAttachment:TargetGroupAttachment",
)

AZURE_NATIVE_LB = token_matcher("azure-native:network:LoadBalancer")
AZURE_CLASSIC_LB = token_matcher("azure:lb/loadBalancer:LoadBalancer")
AZURE_CLASSIC_RULE = token_matcher("azure:lb/rule:Rule")
AZURE_CLASSIC_PROBE = token_matcher("azure:lb/probe:Probe")

GCP_FORWARDING_RULE = token_matcher(
    "gcp:compute/forwardingRule:ForwardingRule",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule",
)
GCP_BACKEND_SERVICE = token_matcher(
    "gcp:compute/regionBackendService:RegionBackendService",
    "gcp:compute/backendService:BackendService",
)
GCP_TARGET_POOL = token_matcher("gcp:compute/targetPool:TargetPool")


@dataclass(frozen=True)
class AwsApiPath:
    load_balancer: PolicyResource
    listener: PolicyResource
    target_groups: list[PolicyResource]


def aws_api_paths(index: StackIndex, ports: set[int]) -> list[AwsApiPath]:
    """Every listener on an API port, with its load balancer and the target groups it uses."""
    paths = []
    for lb in index.of_type(AWS_LB):
        for listener in index.referrers(lb, AWS_LISTENER, "loadBalancerArn"):
            if as_port(get(listener.props, "port")) in ports:
                groups = index.referenced(listener, AWS_TG, "defaultActions")
                paths.append(AwsApiPath(lb, listener, groups))
    return paths


def aws_api_load_balancers(index: StackIndex, ports: set[int]) -> list[AwsApiPath]:
    """One path per load balancer serving an API port (its first API listener)."""
    first: dict[str, AwsApiPath] = {}
    for path in aws_api_paths(index, ports):
        first.setdefault(path.load_balancer.urn, path)
    return list(first.values())


def aws_api_target_groups(index: StackIndex, ports: set[int]) -> list[PolicyResource]:
    """Target groups behind an API listener, and target groups on an API port themselves."""
    found = {tg.urn: tg for path in aws_api_paths(index, ports) for tg in path.target_groups}
    for tg in index.of_type(AWS_TG):
        if as_port(get(tg.props, "port")) in ports:
            found.setdefault(tg.urn, tg)
    return list(found.values())


def azure_api_load_balancers(index: StackIndex, ports: set[int]) -> list[PolicyResource]:
    """azure-native LBs with an inline rule on an API port; classic LBs with a rule resource on
    one. (Frontend port 0 is "HA ports": every port.)"""
    found = []
    for lb in index.of_type(AZURE_NATIVE_LB):
        if any(_rule_serves(rule, ports) for rule in items(lb.props, "loadBalancingRules")):
            found.append(lb)
    for lb in index.of_type(AZURE_CLASSIC_LB):
        rules = index.referrers(lb, AZURE_CLASSIC_RULE, "loadbalancerId")
        if any(_rule_serves(rule.props, ports) for rule in rules):
            found.append(lb)
    return found


def _rule_serves(rule: object, ports: set[int]) -> bool:
    port = as_port(get(rule, "frontendPort"))
    return port is not None and (port == 0 or port in ports)


def gcp_rule_serves(rule: PolicyResource, ports: set[int]) -> bool:
    props = rule.props
    if get(props, "allPorts") is True:
        return True
    if covers(get(props, "portRange"), ports):
        return True
    return any(covers(p, ports) for p in items(props, "ports"))


def gcp_api_forwarding_rules(index: StackIndex, ports: set[int]) -> list[PolicyResource]:
    return [r for r in index.of_type(GCP_FORWARDING_RULE) if gcp_rule_serves(r, ports)]
