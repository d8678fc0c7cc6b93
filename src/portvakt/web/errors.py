"""Error rendering: one renderer per error family, installed on each service's app.

Every error leaves through a renderer, including the framework's own 404/405/422 and unexpected
exceptions (500 without a stack trace, logged with the trace id). No framework default body escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portvakt.domain.errors import NotFound, PortvaktError, ValidationError
from portvakt.web.logging import get_logger

log = get_logger("portvakt.web.errors")


class MethodNotAllowed(PortvaktError):
    status_code = 405
    code = "method_not_allowed"

    def __init__(self, allow: str) -> None:
        super().__init__("Method not allowed")
        self.allow = allow


class PayloadTooLarge(PortvaktError):
    status_code = 413
    code = "invalid_request"


class InternalError(PortvaktError):
    status_code = 500
    code = "server_error"

    def __init__(self) -> None:
        super().__init__("Internal server error")


class UnsupportedMediaType(PortvaktError):
    status_code = 415
    code = "invalid_request"


ErrorRenderer = Callable[[Request, PortvaktError], Response]


def error_headers(error: PortvaktError) -> dict[str, str]:
    headers = {"Cache-Control": "no-store"}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = error.allow
    return headers


def render_oauth_json(_request: Request, error: PortvaktError) -> Response:
    """`{"error","error_description"}`: the OAuth family (also the self-service and admin APIs)."""
    return JSONResponse(
        {"error": error.code, "error_description": error.message},
        status_code=error.status_code,
        headers=error_headers(error),
    )


def from_http_exception(exc: StarletteHTTPException) -> PortvaktError:
    if exc.status_code == 405:
        return MethodNotAllowed((exc.headers or {}).get("Allow", ""))
    if exc.status_code == 404:
        return NotFound("Not found")
    generic = PortvaktError(str(exc.detail))
    generic.status_code = exc.status_code
    return generic


def install_error_handlers(app: FastAPI, render: ErrorRenderer) -> None:
    async def on_portvakt_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PortvaktError)
        if exc.detail:
            log.info("request_error", code=exc.code, status=exc.status_code, detail=exc.detail)
        return render(request, exc)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return render(request, from_http_exception(exc))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query"))
        message = (
            f"Invalid request: {where}: {first.get('msg', 'invalid value')}" if where else "Invalid request"
        )
        return render(request, ValidationError(message))

    app.add_exception_handler(PortvaktError, on_portvakt_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_middleware(UnexpectedErrorGuard, render=render)


class UnexpectedErrorGuard:
    """Turns an unhandled exception into the family's 500 body; the traceback goes to the log only."""

    def __init__(self, app: ASGIApp, render: ErrorRenderer) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled_exception", path=scope.get("path"))
            if started:
                raise
            response = self.render(Request(scope, receive), InternalError())
            await response(scope, receive, send)
