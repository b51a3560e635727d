"""The locks `make venv` and CI install from still satisfy the ranges users install from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import PROJECT_ROOT

# (ranges users install, the lock that must satisfy them)
PAIRS = [
    ("requirements.txt", "requirements.lock"),
    ("requirements-dev.txt", "requirements.lock"),
    # The pack runs in the project's .venv (policies/PulumiPolicy.yaml), so the one lock holds it.
    ("policies/requirements.txt", "requirements.lock"),
]


def _ranges(path: Path) -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("-r")]


def _pins(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", path.read_text(), re.M)
    return {canonicalize_name(name): version for name, version in pins}


@pytest.mark.parametrize(("ranges", "lock"), PAIRS)
def test_lock_pins_a_version_in_every_range(ranges: str, lock: str) -> None:
    pins = _pins(PROJECT_ROOT / lock)
    for req in _ranges(PROJECT_ROOT / ranges):
        version = pins.get(canonicalize_name(req.name))
        assert version is not None, f"{lock} lacks {req.name}: run `make lock`"
        assert req.specifier.contains(version, prereleases=True), (
            f"{lock} pins {req.name}=={version}, outside {ranges}'s {req.specifier}: "
            "run `make lock`"
        )


@pytest.mark.parametrize("lock", sorted({lock for _, lock in PAIRS}))
def test_every_pin_has_a_hash(lock: str) -> None:
    text = (PROJECT_ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
