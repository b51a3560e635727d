"""Where the judged program runs, and how all of it is ended.

- Its own user, PID and mount namespace where the platform allows (`unshare --map-root-user
  --pid --fork --kill-child --mount-proc`, probed once per gate run): the program sees only its
  own processes, so it can neither signal the gate (a SIGSTOP that would outlast the deadline) nor
  open the gate's /proc entries; the checkout, the virtualenvs and the pack's copy are bound
  read-only and the program keeps no capability to undo that; when the namespace's first process
  dies the kernel kills every process left in it. Without unprivileged user namespaces the
  fallback below still ends every descendant; what it cannot stop is a same-user program
  signalling the gate or writing to the checkout.
- Its own session and process group, and the gate a child subreaper (prctl
  PR_SET_CHILD_SUBREAPER): a grandchild that calls setsid or double-forks is re-parented to the
  gate, not to init, so it is still found and killed at the end.
- The gate itself is not dumpable (prctl PR_SET_DUMPABLE 0): a same-user process cannot open its
  /proc/<pid>/fd (to write into its stdout) or ptrace it.
- The program's stdout and stderr are a pipe the gate drains (escaped, capped) into its own
  stderr; once every descendant is dead the pipe is closed, so `$(...)` returns at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
KILL_ROUNDS = 50  # a fork bomb gets this many sweeps; each round stops, then kills, all it finds


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def harden_gate() -> bool:
    """Make the gate's own process a subreaper and not dumpable; False where prctl is missing."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1) and _prctl(PR_SET_DUMPABLE, 0)


# The namespace's first process (its init, which the kernel shields from its own namespace's
# signals; the program is its child and stays killable by itself): bind every read-only folder
# over itself read-only, then run the program with no capabilities left, so it cannot undo them.
# Its exit code is the program's (128 + N: killed by signal N).
# Folders given as +DIR are hidden instead, under an empty read-only tmpfs (the pack's socket).
SETUP = (
    'while [ "$1" != -- ]; do case "$1" in '
    '+*) mount -t tmpfs -o ro,size=4k kurl-lb-hidden "${1#+}" || exit 125;; '
    '*) mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" || exit 125;; '
    "esac; shift; done; shift; "
    'setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- "$@"; exit $?'
)


def _namespace(readonly: Iterable[str]) -> tuple[str, ...]:
    unshare = shutil.which("unshare") or "unshare"
    return (
        unshare,
        "--map-root-user",
        "--pid",
        "--fork",
        "--kill-child=SIGKILL",
        "--mount-proc",
        "--",
        "/bin/sh",
        "-c",
        SETUP,
        "sh",
        *readonly,
        "--",
    )


