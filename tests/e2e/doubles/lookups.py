"""`python -m tests.e2e.doubles.lookups <package>`: answer one lookup as the double would.

The real AWS provider built by `make providers` (tests/e2e/toolchain/aws-provider) cannot look
anything up offline; with KURL_AWS_LOOKUPS set to this command it sends each invoke here instead:
one JSON document on stdin, {"token", "args", "config"}, and one on stdout, {"return": {...}} or
{"failure": "..."}. The answer is the pass-through double's (fixtures.py, and KURL_E2E_INVOKES
first), so a step through the real provider sees the same lookup results as every other step.
"""

import asyncio
import json
import sys
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import ConfigureRequest, InvokeRequest

from tests.e2e.doubles.passthrough import PassThroughProvider, to_property, to_python


async def answer(package: str, request: dict[str, Any]) -> dict[str, Any]:
    double = PassThroughProvider(package)
    await double.configure(
        ConfigureRequest(
            variables=dict(request.get("config") or {}),
            args={},
            accept_secrets=True,
            accept_resources=True,
        )
    )
    args = {k: to_property(v) for k, v in (request.get("args") or {}).items()}
    response = await double.invoke(InvokeRequest(tok=request["token"], args=args))
    if response.failures:
        return {"failure": "; ".join(f.reason for f in response.failures)}
    return {"return": to_python(PropertyValue(dict(response.return_value or {})))}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.e2e.doubles.lookups <package> < request.json")
    print(json.dumps(asyncio.run(answer(sys.argv[1], json.load(sys.stdin)))))
