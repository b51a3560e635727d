"""`python -m tests.e2e.doubles <package> <engine-address>`: serve one provider double."""

import sys

from tests.e2e.doubles.passthrough import serve

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tests.e2e.doubles <aws|azure-native|azure|gcp> <engine-address>")
    serve(sys.argv[1], sys.argv[2:])
