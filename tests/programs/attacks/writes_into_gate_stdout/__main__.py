"""Writes a "no violations" JSON document into the stdout (and stderr) of every process it can
see, the gate's included were it visible, then registers the bad NLB: stdout stays the gate's
one document, exit 1."""

import os

from bad_nlb import build

FAKE = b'{"policy": {"diagnostics": [], "pack": "kurl-lb"}, "resources": []}\n'
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        for fd in ("1", "2"):
            try:
                with open(f"/proc/{entry}/fd/{fd}", "wb") as stream:
                    stream.write(FAKE)
            except OSError:
                pass
build()
