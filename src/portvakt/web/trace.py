"""Per-request trace id (maskinporten.md §1.4): 32 lowercase hex, from a valid W3C traceparent or random."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_ZERO_TRACE = "0" * 32

trace_id_var: ContextVar[str | None] = ContextVar("portvakt_trace_id", default=None)


def trace_id_from_traceparent(header: str | None) -> str | None:
    if not header:
        return None
    match = _TRACEPARENT.match(header.strip())
    if match is None or header.startswith("ff") or match.group(1) == _ZERO_TRACE:
        return None
    return match.group(1)


def new_trace_id() -> str:
    return secrets.token_hex(16)


def current_trace_id() -> str:
    """The current request's trace id (a fresh one outside a request)."""
    value = trace_id_var.get()
    if value is None:
        value = new_trace_id()
        trace_id_var.set(value)
    return value
