"""AzureKurlLb builds what the kURL page's Azure section asks for, with real values asserted."""

from __future__ import annotations

from typing import Any

import pytest

from offline.diff import CREATE, UPDATE, diff
from tests.conftest import (
    AZURE_DEV,
    AZURE_IP,
    AZURE_LB_ID,
    AZURE_RG,
    DELETE,
    SUBSCRIPTION,
    BadConfigCase,
    assert_rejected,
    bad_config_params,
    run_project,
    with_changes,
)

PIP = "azure-native:network:PublicIPAddress"
LB = "azure-native:network:LoadBalancer"
RULE = "azure-native:network:SecurityRule"
NIC_ASSOC = (
    "azure:network/networkInterfaceBackendAddressPoolAssociation:"
    "NetworkInterfaceBackendAddressPoolAssociation"
)
VNET = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{AZURE_RG}/providers/Microsoft.Network"
    "/virtualNetworks/kurl-vnet"
)


def ip_mode(base: dict[str, Any]) -> dict[str, Any]:
    return with_changes(
        base,
        {
            "azure.backendPool": "ip",
            "azure.virtualNetworkId": VNET,
            "primaries": [
                {"name": "primary-1", "address": "10.1.0.4", "registered": True},
                {"name": "primary-2", "address": "10.1.0.5", "registered": True},
                {"name": "primary-3", "address": "10.1.0.6"},
            ],
        },
    )


def test_public_ip_is_standard_regional_static_ipv4(azure_dev: dict[str, Any]) -> None:
    graph = run_project(azure_dev)
    pip = graph.by_name("kurl-pip")
    assert pip.type == PIP
    assert pip.inputs["sku"] == {"name": "Standard", "tier": "Regional"}
    assert pip.inputs["publicIPAllocationMethod"] == "Static"
    assert pip.inputs["publicIPAddressVersion"] == "IPv4"
    assert pip.inputs["resourceGroupName"] == AZURE_RG
    assert "dnsSettings" not in pip.inputs
    assert pip.protect is True


def test_load_balancer_follows_the_kurl_page(azure_dev: dict[str, Any]) -> None:
    graph = run_project(azure_dev)
    lb = graph.by_name("kurl-lb")
    inputs = lb.inputs
    assert lb.protect is True
    assert inputs["loadBalancerName"] == "kurl-lb"
    assert inputs["sku"] == {"name": "Standard", "tier": "Regional"}
    assert inputs["frontendIPConfigurations"] == [
        {"name": "api-frontend", "publicIPAddress": {"id": "kurl-pip-id"}}
    ]
    assert inputs["backendAddressPools"] == [{"name": "primaries"}]
    assert inputs["probes"] == [
        {
            "name": "api-probe",
            "protocol": "Tcp",
            "port": 6443,
            "intervalInSeconds": 5,
            "probeThreshold": 2,
            "numberOfProbes": 2,
        }
    ]
    assert inputs["loadBalancingRules"] == [
        {
            "name": "api",
            "protocol": "Tcp",
            "frontendPort": 6443,
            "backendPort": 6443,
            "frontendIPConfiguration": {
                "id": f"{AZURE_LB_ID}/frontendIPConfigurations/api-frontend"
            },
            "backendAddressPool": {"id": f"{AZURE_LB_ID}/backendAddressPools/primaries"},
            "probe": {"id": f"{AZURE_LB_ID}/probes/api-probe"},
            "disableOutboundSnat": False,
            "enableFloatingIP": False,
            "loadDistribution": "Default",
        }
    ]
    assert inputs["tags"] == {"team": "platform", "kurl-lb-stack": "test"}


