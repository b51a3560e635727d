"""Once everything is registered: the SDK's completion signal sent by hand, a forged "done"
record written to every descriptor the process has, then os._exit(0). What it registered is the
gate's already: judged, exit 1."""

import contextlib
import os

import pulumi
from bad_nlb import build
from google.protobuf import empty_pb2
from pulumi.runtime import settings


def forge(_: object) -> None:
    settings.get_monitor().SignalAndWaitForShutdown(empty_pb2.Empty())
    record = b'\x00\x00\x00\x10D{"registered": 0}'
    for fd in range(3, 256):
        with contextlib.suppress(OSError):
            os.write(fd, record)
    os._exit(0)


pulumi.Output.all(*[r.urn for r in build()]).apply(forge)
