"""Replace or update: the offline diff says what `pulumi preview --diff` would, per cloud.

Three layers: the tables name real types and inputs of the installed SDKs; every input of every
resource the components create, changed alone, is a replacement exactly when a table row says so
(and an in-place update otherwise); and config changes a reviewer makes show the replacements the
providers would do, with the API-address gate's verdict.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import inspect
import re
import sys
from typing import Any

import pytest
import yaml

from offline.address import (
    ADDRESS_PROCEDURE,
    CONFIG_KEYS,
    REPLACE_PROCEDURE,
    address_changes,
    provider_setting_changes,
    replacement_warnings,
)
from offline.diff import CREATE, DELETE, REPLACE, UPDATE, Change, diff, summary
from offline.recorder import UNKNOWN, Graph, RecordedResource
from offline.render import render_diff_text
from offline.replacements import (
    ADDRESS_PROPERTIES,
    ANY,
    FRONT_END_TYPES,
    TABLES,
    Rule,
    rules_for,
)
from tests.conftest import AWS_DEV, AZURE_DEV, GCP_DEV, PROJECT_ROOT, run_project, with_changes

CLOUDS = {"aws": AWS_DEV, "azure": AZURE_DEV, "gcp": GCP_DEV}
SDK = {
    "aws": "pulumi_aws",
    "azure-native": "pulumi_azure_native",
    "azure": "pulumi_azure",
    "gcp": "pulumi_gcp",
}
ROWS = [
    (token, rule) for table in TABLES.values() for token, rules in table.items() for rule in rules
]


def sdk_inputs(token: str) -> set[str]:
    """The wire names of a resource type's inputs, read from the installed Python SDK; also
    checks that the SDK registers the resource under exactly this type token."""
    package, module, name = token.split(":")
    cls = getattr(importlib.import_module(f"{SDK[package]}.{module.split('/')[0]}"), name)
    assert f"'{token}'" in inspect.getsource(cls._internal_init)
    # azure-native renames clashing args classes (PublicIPAddressInitArgs): ask __init__.
    match = re.search(r"get_resource_args_opts\((\w+),", inspect.getsource(cls.__init__))
    assert match is not None
    args = getattr(sys.modules[cls.__module__], match.group(1))
    return {
        getattr(member.fget, "_pulumi_name", None) or attr
        for attr, member in vars(args).items()
        if isinstance(member, property)
    }


@pytest.mark.parametrize(
    ("token", "rule"), ROWS, ids=[f"{t.split(':')[-1]}.{r.property}" for t, r in ROWS]
)
def test_every_row_names_an_input_of_the_installed_sdk(token: str, rule: Rule) -> None:
    inputs = sdk_inputs(token)
    named = list(rule.except_) if rule.property == ANY else [rule.property]
    assert set(named) <= inputs
    assert rule.source.startswith("https://github.com/")


def test_front_ends_and_address_inputs_are_covered_by_the_tables() -> None:
    assert all(rules_for(t) for t in FRONT_END_TYPES)
    for a in ADDRESS_PROPERTIES:
        assert rules_for(a.type) is not None
        assert a.path.partition("[")[0] in sdk_inputs(a.type)


@functools.cache
def graphs(cloud: str) -> Graph:
    """The cloud's dev stack as a preview, recorded once per process (collection needs it for
    the parameters, the tests again; none changes it: they change copies)."""
    return run_project(copy.deepcopy(CLOUDS[cloud]), preview=True)


@pytest.fixture(scope="module")
def dev_graphs() -> dict[str, Graph]:
    return {cloud: graphs(cloud) for cloud in CLOUDS}


def example_stack(name: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{name}.yaml").read_text())
    return config["config"]


def test_every_resource_type_the_components_create_has_a_table(
    dev_graphs: dict[str, Graph],
) -> None:
    # The dev stacks, and the full ones (every option on: static addresses, DNS records), each
    # during an address move (both front ends). Providers are not cloud resources (Azure's
    # explicit classic provider has no table).
    graphs = list(dev_graphs.values())
    for cloud in CLOUDS:
        full = example_stack(f"{cloud}-full")
        graphs.append(run_project(full, preview=True))
    created = {
        r.type for g in graphs for r in g.custom if not r.type.startswith("pulumi:providers:")
    }
    assert created == {t for table in TABLES.values() for t in table}


# Rows whose replacement depends on the values on both sides: tested one by one below.
CONDITIONAL = {(t, r.property) for t, r in ROWS if r.when is not None}


def other(value: Any) -> Any:
    """A different value of the same shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list) and value:
        return [other(value[0]), *value[1:]]
    if isinstance(value, dict) and value:
        key = sorted(value)[0]
        return {**value, key: other(value[key])}
    return "changed" if value == UNKNOWN else f"{value}-changed"


