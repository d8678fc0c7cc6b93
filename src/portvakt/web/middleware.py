"""Platform middleware (pure ASGI): trace id, security headers, one log line and metrics per request."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portvakt.web.logging import get_logger
from portvakt.web.metrics import Metrics
from portvakt.web.trace import new_trace_id, trace_id_from_traceparent, trace_id_var

log = get_logger("portvakt.http")

SERVICE_SCOPE_KEY = "portvakt.service"
LOGGED_SCOPE_KEY = "portvakt.request_logged"
TRACE_HEADER = "X-Trace-Id"
TRACE_HEADER_RAW = TRACE_HEADER.lower().encode("ascii")

BASE_SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Cache-Control", "no-store"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def mark_request_logged(scope: Scope) -> None:
    """A route that writes its own, richer event for the request turns off the generic request line."""
    scope[LOGGED_SCOPE_KEY] = True


class PlatformMiddleware:
    """Outermost layer. Routes may set their own CSP and Cache-Control; the defaults are strict."""

    def __init__(self, app: ASGIApp, metrics: Metrics, *, https: bool) -> None:
        self.app = app
        self.metrics = metrics
        headers = (*BASE_SECURITY_HEADERS, HSTS) if https else BASE_SECURITY_HEADERS
        self.security_headers: tuple[tuple[bytes, bytes], ...] = tuple(
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
        )
        self._request_counters: dict[tuple[str, str, int], Any] = {}
        self._latency: dict[str, Any] = {}

    def _add_headers(self, message: Message, trace_id: str) -> None:
        raw: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
        present = {name.lower() for name, _ in raw}
        raw.extend(header for header in self.security_headers if header[0] not in present)
        raw.append((TRACE_HEADER_RAW, trace_id.encode("ascii")))
        message["headers"] = raw

    def _observe(self, service: str, method: str, status: int, elapsed: float) -> None:
        key = (service, method, status)
        counter = self._request_counters.get(key)
        if counter is None:
            counter = self._request_counters[key] = self.metrics.requests.labels(service, method, str(status))
        counter.inc()
        latency = self._latency.get(service)
        if latency is None:
            latency = self._latency[service] = self.metrics.latency.labels(service)
        latency.observe(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = trace_id_from_traceparent(_header(scope, b"traceparent")) or new_trace_id()
        token = trace_id_var.set(trace_id)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self._add_headers(message, trace_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            service = scope.get(SERVICE_SCOPE_KEY, "platform")
            self._observe(service, scope["method"], status, elapsed)
            if not scope.get(LOGGED_SCOPE_KEY):
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    service=service,
                    duration_ms=round(elapsed * 1000, 2),
                )
            trace_id_var.reset(token)
