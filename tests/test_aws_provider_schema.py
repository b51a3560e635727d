"""The plugin `make providers` builds serves the resources kurl-lb uses as pulumi-aws does.

The plugin compiles only the ec2 and elbv2 services of the Terraform AWS provider (trim/ in
tests/e2e/toolchain/aws-provider) and reproduces pulumi-aws's own layer for those resources. Here
its package schema (GetSchema) is compared with the installed pulumi_aws SDK: for every resource
and lookup the plugin maps, the same input names with the same kinds (string, integer, number,
boolean, array, map, object), nested input types included. A service left out, a pulumi-aws
override not reproduced or a version skew between the two shows up as a difference here.

Skipped when `make providers` has not built the plugin (tests/aws_provider.py).
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import sys
import typing
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from tests.aws_provider import AwsProvider, aws_provider, to_struct, urn

__all__ = ["aws_provider"]  # the session fixture, used by name

RESOURCES = [
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    # static addresses and the DNS record (issue 21)
    "aws:ec2/eip:Eip",
    "aws:route53/record:Record",
    # examples/aws
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/instance:Instance",
]
LOOKUPS = ["aws:ec2/getVpc:getVpc", "aws:ec2/getSubnet:getSubnet", "aws:route53/getZone:getZone"]

# Differences of version, not of the build: (token, difference) -> why.
VERSION_SKEW = {
    ("aws:lb/loadBalancer:LoadBalancer", "enablePrefixForIpv6SourceNat: only in pulumi_aws"): (
        "not in the Terraform AWS provider 6.34.0 (its CHANGELOG): the installed pulumi_aws is "
        "built on a later release; kurl-lb never sets it"
    ),
}

Shape = dict[str, Any]  # input name -> kind, or (kind, nested shape) for arrays and objects


def _sdk_kind(annotation: Any, module: Any, depth: int = 0) -> Any:
    """string/integer/number/boolean, ("array", item), ("map", value) or ("object", shape) of
    an SDK annotation: `Optional[Input[T]]` is a Union whose first member is T."""
    args = typing.get_args(annotation)
    t = args[0] if typing.get_origin(annotation) is typing.Union and args else annotation
    if isinstance(t, typing.ForwardRef):
        t = getattr(module, t.__forward_arg__)
    origin = typing.get_origin(t)
    if origin is collections.abc.Sequence:
        return ("array", _sdk_kind(typing.get_args(t)[0], module, depth))
    if origin is collections.abc.Mapping:
        return ("map", _sdk_kind(typing.get_args(t)[1], module, depth))
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", Any: "any"}
    if t in simple:
        return simple[t]
    if inspect.isclass(t):
        return ("object", _sdk_shape(t, depth + 1))
    raise AssertionError(f"unexpected SDK annotation {t!r}")


def _sdk_shape(args_class: type, depth: int = 0) -> Shape:
    module = sys.modules[args_class.__module__]
    shape: Shape = {}
    for attr, member in vars(args_class).items():
        if isinstance(member, property) and member.fget is not None:
            name = getattr(member.fget, "_pulumi_name", None) or attr
            annotation = inspect.signature(member.fget).return_annotation
            shape[name] = _sdk_kind(annotation, module, depth)
    return shape


def sdk_inputs(token: str) -> Shape:
    """Input names and kinds of a resource (or a lookup's arguments) in the pulumi_aws SDK."""
    _, module, name = token.split(":")
    mod = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
    if name[0].islower():  # a lookup: the function's parameters
        fn = getattr(mod, "".join("_" + c.lower() if c.isupper() else c for c in name))
        hints = inspect.signature(fn).parameters
        return {
            _camel(p): _sdk_kind(hints[p].annotation, sys.modules[fn.__module__])
            for p in hints
            if p != "opts"
        }
    return _sdk_shape(getattr(mod, f"{name}Args"))


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _schema_kind(spec: dict[str, Any], types: dict[str, Any], depth: int = 0) -> Any:
    if "$ref" in spec:
        ref = spec["$ref"]
        if ref == "pulumi.json#/Any":
            return "any"
        t = types[ref.removeprefix("#/types/")]
        return ("object", _schema_shape(t.get("properties", {}), types, depth + 1))
    kind = spec.get("type")
    if kind == "array":
        return ("array", _schema_kind(spec["items"], types, depth))
    if kind == "object":
        return ("map", _schema_kind(spec.get("additionalProperties", {"type": "string"}), types))
    return kind


def _schema_shape(properties: dict[str, Any], types: dict[str, Any], depth: int = 0) -> Shape:
    return {name: _schema_kind(spec, types, depth) for name, spec in properties.items()}


def plugin_inputs(schema: dict[str, Any], token: str) -> Shape:
    types = schema.get("types", {})
    if token in schema.get("resources", {}):
        return _schema_shape(schema["resources"][token].get("inputProperties", {}), types)
    function = schema["functions"][token]
    return _schema_shape(function.get("inputs", {}).get("properties", {}), types)


def differences(sdk: Any, plugin: Any, path: str = "") -> list[str]:
    if isinstance(sdk, dict) and isinstance(plugin, dict):
        out = [f"{path}{k}: only in pulumi_aws" for k in sorted(set(sdk) - set(plugin))]
        out += [f"{path}{k}: only in the plugin" for k in sorted(set(plugin) - set(sdk))]
        for k in sorted(set(sdk) & set(plugin)):
            out += differences(sdk[k], plugin[k], f"{path}{k}.")
        return out
    if isinstance(sdk, tuple) and isinstance(plugin, tuple) and sdk[0] == plugin[0]:
        return differences(sdk[1], plugin[1], path)
    return [] if sdk == plugin else [f"{path.rstrip('.')}: pulumi_aws {sdk!r}, plugin {plugin!r}"]


@pytest.mark.parametrize("token", RESOURCES + LOOKUPS)
def test_the_plugin_takes_pulumi_aws_inputs(aws_provider: AwsProvider, token: str) -> None:
    found = differences(sdk_inputs(token), plugin_inputs(aws_provider.schema, token))
    assert [d for d in found if (token, d) not in VERSION_SKEW] == []


def test_the_plugin_maps_nothing_else(aws_provider: AwsProvider) -> None:
    assert sorted(aws_provider.schema["resources"]) == sorted(RESOURCES)
    # The bridge adds the provider's own terraformConfig method.
    functions = set(aws_provider.schema["functions"]) - {"pulumi:providers:aws/terraformConfig"}
    assert sorted(functions) == sorted(LOOKUPS)


def test_the_plugin_says_what_it_is(aws_provider: AwsProvider) -> None:
    # The Terraform provider's release, marked as this build: never a pulumi-aws version.
    assert aws_provider.version() == "6.34.0-kurl-e2e"


def test_the_plugin_plans_but_never_deploys(aws_provider: AwsProvider) -> None:
    """A create that is not a preview is refused before any AWS call, saying what the plugin is."""
    token = "aws:ec2/securityGroup:SecurityGroup"
    inputs = aws_provider.check(token, "sg", {"vpcId": "vpc-0a1b2c3d4e5f60718"}).inputs
    with pytest.raises(grpc.RpcError) as refused:
        aws_provider.stub.Create(
            provider_pb2.CreateRequest(
                urn=urn(token, "sg"), properties=to_struct(inputs), preview=False
            )
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "it previews only" in str(refused.value.details())