def with_inputs(graph: Graph, resource: RecordedResource, inputs: dict[str, Any]) -> Graph:
    changed = dataclasses.replace(resource, inputs=inputs)
    return dataclasses.replace(
        graph, resources=[changed if r.urn == resource.urn else r for r in graph.resources]
    )


def single_inputs(dev_graphs: dict[str, Graph]) -> list[Any]:
    params = []
    for cloud, graph in dev_graphs.items():
        for r in sorted(graph.custom, key=lambda r: r.urn):
            if r.type.startswith("pulumi:providers:"):
                continue  # not a cloud resource: no replacement table
            for prop in sorted(r.inputs):
                if (r.type, prop) not in CONDITIONAL:
                    params.append(pytest.param(cloud, r.name, prop, id=f"{cloud}-{r.name}.{prop}"))
    return params


def expect_replacement(token: str, prop: str) -> bool:
    return any(r.when is None and r.covers(prop) for r in rules_for(token) or ())


@pytest.mark.parametrize(("cloud", "name", "prop"), single_inputs({c: graphs(c) for c in CLOUDS}))
def test_each_input_changed_alone_replaces_exactly_when_a_row_says_so(
    dev_graphs: dict[str, Graph], cloud: str, name: str, prop: str
) -> None:
    before = dev_graphs[cloud]
    resource = before.by_name(name)
    after = with_inputs(before, resource, {**resource.inputs, prop: other(resource.inputs[prop])})
    [change, *followers] = diff(before, after)
    assert change.name == name
    if expect_replacement(resource.type, prop):
        assert change.op == REPLACE and change.in_place is False
        assert [r.property for r in change.reasons] == [prop]
        # What took an output of the replaced resource follows it (replaced or updated).
        assert all(f.op in (REPLACE, UPDATE) for f in followers)
    else:
        assert (change.op, change.in_place, change.reasons) == (UPDATE, True, ())
        assert followers == []


def one_change(before_inputs: dict[str, Any], after_inputs: dict[str, Any], name: str) -> Change:
    base = graphs("aws")
    resource = base.by_name(name)
    before = with_inputs(base, resource, before_inputs)
    after = with_inputs(base, resource, after_inputs)
    return next(c for c in diff(before, after) if c.name == name)


NLB = {"loadBalancerType": "network", "subnets": ["subnet-a", "subnet-b"]}


@pytest.mark.parametrize(
    ("before", "after", "op"),
    [
        pytest.param(NLB, {**NLB, "subnets": ["subnet-a"]}, REPLACE, id="subnet-removed"),
        pytest.param(NLB, {**NLB, "subnets": ["subnet-a", "subnet-c"]}, REPLACE, id="swapped"),
        pytest.param(NLB, {**NLB, "subnets": ["subnet-a", "subnet-b", "c"]}, UPDATE, id="added"),
        pytest.param(NLB, {**NLB, "securityGroups": ["sg-1"]}, REPLACE, id="first-sg"),
        pytest.param(
            {**NLB, "securityGroups": ["sg-1"]},
            {**NLB, "securityGroups": []},
            REPLACE,
            id="last-sg-removed",
        ),
        # Left out, the computed list keeps the current groups: no replacement.
        pytest.param({**NLB, "securityGroups": ["sg-1"]}, NLB, UPDATE, id="sg-left-out"),
        pytest.param(
            {**NLB, "securityGroups": ["sg-1"]},
            {**NLB, "securityGroups": ["sg-2"]},
            UPDATE,
            id="sg-swapped",
        ),
        pytest.param(
            {**NLB, "subnetMappings": [{"subnetId": "a"}]},
            {**NLB, "subnetMappings": [{"subnetId": "a"}, {"subnetId": "b"}]},
            UPDATE,
            id="mapping-added",
        ),
        # As the provider's Diff decides (tests/test_aws_provider_diff.py).
        pytest.param(
            {**NLB, "subnetMappings": [{"subnetId": "a"}]},
            {**NLB, "subnetMappings": [{"subnetId": "b"}]},
            UPDATE,
            id="mapping-changed",
        ),
        pytest.param(
            {**NLB, "subnetMappings": [{"subnetId": "a"}, {"subnetId": "b"}]},
            {**NLB, "subnetMappings": [{"subnetId": "a"}]},
            REPLACE,
            id="mapping-removed",
        ),
    ],
)
def test_nlb_subnets_and_security_groups_replace_only_as_customize_diff_says(
    before: dict[str, Any], after: dict[str, Any], op: str
) -> None:
    assert one_change(before, after, "kurl-nlb").op == op


