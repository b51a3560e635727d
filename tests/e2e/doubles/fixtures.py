"""What the doubles answer: computed outputs per resource type and lookup results per invoke token.

Every value is a deterministic function of the resource's URN, its inputs and the provider
config, so two runs of the same stack give the same ids, ARNs and addresses. Only the outputs
kurl-lb's components read are modelled (a real provider returns many more).
"""

import hashlib
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Json = Any

ACCOUNT = "123456789012"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"
GCP_PROJECT_DEFAULT = "kurl-e2e"


def digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:length]


def fake_ip(network: str, *parts: str) -> str:
    """A stable host address inside `network`, chosen by the hash of `parts`."""
    net = ipaddress.ip_network(network)
    offset = int(digest(*parts, length=8), 16) % (net.num_addresses - 2) + 1
    return str(net.network_address + offset)


@dataclass(frozen=True)
class Resource:
    """What a computed-output template sees of one resource."""

    urn: str
    type: str
    name: str  # the URN's name
    inputs: Mapping[str, Json]
    config: Mapping[str, str]  # the provider's config variables, e.g. {"aws:region": ...}

    @property
    def h(self) -> str:
        return digest(self.urn)

    def s(self, key: str, default: str = "") -> str:
        value = self.inputs.get(key)
        return value if isinstance(value, str) and value else default


Computed = Callable[[Resource], dict[str, Json]]


# ---- aws ------------------------------------------------------------------------------------


def _aws_region(r: Resource) -> str:
    return r.config.get("aws:region", "us-east-1")


def _aws_arn(r: Resource, service: str, path: str) -> str:
    return f"arn:aws:{service}:{_aws_region(r)}:{ACCOUNT}:{path}"


def _aws_lb(r: Resource) -> dict[str, Json]:
    name = r.s("name", r.name)[:32]
    kind = "net" if r.s("loadBalancerType", "application") == "network" else "app"
    return {
        "arn": _aws_arn(r, "elasticloadbalancing", f"loadbalancer/{kind}/{name}/{r.h[:16]}"),
        "arnSuffix": f"{kind}/{name}/{r.h[:16]}",
        "dnsName": f"{name}-{r.h[:10]}.elb.{_aws_region(r)}.amazonaws.com",
        "zoneId": "Z26RNL4JYFTOTI",
    }


def _aws_target_group(r: Resource) -> dict[str, Json]:
    name = r.s("name", r.name)[:32]
    return {
        "arn": _aws_arn(r, "elasticloadbalancing", f"targetgroup/{name}/{r.h[:16]}"),
        "arnSuffix": f"targetgroup/{name}/{r.h[:16]}",
    }


AWS: dict[str, Computed] = {
    "aws:lb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:lb/targetGroup:TargetGroup": _aws_target_group,
    "aws:lb/listener:Listener": lambda r: {
        "arn": _aws_arn(r, "elasticloadbalancing", f"listener/net/{r.name}/{r.h[:16]}")
    },
    "aws:ec2/securityGroup:SecurityGroup": lambda r: {
        "arn": _aws_arn(r, "ec2", f"security-group/sg-{r.h}"),
        "ownerId": ACCOUNT,
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": lambda r: {
        "arn": _aws_arn(r, "ec2", f"security-group-rule/sgr-{r.h}"),
        "securityGroupRuleId": f"sgr-{r.h}",
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": lambda r: {
        "arn": _aws_arn(r, "ec2", f"security-group-rule/sgr-{r.h}"),
        "securityGroupRuleId": f"sgr-{r.h}",
    },
}

AWS_ID_PREFIX = {
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}

# Issue 21, AWS: Elastic IPs, the API's Route 53 record, and its hosted zone lookup.
AWS.update(
    {
        "aws:ec2/eip:Eip": lambda r: {
            "allocationId": f"eipalloc-{r.h[:17]}",
            "arn": _aws_arn(r, "ec2", f"elastic-ip/eipalloc-{r.h[:17]}"),
            "publicIp": f"198.51.100.{int(r.h[:4], 16) % 250 + 1}",
            "domain": r.s("domain", "vpc"),
        },
        "aws:route53/record:Record": lambda r: {"fqdn": r.s("name")},
    }
)
AWS_ID_PREFIX["aws:ec2/eip:Eip"] = "eipalloc-"
# The zone every e2e record is in (Pulumi.aws-full.yaml's), unless the scenario's fixtures say.
E2E_ZONE_NAME = "kurl.example.com"


