"""The portal's pages (selvbetjening.md §8.2): thin routes over the registry's use cases, one per action.

Every change goes through `portvakt.registry` with an `Actor` of channel `portal`; the §8.1 rule
(`portvakt.portal.rules.may_change`) decides which actions are open, and the same decision greys them out.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from portvakt.domain.errors import NotFound, PortvaktError
from portvakt.portal import texts
from portvakt.portal.mail import MailError
from portvakt.portal.passwords import MIN_LENGTH, hash_password, verify_password
from portvakt.portal.rules import Area, Permission, Viewer, may_change
from portvakt.portal.web import Portal, Visit
from portvakt.registry.admin import UnknownEmailDomain
from portvakt.registry.errors import AccessDenied, RegistryConflict
from portvakt.registry.mercantile import valid_email
from portvakt.registry.model import (
    INTEGRATION_TYPES,
    OIDC_INTEGRATION_TYPES,
    ApiScope,
    ClientRegistration,
    ClientSettings,
    ScopeSettings,
    TokenType,
    Visibility,
)
from portvakt.registry.repository import SqlRegistryStore
from portvakt.registry.users import RIGHTS, PortalUser
from portvakt.rrh.legal_basis import bases_for_scope, record_legal_basis

CONFIRMATION_LIFETIME = timedelta(hours=24)
Handler = Callable[[Request], Awaitable[Response]]

GROUPS = (
    ("shared", "Delt med virksomheten din"),
    ("open", "Åpne scopes (tilgjengelig for alle)"),
    ("own", "Egne scopes"),
    ("delegation", "Via delegering i Altinn"),
    ("builtin", "OpenID Connect"),
)
TYPE_OPTIONS = [
    ("maskinporten", "Maskinporten"),
    ("krr", "KRR"),
    ("idporten", "ID-porten"),
    ("api_klient", "API-klient"),
]
APPLICATION_OPTIONS = [("web", "web"), ("browser", "browser"), ("native", "native")]
AUTH_OPTIONS = [
    ("client_secret_basic", "client_secret_basic"),
    ("client_secret_post", "client_secret_post"),
    ("private_key_jwt", "private_key_jwt"),
    ("none", "none (browser og native)"),
]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _lines(value: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in value.splitlines() if line.strip())


def _int(value: str) -> int:
    return int(value) if value.strip().isdigit() else -1  # -1: the service reports the field as invalid


def _basis_options(scope: str) -> list[tuple[str, str]]:
    """rrh.md §13: the legal-basis picker of a `brreg` scope's grant form (empty for other scopes)."""
    rows = [(b.code, f"{b.provision} – {b.recipient}") for b in bases_for_scope(scope) if b.phase == 1]
    return [("", "Velg rettslig grunnlag"), *rows] if rows else []


def _errors(error: PortvaktError, default: str) -> dict[str, str]:
    return {texts.field_of(error.message, default): error.message}