def test_nic_pool_registers_each_registered_primary_by_name(azure_dev: dict[str, Any]) -> None:
    config = with_changes(azure_dev, {"primaries.2.registered": True})
    graph = run_project(config)
    assocs = {r.name: r.inputs for r in graph.of_type(NIC_ASSOC)}
    assert assocs == {
        "kurl-nic-primary-1": {
            "networkInterfaceId": AZURE_DEV["kurl-lb:primaries"][0]["nicId"],
            "ipConfigurationName": "ipconfig1",
            "backendAddressPoolId": f"{AZURE_LB_ID}/backendAddressPools/primaries",
        },
        "kurl-nic-primary-3": {
            "networkInterfaceId": AZURE_DEV["kurl-lb:primaries"][2]["nicId"],
            "ipConfigurationName": "ipcfg",
            "backendAddressPoolId": f"{AZURE_LB_ID}/backendAddressPools/primaries",
        },
    }
    lb_urn = graph.by_name("kurl-lb").urn
    for assoc in graph.of_type(NIC_ASSOC):
        assert assoc.property_dependencies["backendAddressPoolId"] == [lb_urn]


def test_nic_pool_needs_no_subscription_setting(
    azure_dev: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The classic provider gets the subscription azure-native's client config reports."""
    monkeypatch.delenv("ARM_SUBSCRIPTION_ID", raising=False)
    config = with_changes(azure_dev, {"azure:subscriptionId": DELETE})
    graph = run_project(config)
    provider = graph.by_name("kurl-azure-classic")
    assert provider.type == "pulumi:providers:azure"
    # The provider schema marks subscriptionId secret.
    assert provider.inputs["subscriptionId"] == {"secret": SUBSCRIPTION}
    assert provider.parent == graph.by_name("kurl").urn
    (assoc,) = graph.of_type(NIC_ASSOC)
    assert assoc.provider.startswith(provider.urn + "::")


def test_subscription_setting_overrides_the_client_config(
    azure_dev: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "99999999-8888-7777-6666-555555555555"
    monkeypatch.delenv("ARM_SUBSCRIPTION_ID", raising=False)
    graph = run_project(with_changes(azure_dev, {"azure:subscriptionId": other}))
    assert graph.by_name("kurl-azure-classic").inputs["subscriptionId"] == {"secret": other}


def test_registering_one_more_nic_adds_exactly_one_resource(azure_dev: dict[str, Any]) -> None:
    before = run_project(azure_dev)
    after = run_project(with_changes(azure_dev, {"primaries.1.registered": True}))
    assert [(c.op, c.type, c.name) for c in diff(before, after)] == [
        (CREATE, NIC_ASSOC, "kurl-nic-primary-2")
    ]


def test_nsg_rule_admits_clients_and_the_lb_ip_only(azure_dev: dict[str, Any]) -> None:
    graph = run_project(azure_dev)
    rule = graph.by_name("kurl-nsg-api")
    assert rule.type == RULE
    assert rule.inputs == {
        "securityRuleName": "kurl-api-via-lb",
        "resourceGroupName": AZURE_RG,
        "networkSecurityGroupName": "primaries-nsg",
        "priority": 310,
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "sourceAddressPrefixes": ["203.0.113.0/24", AZURE_IP],
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        "destinationPortRange": "6443",
        "description": "kURL API through the load balancer (kurl-lb)",
    }


def test_no_nsg_rule_without_an_nsg(azure_dev: dict[str, Any]) -> None:
    config = with_changes(azure_dev, {"azure.networkSecurityGroupName": DELETE})
    assert run_project(config).of_type(RULE) == []


def test_outputs_use_the_public_ip_or_the_dns_label(azure_dev: dict[str, Any]) -> None:
    outputs = run_project(azure_dev).outputs
    assert outputs["loadBalancerAddress"] == f"{AZURE_IP}:6443"
    assert outputs["kurlInstallFlags"] == f"ha load-balancer-address={AZURE_IP}:6443"
    labelled = run_project(with_changes(azure_dev, {"azure.domainNameLabel": "kurl-api"}))
    fqdn = "kurl-api.eastus.cloudapp.azure.com"
    assert labelled.outputs["loadBalancerAddress"] == f"{fqdn}:6443"
    assert labelled.by_name("kurl-pip").inputs["dnsSettings"] == {"domainNameLabel": "kurl-api"}
    # Known in a preview too, before the IP exists.
    preview = run_project(
        with_changes(azure_dev, {"azure.domainNameLabel": "kurl-api"}), preview=True
    )
    assert preview.outputs["kurlInstaller"]["spec"]["kubernetes"]["loadBalancerAddress"] == (
        f"{fqdn}:6443"
    )


def test_ip_pool_lists_registered_addresses_in_the_load_balancer(azure_dev: dict[str, Any]) -> None:
    graph = run_project(ip_mode(azure_dev))
    assert graph.of_type(NIC_ASSOC) == []
    pool = graph.by_name("kurl-lb").inputs["backendAddressPools"]
    assert pool == [
        {
            "name": "primaries",
            "virtualNetwork": {"id": VNET},
            "loadBalancerBackendAddresses": [
                {"name": "primary-1", "ipAddress": "10.1.0.4", "virtualNetwork": {"id": VNET}},
                {"name": "primary-2", "ipAddress": "10.1.0.5", "virtualNetwork": {"id": VNET}},
            ],
        }
    ]


def test_ip_pool_registration_is_one_update_of_the_load_balancer(azure_dev: dict[str, Any]) -> None:
    before = run_project(ip_mode(azure_dev))
    after = run_project(with_changes(ip_mode(azure_dev), {"primaries.2.registered": True}))
    assert [(c.op, c.name, c.properties) for c in diff(before, after)] == [
        (UPDATE, "kurl-lb", ["backendAddressPools[0].loadBalancerBackendAddresses"])
    ]


def test_settings_follow_config(azure_dev: dict[str, Any]) -> None:
    config = with_changes(
        azure_dev,
        {
            "name": "prod",
            "port": 8443,
            "deletionProtection": False,
            "healthCheck": {"intervalSeconds": 15, "unhealthyThreshold": 4},
            "azure.networkSecurityRulePriority": 4000,
        },
    )
    graph = run_project(config)
    lb = graph.by_name("prod-lb")
    assert lb.protect is False and graph.by_name("prod-pip").protect is False
    probe = lb.inputs["probes"][0]
    assert (probe["port"], probe["intervalInSeconds"], probe["probeThreshold"]) == (8443, 15, 4)
    rule = lb.inputs["loadBalancingRules"][0]
    assert (rule["frontendPort"], rule["backendPort"]) == (8443, 8443)
    nsg = graph.by_name("prod-nsg-api").inputs
    assert (nsg["priority"], nsg["destinationPortRange"]) == (4000, "8443")


def test_children_are_parented_and_typed(azure_dev: dict[str, Any]) -> None:
    graph = run_project(azure_dev)
    component = graph.by_name("kurl")
    assert component.type == "kurl:index:AzureKurlLb"
    assert all(r.parent == component.urn for r in graph.custom)
    assert sorted(r.name for r in graph.custom) == [
        "kurl-azure-classic",
        "kurl-lb",
        "kurl-nic-primary-1",
        "kurl-nsg-api",
        "kurl-pip",
    ]


NIC = AZURE_DEV["kurl-lb:primaries"][0]["nicId"]
AZURE_CASES: list[BadConfigCase] = [
    (
        "internal-scheme",
        {"scheme": "internal"},
        ["kurl-lb:scheme", "hairpinning", "allowed: public"],
    ),
    (
        "missing-nic-id",
        {"primaries.0.nicId": DELETE},
        ["kurl-lb:primaries[0].nicId: is required with backendPool nic"],
    ),
    (
        "malformed-nic-id",
        {"primaries.1.nicId": "primary-2-nic"},
        ["kurl-lb:primaries[1].nicId", "is not a network interface resource ID"],
    ),
    (
        "vm-id-as-nic-id",
        {"primaries.1.nicId": NIC.replace("networkInterfaces", "virtualMachines")},
        ["kurl-lb:primaries[1].nicId", "network interface"],
    ),
    (
        "duplicate-nic",
        {"primaries.1.nicId": NIC},
        ["kurl-lb:primaries[1].nicId", "also primaries[0].nicId"],
    ),
    (
        "ip-mode-without-vnet",
        {
            "azure.backendPool": "ip",
            "primaries": [{"name": "p1", "address": "10.1.0.4", "registered": True}],
        },
        ["kurl-lb:azure.virtualNetworkId: is required with backendPool ip"],
    ),
    (
        "ip-mode-without-address",
        {
            "azure.backendPool": "ip",
            "azure.virtualNetworkId": VNET,
            "primaries": [{"name": "p1", "registered": True}],
        },
        ["kurl-lb:primaries[0].address: is required with backendPool ip"],
    ),
    (
        "ip-mode-with-nic",
        {
            "azure.backendPool": "ip",
            "azure.virtualNetworkId": VNET,
            "primaries": [{"name": "p1", "address": "10.1.0.4", "nicId": NIC, "registered": True}],
        },
        ["kurl-lb:primaries[0].nicId: is only used with azure.backendPool nic"],
    ),
    (
        "nic-mode-with-vnet",
        {"azure.virtualNetworkId": VNET},
        ["kurl-lb:azure.virtualNetworkId: is only used with backendPool ip"],
    ),
    (
        "nic-mode-with-address",
        {"primaries.0.address": "10.1.0.4"},
        ["kurl-lb:primaries[0].address: is only used with azure.backendPool ip"],
    ),
    ("bad-pool-kind", {"azure.backendPool": "vmss"}, ["kurl-lb:azure.backendPool", "nic or ip"]),
    (
        "aws-block-on-azure",
        {"aws": {"vpcId": "vpc-0a1b2c3d"}},
        ["kurl-lb:aws: unknown key (or not used with cloud azure)"],
    ),
    (
        "aws-field-on-azure-primary",
        {"primaries.0.instanceId": "i-0123456789abcdef0"},
        ["kurl-lb:primaries[0].instanceId: unknown key", "nicId"],
    ),
    (
        "gcp-field-on-azure-primary",
        {"primaries.0.zone": "1"},
        ["kurl-lb:primaries[0].zone: unknown key"],
    ),
    (
        "probe-interval-too-short",
        {"healthCheck": {"intervalSeconds": 4}},
        ["kurl-lb:healthCheck.intervalSeconds", "integer 5-300"],
    ),
    (
        "probe-threshold-zero",
        {"healthCheck": {"unhealthyThreshold": 0}},
        ["kurl-lb:healthCheck.unhealthyThreshold", "integer 1-100"],
    ),
    (
        "healthy-threshold-on-azure",
        {"healthCheck": {"healthyThreshold": 3}},
        ["kurl-lb:healthCheck.healthyThreshold: unknown key", "unhealthyThreshold"],
    ),
    (
        "nsg-priority-low",
        {"azure.networkSecurityRulePriority": 99},
        ["kurl-lb:azure.networkSecurityRulePriority", "integer 100-4096"],
    ),
    (
        "nsg-priority-high",
        {"azure.networkSecurityRulePriority": 5000},
        ["kurl-lb:azure.networkSecurityRulePriority", "integer 100-4096"],
    ),
    (
        "missing-resource-group",
        {"azure.resourceGroupName": DELETE},
        ["kurl-lb:azure.resourceGroupName: is required"],
    ),
    (
        "bad-dns-label",
        {"azure.domainNameLabel": "Kurl_API"},
        ["kurl-lb:azure.domainNameLabel", "is not a DNS name label"],
    ),
    (
        "label-without-location",
        {"azure.domainNameLabel": "kurl-api", "azure-native:location": DELETE},
        ["azure-native:location: is required with kurl-lb:azure.domainNameLabel"],
    ),
    (
        "public-without-clients",
        {"allowedClientCidrs": DELETE},
        ["kurl-lb:allowedClientCidrs: is required for a public load balancer"],
    ),
    ("missing-azure-block", {"azure": DELETE}, ["kurl-lb:azure: is required"]),
]


@pytest.mark.parametrize(("changes", "fragments"), bad_config_params(AZURE_CASES))
def test_bad_azure_config_is_rejected_before_anything_is_registered(
    changes: dict[str, Any], fragments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARM_SUBSCRIPTION_ID", raising=False)
    assert_rejected(AZURE_DEV, changes, fragments)
