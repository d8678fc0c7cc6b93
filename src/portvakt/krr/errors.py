"""KRR errors and their one body (krr.md §10): Spring style `{timestamp,status,error,message,path}`."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import orjson
from starlette.requests import Request
from starlette.responses import Response
from structlog.typing import FilteringBoundLogger

from portvakt.domain.clock import Clock
from portvakt.domain.errors import PortvaktError
from portvakt.resource_server.challenge import RFC6750_ERROR_URI, bearer_challenge
from portvakt.web.errors import ErrorRenderer, MethodNotAllowed
from portvakt.web.logging import get_logger
from portvakt.web.trace import current_trace_id

NO_CACHE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    "Pragma": "no-cache",
    "Expires": "0",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "0",
}
HSTS = "max-age=16070400; includeSubDomains"
INSUFFICIENT_SCOPE_DESCRIPTION = "The request requires higher privileges than provided by the access token."


def log() -> FilteringBoundLogger:
    return get_logger("portvakt.krr")


class KrrError(PortvaktError):
    """An error rendered as the §10 body; `headers` are added to the response."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.headers: dict[str, str] = {}


class BadRequest(KrrError):
    status_code = 400
    code = "bad_request"


class MissingBearer(KrrError):
    status_code = 401
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("Full authentication is required to access this resource")
        self.headers["WWW-Authenticate"] = "Bearer"


class InvalidBearer(KrrError):
    status_code = 401
    code = "invalid_token"

    def __init__(self, description: str, *, detail: str | None = None) -> None:
        super().__init__(f"Invalid bearer token: {description}", detail=detail)
        self.description = description
        self.headers["WWW-Authenticate"] = bearer_challenge(
            error="invalid_token", error_description=description, error_uri=RFC6750_ERROR_URI
        )


class AccessDenied(KrrError):
    status_code = 403
    code = "access_denied"

    def __init__(self, detail: str) -> None:
        super().__init__("Access Denied", detail=detail)
        self.headers["WWW-Authenticate"] = bearer_challenge(
            error="insufficient_scope",
            error_description=INSUFFICIENT_SCOPE_DESCRIPTION,
            error_uri=RFC6750_ERROR_URI,
        )


class PersonNotRegistered(KrrError):
    status_code = 404
    code = "not_found"

    def __init__(self) -> None:
        super().__init__("Person is not registered in the contact and reservation register")


class NoEndpoint(KrrError):
    status_code = 404
    code = "not_found"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"No endpoint {method} {path}")


class MethodRefused(KrrError):
    status_code = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allow: str) -> None:
        super().__init__(f"Request method '{method}' is not supported")
        self.headers["Allow"] = allow


class NotAcceptable(KrrError):
    status_code = 406
    code = "not_acceptable"

    def __init__(self) -> None:
        super().__init__(
            "No acceptable representation. Supported media types: application/json, application/jose"
        )


class UnsupportedContentType(KrrError):
    status_code = 415
    code = "unsupported_media_type"

    def __init__(self, value: str) -> None:
        super().__init__(f"Content-Type '{value}' is not supported. Supported: application/json")


class InternalFailure(KrrError):
    status_code = 500
    code = "server_error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(f"An unexpected error occurred (trace_id: {current_trace_id()})", detail=detail)


def spring_timestamp(moment: datetime) -> str:
    """UTC with milliseconds and `+00:00`."""
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+00:00"


def as_krr_error(request: Request, error: PortvaktError) -> KrrError:
    if isinstance(error, KrrError):
        return error
    if isinstance(error, MethodNotAllowed):
        return MethodRefused(request.method, error.allow)
    if error.status_code == 404:
        return NoEndpoint(request.method, request.url.path)
    if error.status_code == 405:
        return MethodRefused(request.method, "")
    if error.status_code == 400:
        return BadRequest("Required request body is missing or is not valid JSON")
    return InternalFailure(detail=f"{type(error).__name__}: {error.code}")


def error_response(request: Request, error: KrrError, clock: Clock, *, https: bool) -> Response:
    status = error.status_code
    body = {
        "timestamp": spring_timestamp(clock.now()),
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": error.message,
        "path": request.url.path,
    }
    headers = NO_CACHE_HEADERS | error.headers
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


def krr_renderer(clock: Clock, *, https: bool) -> ErrorRenderer:
    def render(request: Request, error: PortvaktError) -> Response:
        krr_error = as_krr_error(request, error)
        if krr_error.status_code >= 500 or krr_error.detail:
            log().info(
                "krr_error",
                status=krr_error.status_code,
                code=krr_error.code,
                detail=krr_error.detail,
                trace_id=current_trace_id(),
            )
        return error_response(request, krr_error, clock, https=https)

    return render
