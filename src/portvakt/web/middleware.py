"""Platform middleware (pure ASGI): trace id, security headers, one log line and metrics per request."""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portvakt.web.logging import get_logger
from portvakt.web.metrics import Metrics
from portvakt.web.trace import new_trace_id, trace_id_from_traceparent, trace_id_var

log = get_logger("portvakt.http")

SERVICE_SCOPE_KEY = "portvakt.service"
LOGGED_SCOPE_KEY = "portvakt.request_logged"
TRACE_HEADER = "X-Trace-Id"

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
        self.security_headers = (*BASE_SECURITY_HEADERS, HSTS) if https else BASE_SECURITY_HEADERS

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
                headers = MutableHeaders(scope=message)
                for name, value in self.security_headers:
                    if name not in headers:
                        headers[name] = value
                headers[TRACE_HEADER] = trace_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            service = scope.get(SERVICE_SCOPE_KEY, "platform")
            self.metrics.requests.labels(service, scope["method"], str(status)).inc()
            self.metrics.latency.labels(service).observe(elapsed)
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
