"""Problems with arguments, and how messages show keys and values.

A problem is found once, in the Args' own words (`targetType`, `primaries[1].address`). Keys a
message names go through `ref`, so that the stack program can show the same problem in stack
config words (`kurl-lb:aws.targetType`) through its key table, and Args users see Args words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

# What a message shows of one value, and how many problems one message lists.
MAX_SHOWN = 120
MAX_PROBLEMS = 20

Loc = tuple[str | int, ...]
"""Where a value is in the Args: camelCase keys and list indexes: ("primaries", 1, "address")."""


def escape(text: str) -> str:
    """`text` with every character that is not printable (controls such as NUL and newline, NEL,
    line and paragraph separators, bidi overrides, surrogates) shown as a Python escape: a key
    or value can never start a line of its own in a log, or hide what follows it."""
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(c: str) -> str:
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(value: Any) -> str:
    """A value as messages show it: JSON, at most MAX_SHOWN characters; never raises (values
    too deep or numbers too long to print are described instead)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<integer of about {int(value.bit_length() * 0.30103)} digits>"
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (ValueError, RecursionError, TypeError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def one_of(words: Sequence[str]) -> str:
    """`a, b or c`."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


# A key named in a message: \x1f<key>\x1f (as the stack says it without `kurl-lb:`) or
# \x1e<key>\x1e (in full). Values never hold these characters raw: `shown` writes JSON, which
# escapes every control character.
_REF = re.compile(r"\x1f([^\x1f]*)\x1f|\x1e([^\x1e]*)\x1e")


def ref(key: str, *, full: bool = False) -> str:
    """The Args key `key` (snake or camelCase) named in a message, shown in the reader's words."""
    mark = "\x1e" if full else "\x1f"
    return f"{mark}{to_camel(key)}{mark}"


Words = Callable[[str, bool], str]
"""How a reader names an Args key (camelCase; `True` when named in full)."""


def in_words(text: str, words: Words) -> str:
    """`text` with the keys it names through `ref` in the reader's words."""
    return _REF.sub(lambda m: words(m[1] or m[2], m[2] is not None), text)


def within(text: str, argument: str, keys: Collection[str]) -> str:
    """`text` with the keys in `keys` it names through `ref` named inside `argument` (keys an
    address move or the public front end decides: `publicFrontEnd.hairpinSourceCidrs`)."""

    def inside(m: re.Match[str]) -> str:
        key, mark = (m[1], "\x1f") if m[1] is not None else (m[2], "\x1e")
        return f"{mark}{argument}.{key}{mark}" if key.split(".")[0] in keys else m[0]

    return _REF.sub(inside, text)


def args_words(key: str, full: bool) -> str:
    return key


@dataclass(frozen=True)
class Problem:
    loc: Loc  # in the Args, camelCase
    message: str  # keys in it through `ref`
    # Stack users only: how to set the key (`pulumi config set ...`), appended to the message.
    advice: str = ""
    missing: bool = False  # the key is required and not given

    def path(self, words: Words = args_words) -> str:
        return path_of(self.loc, words)

    def render(self, words: Words = args_words, path: str | None = None) -> str:
        text = in_words(self.message, words)
        return escape(f"{self.path(words) if path is None else path}: {text}")

    def __str__(self) -> str:
        return self.render()


def path_of(loc: Loc, words: Words = args_words) -> str:
    """`primaries[1].address` (the first key in the reader's words); a key too long to show is
    cut, and `Problem.render` escapes it."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        key = part if len(part) <= MAX_SHOWN else part[: MAX_SHOWN - 3] + "..."
        out += words(key, True) if i == 0 else f".{key}"
    return out


class ConfigError(Exception):
    """Every problem found, in one message (the first MAX_PROBLEMS of them)."""

    def __init__(self, problems: Sequence[Problem], header: str, words: Words = args_words) -> None:
        self.problems = list(problems)
        self.header = header
        self.paths = [p.path(words) for p in self.problems]  # as this message shows them
        count = len(self.problems)
        lines = [f"{header} ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {p.render(words)}" for p in self.problems[:MAX_PROBLEMS]]
        if count > MAX_PROBLEMS:
            lines.append(f"  - ... and {count - MAX_PROBLEMS} more")
        super().__init__("\n".join(lines))


class ArgsError(ConfigError):
    """Every problem of a component's Args, named by the Args' field paths."""

    def __init__(
        self, component: str, name: str, problems: Sequence[Problem], structural: bool = False
    ) -> None:
        self.component = component
        self.name = name
        # Problems of single values (types, forms, ranges, missing and unknown keys), found
        # before the rules across fields run.
        self.structural = structural
        super().__init__(problems, header=f'{component} "{escape(name)}": invalid arguments')
