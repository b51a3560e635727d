#!/bin/sh
# KURL_AWS_LOOKUPS for the real AWS provider of `make providers`: one lookup answered as the
# pass-through double answers it (tests/e2e/doubles/lookups.py).
root=$(cd -- "$(dirname -- "$0")/../../.." && pwd)
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec "$root/.venv/bin/python" -m tests.e2e.doubles.lookups aws
