"""Maskinporten HTTP routes: `POST token` (maskinporten.md §4, §8 step 1, §9.1), error pages (§10.3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

import orjson
from fastapi import APIRouter, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from portvakt.domain.errors import NotFound, PortvaktError
from portvakt.maskinporten.errors import CATALOGUE, MaskinportenError, display_template, from_oauth_error
from portvakt.maskinporten.service import IssuedToken, TokenAttempt, TokenService
from portvakt.oauth import jwt_bearer
from portvakt.oauth.errors import OAuthError
from portvakt.web.errors import ErrorRenderer, InternalError, error_headers
from portvakt.web.logging import get_logger
from portvakt.web.metrics import Metrics
from portvakt.web.middleware import mark_request_logged
from portvakt.web.trace import current_trace_id

log = get_logger("portvakt.maskinporten.token")
errors_log = get_logger("portvakt.web.errors")  # the events install_error_handlers would write

SERVICE: Final = "maskinporten"
JSON_UTF8: Final = "application/json;charset=UTF-8"
ERROR_PAGE_CSP: Final = (
    "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ERROR_PAGE_CACHE: Final = "public, max-age=3600"

_templates = Environment(
    loader=PackageLoader("portvakt.maskinporten", "templates"),
    autoescape=select_autoescape(("html",)),
    auto_reload=False,
)


async def read_form(request: Request) -> dict[str, str]:
    """§8 step 1 after the method: content type, body ≤ 64 KiB (read no further), no duplicate parameter."""
    jwt_bearer.check_content_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > jwt_bearer.MAX_BODY_BYTES:
        raise jwt_bearer.BodyTooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > jwt_bearer.MAX_BODY_BYTES:
            raise jwt_bearer.BodyTooLarge()
    return jwt_bearer.parse_form(bytes(body))


def token_response(issued: IssuedToken) -> Response:
    body = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    return Response(
        orjson.dumps(body),
        headers={"Content-Type": JSON_UTF8, "Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def maskinporten_renderer(issuer: str) -> ErrorRenderer:
    """§10.1 for every error of the service: `error`, `error_description` + trace id, `error_uri`."""

    def render(_request: Request, error: PortvaktError) -> Response:
        if error.status_code >= 500 and not isinstance(error, MaskinportenError) and error.status_code != 503:
            error = MaskinportenError("MP-900", hint=error.detail)
        body = {"error": error.code, "error_description": f"{error.message} (trace_id: {current_trace_id()})"}
        if isinstance(error, MaskinportenError):
            body["error_uri"] = f"{issuer}errors/{error.mp_code}"
        return Response(
            orjson.dumps(body),
            status_code=error.status_code,
            headers={"Content-Type": JSON_UTF8, **error_headers(error)},
        )

    return render


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def error_page_headers() -> dict[str, str]:
    return {"Content-Security-Policy": ERROR_PAGE_CSP, "Cache-Control": ERROR_PAGE_CACHE}


TokenEndpoint = Callable[[Request], Awaitable[Response]]


def token_endpoint(service: TokenService, metrics: Metrics, render: ErrorRenderer) -> TokenEndpoint:
    """`POST token` renders its own errors: one log event per request, no second error line."""

    async def token(request: Request) -> Response:
        mark_request_logged(request.scope)
        attempt = TokenAttempt()
        try:
            try:
                form = await read_form(request)
            except OAuthError as exc:
                raise from_oauth_error(exc) from exc
            issued = await service.token(form, attempt)
        except MaskinportenError as exc:
            metrics.token_errors.labels(SERVICE, exc.mp_code).inc()
            log.info(
                "token_request",
                client_id=attempt.client_id,
                outcome="refused" if exc.status_code < 500 else "failed",
                code=exc.mp_code,
                error=exc.error,
                detail=exc.hint,
                trace_id=current_trace_id(),
            )
            return render(request, exc)
        except Exception:
            metrics.token_errors.labels(SERVICE, "MP-900").inc()
            log.info(
                "token_request",
                client_id=attempt.client_id,
                outcome="failed",
                code="MP-900",
                trace_id=current_trace_id(),
            )
            raise
        metrics.tokens_issued.labels(SERVICE, issued.client_amr).inc()
        log.info(
            "token_request",
            client_id=attempt.client_id,
            outcome="issued",
            client_amr=issued.client_amr,
            scope=issued.scope,
            trace_id=current_trace_id(),
        )
        return token_response(issued)

    return token


class TokenFastPath:
    """`POST {base}/token` straight to the token endpoint; every other request to the service's app.

    The token endpoint renders its own errors, so FastAPI's exception middleware, routing and
    per-route wrappers add nothing to it but time. What they would do with an exception the endpoint
    lets through is done here the same way (`install_error_handlers`, `UnexpectedErrorGuard`):
    a PortvaktError through the renderer, anything else logged and rendered as a 500.
    """

    def __init__(self, app: ASGIApp, endpoint: TokenEndpoint, render: ErrorRenderer) -> None:
        self.app = app
        self.endpoint = endpoint
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _route_path(scope) != "/token":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await self.endpoint(request)
        except PortvaktError as exc:
            if exc.detail:
                errors_log.info("request_error", code=exc.code, status=exc.status_code, detail=exc.detail)
            response = self.render(request, exc)
        except Exception:
            errors_log.exception("unhandled_exception", path=scope.get("path"))
            response = self.render(request, InternalError())
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    return path[len(root_path) :] if root_path and path.startswith(root_path) else path


def build_router(service: TokenService, metrics: Metrics, render: ErrorRenderer) -> APIRouter:
    """The service's routes; `POST token` is also reached through `TokenFastPath`."""
    router = APIRouter()
    token = token_endpoint(service, metrics, render)

    # A plain Starlette route: the hot path needs no dependency resolution.
    router.add_route("/token", token, methods=["POST"], include_in_schema=False)
    router.add_api_route("/errors/", error_list, methods=["GET"], include_in_schema=False)
    router.add_api_route("/errors/errors.css", error_stylesheet, methods=["GET"], include_in_schema=False)
    router.add_api_route("/errors/{code}", error_page, methods=["GET"], include_in_schema=False)
    return router


async def error_list(request: Request) -> Response:
    entries = list(CATALOGUE.values())
    if wants_json(request):
        return Response(
            orjson.dumps([entry.as_json() for entry in entries]),
            headers={"Content-Type": JSON_UTF8, "Cache-Control": ERROR_PAGE_CACHE},
        )
    html = _templates.get_template("error_list.html").render(entries=entries)
    return HTMLResponse(html, headers=error_page_headers())


async def error_page(request: Request, code: str) -> Response:
    entry = CATALOGUE.get(code)
    if entry is None:
        raise NotFound(f"Unknown error code {code}")
    if wants_json(request):
        return Response(
            orjson.dumps(entry.as_json()),
            headers={"Content-Type": JSON_UTF8, "Cache-Control": ERROR_PAGE_CACHE},
        )
    variants = [display_template(variant.template) for variant in entry.variants]
    html = _templates.get_template("error_page.html").render(entry=entry, variants=variants)
    return HTMLResponse(html, headers=error_page_headers())


async def error_stylesheet(_request: Request) -> Response:
    loader = _templates.loader
    assert loader is not None
    source, _path, _uptodate = loader.get_source(_templates, "errors.css")
    return Response(
        source,
        headers={"Content-Type": "text/css; charset=utf-8", "Cache-Control": ERROR_PAGE_CACHE},
    )
