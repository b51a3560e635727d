"""Leaves a grandchild in a session of its own holding the output pipe (which would keep
`$(...)` waiting after the gate is done), then registers a compliant VPC."""

import os
import subprocess

from bad_nlb import compliant

subprocess.Popen(["setsid", "sleep", "301.25"])  # inherits stdout and stderr
if os.fork() == 0:  # and a double fork, detached from the program's process group
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "302.25"])
    os._exit(0)
compliant()
