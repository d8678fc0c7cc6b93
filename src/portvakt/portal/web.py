"""The portal's request plumbing: sessions and cookies, CSRF, the logged-in viewer, rendering with the
security headers of every page (CSP without inline script or style), and the HTML error page."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from portvakt.domain.errors import PortvaktError
from portvakt.portal import texts
from portvakt.portal.mail import Mailer
from portvakt.portal.rules import TERMS_NOT_SIGNED, Viewer
from portvakt.portal.store import PortalStore, Session
from portvakt.registry.admin import AdminService, admin_service
from portvakt.registry.repository import SqlRegistryStore
from portvakt.registry.service import Actor
from portvakt.registry.users import PortalUser
from portvakt.web.service import Platform

COOKIE = "portvakt_portal"
SUPPLIER_SCOPE = "idporten:dcr.supplier"
CHANNEL = "portal"


class FormExpired(PortvaktError):
    status_code = 403
    code = "access_denied"

    def __init__(self) -> None:
        super().__init__(texts.FORM_EXPIRED)


@dataclass
class Visit:
    """One request's portal state: its session (new ones get a cookie) and, when logged in, the viewer."""

    request: Request
    session: Session
    viewer: Viewer | None
    new_session_id: str | None = None

    @property
    def prefix(self) -> str:
        root: str = self.request.scope.get("root_path", "")
        return root.rstrip("/")

    @property
    def user(self) -> PortalUser:
        assert self.viewer is not None
        return self.viewer.user


def content_security_policy(idporten_issuer: str) -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; "
        f"form-action 'self' {idporten_issuer}; frame-ancestors 'none'; base-uri 'none'"
    )


class Portal:
    """Shared parts of the portal's routes."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.clock = platform.clock
        self.store = PortalStore(platform.database)
        self.mailer = Mailer(platform.settings, self.store)
        self.templates = Environment(
            loader=PackageLoader("portvakt.portal", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            enable_async=False,
        )
        self.csp = content_security_policy(platform.settings.idporten_issuer)
        self.base_url = platform.settings.base_url("selvbetjening")

    @property
    def prod(self) -> bool:
        return self.settings.is_prod

    def service(self, user: PortalUser | None = None, *, email: str | None = None) -> AdminService:
        """The registry's use cases acting as the user (channel `portal`, actor = e-mail); before there is
        a user (registration), as the e-mail address being registered."""
        actor = Actor(
            channel=CHANNEL,
            name=user.email if user is not None else (email or "anonym"),
            orgno=user.orgno if user is not None else None,
        )
        return admin_service(self.settings, self.platform.database, self.clock, actor)

    # -- sessions --------------------------------------------------------------------------------

    async def new_session(self, *, user_id: str | None = None) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = await self.store.create_session(
            session_id, secrets.token_urlsafe(32), self.clock.now(), user_id=user_id
        )
        return session_id, session

    async def visit(self, request: Request) -> Visit:
        now = self.clock.now()
        cookie = request.cookies.get(COOKIE)
        session = await self.store.session(cookie, now) if cookie else None
        new_id = None
        if session is None:
            new_id, session = await self.new_session()
        viewer = await self.viewer(session) if session.user_id else None
        return Visit(request, session, viewer, new_id)

    async def viewer(self, session: Session) -> Viewer | None:
        assert session.user_id is not None
        async with SqlRegistryStore(self.platform.database).transaction() as unit:
            user = await unit.users.get(session.user_id)
            if user is None or not user.active or not user.email_confirmed:
                return None
            organisation = await unit.organisations.get(user.orgno)
            if organisation is None:
                return None
            supplier = await unit.accesses.approved_scopes(user.orgno, [SUPPLIER_SCOPE])
        return Viewer(
            user=user,
            organisation=organisation,
            prod=self.prod,
            idporten_pid=session.idporten_pid,
            supplier_access=SUPPLIER_SCOPE in supplier,
        )

    async def checked_form(self, visit: Visit) -> FormData:
        """The posted form, after the CSRF check (the session's token, compared in constant time)."""
        form = await visit.request.form()
        sent = form.get("csrf_token")
        if (
            visit.new_session_id is not None
            or not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), visit.session.csrf_token.encode())
        ):
            raise FormExpired()
        return form

    # -- responses -------------------------------------------------------------------------------

    def finish(self, response: Response, visit: Visit | None, session_id: str | None = None) -> Response:
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        cookie_value = session_id or (visit.new_session_id if visit is not None else None)
        if cookie_value is not None and visit is not None:
            response.set_cookie(
                COOKIE,
                cookie_value,
                path=(visit.prefix or "") + "/",
                httponly=True,
                secure=visit.request.url.scheme == "https",
                samesite="lax",
            )
        return response

    def page(
        self,
        visit: Visit,
        template: str,
        *,
        status_code: int = 200,
        session_id: str | None = None,
        **context: Any,
    ) -> Response:
        viewer = visit.viewer
        values: dict[str, Any] = {
            "P": visit.prefix,
            "csrf": visit.session.csrf_token,
            "viewer": viewer,
            "env_label": texts.env_label(self.prod),
            "terms_not_signed": TERMS_NOT_SIGNED,
            "representing": texts.representing(viewer.organisation, viewer.user.email) if viewer else "",
            "errors": {},
            "type_names": texts.TYPE_NAMES,
        }
        values.update(context)
        html = self.templates.get_template(template).render(values)
        return self.finish(HTMLResponse(html, status_code=status_code), visit, session_id)

    def redirect(self, visit: Visit, path: str, *, session_id: str | None = None) -> Response:
        return self.finish(RedirectResponse(visit.prefix + path, status_code=303), visit, session_id)

    def message(
        self,
        visit: Visit,
        title: str,
        message: str,
        *,
        status_code: int = 200,
        color: str = "info",
        **extra: Any,
    ) -> Response:
        return self.page(
            visit, "melding.html", status_code=status_code, title=title, message=message, color=color, **extra
        )

    def error_page(self, request: Request, error: PortvaktError) -> Response:
        """The portal's renderer for errors raised outside a route's own handling (404, 405, 500 …)."""
        titles: Mapping[int, tuple[str, str]] = {
            404: ("Siden finnes ikke", "Vi finner ikke siden du ba om."),
            405: ("Ikke tillatt", "Siden kan ikke brukes slik."),
            500: ("Noe gikk galt", "Det oppsto en feil hos oss. Prøv igjen senere."),
        }
        title, message = titles.get(error.status_code, ("Ingen tilgang", error.message))
        if error.status_code not in titles and error.status_code != 403:
            title = "Feil"
        html = self.templates.get_template("melding.html").render(
            {
                "P": str(request.scope.get("root_path", "")).rstrip("/"),
                "viewer": None,
                "env_label": texts.env_label(self.prod),
                "title": title,
                "message": message,
                "color": "danger",
                "errors": {},
            }
        )
        response = HTMLResponse(html, status_code=error.status_code)
        if error.status_code == 405 and getattr(error, "allow", None):
            response.headers["Allow"] = str(error.allow)  # type: ignore[attr-defined]
        return self.finish(response, None)