@functools.cache
def namespaced() -> bool:
    """Whether the program can get its own user, PID and mount namespace here (probed once per
    gate run); without unprivileged user namespaces the fallback applies."""
    if os.environ.get("KURL_LB_GATE_NO_NAMESPACE"):  # to try the fallback where both work
        return False
    if not (shutil.which("unshare") and shutil.which("setpriv") and os.path.exists("/bin/sh")):
        return False
    with tempfile.TemporaryDirectory(prefix="kurl-lb-probe-") as probe:
        try:
            result = subprocess.run(
                [*_namespace([probe]), "sh", "-c", f"! touch {probe}/written"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return result.returncode == 0 and not os.path.exists(os.path.join(probe, "written"))


class NamespaceRequired(Exception):
    """KURL_LB_GATE_REQUIRE_NAMESPACE is set (CI) and the program cannot get its namespaces."""


def prefix(readonly: Iterable[Path] = (), hidden: Iterable[Path] = ()) -> tuple[str, ...]:
    """What the program's command line starts with: `setpriv --pdeathsig KILL` (the first process
    dies when the gate dies, however it dies; in a namespace `unshare --kill-child` passes that on
    to the namespace's init, whose death ends every process in it), then the namespace, with the
    `readonly` folders (the checkout, the gate's and the program's virtualenvs, the pack)
    read-only for the program and the `hidden` ones (the pack's copy and socket) out of its
    sight."""
    setpriv = shutil.which("setpriv")
    death = (setpriv, "--pdeathsig", "KILL", "--") if setpriv else ()
    if not namespaced():
        if os.environ.get("KURL_LB_GATE_REQUIRE_NAMESPACE"):
            raise NamespaceRequired(
                "KURL_LB_GATE_REQUIRE_NAMESPACE is set, but the program cannot get its own user, "
                "PID and mount namespace here (`unshare --map-root-user --pid --mount-proc` and "
                "`setpriv` must work; on Ubuntu 23.10 and later: sudo sysctl -w "
                "kernel.apparmor_restrict_unprivileged_userns=0)"
            )
        return death
    folders = sorted({str(p.resolve()) for p in readonly if p.exists()})
    folders += sorted({f"+{p.resolve()}" for p in hidden if p.is_dir()})
    return (*death, *_namespace(folders))


def _parents() -> dict[int, int]:
    """pid -> parent pid of every live (not zombie) process."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z":
            parents[int(entry)] = int(fields[1])
    return parents


def descendants(roots: Iterable[int]) -> set[int]:
    """Every live process below `roots` (the roots included, if alive)."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    todo = [r for r in roots if r in parents]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found


def gate_children() -> set[int]:
    me = os.getpid()
    return {pid for pid, parent in _parents().items() if parent == me}


def kill_all(roots: Iterable[int], keep: Iterable[int] = ()) -> None:
    """SIGKILL every process below `roots` (each first stopped, so none forks in between) until
    none is left; orphans re-parented to the gate are reaped."""
    roots, keep = set(roots), set(keep)
    for _ in range(KILL_ROUNDS):
        found = descendants(roots) - keep
        if not found:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in found:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
        for pid in found:
            _reap(pid)
        roots |= found  # their children, re-parented to the gate (a subreaper), are found next
        time.sleep(0.01)


def _reap(pid: int) -> None:
    # Only orphans the gate adopted are reaped here; the gate's own Popen children it waits
    # for itself (reaping them here would lose their exit status).
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return
    if parent == os.getpid() and pid not in _OWN_CHILDREN:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


_OWN_CHILDREN: set[int] = set()  # processes the gate started and waits for itself


def own_child(pid: int) -> None:
    _OWN_CHILDREN.add(pid)


def adopted_orphans(before: set[int]) -> set[int]:
    """The gate's children that it did not start: processes a program left behind."""
    return gate_children() - before - _OWN_CHILDREN


class Output(threading.Thread):
    """Drains the program's stdout and stderr into the gate's stderr, escaped (control characters,
    ANSI sequences and CI workflow commands neutralised) and capped; keeps a tail for errors."""

    def __init__(self, fd: int, sink: int, cap: int, tail: int = 64 * 1024) -> None:
        super().__init__(daemon=True)
        self.fd, self.sink, self.cap, self.tail_size = fd, sink, cap, tail
        self.seen = 0
        self.tail_bytes = bytearray()

    def run(self) -> None:

        pending = b""
        try:
            while chunk := os.read(self.fd, 1 << 16):
                self.seen += len(chunk)
                self.tail_bytes += chunk
                del self.tail_bytes[: -self.tail_size]
                if self.seen - len(chunk) >= self.cap:
                    continue  # past the cap: counted, not shown
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if len(pending) > self.tail_size:  # a line without end: shown in pieces
                    lines.append(pending)
                    pending = b""
                self._write(lines)
        except OSError:
            pass
        if pending:
            self._write([pending])
        if self.seen > self.cap:
            hidden = self.seen - self.cap
            self._write([f"[{hidden} more bytes of the program's output not shown]".encode()])

    def _write(self, lines: list[bytes]) -> None:
        from .escape import escape_text

        if not lines:
            return
        text = "".join(escape_text(line.decode(errors="replace")) + "\n" for line in lines)
        with contextlib.suppress(OSError):
            data = memoryview(text.encode(errors="backslashreplace"))
            while data:
                data = data[os.write(self.sink, data) :]

    def tail(self) -> str:
        return bytes(self.tail_bytes).decode(errors="replace")
