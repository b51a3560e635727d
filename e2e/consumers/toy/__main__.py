import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi.provider.experimental import component_provider_host  # noqa: E402

from toy import ToyBucket  # noqa: E402

if __name__ == "__main__":
    component_provider_host(name="kurl", components=[ToyBucket])