def test_an_application_lb_loses_subnets_in_place() -> None:
    alb = {**NLB, "loadBalancerType": "application"}
    assert one_change(alb, {**alb, "subnets": ["subnet-a"]}, "kurl-nlb").op == UPDATE


@pytest.mark.parametrize(
    ("before", "after", "op"),
    [
        pytest.param({"cidrIpv4": "10.0.0.0/16"}, {"cidrIpv4": "10.1.0.0/16"}, UPDATE, id="cidr"),
        pytest.param(
            {"cidrIpv4": "10.0.0.0/16"},
            {"referencedSecurityGroupId": "sg-1"},
            REPLACE,
            id="cidr-to-group",
        ),
        pytest.param(
            {"referencedSecurityGroupId": "sg-1"},
            {"referencedSecurityGroupId": "sg-2"},
            UPDATE,
            id="other-group",
        ),
    ],
)
def test_a_security_group_rule_is_replaced_when_its_source_type_changes(
    before: dict[str, Any], after: dict[str, Any], op: str
) -> None:
    rule = {"securityGroupId": "sg-nlb", "ipProtocol": "tcp", "fromPort": 6443, "toPort": 6443}
    change = one_change({**rule, **before}, {**rule, **after}, "kurl-nlb-from-primaries")
    assert change.op == op


def test_a_type_no_table_covers_is_an_update_that_says_it_was_not_checked() -> None:
    base = graphs("aws")
    foreign = dataclasses.replace(base.by_name("kurl-tg"), type="example:index:Thing")
    before = dataclasses.replace(base, resources=[*base.resources, foreign])
    after = with_inputs(before, foreign, {**foreign.inputs, "port": 1})
    [change] = [c for c in diff(before, after) if c.type == "example:index:Thing"]
    assert (change.op, change.checked, change.in_place) == (UPDATE, False, None)
    assert change.to_json()["inPlace"] is None


