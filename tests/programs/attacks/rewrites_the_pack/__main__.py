"""Rewrites the policy pack it is judged by (its folder from config `attack:pack`) into one that
checks nothing, then registers the bad NLB. The gate loaded its pack before the program started,
from its own copy (and, in the program's own mount namespace, the pack's folder is read-only, so
the rewrite fails there): exit 1."""

import pathlib

import pulumi
from bad_nlb import build

NOOP = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

PolicyPack(
    name="kurl-lb",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[ResourceValidationPolicy(name="noop", description="nothing", validate=lambda a, r: None)],
)
"""

pack = pathlib.Path(pulumi.Config("attack").require("pack"))
try:
    (pack / "__main__.py").write_text(NOOP)
    for module in pack.rglob("*.py"):
        if module.name != "__main__.py":
            module.write_text("")
except OSError as exc:
    pulumi.log.warn(f"could not rewrite the pack: {exc}")
build()
