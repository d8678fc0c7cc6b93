"""ID-porten protocol rules without HTTP or storage (idporten.md §4.1, §4.3, §5.2, §6.2, §6.5, §7).

Validation of the authorization request (steps 4–10 of §4.3), PKCE, the SSO reuse rule, the usable-scope
rule of §3, lifetimes (§7.3), pairwise subjects and the claims of the id_token and the access token.
Every function is pure: the caller passes registry data, the clock reading and the issuer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from portvakt.domain.identifiers import iso6523
from portvakt.idporten.errors import AuthorizeError
from portvakt.oauth.access_tokens import audience
from portvakt.oauth.jwt_bearer import is_absolute_uri
from portvakt.registry.model import AUTHORIZATION_CODE, ApiScope, ClientRegistration, TokenType

SUBSTANTIAL: Final = "idporten-loa-substantial"
HIGH: Final = "idporten-loa-high"
ACR_VALUES: Final = (SUBSTANTIAL, HIGH)  # lowest first
LOCALES: Final = ("nb", "nn", "en", "se")
BUILT_IN_SCOPES: Final = frozenset({"openid", "profile"})
RESPONSE_MODES: Final = ("query", "form_post")
MAX_SCOPE_CHARS: Final = 4096
CODE_LIFETIME: Final = 60
PAR_LIFETIME: Final = 120
TRANSACTION_LIFETIME: Final = 1800
ID_TOKEN_LIFETIME: Final = 120
DEFAULT_ACCESS_TOKEN_LIFETIME: Final = 120
DEFAULT_REFRESH_LIFETIME: Final = 600
DEFAULT_AUTHORIZATION_LIFETIME: Final = 7200

_PRINTABLE = re.compile(r"^[\x20-\x7E]+$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def random_id() -> str:
    """32 CSPRNG bytes, base64url without padding (43 characters; maskinporten.md §1.4)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """How codes, tokens and cookies are stored: hex SHA-256."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def acr_rank(acr: str) -> int:
    return ACR_VALUES.index(acr) if acr in ACR_VALUES else -1


# -- the validated authorization request -----------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """What §4.3 steps 1–10 accepted; stored in the login transaction and the code."""

    client_id: str
    redirect_uri: str
    response_mode: str
    state: str
    nonce: str
    scopes: tuple[str, ...]
    acr_min: str
    prompt: str | None
    resources: tuple[str, ...]
    ui_locale: str | None
    code_challenge: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_mode": self.response_mode,
            "state": self.state,
            "nonce": self.nonce,
            "scopes": list(self.scopes),
            "acr_min": self.acr_min,
            "prompt": self.prompt,
            "resources": list(self.resources),
            "ui_locale": self.ui_locale,
            "code_challenge": self.code_challenge,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        return cls(
            client_id=data["client_id"],
            redirect_uri=data["redirect_uri"],
            response_mode=data["response_mode"],
            state=data["state"],
            nonce=data["nonce"],
            scopes=tuple(data["scopes"]),
            acr_min=data["acr_min"],
            prompt=data["prompt"],
            resources=tuple(data["resources"]),
            ui_locale=data["ui_locale"],
            code_challenge=data["code_challenge"],
        )


@dataclass(frozen=True)
class Parameters:
    """Authorization request parameters: single values plus the repeatable `resource`."""

    values: Mapping[str, str]
    resources: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def as_json(self) -> dict[str, Any]:
        return {"values": dict(self.values), "resources": list(self.resources)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Parameters:
        return cls(dict(data["values"]), tuple(data["resources"]))


def valid_state(value: str | None) -> bool:
    return value is not None and 1 <= len(value) <= 2048 and bool(_PRINTABLE.match(value))


def first_locale(ui_locales: str | None) -> str | None:
    for value in (ui_locales or "").split():
        if value in LOCALES:
            return value
    return None


@dataclass(frozen=True)
class ScopeView:
    """What §4.3 step 9 needs to know of the requested registry scopes."""

    scopes: Mapping[str, ApiScope]
    approved: Collection[str]  # scopes the client's org has an APPROVED access to


def usable_scope(client: ClientRegistration, name: str, view: ScopeView) -> bool:
    """§3: built in, or active, on the client, allowed for its integration type, and owned/open/approved."""
    if name in BUILT_IN_SCOPES:
        return True
    scope = view.scopes.get(name)
    if scope is None or not scope.active or name not in client.scopes:
        return False
    allowed = scope.settings.allowed_integration_types
    if allowed and client.integration_type not in allowed:
        return False
    return (
        scope.owner_orgno == client.client_orgno or scope.settings.accessible_for_all or name in view.approved
    )


def parse_scopes(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in value.split(" ") if name))


def requested_registry_scopes(parameters: Parameters) -> tuple[str, ...]:
    value = parameters.get("scope") or ""
    return tuple(name for name in parse_scopes(value[:MAX_SCOPE_CHARS]) if name not in BUILT_IN_SCOPES)


def response_mode_of(parameters: Parameters) -> str:
    mode = parameters.get("response_mode")
    return mode if mode in RESPONSE_MODES else "query"


def validate_request(  # the steps of §4.3 in order, one branch each
    client: ClientRegistration, redirect_uri: str, parameters: Parameters, view: ScopeView
) -> AuthorizationRequest:
    """§4.3 steps 4–10 for a known client and registered `redirect_uri`; raises AuthorizeError."""
    state = parameters.get("state")
    kept_state = state if valid_state(state) else None
    mode = response_mode_of(parameters)

    def fail(error: str, description: str) -> AuthorizeError:
        return AuthorizeError(error, description, redirect_uri=redirect_uri, state=kept_state, mode=mode)

    raw_mode = parameters.get("response_mode")
    if raw_mode is not None and raw_mode not in RESPONSE_MODES:
        raise fail("invalid_request", f"Unsupported response_mode: {raw_mode}")
    if parameters.get("request") is not None:
        raise fail("request_not_supported", "Request objects are not supported")
    if parameters.get("authorization_details") is not None:
        raise fail("invalid_authorization_details", "authorization_details is not supported")
    response_type = parameters.get("response_type")
    if response_type is None:
        raise fail("invalid_request", "Missing required parameter: response_type")
    if response_type != "code":
        raise fail("unsupported_response_type", f"Unsupported response_type: {response_type}")
    if AUTHORIZATION_CODE not in client.grant_types:
        raise fail("unauthorized_client", "Client is not allowed to use the authorization code flow")
    for name in ("state", "nonce"):
        value = parameters.get(name)
        if value is None or value == "":
            raise fail("invalid_request", f"Missing required parameter: {name}")
        limit = 2048 if name == "state" else 512
        if len(value) > limit or not _PRINTABLE.match(value):
            raise fail("invalid_request", f"Invalid parameter: {name}")
    challenge = parameters.get("code_challenge")
    method = parameters.get("code_challenge_method")
    if challenge is None and method is None:
        if client.code_challenge_method != "none":
            raise fail(
                "invalid_request",
                "Missing required parameter: code_challenge (PKCE is required for this client)",
            )
    else:
        if method != "S256":
            raise fail("invalid_request", f"Unsupported code_challenge_method: {method or ''}")
        if challenge is None or not _CHALLENGE.match(challenge):
            raise fail("invalid_request", "Invalid parameter: code_challenge")
    scope_value = parameters.get("scope") or ""
    scopes = parse_scopes(scope_value)
    if len(scope_value) > MAX_SCOPE_CHARS or "openid" not in scopes:
        raise fail("invalid_scope", "Scope openid is required")
    offenders = [name for name in scopes if not usable_scope(client, name, view)]
    if offenders:
        raise fail("invalid_scope", f"Invalid scopes for client: {' '.join(offenders)}")
    acr_min = SUBSTANTIAL
    acr_values = parameters.get("acr_values")
    if acr_values is not None:
        listed = [value for value in acr_values.split(" ") if value]
        if not listed or any(value not in ACR_VALUES for value in listed):
            raise fail("invalid_request", f"Unsupported acr_values: {acr_values}")
        acr_min = min(listed, key=acr_rank)
    prompt = parameters.get("prompt")
    if prompt is not None and prompt not in ("login", "none"):
        raise fail("invalid_request", f"Unsupported prompt value: {prompt}")
    for resource in parameters.resources:
        if not is_absolute_uri(resource):
            raise fail("invalid_target", f"Invalid resource: {resource}")
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        response_mode=mode,
        state=state or "",
        nonce=parameters.get("nonce") or "",
        scopes=scopes,
        acr_min=acr_min,
        prompt=prompt,
        resources=tuple(dict.fromkeys(parameters.resources)),
        ui_locale=first_locale(parameters.get("ui_locales")),
        code_challenge=challenge,
    )


# -- authentication, SSO and consent ----------------------------------------------------------------


@dataclass(frozen=True)
class AuthResult:
    """What an authenticator established (§5.4)."""

    pid: str
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    given_name: str | None = None
    family_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "acr": self.acr,
            "amr": list(self.amr),
            "auth_time": self.auth_time,
            "given_name": self.given_name,
            "family_name": self.family_name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuthResult:
        return cls(
            pid=data["pid"],
            acr=data["acr"],
            amr=tuple(data["amr"]),
            auth_time=data["auth_time"],
            given_name=data.get("given_name"),
            family_name=data.get("family_name"),
        )


@dataclass(frozen=True)
class SessionState:
    sid: str
    auth: AuthResult
    locale: str
    created: int
    last_seen: int
    clients: tuple[str, ...] = ()


def session_alive(session: SessionState, now: int, idle: int, maximum: int) -> bool:
    return now - session.last_seen <= idle and now - session.created <= maximum


def sso_reusable(
    session: SessionState | None,
    request: AuthorizationRequest,
    client: ClientRegistration,
    scopes: Mapping[str, ApiScope],
) -> bool:
    """§5.2: reuse without a new login."""
    if session is None or request.prompt == "login" or client.sso_disabled:
        return False
    if acr_rank(session.auth.acr) < acr_rank(request.acr_min):
        return False
    return not any(
        scope.settings.requires_user_authentication
        for name, scope in scopes.items()
        if name in request.scopes
    )


def consent_scopes(request: AuthorizationRequest, scopes: Mapping[str, ApiScope]) -> tuple[str, ...]:
    """The requested scopes that need the user's consent (§5.5), in request order."""
    return tuple(
        name for name in request.scopes if name in scopes and scopes[name].settings.requires_user_consent
    )


