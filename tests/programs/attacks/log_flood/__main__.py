"""Tiny engine calls without end (each log line is one): refused at --max-rpcs, exit 2."""

import pulumi
from bad_nlb import compliant

compliant()
for i in range(10_000_000):
    pulumi.log.warn(f"{i}")