def _aws_zone(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    zone = str(args.get("zoneId") or "Z0E2E0E2E0E2E0E2E")
    return {"zoneId": zone, "id": zone, "name": E2E_ZONE_NAME, "privateZone": False}


def _aws_vpc(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    vpc = str(args.get("id") or "vpc-0e2e0e2e0e2e0e2e0")
    return {
        "id": vpc,
        "arn": f"arn:aws:ec2:{config.get('aws:region', 'us-east-1')}:{ACCOUNT}:vpc/{vpc}",
        "cidrBlock": "10.0.0.0/16",
        "ownerId": ACCOUNT,
        "state": "available",
    }


def _aws_subnet(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    subnet = str(args.get("id") or "subnet-0e2e0e2e0e2e0e2e0")
    third = int(digest(subnet, length=4), 16) % 250
    return {
        "id": subnet,
        "cidrBlock": f"10.0.{third}.0/24",
        "vpcId": "vpc-0e2e0e2e0e2e0e2e0",
        "availabilityZone": f"{config.get('aws:region', 'us-east-1')}a",
    }


# ---- azure-native and azure (classic) -------------------------------------------------------


def _arm_id(r: Resource, provider: str, collection: str, name_key: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{r.s('resourceGroupName', 'rg')}"
        f"/providers/{provider}/{collection}/{r.s(name_key, r.name)}"
    )


def _azure_public_ip(r: Resource) -> dict[str, Json]:
    out: dict[str, Json] = {
        "ipAddress": fake_ip("20.0.0.0/8", r.urn),
        "provisioningState": "Succeeded",
    }
    dns = r.inputs.get("dnsSettings")
    if isinstance(dns, Mapping) and isinstance(dns.get("domainNameLabel"), str):
        location = r.s("location", r.config.get("azure-native:location", "eastus"))
        out["dnsSettings"] = {
            **dns,
            "fqdn": f"{dns['domainNameLabel']}.{location}.cloudapp.azure.com",
        }
    return out


AZURE_NATIVE: dict[str, Computed] = {
    "azure-native:network:PublicIPAddress": _azure_public_ip,
    "azure-native:network:LoadBalancer": lambda r: {"provisioningState": "Succeeded"},
    "azure-native:network:SecurityRule": lambda r: {"provisioningState": "Succeeded"},
}

AZURE_NATIVE_ID: dict[str, Callable[[Resource], str]] = {
    "azure-native:network:PublicIPAddress": lambda r: _arm_id(
        r, "Microsoft.Network", "publicIPAddresses", "publicIpAddressName"
    ),
    "azure-native:network:LoadBalancer": lambda r: _arm_id(
        r, "Microsoft.Network", "loadBalancers", "loadBalancerName"
    ),
    "azure-native:network:SecurityRule": lambda r: (
        _arm_id(r, "Microsoft.Network", "networkSecurityGroups", "networkSecurityGroupName")
        + f"/securityRules/{r.s('securityRuleName', r.name)}"
    ),
}

AZURE_CLASSIC_ID: dict[str, Callable[[Resource], str]] = {
    # The classic provider's import id format: <ip configuration id>|<pool id>.
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation": lambda r: (
        f"{r.s('networkInterfaceId')}/ipConfigurations/{r.s('ipConfigurationName')}"
        f"|{r.s('backendAddressPoolId')}"
    ),
}


def _azure_client_config(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    return {
        "clientId": "00000000-0000-4000-8000-000000000003",
        "objectId": "00000000-0000-4000-8000-000000000004",
        "subscriptionId": SUBSCRIPTION,
        "tenantId": TENANT,
    }


# ---- gcp ------------------------------------------------------------------------------------

_GCP_COLLECTIONS = {
    "gcp:compute/address:Address": ("regions", "addresses"),
    "gcp:compute/regionHealthCheck:RegionHealthCheck": ("regions", "healthChecks"),
    "gcp:compute/regionBackendService:RegionBackendService": ("regions", "backendServices"),
    "gcp:compute/forwardingRule:ForwardingRule": ("regions", "forwardingRules"),
    "gcp:compute/instanceGroup:InstanceGroup": ("zones", "instanceGroups"),
    "gcp:compute/firewall:Firewall": ("global", "firewalls"),
}


def _gcp_scope(r: Resource, kind: str) -> str:
    project = r.s("project", r.config.get("gcp:project", GCP_PROJECT_DEFAULT))
    if kind == "regions":
        region = r.s("region", r.config.get("gcp:region", "us-central1"))
        return f"projects/{project}/regions/{region}"
    if kind == "zones":
        return f"projects/{project}/zones/{r.s('zone', 'us-central1-a')}"
    return f"projects/{project}/global"


def gcp_id(r: Resource) -> str:
    kind, collection = _GCP_COLLECTIONS[r.type]
    return f"{_gcp_scope(r, kind)}/{collection}/{r.s('name', r.name)}"


def _gcp_self_link(r: Resource) -> dict[str, Json]:
    rid = gcp_id(r)
    out: dict[str, Json] = {
        "selfLink": f"https://www.googleapis.com/compute/v1/{rid}",
        "name": r.s("name", r.name),
    }
    if r.type == "gcp:compute/address:Address":
        internal = r.s("addressType", "EXTERNAL").upper() == "INTERNAL"
        out["address"] = fake_ip("10.128.0.0/20" if internal else "34.0.0.0/8", r.urn)
    return out


GCP: dict[str, Computed] = {token: _gcp_self_link for token in _GCP_COLLECTIONS}


def _gcp_subnetwork(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    name = str(args.get("name") or str(args.get("selfLink", "default")).rsplit("/", 1)[-1])
    region = str(args.get("region") or config.get("gcp:region", "us-central1"))
    project = str(args.get("project") or config.get("gcp:project", GCP_PROJECT_DEFAULT))
    rid = f"projects/{project}/regions/{region}/subnetworks/{name}"
    return {
        "id": rid,
        "name": name,
        "region": region,
        "project": project,
        "ipCidrRange": "10.128.0.0/20",
        "selfLink": f"https://www.googleapis.com/compute/v1/{rid}",
        "network": f"https://www.googleapis.com/compute/v1/projects/{project}/global/networks/default",
    }


Invoke = Callable[[Mapping[str, Json], Mapping[str, str]], dict[str, Json]]


# ---- gcp, #21: reserved addresses, Cloud DNS ----------------------------------------------------
# Conventions (KURL_E2E_INVOKES overrides any answer): a reserved address is EXTERNAL PREMIUM,
# INTERNAL when its name holds "internal" (then on the subnetwork `default`); a managed zone's DNS
# name is its name with dashes as dots (`kurl-example-com` -> `kurl.example.com.`), private when
# its name holds "private".

GCP_RECORD_SET = "gcp:dns/recordSet:RecordSet"


def _gcp_address(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    name = str(args.get("name") or "address")
    region = str(args.get("region") or config.get("gcp:region", "us-central1"))
    project = str(args.get("project") or config.get("gcp:project", GCP_PROJECT_DEFAULT))
    rid = f"projects/{project}/regions/{region}/addresses/{name}"
    internal = "internal" in name
    out: dict[str, Json] = {
        "id": rid,
        "name": name,
        "region": region,
        "project": project,
        "address": fake_ip("10.128.0.0/20" if internal else "34.0.0.0/8", rid),
        "addressType": "INTERNAL" if internal else "EXTERNAL",
        "networkTier": "PREMIUM",
        "status": "RESERVED",
        "selfLink": f"https://www.googleapis.com/compute/v1/{rid}",
    }
    if internal:
        out["subnetwork"] = (
            f"https://www.googleapis.com/compute/v1/projects/{project}/regions/{region}"
            "/subnetworks/default"
        )
    return out


def _gcp_managed_zone(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    name = str(args.get("name") or "zone")
    project = str(args.get("project") or config.get("gcp:project", GCP_PROJECT_DEFAULT))
    return {
        "id": f"projects/{project}/managedZones/{name}",
        "name": name,
        "project": project,
        "dnsName": name.replace("-", ".") + ".",
        "visibility": "private" if "private" in name else "public",
        "nameServers": [f"ns-cloud-a{i}.googledomains.com." for i in (1, 2, 3, 4)],
    }


def gcp_record_id(r: Resource) -> str:
    project = r.s("project", r.config.get("gcp:project", GCP_PROJECT_DEFAULT))
    zone, name, kind = r.s("managedZone"), r.s("name"), r.s("type", "A")
    return f"projects/{project}/managedZones/{zone}/rrsets/{name}/{kind}"


GCP[GCP_RECORD_SET] = lambda r: {"id": gcp_record_id(r)}
GCP_INVOKES: dict[str, Invoke] = {
    "gcp:compute/getAddress:getAddress": _gcp_address,
    "gcp:dns/getManagedZone:getManagedZone": _gcp_managed_zone,
}


@dataclass(frozen=True)
class Package:
    computed: Mapping[str, Computed]
    invokes: Mapping[str, Invoke]
    ids: Mapping[str, Callable[[Resource], str]]
    id_prefix: Mapping[str, str]


PACKAGES: dict[str, Package] = {
    "aws": Package(
        AWS,
        {
            "aws:ec2/getVpc:getVpc": _aws_vpc,
            "aws:ec2/getSubnet:getSubnet": _aws_subnet,
            "aws:route53/getZone:getZone": _aws_zone,  # issue 21
        },
        {},
        AWS_ID_PREFIX,
    ),
    "azure-native": Package(
        AZURE_NATIVE,
        {"azure-native:authorization:getClientConfig": _azure_client_config},
        AZURE_NATIVE_ID,
        {},
    ),
    "azure": Package({}, {}, AZURE_CLASSIC_ID, {}),
    "gcp": Package(
        GCP,
        {"gcp:compute/getSubnetwork:getSubnetwork": _gcp_subnetwork, **GCP_INVOKES},
        {**dict.fromkeys(_GCP_COLLECTIONS, gcp_id), GCP_RECORD_SET: gcp_record_id},
        {},
    ),
}


# ---- azure-native, issue 21: the DNS alias record and a public IP given by ID ---------------


def _azure_record_set(r: Resource) -> dict[str, Json]:
    relative = r.s("relativeRecordSetName", "@")
    zone = r.s("zoneName")
    name = zone if relative == "@" else f"{relative}.{zone}"
    return {"fqdn": f"{name}.", "provisioningState": "Succeeded"}


AZURE_NATIVE["azure-native:dns:RecordSet"] = _azure_record_set
AZURE_NATIVE_ID["azure-native:dns:RecordSet"] = lambda r: (
    _arm_id(r, "Microsoft.Network", "dnsZones", "zoneName")
    + f"/{r.s('recordType', 'A')}/{r.s('relativeRecordSetName', '@')}"
)


def _azure_public_ip_lookup(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    """An existing public IP as kurl-lb's `publicIpId` needs it: Standard, static, IPv4, in the
    provider's location, on no frontend yet."""
    group = str(args.get("resourceGroupName") or "rg")
    name = str(args.get("publicIpAddressName") or "ip")
    return {
        "id": (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}"
            f"/providers/Microsoft.Network/publicIPAddresses/{name}"
        ),
        "name": name,
        "type": "Microsoft.Network/publicIPAddresses",
        "location": config.get("azure-native:location", "eastus"),
        "sku": {"name": "Standard", "tier": "Regional"},
        "publicIPAllocationMethod": "Static",
        "publicIPAddressVersion": "IPv4",
        "ipAddress": fake_ip("20.0.0.0/8", group, name),
        "etag": "e2e",
        "provisioningState": "Succeeded",
        "resourceGuid": digest(group, name),
    }


def _azure_dns_zone(args: Mapping[str, Json], config: Mapping[str, str]) -> dict[str, Json]:
    """A public Azure DNS zone of that name."""
    group = str(args.get("resourceGroupName") or "rg")
    name = str(args.get("zoneName") or "example.com")
    return {
        "id": (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}"
            f"/providers/Microsoft.Network/dnszones/{name}"
        ),
        "name": name,
        "type": "Microsoft.Network/dnszones",
        "location": "global",
        "zoneType": "Public",
        "nameServers": ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net."],
        "maxNumberOfRecordSets": 10000,
        "maxNumberOfRecordsPerRecordSet": 20,
        "numberOfRecordSets": 2,
        "signingKeys": [],
        "systemData": {},
        "azureApiVersion": "2023-07-01-preview",
    }


PACKAGES["azure-native"] = Package(
    AZURE_NATIVE,
    {
        **PACKAGES["azure-native"].invokes,
        "azure-native:network:getPublicIPAddress": _azure_public_ip_lookup,
        "azure-native:dns:getZone": _azure_dns_zone,
    },
    AZURE_NATIVE_ID,
    PACKAGES["azure-native"].id_prefix,
)
