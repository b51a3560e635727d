"""The components' arguments, each option declared once (components/declare.py): one Args
TypedDict per component and the records they hold, with the rules across their fields beside
them, one module per cloud.

Python users write `AwsKurlNlbArgs(vpc_id=vpc.id, ...)` (or a plain dict); the component
provider host (`provider/`) infers the package schema from these annotations and the docstring
under each field. Fields a user may hand another resource's output are `pulumi.Input`; fields
that decide which resources exist (scheme, target type, a primary's name and registration, a
GCP primary's zone) are plain values, known when the component is built. Schema names are the
camelCase of the field names (`vpc_id` -> `vpcId`). Every Args type lists its fields itself,
shared ones included: the schema analyzer only reads the docstrings of the class a field is
declared in.
"""

from ..declare import Declaration
from .aws import (
    AWS,
    AwsAddressMoveArgs,
    AwsDnsRecordArgs,
    AwsKurlNlbArgs,
    AwsPrimaryArgs,
    AwsPublicFrontEndArgs,
)
from .azure import (
    AZURE,
    AzureAddressMoveArgs,
    AzureDnsRecordArgs,
    AzureKurlLbArgs,
    AzurePrimaryArgs,
)
from .common import STACK_TAG, ExtraPortArgs, HealthCheckArgs
from .gcp import (
    GCP,
    GcpAddressMoveArgs,
    GcpDnsRecordArgs,
    GcpKurlLbArgs,
    GcpPrimaryArgs,
    GcpPublicFrontEndArgs,
)

DECLARATIONS: dict[str, Declaration] = {d.cloud: d for d in (AWS, AZURE, GCP)}

__all__ = [
    "AWS",
    "AZURE",
    "DECLARATIONS",
    "GCP",
    "STACK_TAG",
    "AwsAddressMoveArgs",
    "AwsDnsRecordArgs",
    "AwsKurlNlbArgs",
    "AwsPrimaryArgs",
    "AwsPublicFrontEndArgs",
    "AzureAddressMoveArgs",
    "AzureDnsRecordArgs",
    "AzureKurlLbArgs",
    "AzurePrimaryArgs",
    "ExtraPortArgs",
    "GcpAddressMoveArgs",
    "GcpDnsRecordArgs",
    "GcpKurlLbArgs",
    "GcpPrimaryArgs",
    "GcpPublicFrontEndArgs",
    "HealthCheckArgs",
]
