"""Compliant under the SDK's mock monitor, the bad NLB otherwise: the gate is not a mock."""

from bad_nlb import build, compliant
from pulumi.runtime import mocks, settings

if isinstance(settings.get_monitor(), mocks.MockMonitor):
    compliant()
else:
    build()