def granted_scopes(
    request: AuthorizationRequest, needs_consent: Collection[str], consented: Collection[str]
) -> tuple[str, ...]:
    return tuple(name for name in request.scopes if name not in needs_consent or name in consented)


# -- PKCE, lifetimes, subjects --------------------------------------------------------------------


def pkce_matches(verifier: str, challenge: str) -> bool:
    if not _VERIFIER.match(verifier):
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=")
    return hmac.compare_digest(computed.decode("ascii"), challenge)


@dataclass(frozen=True)
class Lifetimes:
    access_token: int
    refresh_window: int
    authorization: int


def lifetimes(client: ClientRegistration, scopes: Sequence[ApiScope]) -> Lifetimes:
    """§7.3."""
    access = [client.access_token_lifetime or DEFAULT_ACCESS_TOKEN_LIFETIME]
    access += [scope.settings.at_max_age for scope in scopes if scope.settings.at_max_age > 0]
    authorization = [client.authorization_lifetime or DEFAULT_AUTHORIZATION_LIFETIME]
    authorization += [
        scope.settings.authorization_max_lifetime
        for scope in scopes
        if scope.settings.authorization_max_lifetime > 0
    ]
    return Lifetimes(
        access_token=min(access),
        refresh_window=client.refresh_token_lifetime or DEFAULT_REFRESH_LIFETIME,
        authorization=min(authorization),
    )


