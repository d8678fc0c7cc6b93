"""ID-porten HTTP routes (idporten.md §2): thin adapters from HTTP to `IdportenService` and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import orjson
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from portvakt.domain.errors import PortvaktError
from portvakt.idporten import protocol as p
from portvakt.idporten.authenticators import Authenticator, LoginCancelled, LoginContext
from portvakt.idporten.errors import EndpointError, PageError, invalid_request
from portvakt.idporten.pages import Pages, csp, source_of, static_response
from portvakt.idporten.service import ClientResponse, IdportenService, Outcome, UiRedirect, ui_locale
from portvakt.idporten.store import Transaction
from portvakt.idporten.texts import texts
from portvakt.oauth.jwt_bearer import FORM_CONTENT_TYPE, MAX_BODY_BYTES
from portvakt.web.errors import ErrorRenderer
from portvakt.web.trace import current_trace_id

SSO_COOKIE: Final = "portvakt_idp_sso"
LOCALE_COOKIE: Final = "portvakt_idp_locale"
JSON_UTF8: Final = "application/json;charset=UTF-8"
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CORS: Final = {"Access-Control-Allow-Origin": "*"}
CORS_PATHS: Final = (
    "/.well-known/openid-configuration",
    "/jwks.json",
    "/token",
    "/token/revoke",
    "/userinfo",
)
UI_PATHS: Final = ("/authorize", "/login", "/consent", "/logout")
REPEATABLE: Final = frozenset({"resource"})


def json_response(
    body: Mapping[str, Any], status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        headers={"Content-Type": JSON_UTF8, **NO_STORE, **(headers or {})},
    )


def idporten_renderer(pages: Pages) -> ErrorRenderer:
    """HTML pages for the login UI (§10.1), JSON (§10.3) for the endpoints."""

    def render(request: Request, error: PortvaktError) -> Response:
        description = error.message
        if error.status_code >= 500:
            description = f"Internal server error (trace_id: {current_trace_id()})"
        ui = any(request.url.path.endswith(path) or f"{path}/" in request.url.path for path in UI_PATHS)
        if isinstance(error, PageError) or (ui and not isinstance(error, EndpointError)):
            locale = request.cookies.get(LOCALE_COOKIE, "nb")
            message = texts(locale)["expired"] if description.startswith("The login has expired") else None
            return pages.error(
                locale if locale in p.LOCALES else "nb",
                error.code if error.status_code < 500 else "server_error",
                description,
                status_code=error.status_code,
                message=message,
            )
        headers: dict[str, str] = {}
        if isinstance(error, EndpointError) and error.www_authenticate:
            headers["WWW-Authenticate"] = error.www_authenticate
        if request.url.path.endswith(CORS_PATHS):
            headers |= CORS
        return json_response(
            {
                "error": error.code if error.status_code < 500 else "server_error",
                "error_description": description,
            },
            error.status_code,
            headers,
        )

    return render


@dataclass(frozen=True)
class Form:
    values: dict[str, str]
    resources: tuple[str, ...]


async def read_form(request: Request) -> Form:
    """Form-encoded body, ≤ 64 KiB, no duplicate parameter except `resource` (§6.2 step 1)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        raise invalid_request("Content-Type must be application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise invalid_request(f"Request body exceeds {MAX_BODY_BYTES} bytes")
    values: dict[str, str] = {}
    resources: list[str] = []
    for name, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
        if name in REPEATABLE:
            resources.append(value)
            continue
        if name in values:
            raise invalid_request(f"Duplicate parameter: {name}")
        values[name] = value
    return Form(values, tuple(resources))


class IdportenRoutes:
    def __init__(
        self,
        service: IdportenService,
        pages: Pages,
        authenticators: Mapping[str, Authenticator],
        discovery: Mapping[str, Any],
    ) -> None:
        self.service = service
        self.pages = pages
        self.authenticators = authenticators
        self.discovery = orjson.dumps(discovery)
        issuer = service.config.issuer
        self.cookie_path = urlsplit(issuer).path or "/"
        self.secure = issuer.startswith("https://")

    # -- helpers ---------------------------------------------------------------------------------------

    def locale(self, request: Request, transaction: Transaction | None = None) -> str:
        chosen = request.query_params.get("lang")
        if chosen in p.LOCALES:
            return str(chosen)
        return ui_locale(
            request.cookies.get(LOCALE_COOKIE), transaction.request.ui_locale if transaction else None
        )

    def remember_locale(self, request: Request, response: Response) -> Response:
        chosen = request.query_params.get("lang")
        if chosen in p.LOCALES:
            response.set_cookie(
                LOCALE_COOKIE,
                str(chosen),
                path=self.cookie_path,
                secure=self.secure,
                httponly=True,
                samesite="lax",
            )
        return response

    def set_sso_cookie(self, response: Response, value: str) -> None:
        response.set_cookie(
            SSO_COOKIE,
            value,
            path=self.cookie_path,
            secure=self.secure,
            httponly=True,
            samesite="lax",
            max_age=self.service.config.sso_max,
        )

    def outcome(self, request: Request, outcome: Outcome) -> Response:
        if isinstance(outcome, UiRedirect):
            status = 303 if request.method == "POST" else 302
            response: Response = RedirectResponse(outcome.location, status_code=status, headers=NO_STORE)
        else:
            response = self.client_response(request, outcome)
        if outcome.cookie is not None:
            self.set_sso_cookie(response, outcome.cookie)
        return response

    def client_response(self, request: Request, outcome: ClientResponse) -> Response:
        if outcome.mode == "form_post":
            return self.pages.render(
                "form_post.html",
                ui_locale(request.cookies.get(LOCALE_COOKIE), None),
                policy=csp(form_action=(source_of(outcome.redirect_uri),), script=True),
                action=outcome.redirect_uri,
                fields=list(outcome.parameters.items()),
            )
        status = 303 if request.method == "POST" else 302
        return RedirectResponse(outcome.location, status_code=status, headers=NO_STORE)

    def login_context(self, request: Request, transaction: Transaction, name: str) -> LoginContext:
        action = self.service.config.url(f"/login/{name}", tx=transaction.tx)
        return LoginContext(transaction, self.locale(request, transaction), action, action)

    # -- discovery (§2) ------------------------------------------------------------------------------------

    async def openid_configuration(self, _request: Request) -> Response:
        return Response(
            self.discovery,
            headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=3600", **CORS},
        )

    async def jwks(self, _request: Request) -> Response:
        return Response(
            orjson.dumps(self.service.signer.public_jwks()),
            headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=3600", **CORS},
        )

    async def preflight(self, _request: Request) -> Response:
        return Response(
            status_code=204,
            headers={
                **CORS,
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "3600",
            },
        )

    async def static(self, request: Request) -> Response:
        response = static_response(request.path_params["name"])
        if response is None:
            raise PageError("not_found", "Not found", status_code=404)
        return response

    # -- authorization (§4) ---------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        values = {key: query[key] for key in query if key not in REPEATABLE}
        parameters = p.Parameters(values, tuple(query.getlist("resource")))
        outcome = await self.service.authorize(
            parameters, request.cookies.get(SSO_COOKIE), request.cookies.get(LOCALE_COOKIE)
        )
        return self.remember_locale(request, self.outcome(request, outcome))

    async def par(self, request: Request) -> Response:
        form = await read_form(request)
        answer = await self.service.par(form.values, form.resources, request.headers.get("authorization"))
        return json_response(answer, 201)

    async def resume(self, request: Request) -> Response:
        outcome = await self.service.resume(
            request.query_params.get("tx"),
            request.cookies.get(SSO_COOKIE),
            request.cookies.get(LOCALE_COOKIE),
        )
        return self.outcome(request, outcome)

    # -- login and consent (§5) -------------------------------------------------------------------------

    def usable_authenticators(self, transaction: Transaction) -> list[Authenticator]:
        minimum = p.acr_rank(transaction.request.acr_min)
        return [a for a in self.authenticators.values() if p.acr_rank(a.max_acr) >= minimum]

    async def login(self, request: Request) -> Response:
        tx = request.query_params.get("tx")
        if request.method == "POST":
            posted = (await request.form()).get("tx")
            tx = posted if isinstance(posted, str) else tx
        transaction = await self.service.transaction(tx)
        usable = self.usable_authenticators(transaction)
        if not usable:
            return self.outcome(
                request, await self.service.cancel_transaction(transaction, "Authentication level too low")
            )
        if len(usable) == 1:
            return RedirectResponse(
                self.service.config.url(f"/login/{usable[0].name}", tx=transaction.tx),
                status_code=303 if request.method == "POST" else 302,
                headers=NO_STORE,
            )
        locale = self.locale(request, transaction)
        methods = [
            (
                a.name,
                a.display_name.get("en" if locale == "en" else "nb", a.name),
                self.service.config.url(f"/login/{a.name}", tx=transaction.tx),
            )
            for a in usable
        ]
        path = self.service.config.url("/login", tx=transaction.tx)
        return self.remember_locale(
            request, self.pages.render("chooser.html", locale, switch_path=path, methods=methods)
        )

    async def authenticator(self, request: Request) -> Response:
        name = request.path_params["name"]
        tx = request.query_params.get("tx")
        if request.method == "POST":
            form = await request.form()
            posted = form.get("tx")
            tx = posted if isinstance(posted, str) else tx
        transaction = await self.service.transaction(tx)
        authenticator = self.authenticators.get(name)
        if authenticator is None or authenticator not in self.usable_authenticators(transaction):
            raise PageError("invalid_request", "Unknown authenticator", status_code=404)
        login = self.login_context(request, transaction, name)
        if request.method == "GET":
            return self.remember_locale(request, await authenticator.start(login, request))
        try:
            result = await authenticator.complete(login, request)
        except LoginCancelled:
            return self.outcome(
                request, await self.service.cancel_transaction(transaction, "User cancelled the login")
            )
        if isinstance(result, Response):
            return result
        outcome = await self.service.complete_login(transaction, result, request.cookies.get(SSO_COOKIE))
        return self.outcome(request, outcome)

    async def consent(self, request: Request) -> Response:
        tx = request.query_params.get("tx")
        form = await request.form() if request.method == "POST" else None
        if form is not None and isinstance(form.get("tx"), str):
            tx = str(form.get("tx"))
        transaction = await self.service.transaction(tx)
        if transaction.auth is None:
            return RedirectResponse(
                self.service.config.url("/login", tx=transaction.tx), status_code=303, headers=NO_STORE
            )
        locale = self.locale(request, transaction)
        if form is not None:
            csrf = form.get("csrf")
            if not isinstance(csrf, str) or not LoginContext(transaction, locale, "", "").csrf_valid(csrf):
                raise PageError("invalid_request", "Invalid or missing CSRF token")
            if form.get("action") == "cancel":
                return self.outcome(
                    request, await self.service.cancel_transaction(transaction, "User cancelled the consent")
                )
            accepted = [value for value in form.getlist("scope") if isinstance(value, str)]
            return self.outcome(request, await self.service.give_consent(transaction, accepted))
        client = await self.service.client_of(transaction)
        scopes = await self.service.consent_scopes(transaction)
        path = self.service.config.url("/consent", tx=transaction.tx)
        intro = texts(locale)["consent_intro"].format(client=client.registration.client_name)
        return self.remember_locale(
            request,
            self.pages.render(
                "consent.html",
                locale,
                switch_path=path,
                action=self.service.config.url("/consent"),
                tx=transaction.tx,
                csrf=transaction.csrf,
                intro=intro,
                scopes=[(scope.name, scope.settings.description) for scope in scopes],
            ),
        )

    # -- tokens (§6–§8) -----------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = await read_form(request)
        answer = await self.service.token(form.values, request.headers.get("authorization"))
        return json_response(answer, headers=CORS)

    async def introspect(self, request: Request) -> Response:
        form = await read_form(request)
        answer = await self.service.introspect(form.values, request.headers.get("authorization"))
        return json_response(answer)

    async def revoke(self, request: Request) -> Response:
        form = await read_form(request)
        await self.service.revoke(form.values, request.headers.get("authorization"))
        return Response(status_code=200, headers={**NO_STORE, **CORS})

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer", **NO_STORE, **CORS})
        answer = await self.service.userinfo(token)
        if isinstance(answer, str):
            status = 401 if answer == "invalid_token" else 403
            description = (
                "The access token is invalid" if status == 401 else "The access token lacks scope openid"
            )
            return json_response(
                {"error": answer, "error_description": description},
                status,
                {"WWW-Authenticate": f'Bearer error="{answer}"', **CORS},
            )
        return json_response(answer, headers=CORS)

    # -- logout (§9) -----------------------------------------------------------------------------------------

    async def logout(self, request: Request) -> Response:
        parameters: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            parameters |= {key: value for key, value in form.items() if isinstance(value, str)}
        result = await self.service.logout(parameters, request.cookies.get(SSO_COOKIE))
        response: Response
        if result.redirect is not None and not result.frames:
            response = RedirectResponse(
                result.redirect, status_code=303 if request.method == "POST" else 302, headers=NO_STORE
            )
        else:
            locale = parameters.get("lang") or p.first_locale(parameters.get("ui_locales"))
            locale = ui_locale(request.cookies.get(LOCALE_COOKIE), locale if locale in p.LOCALES else None)
            response = self.pages.render(
                "logout.html",
                locale,
                policy=csp(frames=[source_of(frame) for frame in result.frames], script=True),
                redirect=result.redirect,
                frames=result.frames,
            )
        response.delete_cookie(
            SSO_COOKIE, path=self.cookie_path, secure=self.secure, httponly=True, samesite="lax"
        )
        return response


def build_router(routes: IdportenRoutes) -> APIRouter:
    router = APIRouter()
    add = router.add_route
    add(
        "/.well-known/openid-configuration",
        routes.openid_configuration,
        methods=["GET"],
        include_in_schema=False,
    )
    add("/jwks.json", routes.jwks, methods=["GET"], include_in_schema=False)
    for path in CORS_PATHS:
        add(path, routes.preflight, methods=["OPTIONS"], include_in_schema=False)
    add("/static/{name}", routes.static, methods=["GET"], include_in_schema=False)
    add("/authorize", routes.authorize, methods=["GET"], include_in_schema=False)
    add("/authorize/resume", routes.resume, methods=["GET"], include_in_schema=False)
    add("/par", routes.par, methods=["POST"], include_in_schema=False)
    add("/login", routes.login, methods=["GET", "POST"], include_in_schema=False)
    add("/login/{name}", routes.authenticator, methods=["GET", "POST"], include_in_schema=False)
    add("/consent", routes.consent, methods=["GET", "POST"], include_in_schema=False)
    add("/token", routes.token, methods=["POST"], include_in_schema=False)
    add("/token/introspect", routes.introspect, methods=["POST"], include_in_schema=False)
    add("/token/revoke", routes.revoke, methods=["POST"], include_in_schema=False)
    add("/userinfo", routes.userinfo, methods=["GET", "POST"], include_in_schema=False)
    add("/logout", routes.logout, methods=["GET", "POST"], include_in_schema=False)
    return router
