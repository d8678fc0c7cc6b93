"""The self-service API's error family (selvbetjening.md §6): `{"error","error_description"}` with
`Cache-Control: no-store`, the §2 `WWW-Authenticate` challenges, and the framework's 404/405 in the same
form."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from portvakt.domain.errors import PortvaktError, Unauthenticated, ValidationError
from portvakt.registry.errors import InsufficientScope
from portvakt.web.errors import ErrorRenderer, MethodNotAllowed, UnsupportedMediaType, error_headers

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


class InvalidToken(Unauthenticated):
    """§2 step 1: a missing, invalid or expired bearer token (401)."""

    code = "invalid_token"

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(message)
        self.challenge = challenge

    @classmethod
    def missing(cls) -> InvalidToken:
        return cls("Missing bearer token", "Bearer")

    @classmethod
    def rejected(cls, reason: str) -> InvalidToken:
        """`reason` (the validator's, never the token) goes to the log only."""
        error = cls("Invalid or expired token", 'Bearer error="invalid_token"')
        error.detail = reason
        return error


class BodyNotAnObject(ValidationError):
    code = "invalid_request"

    def __init__(self) -> None:
        super().__init__("Request body must be a JSON object")


class NotJson(UnsupportedMediaType):
    def __init__(self) -> None:
        super().__init__("Content-Type must be application/json")


class MissingQueryParameter(ValidationError):
    code = "invalid_request"

    def __init__(self, name: str) -> None:
        super().__init__(f"Missing query parameter: {name}")


class InvalidQueryParameter(ValidationError):
    code = "invalid_request"

    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid value for query parameter {name}")


def challenge_of(error: PortvaktError) -> str | None:
    if isinstance(error, InvalidToken):
        return error.challenge
    if isinstance(error, InsufficientScope):
        return f'Bearer error="insufficient_scope", scope="{error.scope}"'
    return None


def allowed_methods(request: Request, routes: Sequence[BaseRoute]) -> str:
    """Every method routed at the request's path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods.update(route.methods)
    return ", ".join(sorted(methods))


def api_error_renderer(routes: Sequence[BaseRoute]) -> ErrorRenderer:
    """One renderer for every error of the service: typed errors, unknown paths (404) and methods (405).

    `routes` (filled in once the routers exist) give a 405 its complete `Allow` header.
    """

    def render(request: Request, error: PortvaktError) -> Response:
        code = "invalid_request" if isinstance(error, MethodNotAllowed) else error.code
        headers = error_headers(error)
        if isinstance(error, MethodNotAllowed):
            headers["Allow"] = allowed_methods(request, routes) or error.allow
        challenge = challenge_of(error)
        if challenge is not None:
            headers["WWW-Authenticate"] = challenge
        return JSONResponse(
            {"error": code, "error_description": error.message},
            status_code=error.status_code,
            headers=headers,
            media_type=JSON_MEDIA_TYPE,
        )

    return render