def pairwise_subject(secret: bytes, client_id: str, pid: str) -> str:
    """§7.1: base64url(HMAC-SHA256(secret, "<client_id>|<pid>")) without padding."""
    mac = hmac.new(secret, f"{client_id}|{pid}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def is_opaque(scopes: Sequence[ApiScope]) -> bool:
    return any(scope.settings.token_type == TokenType.OPAQUE.value for scope in scopes)


def pseudonymous(scopes: Sequence[ApiScope]) -> bool:
    return any(scope.settings.requires_pseudonymous_tokens for scope in scopes)


def refresh_allowed(client: ClientRegistration) -> bool:
    return "refresh_token" in client.grant_types and client.token_endpoint_auth_method != "none"  # noqa: S105


# -- claims -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantView:
    """A grant as the claim builders need it."""

    client_id: str
    pid: str
    sid: str | None
    scopes: tuple[str, ...]
    resources: tuple[str, ...]
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    locale: str
    given_name: str | None = None
    family_name: str | None = None
    registry_scopes: tuple[ApiScope, ...] = field(default=())


def id_token_claims(  # noqa: PLR0917
    issuer: str,
    client: ClientRegistration,
    grant: GrantView,
    subject: str,
    now: int,
    nonce: str | None,
) -> dict[str, Any]:
    """§6.5."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client.client_id,
        "sub": subject,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "jti": random_id(),
        "auth_time": grant.auth_time,
        "acr": grant.acr,
        "amr": list(grant.amr),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if not pseudonymous(grant.registry_scopes):
        claims["pid"] = grant.pid
    profile = "profile" in grant.scopes
    if profile:
        claims["locale"] = grant.locale
    if grant.sid and client.frontchannel_logout_uri and client.frontchannel_logout_session_required:
        claims["sid"] = grant.sid
    if profile and grant.given_name:
        claims["given_name"] = grant.given_name
    if profile and grant.family_name:
        claims["family_name"] = grant.family_name
    return claims


def access_token_claims(  # noqa: PLR0917
    issuer: str,
    client: ClientRegistration,
    grant: GrantView,
    subject: str,
    client_amr: str,
    now: int,
    lifetime: int,
    jti: str,
) -> dict[str, Any]:
    """§7.1."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "client_id": client.client_id,
        "client_amr": client_amr,
        "consumer": iso6523(client.client_orgno),
    }
    if client.supplier_orgno:
        claims["supplier"] = iso6523(client.supplier_orgno)
    claims["scope"] = " ".join(grant.scopes)
    if not pseudonymous(grant.registry_scopes):
        claims["pid"] = grant.pid
    claims["acr"] = grant.acr
    aud = audience(grant.resources)
    if aud is not None:
        claims["aud"] = aud
    claims["iat"] = now
    claims["exp"] = now + lifetime
    claims["jti"] = jti
    return claims
