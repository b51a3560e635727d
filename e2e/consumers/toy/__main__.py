import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi.provider.experimental import component_provider_host
from toy import ToyBucket

if __name__ == "__main__":
    component_provider_host(name="kurl", components=[ToyBucket])
