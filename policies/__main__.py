"""The kurl-lb policy pack. Run by the Pulumi CLI (`pulumi preview --policy-pack policies`) or as
`python -m pulumi.policy <engine-address> policies`. Only builds the pack: PolicyPack(...) starts
the Analyzer server and never returns; the validators live in kurl_policies/."""

from kurl_policies.advisory import (
    api_lb_deletion_protection,
    api_lb_multi_zone,
    api_open_to_internet,
    gcp_no_target_pools,
)
from kurl_policies.aws import (
    aws_internal_nlb_ip_targets,
    aws_internal_nlb_no_client_ip_preservation,
    aws_nlb_addresses_match_scheme,
)
from kurl_policies.azure import azure_lb_public_standard
from kurl_policies.health_checks import api_health_check_tcp
from kurl_policies.layer4 import api_layer4_only
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="kurl-lb",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        aws_internal_nlb_ip_targets,
        aws_internal_nlb_no_client_ip_preservation,
        azure_lb_public_standard,
        api_layer4_only,
        api_health_check_tcp,
        api_open_to_internet,
        api_lb_deletion_protection,
        api_lb_multi_zone,
        gcp_no_target_pools,
        # Issue 21, AWS: static addresses and the API's DNS record.
        aws_nlb_addresses_match_scheme,
    ],
)