# Config changes, through the real components: (changes, expected plan, address moves?).
# The plan lists (op, resource name), compared as a set of rows.
ConfigCase = tuple[str, str, dict[str, Any], list[tuple[str, str]], bool]
NLB_REPLACED = [(REPLACE, "kurl-nlb"), (REPLACE, "kurl-listener")]
CONFIG_CASES: list[ConfigCase] = [
    (
        "aws",
        "scheme",
        # A public NLB admits the primaries' public egress IPs (hairpin), not their SG.
        {"scheme": "public", "aws.hairpinSourceCidrs": ["198.51.100.7/32"]},
        [
            (REPLACE, "kurl-nlb"),
            (CREATE, "kurl-hairpin-198.51.100.7-32"),
            (REPLACE, "kurl-listener"),
            (DELETE, "kurl-nlb-from-primaries"),
        ],
        True,
    ),
    (
        "aws",
        "subnet-removed",
        {"aws.subnetIds": list(AWS_DEV["kurl-lb:aws"]["subnetIds"])[:2]},
        NLB_REPLACED,
        True,
    ),
    (
        "aws",
        "port",
        {"port": 7443},
        [
            (REPLACE, "kurl-tg"),
            (UPDATE, "kurl-clients-10.0.0.0-16"),
            (UPDATE, "kurl-nlb-to-targets"),
            (UPDATE, "kurl-primaries-from-nlb"),
            (UPDATE, "kurl-nlb-from-primaries"),
            (REPLACE, "kurl-target-primary-1"),
            (UPDATE, "kurl-listener"),
        ],
        True,
    ),
    (
        "aws",
        "health-check-and-cross-zone",
        {"healthCheck": {"intervalSeconds": 30}, "aws.crossZone": False},
        [(UPDATE, "kurl-tg"), (UPDATE, "kurl-nlb")],
        False,
    ),
    (
        "aws",
        "primary-address",
        {"primaries.0.address": "10.0.1.11"},
        [(REPLACE, "kurl-target-primary-1")],
        False,
    ),
    (
        "azure",
        "resource-group",
        {"azure.resourceGroupName": "other-rg"},
        [
            (REPLACE, "kurl-pip"),
            (REPLACE, "kurl-lb"),
            (REPLACE, "kurl-nsg-api"),
            (REPLACE, "kurl-nic-primary-1"),
        ],
        True,
    ),
    (
        "azure",
        "domain-name-label",
        {"azure.domainNameLabel": "kurl-api"},
        [(UPDATE, "kurl-pip")],
        True,
    ),
    (
        "azure",
        "port",
        {"port": 7443},
        [(UPDATE, "kurl-lb"), (UPDATE, "kurl-nsg-api")],
        True,
    ),
    (
        "azure",
        "health-check",
        {"healthCheck": {"intervalSeconds": 10}},
        [(UPDATE, "kurl-lb")],
        False,
    ),
    (
        "azure",
        "nic",
        {"primaries.0.ipConfigurationName": "ipcfg2"},
        [(REPLACE, "kurl-nic-primary-1")],
        False,
    ),
    (
        "gcp",
        "scheme",
        {"scheme": "internal", "gcp.subnetwork": "kurl-subnet"},
        [
            (REPLACE, "kurl-ip"),
            (UPDATE, "kurl-allow-api"),
            (REPLACE, "kurl-backend"),
            (REPLACE, "kurl-fr"),
        ],
        True,
    ),
    (
        "gcp",
        "network-tier",
        {"gcp.networkTier": "STANDARD"},
        [(REPLACE, "kurl-ip"), (REPLACE, "kurl-fr")],
        True,
    ),
    (
        "gcp",
        "port",
        {"port": 7443},
        [(UPDATE, "kurl-hc"), (UPDATE, "kurl-allow-api"), (REPLACE, "kurl-fr")],
        True,
    ),
    (
        "gcp",
        "network",
        {"gcp.network": "other-vpc"},
        [
            (REPLACE, "kurl-us-central1-a"),
            (REPLACE, "kurl-us-central1-b"),
            (UPDATE, "kurl-allow-api"),
            (REPLACE, "kurl-member-primary-1"),
            (UPDATE, "kurl-backend"),
        ],
        False,
    ),
    (
        "gcp",
        "health-check",
        {"healthCheck": {"intervalSeconds": 10}},
        [(UPDATE, "kurl-hc")],
        False,
    ),
]


@pytest.mark.parametrize(
    ("cloud", "changes", "plan", "moves"),
    [pytest.param(c, ch, p, m, id=f"{c}-{name}") for c, name, ch, p, m in CONFIG_CASES],
)
def test_config_changes_show_the_providers_replacements(
    dev_graphs: dict[str, Graph],
    cloud: str,
    changes: dict[str, Any],
    plan: list[tuple[str, str]],
    moves: bool,
) -> None:
    before = dev_graphs[cloud]
    after = run_project(with_changes(CLOUDS[cloud], changes), preview=True)
    result = diff(before, after)
    assert sorted((c.op, c.name) for c in result) == sorted(plan)
    assert all(c.in_place is True for c in result if c.op == UPDATE)
    assert bool(address_changes(result, before, after)) is moves


def test_the_nlb_security_group_switch_replaces_the_nlb_and_moves_the_address(
    dev_graphs: dict[str, Graph],
) -> None:
    before = dev_graphs["aws"]
    after = run_project(
        with_changes(AWS_DEV, {"aws.loadBalancerSecurityGroup": False}), preview=True
    )
    result = diff(before, after)
    nlb = next(c for c in result if c.name == "kurl-nlb")
    assert (nlb.op, [r.property for r in nlb.reasons]) == (REPLACE, ["securityGroups"])
    assert "customizeDiffLoadBalancerNLB" in nlb.reasons[0].source
    listener = next(c for c in result if c.name == "kurl-listener")
    assert [(r.property, r.via) for r in listener.reasons] == [("loadBalancerArn", "kurl-nlb")]
    assert summary(result) == {"create": 3, "update": 0, "replace": 2, "delete": 5}
    [moved] = address_changes(result, before, after)
    assert (moved.kind, moved.name) == ("replace", "kurl-nlb")
    assert "kurl-lb:aws.loadBalancerSecurityGroup" in moved.message()
    assert "changes the API address every kURL node and certificate holds" in moved.message()
    # The listener only follows the NLB: no separate warning for it.
    assert replacement_warnings(result) == []


