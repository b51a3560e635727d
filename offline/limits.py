"""The caps a judged program cannot exceed (each refusal is exit 2 naming the cap); kept free of
heavy imports, so the command line parses them before the gate starts anything."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_RPCS = 200_000
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_MEMORY_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Caps:
    max_rpcs: int = DEFAULT_MAX_RPCS  # engine calls (registrations, invokes, logs, ...)
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES  # one call; gRPC refuses a larger one
    max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES  # all calls together: what the gate keeps