def build_router(portal: Portal) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(path: str, methods: Sequence[str] = ("GET",)) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            router.add_api_route(path, handler, methods=list(methods), include_in_schema=False)
            return handler

        return register

    async def logged_in(request: Request) -> tuple[Visit, Viewer] | Response:
        visit = await portal.visit(request)
        if visit.viewer is None:
            return portal.redirect(visit, "/logg-inn")
        return visit, visit.viewer

    def refused(visit: Visit, permission: Permission) -> Response:
        return portal.message(
            visit, "Ingen tilgang", permission.reason or "", status_code=403, color="danger"
        )

    # -- front page, login, registration (§8.1) --------------------------------------------------

    @page("/")
    async def front(request: Request) -> Response:
        visit = await portal.visit(request)
        if visit.viewer is not None:
            return portal.redirect(visit, "/virksomhet")
        return portal.page(visit, "forside.html", title="Logg inn", email="")

    @page("/logg-inn")
    async def login_form(request: Request) -> Response:
        visit = await portal.visit(request)
        if visit.viewer is not None:
            return portal.redirect(visit, "/virksomhet")
        return portal.page(visit, "forside.html", title="Logg inn", email="")

    @page("/logg-inn", ["POST"])
    async def login(request: Request) -> Response:
        visit = await portal.visit(request)
        form = await portal.checked_form(visit)
        email = _text(form, "epost").lower()
        password = form.get("passord")
        async with SqlRegistryStore(portal.platform.database).transaction() as unit:
            user = await unit.users.by_email(email) if email else None
        ok = verify_password(
            password if isinstance(password, str) else "", user.password_hash if user else None
        )
        problem = None
        if user is None or not ok:
            problem = texts.LOGIN_FAILED
        elif not user.active:
            problem = texts.USER_INACTIVE
        elif not user.email_confirmed:
            problem = texts.NOT_CONFIRMED
        if problem is not None or user is None:
            return portal.page(
                visit,
                "forside.html",
                status_code=400,
                title="Logg inn",
                email=email,
                errors={"epost": problem or texts.LOGIN_FAILED},
            )
        await portal.store.end_session(visit.session.session_hash)
        session_id, _ = await portal.new_session(user_id=user.user_id)
        async with SqlRegistryStore(portal.platform.database).transaction() as unit:
            await unit.users.update(replace(user, last_login=portal.clock.now()))
        return portal.redirect(visit, "/virksomhet", session_id=session_id)

    @page("/logg-ut", ["POST"])
    async def logout(request: Request) -> Response:
        visit = await portal.visit(request)
        await portal.checked_form(visit)
        await portal.store.end_session(visit.session.session_hash)
        session_id, _ = await portal.new_session()
        return portal.redirect(visit, "/", session_id=session_id)

    @page("/registrer")
    async def register_form(request: Request) -> Response:
        visit = await portal.visit(request)
        return portal.page(visit, "registrer.html", title="Registrer deg", form={})

    async def send_confirmation(visit: Visit, user: PortalUser) -> Response:
        token = secrets.token_urlsafe(32)
        now = portal.clock.now()
        await portal.store.add_confirmation(token, user.user_id, now + CONFIRMATION_LIFETIME)
        link = f"{portal.base_url}/bekreft?token={token}"
        body = (
            f"Hei {user.name},\n\nBekreft brukeren din i Samarbeidsportalen ved å åpne lenken under. "
            f"Lenken gjelder i 24 timer.\n\n{link}\n\nHar du ikke registrert deg, kan du se bort fra "
            "denne e-posten."
        )
        try:
            await portal.mailer.send(user.email, "Bekreft brukeren din i Samarbeidsportalen", body, now)
        except MailError:
            return portal.message(visit, "Registrer deg", texts.MAIL_FAILED, status_code=503, color="danger")
        return portal.page(visit, "registrer.html", title="Registrer deg", form={}, sent_to=user.email)

    @page("/registrer", ["POST"])
    async def register(request: Request) -> Response:
        visit = await portal.visit(request)
        form = await portal.checked_form(visit)
        values = {"navn": _text(form, "navn"), "epost": _text(form, "epost")}
        password, repeated = form.get("passord"), form.get("passord2")
        password = password if isinstance(password, str) else ""
        errors: dict[str, str] = {}
        email = valid_email(values["epost"])
        if not values["navn"]:
            errors["navn"] = texts.NAME_REQUIRED
        if email is None:
            errors["epost"] = texts.EMAIL_INVALID
        if len(password) < MIN_LENGTH:
            errors["passord"] = texts.PASSWORD_TOO_SHORT
        elif password != repeated:
            errors["passord2"] = texts.PASSWORDS_DIFFER
        if not errors and email is not None:
            try:
                user = await portal.service(email=email).register_user(
                    email, values["navn"], password_hash=hash_password(password)
                )
            except UnknownEmailDomain as exc:
                errors["epost"] = texts.unknown_domain(exc.domain)
            except RegistryConflict:
                async with SqlRegistryStore(portal.platform.database).transaction() as unit:
                    existing = await unit.users.by_email(email)
                if existing is None or existing.email_confirmed or not existing.active:
                    errors["epost"] = texts.USER_EXISTS
                else:  # not confirmed yet: a new link (name and password stay as first registered)
                    return await send_confirmation(visit, existing)
            except PortvaktError as exc:
                errors.update(_errors(exc, "epost"))
            else:
                return await send_confirmation(visit, user)
        return portal.page(
            visit, "registrer.html", status_code=400, title="Registrer deg", form=values, errors=errors
        )

    @page("/bekreft")
    async def confirm(request: Request) -> Response:
        visit = await portal.visit(request)
        token = request.query_params.get("token", "")
        user_id = await portal.store.use_confirmation(token, portal.clock.now()) if token else None
        if user_id is None:
            return portal.message(
                visit, "Bekreft e-postadresse", texts.LINK_INVALID, status_code=400, color="danger"
            )
        async with SqlRegistryStore(portal.platform.database).transaction() as unit:
            user = await unit.users.get(user_id)
            if user is not None and not user.email_confirmed:
                await unit.users.update(replace(user, email_confirmed=True))
        return portal.message(
            visit,
            "Bekreft e-postadresse",
            texts.CONFIRMED,
            color="success",
            link_href=visit.prefix + "/logg-inn",
            link_text="Logg inn",
        )

    @page("/test/utboks")
    async def outbox(request: Request) -> Response:
        if portal.prod:
            raise NotFound("Not found")
        visit = await portal.visit(request)
        return portal.page(visit, "utboks.html", title="Utboks", mails=await portal.store.mails())

    # -- profile and the organisation (§8.2) -----------------------------------------------------

    @page("/min-profil")
    async def profile(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        rights = list(RIGHTS) if not viewer.prod else list(viewer.user.rights)
        if viewer.idporten_pid is not None:
            status = "Innlogget med ID-porten."
        elif viewer.user.pid is not None:
            status = "Fødselsnummer er registrert. Ikke innlogget med ID-porten i denne økten."
        else:
            status = "Ingen fødselsnummer er registrert på brukeren."
        return portal.page(
            visit,
            "min_profil.html",
            title="Min profil",
            section="profil",
            rights=rights,
            idporten_status=status,
            idporten_login=viewer.idporten_pid is not None,
        )

    @page("/virksomhet")
    async def organisation(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        service = portal.service(viewer.user)
        clients = await service.list_clients(supplied=True)
        return portal.page(
            visit,
            "virksomhet.html",
            title="Virksomhetens tjenester",
            section="virksomhet",
            clients=clients,
            prefixes=viewer.organisation.prefixes,
        )

    @page("/virksomhet/api-tilbyder")
    async def provider(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        if not viewer.organisation.prefixes:
            raise NotFound("Not found")
        return portal.page(
            visit,
            "api_tilbyder.html",
            title="API-tilbyder",
            section="virksomhet",
            prefixes=viewer.organisation.prefixes,
        )

    def mercantile_page(
        visit: Visit, viewer: Viewer, *, invoice: dict[str, Any], points: list[str], **extra: Any
    ) -> Response:
        return portal.page(
            visit,
            "merkantil.html",
            status_code=400 if extra.get("errors") else 200,
            title="Rediger integrasjon",
            section="virksomhet",
            invoice=invoice,
            points=points,
            permission=may_change(viewer, Area.MERCANTILE),
            new_point=extra.pop("new_point", ""),
            **extra,
        )

    @page("/virksomhet/merkantil")
    async def mercantile_form(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        stored = viewer.organisation.mercantile or {}
        invoice = dict(stored.get("invoice") or {})
        points = list(stored.get("notification_points") or [])
        notice = "Lagret." if request.query_params.get("lagret") else None
        return mercantile_page(visit, viewer, invoice=invoice, points=points, notice=notice)

    @page("/virksomhet/merkantil", ["POST"])
    async def mercantile_save(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        permission = may_change(viewer, Area.MERCANTILE)
        if not permission.allowed:
            return refused(visit, permission)
        invoice = {
            "reference": _text(form, "referanse") or None,
            "email": _text(form, "faktura_epost") or None,
            "address": _text(form, "adresse") or None,
        }
        removed = {str(value) for value in form.getlist("fjern")}
        listed = (str(value).strip() for value in form.getlist("varslingspunkt"))
        points = [point for point in listed if point and point not in removed]
        new_point = _text(form, "nytt_varslingspunkt")
        if new_point:
            points.append(new_point)
        try:
            await portal.service(viewer.user).update_own_mercantile(
                {"invoice": invoice, "notification_points": points}
            )
        except PortvaktError as exc:
            return mercantile_page(
                visit,
                viewer,
                invoice=invoice,
                points=[p for p in points if p != new_point],
                new_point=new_point,
                errors=_errors(exc, "referanse"),
            )
        return portal.redirect(visit, "/virksomhet/merkantil?lagret=1")

    @page("/administrasjon")
    async def administration(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, _ = found
        return portal.page(
            visit, "administrasjon.html", title="Administrasjon av tjenester", section="administrasjon"
        )

    # -- Mine API (scopes and accesses) ----------------------------------------------------------

    @page("/mine-api")
    async def my_apis(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        show_inactive = request.query_params.get("inaktive") == "true"
        scopes = await portal.service(viewer.user).list_scopes(include_inactive=show_inactive)
        return portal.page(
            visit,
            "mine_api.html",
            title="Mine API",
            section="administrasjon",
            scopes=scopes,
            show_inactive=show_inactive,
            permission=may_change(viewer, Area.APIS),
        )

    async def scope_form_context(viewer: Viewer) -> dict[str, Any]:
        sources = await portal.service(viewer.user).list_delegation_sources()
        visibilities = [
            (Visibility.PUBLIC.value, "Offentlig (PUBLIC)"),
            (Visibility.PRIVATE.value, "Privat (PRIVATE)"),
        ]
        if viewer.organisation.orgno == portal.settings.platform_orgno:
            visibilities.append((Visibility.INTERNAL.value, "Intern (INTERNAL)"))
        return {
            "section": "administrasjon",
            "visibility_options": visibilities,
            "type_options": [(t, texts.TYPE_NAMES[t]) for t in INTEGRATION_TYPES],
            "delegation_options": [("", "Ingen"), *((s.name, f"{s.name} ({s.issuer})") for s in sources)],
            "token_type_options": [(t.value, t.value) for t in TokenType],
            "no_prefix": texts.NO_PREFIX,
        }

    def scope_values(scope: ApiScope) -> dict[str, Any]:
        settings = scope.settings
        return {
            "description": settings.description,
            "long_description": settings.long_description or "",
            "visibility": settings.visibility,
            "accessible_for_all": settings.accessible_for_all,
            "allowed_integration_types": list(settings.allowed_integration_types),
            "delegation_source": settings.delegation_source or "",
            "token_type": settings.token_type,
            "at_max_age": str(settings.at_max_age),
            "authorization_max_lifetime": str(settings.authorization_max_lifetime),
            "requires_user_consent": settings.requires_user_consent,
            "requires_user_authentication": settings.requires_user_authentication,
            "requires_pseudonymous_tokens": settings.requires_pseudonymous_tokens,
        }

    def form_scope_values(form: FormData) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: _text(form, name)
            for name in (
                "prefix",
                "subscope",
                "description",
                "long_description",
                "visibility",
                "delegation_source",
                "token_type",
                "at_max_age",
                "authorization_max_lifetime",
            )
        }
        for flag in (
            "accessible_for_all",
            "requires_user_consent",
            "requires_user_authentication",
            "requires_pseudonymous_tokens",
        ):
            values[flag] = form.get(flag) == "true"
        values["allowed_integration_types"] = [str(v) for v in form.getlist("allowed_integration_types")]
        return values

    def scope_settings(values: dict[str, Any]) -> ScopeSettings:
        return ScopeSettings(
            description=values["description"],
            long_description=values["long_description"] or None,
            visibility=values["visibility"] or Visibility.PUBLIC.value,
            token_type=values["token_type"] or TokenType.SELF_CONTAINED.value,
            at_max_age=_int(values["at_max_age"] or "0"),
            authorization_max_lifetime=_int(values["authorization_max_lifetime"] or "0"),
            requires_user_consent=values["requires_user_consent"],
            requires_user_authentication=values["requires_user_authentication"],
            requires_pseudonymous_tokens=values["requires_pseudonymous_tokens"],
            accessible_for_all=values["accessible_for_all"],
            allowed_integration_types=tuple(values["allowed_integration_types"]),
            delegation_source=values["delegation_source"] or None,
        )

    async def new_scope_page(
        visit: Visit, viewer: Viewer, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
    ) -> Response:
        prefixes = viewer.organisation.prefixes
        permission = may_change(viewer, Area.APIS)
        if permission.allowed and not prefixes:
            permission = Permission(False, texts.NO_PREFIX)
        return portal.page(
            visit,
            "scope_form.html",
            status_code=status_code,
            title="Nytt scope",
            creating=True,
            action=visit.prefix + "/mine-api/nytt",
            prefixes=prefixes,
            prefix_options=[(p, p) for p in prefixes],
            form=values,
            errors=errors,
            permission=permission,
            **await scope_form_context(viewer),
        )

    @page("/mine-api/nytt")
    async def new_scope_form(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        return await new_scope_page(visit, viewer, {}, {})

    @page("/mine-api/nytt", ["POST"])
    async def new_scope(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        permission = may_change(viewer, Area.APIS)
        if not permission.allowed:
            return refused(visit, permission)
        values = form_scope_values(form)
        if not viewer.organisation.prefixes:
            return await new_scope_page(visit, viewer, values, {"prefix": texts.NO_PREFIX}, 400)
        try:
            scope = await portal.service(viewer.user).create_scope(
                values["prefix"], values["subscope"], scope_settings(values)
            )
        except PortvaktError as exc:
            return await new_scope_page(visit, viewer, values, _errors(exc, "subscope"), 400)
        return portal.redirect(visit, f"/mine-api/scope?{_query(scope=scope.name)}")

    async def scope_page(
        visit: Visit, viewer: Viewer, name: str, *, errors: dict[str, str] | None = None, **extra: Any
    ) -> Response:
        service = portal.service(viewer.user)
        scope = await service.get_scope(name)
        accesses = await service.list_accesses(name)
        names = await service.organisation_names([a.consumer_orgno for a in accesses])
        return portal.page(
            visit,
            "scope.html",
            basis_options=_basis_options(scope.name),
            basis_value=extra.pop("basis_value", ""),
            status_code=400 if errors else 200,
            title=scope.name,
            section="administrasjon",
            scope=scope,
            accesses=accesses,
            names=names,
            errors=errors or {},
            permission=may_change(viewer, Area.APIS),
            orgnr_value=extra.pop("orgnr_value", ""),
            **extra,
        )

    def scope_name(request: Request) -> str:
        name = request.query_params.get("scope", "")
        if not name:
            raise NotFound("Scope not found")
        return name

    @page("/mine-api/scope")
    async def scope_view(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        return await scope_page(visit, viewer, scope_name(request))

    @page("/mine-api/tilgang", ["POST"])
    async def add_access(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        name = scope_name(request)
        permission = may_change(viewer, Area.APIS)
        if not permission.allowed:
            return refused(visit, permission)
        orgnr = _text(form, "orgnr")
        code = _text(form, "rettslig_grunnlag")
        service = portal.service(viewer.user)
        bases = {basis.code for basis in bases_for_scope(name) if basis.phase == 1}
        if bases and code not in bases:  # rrh.md §13: a brreg grant needs its legal basis
            return await scope_page(
                visit,
                viewer,
                name,
                errors={"rettslig_grunnlag": texts.LEGAL_BASIS_REQUIRED},
                orgnr_value=orgnr,
            )
        try:
            access = await service.grant_access(name, orgnr)
        except (AccessDenied, NotFound):
            raise
        except PortvaktError as exc:
            return await scope_page(
                visit, viewer, name, errors=_errors(exc, "orgnr"), orgnr_value=orgnr, basis_value=code
            )
        if bases:
            async with portal.platform.database.engine.begin() as connection:
                await record_legal_basis(
                    connection,
                    consumer_orgno=access.consumer_orgno,
                    scope=name,
                    code=code,
                    recorded_at=portal.clock.now(),
                    recorded_by=viewer.user.email,
                )
        known = (await service.organisation_names([access.consumer_orgno])).get(access.consumer_orgno)
        added = f"{known or 'Ikke registrert på plattformen'} ({access.consumer_orgno}) har fått tilgang."
        return await scope_page(visit, viewer, name, added=added)

    @page("/mine-api/tilgang/fjern", ["POST"])
    async def remove_access(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        name = scope_name(request)
        permission = may_change(viewer, Area.APIS)
        if not permission.allowed:
            return refused(visit, permission)
        await portal.service(viewer.user).revoke_access(name, _text(form, "orgnr"))
        return portal.redirect(visit, f"/mine-api/scope?{_query(scope=name)}")

    async def edit_scope_page(
        visit: Visit, viewer: Viewer, scope: ApiScope, values: dict[str, Any], errors: dict[str, str]
    ) -> Response:
        return portal.page(
            visit,
            "scope_form.html",
            status_code=400 if errors else 200,
            title=f"Endre {scope.name}",
            creating=False,
            scope=scope,
            action=f"{visit.prefix}/mine-api/endre?{_query(scope=scope.name)}",
            form=values,
            errors=errors,
            permission=may_change(viewer, Area.APIS),
            **await scope_form_context(viewer),
        )

    @page("/mine-api/endre")
    async def edit_scope_form(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        scope = await portal.service(viewer.user).get_scope(scope_name(request))
        return await edit_scope_page(visit, viewer, scope, scope_values(scope), {})

    @page("/mine-api/endre", ["POST"])
    async def edit_scope(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        name = scope_name(request)
        permission = may_change(viewer, Area.APIS)
        if not permission.allowed:
            return refused(visit, permission)
        service = portal.service(viewer.user)
        values = form_scope_values(form)
        try:
            await service.update_scope(name, scope_settings(values))
        except (AccessDenied, NotFound):
            raise
        except PortvaktError as exc:
            scope = await service.get_scope(name)
            return await edit_scope_page(visit, viewer, scope, values, _errors(exc, "description"))
        return portal.redirect(visit, f"/mine-api/scope?{_query(scope=name)}")

    async def consumers_of(viewer: Viewer, name: str) -> list[tuple[str, str | None]]:
        service = portal.service(viewer.user)
        accesses = await service.list_accesses(name)
        names = await service.organisation_names([a.consumer_orgno for a in accesses])
        return [(a.consumer_orgno, names.get(a.consumer_orgno)) for a in accesses]

    @page("/mine-api/deaktiver")
    async def deactivate_scope_confirm(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        scope = await portal.service(viewer.user).get_scope(scope_name(request))
        return portal.page(
            visit,
            "scope_deaktiver.html",
            title=f"Deaktiver {scope.name}",
            section="administrasjon",
            scope=scope,
            confirmation=texts.confirm_scope_deactivation(await consumers_of(viewer, scope.name)),
            permission=may_change(viewer, Area.APIS),
        )

    @page("/mine-api/deaktiver", ["POST"])
    async def deactivate_scope(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        await portal.checked_form(visit)
        permission = may_change(viewer, Area.APIS)
        if not permission.allowed:
            return refused(visit, permission)
        scope = await portal.service(viewer.user).deactivate_scope(scope_name(request))
        return portal.redirect(visit, f"/mine-api/scope?{_query(scope=scope.name)}")

    @page("/mine-api/aktiver", ["POST"])
    async def activate_scope(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        await portal.checked_form(visit)
        permission = may_change(viewer, Area.APIS)
        if not permission.allowed:
            return refused(visit, permission)
        service = portal.service(viewer.user)
        scope = await service.get_scope(scope_name(request))
        await service.update_scope(scope.name, scope.settings, active=True)
        return portal.redirect(visit, f"/mine-api/scope?{_query(scope=scope.name)}")

    # -- Integrasjoner (clients, keys, secrets) --------------------------------------------------

    @page("/integrasjoner")
    async def integrations(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        show_inactive = request.query_params.get("inaktive") == "true"
        clients = await portal.service(viewer.user).list_clients(
            supplied=True, include_inactive=show_inactive
        )
        return portal.page(
            visit,
            "integrasjoner.html",
            title="Integrasjoner",
            section="administrasjon",
            clients=clients,
            show_inactive=show_inactive,
            permission=may_change(viewer, Area.INTEGRATIONS),
        )

    async def scope_groups(
        viewer: Viewer, kind: str, owner: str, search: str, current: Sequence[str] = ()
    ) -> list[tuple[str, list[tuple[str, str]]]]:
        """§8.2 "Legg til scopes": exactly the registrable scopes (§4.5), grouped, filtered by the search."""
        found = await portal.service(viewer.user).registrable_scopes(kind, client_orgno=owner)
        needle = search.lower()
        grouped: dict[str, list[tuple[str, str]]] = {}
        listed: set[str] = set()
        for name, scope, reason in found:
            description = scope.settings.description if scope is not None else "Innebygd i ID-porten"
            listed.add(name)
            if needle and needle not in name.lower() and needle not in description.lower():
                continue
            grouped.setdefault(reason, []).append((name, description))
        groups = [(label, grouped[key]) for key, label in GROUPS if key in grouped]
        kept = [(name, "Allerede på integrasjonen") for name in current if name not in listed]
        if kept:
            groups.insert(0, ("Scopes på integrasjonen", kept))
        return groups

    def client_values(form: FormData) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: _text(form, name)
            for name in (
                "client_name",
                "description",
                "application_type",
                "token_endpoint_auth_method",
                "redirect_uris",
                "post_logout_redirect_uris",
            )
        }
        values["scopes"] = [str(v) for v in form.getlist("scopes")]
        return values

    def settings_from(kind: str, values: dict[str, Any], customer: str | None) -> ClientSettings:
        oidc = kind in OIDC_INTEGRATION_TYPES
        return ClientSettings(
            client_name=values["client_name"],
            integration_type=kind,
            description=values["description"] or None,
            client_orgno=customer or None,
            application_type=(values["application_type"] or None) if oidc else None,
            token_endpoint_auth_method=(values["token_endpoint_auth_method"] or None) if oidc else None,
            scopes=tuple(values["scopes"]) if values["scopes"] else None,
            redirect_uris=_lines(values["redirect_uris"]) if oidc else (),
            post_logout_redirect_uris=_lines(values["post_logout_redirect_uris"]) if oidc else (),
        )

    async def client_form_page(
        visit: Visit,
        viewer: Viewer,
        *,
        kind: str | None,
        customer: str | None,
        values: dict[str, Any],
        errors: dict[str, str],
        search: str = "",
        client: ClientRegistration | None = None,
    ) -> Response:
        creating = client is None
        supplier = may_change(viewer, Area.SUPPLIER)
        permission = may_change(viewer, Area.SUPPLIER if customer else Area.INTEGRATIONS)
        owner = client.client_orgno if client is not None else (customer or viewer.organisation.orgno)
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        if kind is not None:
            try:
                groups = await scope_groups(viewer, kind, owner, search, client.scopes if client else ())
            except PortvaktError as exc:
                errors = {**errors, **_errors(exc, "kunde")}
        if client is None:
            action = visit.prefix + "/integrasjoner/ny"
            search_url = f"{visit.prefix}/integrasjoner/ny?{_query(type=kind or '', kunde=customer or '')}"
        else:
            action = f"{visit.prefix}/integrasjoner/{client.client_id}/endre"
            search_url = action
        owner_name = viewer.organisation.name
        if owner != viewer.organisation.orgno:
            owner_name = (await portal.service(viewer.user).organisation_names([owner])).get(owner, owner)
        return portal.page(
            visit,
            "klient_form.html",
            status_code=400 if errors else 200,
            title="Ny integrasjon" if creating else f"Endre {client.client_name if client else ''}",
            section="administrasjon",
            creating=creating,
            client=client,
            kind=kind,
            customer=customer,
            action=action,
            search_url=search_url,
            search=search,
            form=values,
            errors=errors,
            chosen=set(values.get("scopes", [])),
            kept=[],
            scope_groups=groups,
            scope_help=texts.scope_help(owner_name, owner, portal.prod),
            type_options=TYPE_OPTIONS,
            application_options=APPLICATION_OPTIONS,
            auth_options=AUTH_OPTIONS,
            permission=permission,
            supplier=supplier,
        )

    def chosen_kind(value: str | None) -> str | None:
        return value if value in INTEGRATION_TYPES else None

    @page("/integrasjoner/ny")
    async def new_client_form(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        kind = chosen_kind(request.query_params.get("type"))
        customer = request.query_params.get("kunde", "").strip() or None
        if customer == viewer.organisation.orgno or not viewer.supplier_access:
            customer = None  # another organisation's scopes are only shown to its suppliers
        return await client_form_page(
            visit,
            viewer,
            kind=kind,
            customer=customer,
            values={"scopes": []},
            errors={},
            search=request.query_params.get("sok", ""),
        )

    @page("/integrasjoner/ny", ["POST"])
    async def new_client(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        kind = chosen_kind(_text(form, "type"))
        customer = _text(form, "kunde") or None
        if customer == viewer.organisation.orgno:
            customer = None
        permission = may_change(viewer, Area.SUPPLIER if customer else Area.INTEGRATIONS)
        if not permission.allowed:
            return refused(visit, permission)
        values = client_values(form)
        if kind is None:
            return await client_form_page(
                visit,
                viewer,
                kind=None,
                customer=customer,
                values=values,
                errors={"type": "Velg Difi-tjeneste."},
            )
        try:
            created = await portal.service(viewer.user).create_client(settings_from(kind, values, customer))
        except PortvaktError as exc:
            return await client_form_page(
                visit, viewer, kind=kind, customer=customer, values=values, errors=_errors(exc, "client_name")
            )
        if created.client_secret is not None:
            return await client_page(visit, viewer, created.client.client_id, secret=created.client_secret)
        return portal.redirect(visit, f"/integrasjoner/{created.client.client_id}")

    async def client_page(
        visit: Visit,
        viewer: Viewer,
        client_id: str,
        *,
        secret: str | None = None,
        errors: dict[str, str] | None = None,
        jwk_value: str = "",
    ) -> Response:
        service = portal.service(viewer.user)
        client = await service.get_client(client_id)
        keys = await service.client_keys(client_id)
        area = Area.SUPPLIER if client.client_orgno != viewer.organisation.orgno else Area.INTEGRATIONS
        return portal.page(
            visit,
            "integrasjon.html",
            status_code=400 if errors else 200,
            title=client.client_name,
            section="administrasjon",
            client=client,
            keys=keys,
            secret=secret,
            errors=errors or {},
            jwk_value=jwk_value,
            permission=may_change(viewer, area),
        )

    async def client_permission(viewer: Viewer, client_id: str) -> Permission:
        client = await portal.service(viewer.user).get_client(client_id)
        area = Area.SUPPLIER if client.client_orgno != viewer.organisation.orgno else Area.INTEGRATIONS
        return may_change(viewer, area)

    @page("/integrasjoner/{client_id}")
    async def client_view(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        return await client_page(visit, viewer, request.path_params["client_id"])

    @page("/integrasjoner/{client_id}/nokler", ["POST"])
    async def add_key(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        client_id = request.path_params["client_id"]
        permission = await client_permission(viewer, client_id)
        if not permission.allowed:
            return refused(visit, permission)
        raw = _text(form, "jwk")
        try:
            jwk: object = json.loads(raw)
        except ValueError:
            return await client_page(
                visit,
                viewer,
                client_id,
                errors={"jwk": "Nøkkelen må være gyldig JSON (en JWK)."},
                jwk_value=raw,
            )
        if isinstance(jwk, dict) and isinstance(jwk.get("keys"), list) and len(jwk["keys"]) == 1:
            jwk = jwk["keys"][0]  # a one-key JWK set is accepted as its key
        try:
            await portal.service(viewer.user).add_client_key(client_id, jwk)
        except (AccessDenied, NotFound):
            raise
        except PortvaktError as exc:
            return await client_page(visit, viewer, client_id, errors=_errors(exc, "jwk"), jwk_value=raw)
        return portal.redirect(visit, f"/integrasjoner/{client_id}")

    @page("/integrasjoner/{client_id}/nokler/slett", ["POST"])
    async def delete_key(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        client_id = request.path_params["client_id"]
        permission = await client_permission(viewer, client_id)
        if not permission.allowed:
            return refused(visit, permission)
        service = portal.service(viewer.user)
        kid = _text(form, "kid")
        remaining = [dict(key.jwk) for key in await service.client_keys(client_id) if key.kid != kid]
        if remaining:
            await service.replace_client_keys(client_id, remaining)
        else:
            await service.delete_client_keys(client_id)
        return portal.redirect(visit, f"/integrasjoner/{client_id}")

    @page("/integrasjoner/{client_id}/hemmelighet", ["POST"])
    async def new_secret(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        await portal.checked_form(visit)
        client_id = request.path_params["client_id"]
        permission = await client_permission(viewer, client_id)
        if not permission.allowed:
            return refused(visit, permission)
        created = await portal.service(viewer.user).rotate_client_secret(client_id)
        return await client_page(visit, viewer, client_id, secret=created.client_secret)

    def current_values(client: ClientRegistration) -> dict[str, Any]:
        return {
            "client_name": client.client_name,
            "description": client.description or "",
            "application_type": client.application_type,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "redirect_uris": "\n".join(client.redirect_uris),
            "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
            "scopes": list(client.scopes),
        }

    @page("/integrasjoner/{client_id}/endre")
    async def edit_client_form(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        client = await portal.service(viewer.user).get_client(request.path_params["client_id"])
        return await client_form_page(
            visit,
            viewer,
            kind=client.integration_type,
            customer=None,
            values=current_values(client),
            errors={},
            search=request.query_params.get("sok", ""),
            client=client,
        )

    @page("/integrasjoner/{client_id}/endre", ["POST"])
    async def edit_client(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        form = await portal.checked_form(visit)
        service = portal.service(viewer.user)
        client = await service.get_client(request.path_params["client_id"])
        permission = await client_permission(viewer, client.client_id)
        if not permission.allowed:
            return refused(visit, permission)
        values = client_values(form)
        kind = client.integration_type
        settings = replace(
            settings_from(kind, values, None),
            scopes=tuple(values["scopes"]),
            grant_types=client.grant_types,
            frontchannel_logout_uri=client.frontchannel_logout_uri,
            frontchannel_logout_session_required=client.frontchannel_logout_session_required,
            sso_disabled=client.sso_disabled,
            client_uri=client.client_uri,
            access_token_lifetime=client.access_token_lifetime,
            refresh_token_lifetime=client.refresh_token_lifetime,
            authorization_lifetime=client.authorization_lifetime,
            refresh_token_usage=client.refresh_token_usage,
            code_challenge_method=client.code_challenge_method,
        )
        try:
            updated = await service.update_client(client.client_id, settings)
        except (AccessDenied, NotFound):
            raise
        except PortvaktError as exc:
            return await client_form_page(
                visit,
                viewer,
                kind=kind,
                customer=None,
                values=values,
                errors=_errors(exc, "client_name"),
                client=client,
            )
        if updated.client_secret is not None:
            return await client_page(visit, viewer, client.client_id, secret=updated.client_secret)
        return portal.redirect(visit, f"/integrasjoner/{client.client_id}")

    @page("/integrasjoner/{client_id}/deaktiver")
    async def deactivate_client_confirm(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        client = await portal.service(viewer.user).get_client(request.path_params["client_id"])
        return portal.page(
            visit,
            "integrasjon_deaktiver.html",
            title=f"Deaktiver {client.client_name}",
            section="administrasjon",
            client=client,
            permission=await client_permission(viewer, client.client_id),
        )

    @page("/integrasjoner/{client_id}/deaktiver", ["POST"])
    async def deactivate_client(request: Request) -> Response:
        found = await logged_in(request)
        if isinstance(found, Response):
            return found
        visit, viewer = found
        await portal.checked_form(visit)
        client_id = request.path_params["client_id"]
        permission = await client_permission(viewer, client_id)
        if not permission.allowed:
            return refused(visit, permission)
        await portal.service(viewer.user).deactivate_client(client_id)
        return portal.redirect(visit, f"/integrasjoner/{client_id}")

    return router


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