def test_a_target_group_replacement_warns_with_the_config_key_and_the_procedure(
    dev_graphs: dict[str, Graph],
) -> None:
    after = run_project(with_changes(AWS_DEV, {"port": 7443}), preview=True)
    tg, attachment = replacement_warnings(diff(dev_graphs["aws"], after))
    assert tg.startswith("warning: kurl-tg (aws:lb/targetGroup:TargetGroup) is replaced")
    assert "forced by port (kurl-lb:port):" in tg
    assert "docs/runbook.md section 6.2" in tg
    # The attachment's own port changes too: it is not only following the target group.
    assert "forced by port (kurl-lb:port), targetGroupArn (new kurl-tg):" in attachment


def test_the_address_output_is_compared_when_both_sides_know_it() -> None:
    config = with_changes(AZURE_DEV, {"azure.domainNameLabel": "kurl-api"})
    before = run_project(config, preview=True)
    after = run_project(with_changes(config, {"azure.domainNameLabel": "kurl-api2"}), preview=True)
    moves = address_changes(diff(before, after), before, after)
    assert [(m.kind, m.name) for m in moves] == [
        ("update", "kurl-pip"),
        ("output", "loadBalancerAddress"),
    ]
    old, new = (f"{label}.eastus.cloudapp.azure.com:6443" for label in ("kurl-api", "kurl-api2"))
    assert moves[1].detail == f"goes from {old} to {new}"


def test_the_text_marks_replacements_and_in_place_updates(dev_graphs: dict[str, Graph]) -> None:
    before = dev_graphs["aws"]
    after = run_project(with_changes(AWS_DEV, {"port": 7443}), preview=True)
    result = diff(before, after)
    text = render_diff_text(after, result, "HEAD")
    rows = {line.split()[2]: line for line in text.splitlines() if line.startswith((" +", " ~"))}
    assert rows["kurl-tg"].startswith(" +-  aws:lb:TargetGroup")
    assert (
        "replace" in rows["kurl-tg"]
        and "[forces replacement: port (kurl-lb:port)]" in rows["kurl-tg"]
    )
    assert (
        "[forces replacement: port (kurl-lb:port), targetGroupArn (new kurl-tg)]"
        in rows["kurl-target-primary-1"]
    )
    assert rows["kurl-listener"].startswith(" ~   aws:lb:Listener")
    assert "update in place" in rows["kurl-listener"]
    assert "    +-2 to replace" in text and "    ~ 5 to update" in text


def test_creates_and_deletes_carry_no_replacement_fields() -> None:
    create, delete = Change(CREATE, "u1", "t", "a"), Change(DELETE, "u2", "t", "b")
    assert create.to_json()["inPlace"] is None and create.to_json()["replaceReasons"] == []
    assert delete.action == "delete"


def test_config_keys_in_messages_are_documented_keys() -> None:
    reference = (PROJECT_ROOT / "docs" / "config.md").read_text()
    for hint in CONFIG_KEYS.values():
        for key in re.findall(r"(?:kurl-lb|gcp|azure-native):[\w.\[\]]+", hint):
            if key.startswith("kurl-lb:"):
                leaf = re.split(r"[.\]]", key.removeprefix("kurl-lb:"))[-1]
                assert f"`{leaf}`" in reference, key
            else:
                assert f"`{key}`" in reference, key


def test_the_runbook_sections_the_messages_point_to_exist() -> None:
    runbook = (PROJECT_ROOT / "docs" / "runbook.md").read_text()
    for procedure in (ADDRESS_PROCEDURE, REPLACE_PROCEDURE):
        number, title = re.fullmatch(
            r'docs/runbook.md section ([\d.]+), "(.+)"', procedure
        ).groups()
        assert f"\n### {number} {title}\n" in runbook
    assert "--allow-address-change" in runbook and "ALLOW_ADDRESS_CHANGE=1" in runbook
    assert "exit code 4" in runbook


def test_provider_settings_count_only_under_an_existing_front_end(
    dev_graphs: dict[str, Graph],
) -> None:
    aws, gcp = dev_graphs["aws"], dev_graphs["gcp"]
    old, new = {"aws:region": "us-east-1"}, {"aws:region": "us-west-2"}
    [moved] = provider_setting_changes(aws, old, new)
    assert (moved.kind, moved.name) == ("setting", "aws:region")
    assert moved.detail.startswith("goes from us-east-1 to us-west-2")
    assert provider_setting_changes(aws, old, old) == []
    assert provider_setting_changes(gcp, old, new) == []  # no AWS front end to move
    assert provider_setting_changes(Graph(project="", stack="new"), old, new) == []
    [project] = provider_setting_changes(gcp, {"gcp:project": "a"}, {})
    assert project.detail.startswith("goes from a to (provider default)")


