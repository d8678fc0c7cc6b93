"""ID-porten use cases (idporten.md §4–§9), free of the web framework.

Routes call one method each and render what it returns: a redirect inside the login UI, a response to
the client's `redirect_uri` (query or form_post), a JSON body, or a typed error.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from portvakt.domain.clock import Clock
from portvakt.domain.errors import PortvaktError
from portvakt.domain.identifiers import InvalidNationalId, parse_national_id
from portvakt.idporten import protocol as p
from portvakt.idporten.clientauth import AuthenticatedClient, ClientAuthenticator
from portvakt.idporten.errors import (
    AuthorizeError,
    EndpointError,
    PageError,
    TransactionExpired,
    invalid_grant,
    invalid_request,
)
from portvakt.idporten.registry import IdportenRegistry, OidcClient
from portvakt.idporten.store import GrantRecord, IdportenStore, Transaction
from portvakt.maskinporten.ports import TokenSigner
from portvakt.oauth import jwt_bearer
from portvakt.registry.model import AUTHORIZATION_CODE, OIDC_INTEGRATION_TYPES, REFRESH_TOKEN, ApiScope
from portvakt.web.logging import get_logger
from portvakt.web.trace import current_trace_id

log = get_logger("portvakt.idporten")

INTROSPECTION_SCOPE = "idporten:token.introspection"
LOGIN_SCOPES = frozenset({"openid", "profile"})


@dataclass(frozen=True)
class Config:
    issuer: str
    env: str
    sso_idle: int
    sso_max: int

    def url(self, path: str, **query: str) -> str:
        return f"{self.issuer}{path}" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class UiRedirect:
    """A 302/303 inside the login UI; `cookie` is a new SSO cookie value to set."""

    location: str
    cookie: str | None = None


@dataclass(frozen=True)
class ClientResponse:
    """The authorization response (§4.4) or error (§10.2) for the client's `redirect_uri`."""

    redirect_uri: str
    mode: str
    parameters: Mapping[str, str]
    cookie: str | None = None

    @property
    def location(self) -> str:
        separator = "&" if "?" in self.redirect_uri else "?"
        return self.redirect_uri + separator + urlencode(self.parameters)


Outcome = UiRedirect | ClientResponse


@dataclass(frozen=True)
class ActiveToken:
    claims: Mapping[str, Any]
    grant_id: str


@dataclass(frozen=True)
class LogoutResult:
    redirect: str | None
    frames: tuple[str, ...] = ()
    ended_session: bool = False


@dataclass
class ScopeInfo:
    registry: dict[str, ApiScope] = field(default_factory=dict)

    def of(self, names: Sequence[str]) -> list[ApiScope]:
        return [self.registry[name] for name in names if name in self.registry]


