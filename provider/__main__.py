"""The `kurl` component package's provider: the engine runs `python -u provider <engine>`."""

import sys
from pathlib import Path

# The components are the repository's own package, one directory up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi.provider.experimental import component_provider_host

from components.aws import AwsKurlNlb
from components.azure import AzureKurlLb
from components.gcp import GcpKurlLb

if __name__ == "__main__":
    component_provider_host(name="kurl", components=[AwsKurlNlb, AzureKurlLb, GcpKurlLb])
