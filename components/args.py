"""The components' arguments: one flat Args type per component, and the records they hold.

TypedDicts, so that Python users write `AwsKurlNlbArgs(vpc_id=vpc.id, ...)` (or a plain dict)
and the component provider host (`provider/`) infers the package schema from these annotations
and the docstring under each field. Fields a user may hand another resource's output are
`pulumi.Input`; fields that decide which resources exist (scheme, target type, a primary's name
and registration, a GCP primary's zone) are plain values, known when the component is built.
Schema names are the camelCase of the field names (`vpc_id` -> `vpcId`).

Every Args type lists its fields itself, shared ones included: the schema analyzer only reads
the docstrings of the class a field is declared in. Docstrings are single string literals
(parenthesized when long) so that descriptions carry no source indentation. No
`from __future__ import annotations`: the analyzer reads the annotations as objects.
"""

from typing import NotRequired, TypedDict

import pulumi


class HealthCheckArgs(TypedDict):
    """Health check of the API port (TCP). Defaults differ per cloud (docs/config.md)."""

    interval_seconds: NotRequired[int]
    """Seconds between checks of one primary."""

    healthy_threshold: NotRequired[int]
    """Consecutive passes before a primary is healthy (not used on Azure)."""

    unhealthy_threshold: NotRequired[int]
    """Consecutive failures before a primary is unhealthy (Azure: its probe threshold)."""


# --- AWS -----------------------------------------------------------------------------------------


class AwsPrimaryArgs(TypedDict):
    """A kURL primary behind the NLB."""

    name: str
    """Unique name (a lowercase DNS label); the primary's registration is named after it."""

    registered: NotRequired[bool]
    (
        "True once the primary has joined the cluster: only then does it get load balancer "
        "traffic. Default false, so that primaries are added in stages."
    )

    address: NotRequired[pulumi.Input[str]]
    """Private IPv4 address of the primary: its target with `targetType: ip`."""

    instance_id: NotRequired[pulumi.Input[str]]
    """EC2 instance ID of the primary: its target with `targetType: instance`."""

    zone: NotRequired[pulumi.Input[str]]
    """Availability zone of an IP target's attachment (`all` for IP targets outside the VPC)."""


class AwsKurlNlbArgs(TypedDict):
    """Arguments of AwsKurlNlb: an AWS Network Load Balancer for a kURL control plane."""

    primaries: list[AwsPrimaryArgs]
    """The kURL primaries, in join order."""

    vpc_id: pulumi.Input[str]
    """VPC of the NLB and the primaries."""

    subnet_ids: list[pulumi.Input[str]]
    """Subnets the NLB lives in, one per availability zone."""

    scheme: str
    """`internal` or `public` (internet-facing)."""

    port: NotRequired[int]
    """API port on the load balancer and the primaries (1-65535). Default 6443."""

    allowed_client_cidrs: NotRequired[list[pulumi.Input[str]]]
    (
        "IPv4 CIDR blocks that may reach the API through the NLB. Required for a public NLB; "
        "an internal NLB defaults to the VPC's CIDR."
    )

    deletion_protection: NotRequired[bool]
    """Protect the load balancer front end, and so the API address, from deletion. Default true."""

    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags on every resource that takes them. The key `kurl-lb-stack` is reserved."""

    secret_args: NotRequired[list[str]]
    (
        "Names of arguments (camelCase: `primaries`, `scheme`) whose values are secrets: "
        "every resource input and output derived from them is a secret. The only way to make "
        "a plain argument secret; `pulumi.Input` arguments may also arrive as secret outputs."
    )

    region: NotRequired[pulumi.Input[str]]
    """AWS region of the provider; the primaries' zones are checked against it."""

    target_type: NotRequired[str]
    (
        "How primaries are registered: `ip` (default) or `instance`. Internal NLBs need `ip` "
        "(hairpinning)."
    )

    instance_security_group_id: NotRequired[pulumi.Input[str]]
    """Security group of the primaries: gets ingress from the NLB, and admits hairpinned traffic."""

    load_balancer_security_group: NotRequired[bool]
    """Attach a security group to the NLB (default true). Only possible when the NLB is created."""

    cross_zone: NotRequired[bool]
    """Cross-zone load balancing (default true)."""

    preserve_client_ip: NotRequired[bool]
    """Client IP preservation (default false); it breaks hairpinning, so internal NLBs reject it."""

    hairpin_source_cidrs: NotRequired[list[pulumi.Input[str]]]
    (
        "Public NLB only: the primaries' public egress addresses (their NAT gateways' Elastic "
        "IPs or their own public IPs), admitted like `allowedClientCidrs`. Required for a "
        "public NLB unless `allowedClientCidrs` lists 0.0.0.0/0."
    )

    health_check: NotRequired[HealthCheckArgs]
    """Target group health check."""


# --- Azure ---------------------------------------------------------------------------------------


class AzurePrimaryArgs(TypedDict):
    """A kURL primary behind the load balancer."""

    name: str
    """Unique name (a lowercase DNS label); the primary's registration is named after it."""

    registered: NotRequired[bool]
    (
        "True once the primary has joined the cluster: only then does it get load balancer "
        "traffic. Default false, so that primaries are added in stages."
    )

    nic_id: NotRequired[pulumi.Input[str]]
    """Resource ID of the VM's network interface (`backendPool: nic`)."""

    ip_configuration_name: NotRequired[pulumi.Input[str]]
    """IP configuration of that NIC (default `ipconfig1`)."""

    address: NotRequired[pulumi.Input[str]]
    """Private IPv4 address of the VM (`backendPool: ip`)."""