class IdportenService:
    def __init__(  # noqa: PLR0917
        self,
        config: Config,
        store: IdportenStore,
        registry: IdportenRegistry,
        signer: TokenSigner,
        clients: ClientAuthenticator,
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self.signer = signer
        self.clients = clients
        self.clock = clock

    # -- §4: /authorize and /par -------------------------------------------------------------------------

    async def oidc_client(self, client_id: str | None) -> OidcClient:
        found = await self.registry.client(client_id) if client_id else None
        if (
            found is None
            or not found.registration.active
            or found.registration.integration_type not in OIDC_INTEGRATION_TYPES
        ):
            raise PageError("invalid_client", "Unknown or inactive client_id")
        return found

    async def scope_view(self, client: OidcClient, parameters: p.Parameters) -> p.ScopeView:
        names = p.requested_registry_scopes(parameters)
        scopes = await self.registry.scopes(names)
        approved = await self.registry.approved(client.registration.client_orgno, list(scopes))
        return p.ScopeView(scopes, approved)

    async def validated(self, client: OidcClient, parameters: p.Parameters) -> p.AuthorizationRequest:
        redirect_uri = parameters.get("redirect_uri")
        if redirect_uri is None or redirect_uri not in client.registration.redirect_uris:
            raise PageError("invalid_request", "Missing or unregistered redirect_uri")
        view = await self.scope_view(client, parameters)
        return p.validate_request(client.registration, redirect_uri, parameters, view)

    async def authorize(self, query: p.Parameters, cookie: str | None, locale_cookie: str | None) -> Outcome:
        parameters = query
        request_uri = query.get("request_uri")
        if request_uri is not None:
            pushed = await self.store.take_par(
                p.digest(request_uri), query.get("client_id") or "", self.clock.timestamp()
            )
            if pushed is None:
                raise PageError("invalid_request_uri", "The request_uri is unknown, expired or already used")
            parameters = pushed
        client = await self.oidc_client(query.get("client_id"))
        try:
            request = await self.validated(client, parameters)
        except AuthorizeError as exc:
            return self.error_response(exc)
        return await self.begin(request, client, cookie, locale_cookie)

    async def par(
        self, form: Mapping[str, str], resources: Sequence[str], authorization: str | None
    ) -> dict[str, Any]:
        authenticated = await self.clients.authenticate(form, authorization, self.config.url("/par"))
        values = {
            key: value for key, value in form.items() if key not in _AUTH_PARAMETERS and key != "resource"
        }
        values["client_id"] = authenticated.client_id
        parameters = p.Parameters(values, tuple(resources))
        redirect_uri = parameters.get("redirect_uri")
        if redirect_uri is None or redirect_uri not in authenticated.client.registration.redirect_uris:
            raise invalid_request("Missing or unregistered redirect_uri")
        if parameters.get("request_uri") is not None:
            raise invalid_request("request_uri is not allowed in a pushed authorization request")
        try:
            await self.validated(authenticated.client, parameters)
        except AuthorizeError as exc:
            raise EndpointError(exc.error, exc.description) from exc
        request_uri = "urn:idporten:" + p.random_id()
        now = self.clock.timestamp()
        await self.store.save_par(
            p.digest(request_uri), authenticated.client_id, parameters, now + p.PAR_LIFETIME
        )
        return {"request_uri": request_uri, "expires_in": p.PAR_LIFETIME}

    def error_response(self, error: AuthorizeError) -> ClientResponse:
        parameters = {"error": error.error, "error_description": error.description}
        if error.state is not None:
            parameters["state"] = error.state
        parameters["iss"] = self.config.issuer
        return ClientResponse(error.redirect_uri, error.mode, parameters)

    def request_error(self, request: p.AuthorizationRequest, error: str, description: str) -> ClientResponse:
        return self.error_response(
            AuthorizeError(
                error,
                description,
                redirect_uri=request.redirect_uri,
                state=request.state,
                mode=request.response_mode,
            )
        )

    async def live_session(self, cookie: str | None) -> p.SessionState | None:
        if not cookie:
            return None
        session = await self.store.session_by_cookie(p.digest(cookie))
        if session is None:
            return None
        if not p.session_alive(session, self.clock.timestamp(), self.config.sso_idle, self.config.sso_max):
            await self.store.delete_session(session.sid)
            return None
        return session

    async def registry_scopes(self, names: Sequence[str]) -> dict[str, ApiScope]:
        return dict(await self.registry.scopes([n for n in names if n not in p.BUILT_IN_SCOPES]))

    async def begin(
        self,
        request: p.AuthorizationRequest,
        client: OidcClient,
        cookie: str | None,
        locale_cookie: str | None,
    ) -> Outcome:
        """§4.3 step 11 and §5.1; an unexpected failure now goes back to the client as `server_error`."""
        try:
            return await self._begin(request, client, cookie, locale_cookie)
        except PortvaktError:
            raise
        except Exception:
            return self.server_error(request)

    def server_error(self, request: p.AuthorizationRequest) -> ClientResponse:
        log.exception("authorization_failed", client_id=request.client_id)
        return self.request_error(
            request, "server_error", f"Internal server error (trace_id: {current_trace_id()})"
        )

    async def _begin(
        self,
        request: p.AuthorizationRequest,
        client: OidcClient,
        cookie: str | None,
        locale_cookie: str | None,
    ) -> Outcome:
        scopes = await self.registry_scopes(request.scopes)
        session = await self.live_session(cookie)
        reusable = p.sso_reusable(session, request, client.registration, scopes)
        needs_consent = p.consent_scopes(request, scopes)
        if request.prompt == "none":
            if not reusable:
                return self.request_error(request, "login_required", "User must log in")
            if needs_consent:
                return self.request_error(request, "consent_required", "User consent is required")
        tx = p.random_id()
        now = self.clock.timestamp()
        await self.store.create_transaction(tx, request, p.random_id(), now + p.TRANSACTION_LIFETIME)
        if reusable and session is not None:
            await self.store.set_authentication(tx, session.auth, session.sid)
            if not needs_consent:
                return await self.resume(tx, cookie, locale_cookie)
            return UiRedirect(self.config.url("/consent", tx=tx))
        return UiRedirect(self.config.url("/login", tx=tx))

    # -- §5: transactions, login, consent ----------------------------------------------------------------

    async def transaction(self, tx: str | None) -> Transaction:
        found = await self.store.transaction(tx) if tx else None
        if found is None or found.completed or found.expires_at < self.clock.timestamp():
            raise TransactionExpired()
        return found

    async def client_of(self, transaction: Transaction) -> OidcClient:
        return await self.oidc_client(transaction.client_id)

    def cancel(self, transaction: Transaction, description: str) -> ClientResponse:
        return self.request_error(transaction.request, "access_denied", description)

    async def cancel_transaction(self, transaction: Transaction, description: str) -> ClientResponse:
        if not await self.store.complete_transaction(transaction.tx):
            raise TransactionExpired()
        return self.cancel(transaction, description)

    async def complete_login(
        self, transaction: Transaction, result: p.AuthResult, cookie: str | None
    ) -> Outcome:
        """§5.4 core checks, then the SSO session (§5.2): step-up keeps it, another person replaces it."""
        try:
            parse_national_id(result.pid, env=self.config.env)
        except InvalidNationalId:
            return await self.cancel_transaction(transaction, "Authentication failed")
        if p.acr_rank(result.acr) < p.acr_rank(transaction.request.acr_min):
            return await self.cancel_transaction(transaction, "Authentication level too low")
        now = self.clock.timestamp()
        session = await self.live_session(cookie)
        new_cookie: str | None = None
        if session is not None and session.auth.pid == result.pid:
            await self.store.step_up_session(session.sid, result, now)
            sid = session.sid
        else:
            if session is not None:
                await self.store.delete_session(session.sid)
            sid = secrets.token_urlsafe(16)
            new_cookie = p.random_id()
            locale = transaction.request.ui_locale or "nb"
            await self.store.create_session(
                p.SessionState(sid=sid, auth=result, locale=locale, created=now, last_seen=now),
                p.digest(new_cookie),
            )
        await self.store.set_authentication(transaction.tx, result, sid)
        return UiRedirect(self.config.url("/authorize/resume", tx=transaction.tx), cookie=new_cookie)

    async def consent_scopes(self, transaction: Transaction) -> list[ApiScope]:
        scopes = await self.registry_scopes(transaction.request.scopes)
        return [scopes[name] for name in p.consent_scopes(transaction.request, scopes)]

    async def give_consent(self, transaction: Transaction, accepted: Sequence[str]) -> UiRedirect:
        asked = {scope.name for scope in await self.consent_scopes(transaction)}
        await self.store.set_consent(transaction.tx, [name for name in accepted if name in asked])
        return UiRedirect(self.config.url("/authorize/resume", tx=transaction.tx))

    async def resume(self, tx: str | None, cookie: str | None, locale_cookie: str | None) -> Outcome:
        """§5.1: after login and consent, issue the code (§4.4)."""
        transaction = await self.transaction(tx)
        client = await self.client_of(transaction)
        session = await self.live_session(cookie)
        if transaction.auth is None or session is None or session.sid != transaction.sid:
            return UiRedirect(self.config.url("/login", tx=transaction.tx))
        request = transaction.request
        scopes = await self.registry_scopes(request.scopes)
        needs_consent = p.consent_scopes(request, scopes)
        if needs_consent and transaction.consented is None:
            return UiRedirect(self.config.url("/consent", tx=transaction.tx))
        granted = p.granted_scopes(request, needs_consent, transaction.consented or ())
        if not await self.store.complete_transaction(transaction.tx):
            raise TransactionExpired()
        try:
            return await self._issue_code(transaction, client, session, granted, locale_cookie)
        except Exception:
            return self.server_error(request)

    async def _issue_code(
        self,
        transaction: Transaction,
        client: OidcClient,
        session: p.SessionState,
        granted: Sequence[str],
        locale_cookie: str | None,
    ) -> ClientResponse:
        request = transaction.request
        assert transaction.auth is not None
        now = self.clock.timestamp()
        locale = ui_locale(locale_cookie, request.ui_locale)
        code = p.random_id()
        details = {
            "request": request.as_json(),
            "auth": transaction.auth.as_json(),
            "sid": session.sid,
            "scopes": list(granted),
            "locale": locale,
        }
        await self.store.save_code(
            p.digest(code), client.registration.client_id, details, now + p.CODE_LIFETIME
        )
        await self.store.touch_session(session.sid, now, client.registration.client_id)
        parameters = {"code": code, "state": request.state, "iss": self.config.issuer}
        return ClientResponse(request.redirect_uri, request.response_mode, parameters)

    # -- §6: token endpoint ------------------------------------------------------------------------------

    async def token(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise invalid_request("Missing required parameter: grant_type")
        if grant_type not in (AUTHORIZATION_CODE, REFRESH_TOKEN):
            raise EndpointError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
        required = ("code", "redirect_uri") if grant_type == AUTHORIZATION_CODE else ("refresh_token",)
        for name in required:
            if not form.get(name):
                raise invalid_request(f"Missing required parameter: {name}")
        client = await self.clients.authenticate(form, authorization, self.config.url("/token"))
        if grant_type not in client.client.registration.grant_types:
            raise EndpointError(
                "unauthorized_client", f"Client is not allowed to use grant_type {grant_type}"
            )
        if grant_type == AUTHORIZATION_CODE:
            return await self.redeem_code(form, client)
        return await self.refresh(form, client)

    async def redeem_code(self, form: Mapping[str, str], client: AuthenticatedClient) -> dict[str, Any]:
        code_hash = p.digest(form["code"])
        record = await self.store.code(code_hash)
        now = self.clock.timestamp()
        if record is None:
            raise invalid_grant("Invalid authorization code")
        if record.used:
            if record.grant_id is not None:
                await self.store.revoke_grant(record.grant_id)
            raise invalid_grant("Invalid authorization code", hint="authorization code reused")
        if record.expires_at < now:
            raise invalid_grant("Authorization code has expired")
        if record.client_id != client.client_id:
            raise invalid_grant("Authorization code was issued to another client")
        request = p.AuthorizationRequest.from_json(record.details["request"])
        if form["redirect_uri"] != request.redirect_uri:
            raise invalid_grant("redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier")
        if request.code_challenge is not None:
            if not verifier:
                raise invalid_grant("Missing code_verifier")
            if not p.pkce_matches(verifier, request.code_challenge):
                raise invalid_grant("PKCE verification failed")
        elif verifier:
            raise invalid_grant("PKCE verification failed")
        auth = p.AuthResult.from_json(record.details["auth"])
        scopes = tuple(record.details["scopes"])
        registry = await self.registry_scopes(scopes)
        life = p.lifetimes(client.client.registration, list(registry.values()))
        grant = GrantRecord(
            grant_id=p.random_id(),
            client_id=client.client_id,
            pid=auth.pid,
            sid=record.details["sid"],
            scopes=scopes,
            resources=request.resources,
            acr=auth.acr,
            amr=auth.amr,
            auth_time=auth.auth_time,
            given_name=auth.given_name,
            family_name=auth.family_name,
            locale=record.details["locale"],
            created=now,
            expires_at=now + life.authorization,
            revoked=False,
        )
        if not await self.store.redeem_code(code_hash, grant):
            raise invalid_grant("Invalid authorization code", hint="authorization code raced")
        response = await self.issue(client, grant, scopes, registry, nonce=request.nonce)
        if p.refresh_allowed(client.client.registration):
            refresh = p.random_id()
            window = life.refresh_window
            await self.store.save_refresh_token(
                p.digest(refresh), grant.grant_id, client.client_id, now + window
            )
            response["refresh_token"] = refresh
        return response

    async def refresh(self, form: Mapping[str, str], client: AuthenticatedClient) -> dict[str, Any]:
        token = form["refresh_token"]
        token_hash = p.digest(token)
        record = await self.store.refresh_token(token_hash)
        if record is None or record.client_id != client.client_id:
            raise invalid_grant("Invalid refresh token")
        grant = await self.store.grant(record.grant_id)
        if grant is None:
            raise invalid_grant("Invalid refresh token")
        if grant.revoked:
            raise invalid_grant("Grant has been revoked")
        registration = client.client.registration
        if record.rotated:
            await self.store.revoke_grant(grant.grant_id)
            raise invalid_grant("Invalid refresh token", hint="rotated refresh token reused; grant revoked")
        now = self.clock.timestamp()
        if record.expires_at < now or grant.expires_at < now:
            raise invalid_grant("Refresh token has expired")
        scopes = grant.scopes
        requested = form.get("scope")
        if requested is not None:
            asked = p.parse_scopes(requested)
            if not set(asked) <= set(grant.scopes):
                raise EndpointError("invalid_scope", "Requested scope exceeds the scope originally granted")
            scopes = tuple(name for name in grant.scopes if name in asked)
        view = await self.scope_view(client.client, p.Parameters({"scope": " ".join(scopes)}))
        scopes = tuple(name for name in scopes if p.usable_scope(registration, name, view))
        registry = {name: scope for name, scope in view.scopes.items() if name in scopes}
        life = p.lifetimes(registration, list(registry.values()))
        expires = now + life.refresh_window
        if registration.refresh_token_usage == "REUSE":  # noqa: S105
            new_token = token
            await self.store.extend_refresh_token(token_hash, expires)
        else:
            new_token = p.random_id()
            if not await self.store.rotate_refresh_token(
                token_hash, p.digest(new_token), grant.grant_id, client.client_id, expires
            ):
                await self.store.revoke_grant(grant.grant_id)
                raise invalid_grant("Invalid refresh token", hint="refresh token raced")
        response = await self.issue(client, grant, scopes, registry, nonce=None)
        response["refresh_token"] = new_token
        return response

    async def issue(
        self,
        client: AuthenticatedClient,
        grant: GrantRecord,
        scopes: Sequence[str],
        registry: Mapping[str, ApiScope],
        *,
        nonce: str | None,
    ) -> dict[str, Any]:
        """§6.4, §6.5, §7.1: access token (JWT or opaque, recorded), id_token when `openid`."""
        registration = client.client.registration
        now = self.clock.timestamp()
        secret = await self.store.pairwise_secret()
        subject = p.pairwise_subject(secret, registration.client_id, grant.pid)
        used = [registry[name] for name in scopes if name in registry]
        view = p.GrantView(
            client_id=registration.client_id,
            pid=grant.pid,
            sid=grant.sid,
            scopes=tuple(scopes),
            resources=grant.resources,
            acr=grant.acr,
            amr=grant.amr,
            auth_time=grant.auth_time,
            locale=grant.locale,
            given_name=grant.given_name,
            family_name=grant.family_name,
            registry_scopes=tuple(used),
        )
        lifetime = p.lifetimes(registration, used).access_token
        jti = p.random_id()
        claims = p.access_token_claims(
            self.config.issuer, registration, view, subject, client.client_amr, now, lifetime, jti
        )
        if p.is_opaque(used):
            access_token = p.random_id()
            await self.store.save_access_token(
                p.digest(access_token), grant, "opaque", now + lifetime, claims
            )
        else:
            access_token = self.signer.sign(claims)
            await self.store.save_access_token(p.digest(jti), grant, "jwt", now + lifetime, None)
        response: dict[str, Any] = {"access_token": access_token}
        if "openid" in scopes:
            response["id_token"] = self.signer.sign(
                p.id_token_claims(self.config.issuer, registration, view, subject, now, nonce)
            )
        response |= {"token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(scopes)}
        return response

    # -- §7.2, §8: introspection, userinfo, revocation ---------------------------------------------------

    def own_jwt_claims(self, token: str, *, check_expiry: bool) -> dict[str, Any] | None:
        """A JWS signed by one of our published keys with our `iss`; None otherwise."""
        try:
            jws = jwt_bearer.parse_compact_jws(token)
            header = jwt_bearer.check_header(jws.header, frozenset({"RS256"}))
        except jwt_bearer.MalformedAssertion:
            return None
        key = next((k for k in self.signer.public_jwks()["keys"] if k.get("kid") == header.kid), None)
        if key is None:
            return None
        try:
            jwt_bearer.verify_signature(jwt_bearer.rsa_public_key(key), header.alg, jws)
        except jwt_bearer.InvalidSignature:
            return None
        claims = jws.claims
        if claims.get("iss") != self.config.issuer:
            return None
        exp = claims.get("exp")
        if check_expiry and (not isinstance(exp, int) or exp <= self.clock.timestamp()):
            return None
        return claims

    async def active_token(self, token: str) -> ActiveToken | None:
        """§7.2 step 3: an unexpired, unrevoked access token of ours (JWT or opaque)."""
        now = self.clock.timestamp()
        if "." in token:
            claims = self.own_jwt_claims(token, check_expiry=True)
            jti = claims.get("jti") if claims is not None else None
            if claims is None or not isinstance(jti, str):
                return None
            record = await self.store.access_token(p.digest(jti))
            if record is None or record.kind != "jwt" or record.revoked or record.expires_at <= now:
                return None
            return ActiveToken(claims, record.grant_id)
        record = await self.store.access_token(p.digest(token))
        if record is None or record.kind != "opaque" or record.revoked or record.expires_at <= now:
            return None
        assert record.claims is not None
        return ActiveToken(record.claims, record.grant_id)

    async def introspection_answer(self, token: str, caller: str | None) -> dict[str, Any]:
        """§7.2 steps 3–5 (`caller` = the introspecting client, for `enforced_aud_for_introspection`)."""
        active = await self.active_token(token)
        if active is None:
            return {"active": False}
        names = p.parse_scopes(str(active.claims.get("scope", "")))
        for scope in (await self.registry_scopes(names)).values():
            enforced = scope.settings.enforced_aud_for_introspection
            if enforced and caller not in enforced:
                return {"active": False}
        grant = await self.store.grant(active.grant_id)
        claims = dict(active.claims)
        if "pid" not in claims and grant is not None:
            claims["pid"] = grant.pid
        return {"active": True, "token_type": "Bearer", **claims}

    async def introspect(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        caller = await self.clients.authenticate(
            form,
            authorization,
            self.config.url("/token/introspect"),
            integration_types=None,
            allow_none=False,
        )
        if INTROSPECTION_SCOPE not in caller.client.registration.scopes:
            raise EndpointError(
                "insufficient_scope", f"Client is missing scope {INTROSPECTION_SCOPE}", status_code=403
            )
        token = form.get("token")
        if not token:
            raise invalid_request("Missing required parameter: token")
        return await self.introspection_answer(token, caller.client_id)

    async def userinfo(self, token: str) -> dict[str, Any] | str:
        """§8.1: the claims, or the error code (`invalid_token`, `insufficient_scope`)."""
        active = await self.active_token(token)
        if active is None:
            return "invalid_token"
        scopes = p.parse_scopes(str(active.claims.get("scope", "")))
        if "openid" not in scopes:
            return "insufficient_scope"
        answer: dict[str, Any] = {"sub": active.claims["sub"]}
        if "pid" in active.claims:
            answer["pid"] = active.claims["pid"]
        if "profile" in scopes:
            grant = await self.store.grant(active.grant_id)
            if grant is not None:
                answer["locale"] = grant.locale
                if grant.given_name:
                    answer["given_name"] = grant.given_name
                if grant.family_name:
                    answer["family_name"] = grant.family_name
        return answer

    async def revoke(self, form: Mapping[str, str], authorization: str | None) -> None:
        client = await self.clients.authenticate(form, authorization, self.config.url("/token/revoke"))
        token = form.get("token")
        if not token:
            raise invalid_request("Missing required parameter: token")
        grant_id: str | None = None
        client_id: str | None = None
        if "." in token:
            claims = self.own_jwt_claims(token, check_expiry=False)
            jti = claims.get("jti") if claims is not None else None
            record = await self.store.access_token(p.digest(jti)) if isinstance(jti, str) else None
            if record is not None:
                grant_id, client_id = record.grant_id, record.client_id
        else:
            digest = p.digest(token)
            access = await self.store.access_token(digest)
            if access is not None:
                grant_id, client_id = access.grant_id, access.client_id
            else:
                refresh = await self.store.refresh_token(digest)
                if refresh is not None:
                    grant_id, client_id = refresh.grant_id, refresh.client_id
        if grant_id is not None and client_id == client.client_id:
            await self.store.revoke_grant(grant_id)

    # -- §9: logout --------------------------------------------------------------------------------------

    async def logout(self, parameters: Mapping[str, str], cookie: str | None) -> LogoutResult:
        hint = parameters.get("id_token_hint")
        hint_claims = self.own_jwt_claims(hint, check_expiry=False) if hint else None
        hint_aud = hint_claims.get("aud") if hint_claims is not None else None
        hint_client = hint_aud if isinstance(hint_aud, str) else None
        client_id = parameters.get("client_id")
        redirect: str | None = None
        target = hint_client or client_id
        if not (hint_client and client_id and hint_client != client_id) and target:
            found = await self.registry.client(target)
            uri = parameters.get("post_logout_redirect_uri")
            if found is not None and uri and uri in found.registration.post_logout_redirect_uris:
                state = parameters.get("state")
                redirect = uri
                if state is not None and p.valid_state(state):
                    redirect += ("&" if "?" in uri else "?") + urlencode({"state": state})
        session = await self.store.session_by_cookie(p.digest(cookie)) if cookie else None
        frames: list[str] = []
        if session is not None:
            await self.store.delete_session(session.sid)
            for grant in await self.store.grants_of_session(session.sid):
                if set(grant.scopes) <= LOGIN_SCOPES and not grant.revoked:
                    await self.store.revoke_grant(grant.grant_id)
            for participant in session.clients:
                found = await self.registry.client(participant)
                uri = found.registration.frontchannel_logout_uri if found is not None else None
                if found is None or not uri:
                    continue
                if found.registration.frontchannel_logout_session_required:
                    uri += ("&" if "?" in uri else "?") + urlencode(
                        {"iss": self.config.issuer, "sid": session.sid}
                    )
                frames.append(uri)
        return LogoutResult(redirect, tuple(frames), ended_session=session is not None)


_AUTH_PARAMETERS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


def ui_locale(cookie: str | None, requested: str | None) -> str:
    """§5.6: the cookie over the first supported `ui_locales` value over nb."""
    if cookie in p.LOCALES:
        return str(cookie)
    return requested or "nb"
