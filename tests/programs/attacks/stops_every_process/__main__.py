"""SIGSTOP to every other process it can see (the gate, were it visible) and its parent, then the
bad NLB, then it never ends: the deadline holds all the same, exit 2."""

import contextlib
import os
import signal
import time

from bad_nlb import build

for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        with contextlib.suppress(OSError):
            os.kill(int(entry), signal.SIGSTOP)
with contextlib.suppress(OSError):
    os.kill(os.getppid(), signal.SIGSTOP)
build()
while True:
    time.sleep(1)
