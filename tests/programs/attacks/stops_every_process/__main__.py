"""SIGSTOP to every other process it can see (the gate, were it visible) and its parent, then the
bad NLB, then it never ends: the deadline holds all the same, exit 2."""

import os
import signal
import time

from bad_nlb import build

for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            os.kill(int(entry), signal.SIGSTOP)
        except OSError:
            pass
try:
    os.kill(os.getppid(), signal.SIGSTOP)
except OSError:
    pass
build()
while True:
    time.sleep(1)