class AzureKurlLbArgs(TypedDict):
    """Arguments of AzureKurlLb: a public Standard Azure Load Balancer for a kURL control plane."""

    primaries: list[AzurePrimaryArgs]
    """The kURL primaries, in join order."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the public IP, the load balancer and the NSG rule."""

    scheme: NotRequired[str]
    """`public` (the default and the only value: internal Azure load balancers cannot hairpin)."""

    port: NotRequired[int]
    """API port on the load balancer and the primaries (1-65535). Default 6443."""

    allowed_client_cidrs: NotRequired[list[pulumi.Input[str]]]
    (
        "IPv4 CIDR blocks that may reach the API through the load balancer (required): the "
        "NSG rule admits them."
    )

    deletion_protection: NotRequired[bool]
    """Protect the load balancer front end, and so the API address, from deletion. Default true."""

    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags on every resource that takes them. The key `kurl-lb-stack` is reserved."""

    secret_args: NotRequired[list[str]]
    (
        "Names of arguments (camelCase: `primaries`, `scheme`) whose values are secrets: "
        "every resource input and output derived from them is a secret. The only way to make "
        "a plain argument secret; `pulumi.Input` arguments may also arrive as secret outputs."
    )

    location: NotRequired[pulumi.Input[str]]
    """Azure location (`eastus`); required with `domainNameLabel`, whose DNS name holds it."""

    subscription_id: NotRequired[pulumi.Input[str]]
    (
        "Subscription of the classic azure provider the NIC pool associations use (default: "
        "the one azure-native is configured with)."
    )

    backend_pool: NotRequired[str]
    """Backend pool membership: `nic` (default, the kURL page's way) or `ip`."""

    virtual_network_id: NotRequired[pulumi.Input[str]]
    """Resource ID of the primaries' virtual network (`backendPool: ip` only)."""

    network_security_group_name: NotRequired[pulumi.Input[str]]
    """NSG of the primaries, in `resourceGroupName`: gets the inbound rule for the port."""

    network_security_rule_priority: NotRequired[int]
    """Priority of that NSG rule (100-4096, default 310)."""

    domain_name_label: NotRequired[pulumi.Input[str]]
    """Gives the public IP a stable FQDN, used as the load balancer address."""

    health_check: NotRequired[HealthCheckArgs]
    """Load balancer health probe (`healthyThreshold` is not used on Azure)."""


# --- GCP -----------------------------------------------------------------------------------------


class GcpPrimaryArgs(TypedDict):
    """A kURL primary behind the load balancer."""

    name: str
    """Unique name (a lowercase DNS label); the primary's registration is named after it."""

    registered: NotRequired[bool]
    (
        "True once the primary has joined the cluster: only then does it get load balancer "
        "traffic. Default false, so that primaries are added in stages."
    )

    zone: str
    """Zone of the VM, in `region`; one instance group per zone."""

    instance: pulumi.Input[str]
    """The VM: its name, or its self link (`projects/<p>/zones/<zone>/instances/<name>`)."""


class GcpKurlLbArgs(TypedDict):
    """Arguments of GcpKurlLb: a GCP passthrough Network Load Balancer for a kURL control plane."""

    primaries: list[GcpPrimaryArgs]
    """The kURL primaries, in join order."""

    region: pulumi.Input[str]
    """Region of the load balancer; every primary's zone is in it."""

    network: pulumi.Input[str]
    """VPC network of the VMs: name or self link."""

    target_tags: list[pulumi.Input[str]]
    """Network tags of the primaries; the firewall rule targets them."""

    scheme: str
    """`internal` or `public` (external)."""

    port: NotRequired[int]
    """API port on the load balancer and the primaries (1-65535). Default 6443."""

    allowed_client_cidrs: NotRequired[list[pulumi.Input[str]]]
    (
        "IPv4 CIDR blocks that may reach the API through the load balancer. Required for an "
        "external load balancer; an internal one defaults to the subnetwork's range."
    )

    deletion_protection: NotRequired[bool]
    """Protect the load balancer front end, and so the API address, from deletion. Default true."""

    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Labels on every resource that takes them. The key `kurl-lb-stack` is reserved."""

    secret_args: NotRequired[list[str]]
    (
        "Names of arguments (camelCase: `primaries`, `scheme`) whose values are secrets: "
        "every resource input and output derived from them is a secret. The only way to make "
        "a plain argument secret; `pulumi.Input` arguments may also arrive as secret outputs."
    )

    project: NotRequired[pulumi.Input[str]]
    (
        "Project of the provider; tells an instance's name from its self link when checking "
        "that no VM is listed twice."
    )

    subnetwork: NotRequired[pulumi.Input[str]]
    """Subnetwork of an internal load balancer: name or self link."""

    network_tier: NotRequired[str]
    """Tier of the address and forwarding rule: `PREMIUM` (default) or `STANDARD`."""

    health_check: NotRequired[HealthCheckArgs]
    """Regional TCP health check."""
