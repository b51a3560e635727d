"""The `kurl` component package: serves AwsKurlNlb, AzureKurlLb and GcpKurlLb to other Pulumi
languages (YAML, TypeScript, Go, ...) through the Python SDK's component provider host."""

import sys
from pathlib import Path

# The components live beside this directory, in the repository (not an installed package).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from components.aws import AwsKurlNlb
from components.azure import AzureKurlLb
from components.gcp import GcpKurlLb

PACKAGE = "kurl"
COMPONENTS = [AwsKurlNlb, AzureKurlLb, GcpKurlLb]

if __name__ == "__main__":
    component_provider_host(components=COMPONENTS, name=PACKAGE)
