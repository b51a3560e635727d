"""Text the program controls, made safe to print where people and CI systems read it.

Every control character but newline and tab (ANSI escape sequences start with one, a carriage
return overwrites what a reader sees) and every bidirectional-override character (which reorders
what a reader sees) is shown as an escape; a line a CI system would act on (GitHub workflow
commands: `::error::`, `::add-mask::`, `::stop-commands::`, the older `##[...]`) is prefixed with a
backslash, so it is shown, never obeyed.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_COMMAND = re.compile(r"^(\s*)(::|##\[)", re.MULTILINE)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """`text` with controls escaped and workflow-command lines neutralised (newlines kept)."""
    return _COMMAND.sub(r"\1\\\2", _CONTROL.sub(_escape_char, text))


def one_line(text: str) -> str:
    """A single-line field (a name, a type): its newlines escaped too."""
    return escape_text(text.replace("\n", "\\n"))
