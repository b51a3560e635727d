"""`--against REV`: the project at a git revision (code and config), from a temporary worktree."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RevisionError(Exception):
    """The revision cannot be checked out (exit code 2)."""


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RevisionError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def commit_of(program: Path, revision: str) -> tuple[Path, str]:
    """The top of the program's git repository and the commit `revision` names there."""
    top = Path(_git(program, "rev-parse", "--show-toplevel"))
    try:
        commit = _git(program, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except RevisionError:
        raise RevisionError(f"--against {revision}: not a commit of {top}") from None
    return top, commit


@contextmanager
def program_at(program: Path, revision: str) -> Iterator[Path]:
    """The program directory as it was at `revision`, in a temporary git worktree."""
    program = program.resolve()
    top, commit = commit_of(program, revision)
    with tempfile.TemporaryDirectory(prefix="kurl-lb-against-") as tmp:
        tree = Path(tmp) / "tree"
        _git(top, "worktree", "add", "--detach", str(tree), commit)
        try:
            yield tree / program.relative_to(top)
        finally:
            subprocess.run(
                ["git", "-C", str(top), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )


def stack_config_at(program: Path, stack: str, revision: str) -> dict[str, str]:
    """The stack's config at a revision (empty when the stack did not exist there yet)."""
    from .stackfile import MissingStackFile, read_stack  # only --against needs the stack file

    with program_at(program, revision) as old_program:
        try:
            return read_stack(old_program, stack).config
        except MissingStackFile:
            return {}
