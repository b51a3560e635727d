"""Lookup results for the offline preview (`--invokes FILE`): reading the fixtures file, and
which fixture answers a call. The gate's engine answers lookups with them; so do the e2e doubles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def fixture_matches(wanted: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether an --invokes entry's args (all of them, same values) are among the call's."""
    return all(key in args and args[key] == value for key, value in wanted.items())


def fixture_result(fixtures: list[dict[str, Any]], token: str, args: dict[str, Any]) -> Any:
    """The result of the first fixture for `token` whose args are among the call's, or None."""
    return next(
        (f["result"] for f in fixtures if f["token"] == token and fixture_matches(f["args"], args)),
        None,
    )


class InvokesFileError(Exception):
    """The --invokes file is missing or malformed (exit code 2)."""


def read_invokes(path: Path) -> list[dict[str, Any]]:
    """Invoke fixtures: a YAML list of {token, args (optional), result}; the first entry whose
    token matches and whose args are all among the call's (same values) answers the call."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InvokesFileError(f"--invokes {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvokesFileError(f"--invokes {path} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise InvokesFileError(f"--invokes {path} must be a YAML list of token, args, result")
    fixtures = []
    for i, entry in enumerate(data):
        where = f"--invokes {path}: entry {i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            raise InvokesFileError(f"{where} needs a token (e.g. aws:ec2/getVpc:getVpc)")
        args, result = entry.get("args") or {}, entry.get("result")
        if not isinstance(args, dict) or not isinstance(result, dict):
            raise InvokesFileError(f"{where} ({entry['token']}): args and result must be mappings")
        if unknown := set(entry) - {"token", "args", "result"}:
            raise InvokesFileError(f"{where}: unknown keys {sorted(unknown)}")
        fixtures.append({"token": entry["token"], "args": args, "result": result})
    return fixtures