def test_a_protected_front_end_says_pulumi_up_will_refuse(dev_graphs: dict[str, Graph]) -> None:
    before = dev_graphs["gcp"]
    after = run_project(with_changes(GCP_DEV, {"port": 7443}), preview=True)
    [moved] = address_changes(diff(before, after), before, after)
    assert moved.detail == (
        ", forced by ports (kurl-lb:port); it is protected (pulumi up refuses until "
        "deletionProtection: false is applied)"
    )
    unprotected = run_project(with_changes(GCP_DEV, {"deletionProtection": False}), preview=True)
    after = run_project(
        with_changes(GCP_DEV, {"deletionProtection": False, "port": 7443}), preview=True
    )
    [moved] = address_changes(diff(unprotected, after), unprotected, after)
    assert moved.detail == ", forced by ports (kurl-lb:port)"


NAME_INPUTS = ("name", "namePrefix", "loadBalancerName", "publicIpAddressName", "securityRuleName")


def named_resources(dev_graphs: dict[str, Graph]) -> list[Any]:
    return [
        pytest.param(cloud, r.name, prop, id=f"{cloud}-{r.name}.{prop}")
        for cloud, graph in dev_graphs.items()
        for r in graph.custom
        if not r.type.startswith("pulumi:providers:")  # e.g. Azure's explicit classic provider
        for prop in NAME_INPUTS
        # azure-native names a resource by its path parameter (securityRuleName); the body's
        # `name` of a sub-resource is not its identity and no table says it replaces.
        if prop in sdk_inputs(r.type)
        and not (r.type.startswith("azure-native:") and prop == "name")
    ]


@pytest.mark.parametrize(("cloud", "name", "prop"), named_resources({c: graphs(c) for c in CLOUDS}))
def test_giving_an_auto_named_resource_a_name_replaces_it(
    dev_graphs: dict[str, Graph], cloud: str, name: str, prop: str
) -> None:
    # Auto-named resources carry no name input: the provider makes one up from the logical name.
    # Setting (or changing) it replaces the resource, as renaming does in the cloud.
    before = dev_graphs[cloud]
    resource = before.by_name(name)
    after = with_inputs(before, resource, {**resource.inputs, prop: f"{name}-renamed"})
    change = next(c for c in diff(before, after) if c.name == name)
    assert (change.op, [r.property for r in change.reasons]) == (REPLACE, [prop])


def test_a_new_name_prefix_deletes_and_creates_everything(dev_graphs: dict[str, Graph]) -> None:
    before = dev_graphs["aws"]
    after = run_project(with_changes(AWS_DEV, {"name": "kurl2"}), preview=True)
    result = diff(before, after)
    assert summary(result) == {"create": 10, "update": 0, "replace": 0, "delete": 10}
    moves = address_changes(result, before, after)
    assert [(m.kind, m.name) for m in moves] == [("delete", "kurl-nlb")]


def test_an_azure_ip_pool_registration_is_in_place_and_keeps_the_address() -> None:
    from tests.test_azure import ip_mode

    before = run_project(ip_mode(AZURE_DEV), preview=True)
    after = run_project(
        with_changes(ip_mode(AZURE_DEV), {"primaries.2.registered": True}), preview=True
    )
    [change] = diff(before, after)
    assert (change.op, change.name, change.in_place) == (UPDATE, "kurl-lb", True)
    assert address_changes([change], before, after) == []


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_registering_and_deregistering_stay_one_create_or_delete_as_the_cli_previews(
    dev_graphs: dict[str, Graph], cloud: str
) -> None:
    # Like the CLI: preview mocks, so IDs and ARNs are unknown on both sides.
    one = dev_graphs[cloud]
    two = run_project(with_changes(CLOUDS[cloud], {"primaries.1.registered": True}), preview=True)
    for before, after, op in ((one, two, CREATE), (two, one, DELETE)):
        [change] = diff(before, after)
        assert (change.op, change.name.endswith("primary-2")) == (op, True)
        assert address_changes([change], before, after) == []
