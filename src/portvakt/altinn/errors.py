"""Altinn errors and their two bodies: the legacy `{"Message"}` (altinn.md §4) and ProblemDetails (§8)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import ClassVar, Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from structlog.typing import FilteringBoundLogger

from portvakt.domain.errors import PortvaktError
from portvakt.web.errors import MethodNotAllowed, PayloadTooLarge
from portvakt.web.logging import get_logger
from portvakt.web.trace import current_trace_id

LEGACY_PREFIX: Final = "/api/serviceowner/"
LEGACY_CONTENT_TYPE: Final = "application/json; charset=utf-8"
PROBLEM_CONTENT_TYPE: Final = "application/problem+json; charset=utf-8"
FORBIDDEN_TYPE: Final = "https://tools.ietf.org/html/rfc7231#section-6.5.3"
BAD_REQUEST_TYPE: Final = "https://tools.ietf.org/html/rfc9110#section-15.5.1"
NOT_FOUND_TYPE: Final = "https://tools.ietf.org/html/rfc9110#section-15.5.5"
SERVER_ERROR_TYPE: Final = "https://tools.ietf.org/html/rfc9110#section-15.6.1"
GENERIC_TYPE: Final = "https://tools.ietf.org/html/rfc9110"


def log() -> FilteringBoundLogger:
    return get_logger("portvakt.altinn")


class LegacyError(PortvaktError):
    """The Altinn 2 REST error (§4): `{"Message": <text>}`."""

    code = "altinn_legacy"

    def __init__(self, status: int, message: str, *, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.status_code = status


class Problem(PortvaktError):
    """A ProblemDetails error of the Altinn 3-style endpoints (§8)."""

    code = "altinn_problem"
    type_uri: ClassVar[str] = GENERIC_TYPE
    title: ClassVar[str] = "Error"


class BadRequest(Problem):
    """400 ValidationProblemDetails with `errors` {field: [messages]}."""

    status_code = 400
    type_uri = BAD_REQUEST_TYPE
    title = "One or more validation errors occurred."

    def __init__(self, errors: Mapping[str, Sequence[str]], *, detail: str | None = None) -> None:
        first = next(iter(errors.values()), [""])
        super().__init__(first[0] if first else "", detail=detail)
        self.errors = {name: list(messages) for name, messages in errors.items()}


def bad_request(field: str, message: str) -> BadRequest:
    return BadRequest({field: [message]})


class Forbidden(Problem):
    status_code = 403
    type_uri = FORBIDDEN_TYPE
    title = "Forbidden"


class NotFound(Problem):
    status_code = 404
    type_uri = NOT_FOUND_TYPE
    title = "Not Found"


class MethodRefused(Problem):
    status_code = 405
    type_uri = "https://tools.ietf.org/html/rfc9110#section-15.5.6"
    title = "Method Not Allowed"


class ServerError(Problem):
    status_code = 500
    type_uri = SERVER_ERROR_TYPE
    title = "An error occurred while processing your request."


class Unauthorized(PortvaktError):
    """401 with an empty body and a `WWW-Authenticate: Bearer` challenge (§8)."""

    status_code = 401
    code = "unauthorized"

    def __init__(self, challenge: str, *, detail: str | None = None) -> None:
        super().__init__("Unauthorized", detail=detail)
        self.challenge = challenge


def trace_parent() -> str:
    return f"00-{current_trace_id()}-{secrets.token_hex(8)}-00"


def problem_response(error: Problem) -> Response:
    body: dict[str, object] = {"type": error.type_uri, "title": error.title, "status": error.status_code}
    if isinstance(error, BadRequest):
        body["errors"] = error.errors
    elif error.message and not isinstance(error, ServerError):
        body["detail"] = error.message
    body["traceId"] = trace_parent()
    return Response(
        orjson.dumps(body),
        status_code=error.status_code,
        media_type=PROBLEM_CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )


def legacy_response(error: LegacyError) -> Response:
    return Response(
        orjson.dumps({"Message": error.message}),
        status_code=error.status_code,
        media_type=LEGACY_CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )


def _as_problem(error: PortvaktError) -> Problem:
    if isinstance(error, Problem):
        return error
    if isinstance(error, MethodNotAllowed):
        return MethodRefused("The requested resource does not support this HTTP method.")
    if isinstance(error, PayloadTooLarge):
        return bad_request("request", "The request body is too large.")
    if error.status_code == 404:
        return NotFound("The requested resource was not found.")
    if 400 <= error.status_code < 500:
        return bad_request("request", error.message or "Invalid request.")
    return ServerError()


def _as_legacy(error: PortvaktError) -> LegacyError:
    if isinstance(error, LegacyError):
        return error
    if error.status_code == 404:
        return LegacyError(404, "No HTTP resource was found that matches the request URI.")
    if error.status_code == 405:
        return LegacyError(405, "The requested resource does not support this HTTP method.")
    if 400 <= error.status_code < 500:
        return LegacyError(400, error.message or "The request is invalid.")
    return LegacyError(500, "An error has occurred.")


def render(request: Request, error: PortvaktError) -> Response:
    """One renderer for the service: the legacy body under `/api/serviceowner/`, ProblemDetails elsewhere."""
    if error.status_code >= 500 or error.detail:
        log().info(
            "altinn_error",
            status=error.status_code,
            code=error.code,
            detail=error.detail,
            trace_id=current_trace_id(),
        )
    if isinstance(error, Unauthorized):
        return Response(
            b"",
            status_code=401,
            headers={"WWW-Authenticate": error.challenge, "Cache-Control": "no-store"},
        )
    path = request.url.path
    root = request.scope.get("root_path", "")
    relative = path[len(root) :] if root and path.startswith(root) else path
    if isinstance(error, LegacyError) or relative.startswith(LEGACY_PREFIX):
        response = legacy_response(_as_legacy(error))
    else:
        response = problem_response(_as_problem(error))
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = error.allow
    return response
