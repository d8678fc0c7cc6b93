"""Client authentication at the token, PAR, introspection and revocation endpoints (idporten.md §6.1).

Exactly one method, and it must be the client's registered one. Secrets are compared in constant time
against the stored hash (`client_secret_matches`); `private_key_jwt` assertions are single-use through the
platform's replay store (key `idp:<client_id>:<jti>`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Protocol
from urllib.parse import unquote_plus

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from portvakt.domain.clock import Clock
from portvakt.idporten.errors import EndpointError, invalid_assertion, invalid_client, invalid_request
from portvakt.idporten.registry import IdportenRegistry, OidcClient
from portvakt.maskinporten.ports import CertificateValidator, ReplayStore
from portvakt.oauth import jwt_bearer
from portvakt.oauth.replay import IDPORTEN_PREFIX, ReplayStoreUnavailable, replay_expiry, replay_key
from portvakt.oauth.x509_chain import InvalidCertificateEncoding, UntrustedCertificate
from portvakt.registry.model import OIDC_INTEGRATION_TYPES
from portvakt.registry.service import client_secret_matches

CLIENT_ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SKEW: Final = 10
MAX_ASSERTION_LIFETIME: Final = 120
BUSINESS_CERTIFICATE: Final = "virksomhetssertifikat"


@dataclass(frozen=True)
class AuthenticatedClient:
    client: OidcClient
    method: str
    client_amr: str

    @property
    def client_id(self) -> str:
        return self.client.registration.client_id


class CertificateSource(Protocol):
    def __call__(self) -> CertificateValidator | None: ...


@dataclass(frozen=True)
class _Presented:
    method: str
    client_id: str
    secret: str | None = None
    assertion: str | None = None


def _basic(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_client("unknown client", basic=True) from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise invalid_client("unknown client", basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


def _presented(form: Mapping[str, str], authorization: str | None) -> _Presented:
    basic = authorization is not None and authorization[:6].lower() == "basic "
    used = [
        name
        for name, present in (
            ("client_secret_basic", basic),
            ("client_secret_post", "client_secret" in form),
            ("private_key_jwt", "client_assertion" in form or "client_assertion_type" in form),
        )
        if present
    ]
    if len(used) > 1:
        raise invalid_request("Multiple client authentication methods used")
    form_id = form.get("client_id")
    if basic and authorization is not None:
        client_id, secret = _basic(authorization)
        if form_id is not None and form_id != client_id:
            raise invalid_request("client_id does not match the authenticated client")
        return _Presented("client_secret_basic", client_id, secret=secret)
    if used == ["client_secret_post"]:
        if not form_id:
            raise invalid_request("Missing required parameter: client_id")
        return _Presented("client_secret_post", form_id, secret=form["client_secret"])
    if used == ["private_key_jwt"]:
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise invalid_assertion("unsupported client_assertion_type")
        assertion = form.get("client_assertion") or ""
        try:
            claims = jwt_bearer.parse_compact_jws(assertion).claims
        except jwt_bearer.MalformedAssertion:
            raise invalid_assertion("malformed") from None
        issuer = claims.get("iss")
        client_id = form_id or (issuer if isinstance(issuer, str) else "")
        if form_id is not None and isinstance(issuer, str) and issuer != form_id:
            raise invalid_request("client_id does not match the authenticated client")
        if not client_id:
            raise invalid_assertion("iss and sub must equal client_id")
        return _Presented("private_key_jwt", client_id, assertion=assertion)
    if not form_id:
        raise invalid_request("Missing required parameter: client_id")
    return _Presented("none", form_id)


class ClientAuthenticator:
    def __init__(
        self,
        issuer: str,
        registry: IdportenRegistry,
        replay: ReplayStore,
        certificates: CertificateSource,
        clock: Clock,
    ) -> None:
        self.issuer = issuer
        self.registry = registry
        self.replay = replay
        self.certificates = certificates
        self.clock = clock

    async def authenticate(
        self,
        form: Mapping[str, str],
        authorization: str | None,
        endpoint: str,
        *,
        integration_types: Collection[str] | None = OIDC_INTEGRATION_TYPES,
        allow_none: bool = True,
    ) -> AuthenticatedClient:
        presented = _presented(form, authorization)
        basic = presented.method == "client_secret_basic"
        found = await self.registry.client(presented.client_id)
        registration = found.registration if found is not None else None
        if (
            found is None
            or registration is None
            or not registration.active
            or (integration_types is not None and registration.integration_type not in integration_types)
        ):
            raise invalid_client("unknown client", basic=basic)
        if registration.token_endpoint_auth_method != presented.method or (
            presented.method == "none" and not allow_none
        ):
            raise invalid_client(f"method {presented.method} is not registered for this client", basic=basic)
        if presented.secret is not None:
            self._check_secret(found, presented.secret, basic)
            return AuthenticatedClient(found, presented.method, presented.method)
        if presented.assertion is not None:
            amr = await self._check_assertion(found, presented.assertion, endpoint)
            return AuthenticatedClient(found, presented.method, amr)
        return AuthenticatedClient(found, "none", "none")

    def _check_secret(self, client: OidcClient, secret: str, basic: bool) -> None:
        registration = client.registration
        now = self.clock.now()
        expires = registration.client_secret_expires_at
        if expires is not None and now >= expires:
            raise invalid_client("client secret has expired", basic=basic)
        if not client_secret_matches(registration, secret, now):
            raise invalid_client("invalid client secret", basic=basic)

    async def _check_assertion(self, client: OidcClient, assertion: str, endpoint: str) -> str:
        client_id = client.registration.client_id
        try:
            jws = jwt_bearer.parse_compact_jws(assertion)
            header = jwt_bearer.check_header(jws.header)
        except jwt_bearer.MalformedAssertion:
            raise invalid_assertion("malformed") from None
        claims = jws.claims
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise invalid_assertion("iss and sub must equal client_id")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(value in (self.issuer, endpoint) for value in audiences):
            raise invalid_assertion("invalid aud")
        key, amr = await self._key(client, header)
        try:
            jwt_bearer.verify_signature(key, header.alg, jws)
        except jwt_bearer.InvalidSignature:
            raise invalid_assertion("invalid signature") from None
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or isinstance(iat | exp, bool):
            raise invalid_assertion("malformed")
        now = self.clock.timestamp()
        if iat > now + SKEW:
            raise invalid_assertion("issued in the future")
        if exp < now - SKEW:
            raise invalid_assertion("expired")
        if exp - iat > MAX_ASSERTION_LIFETIME:
            raise invalid_assertion("lifetime exceeds 120 seconds")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise invalid_assertion("missing jti")
        try:
            first = await self.replay.first_use(
                replay_key(client_id, jti, assertion, prefix=IDPORTEN_PREFIX), replay_expiry(exp, now)
            )
        except ReplayStoreUnavailable as exc:
            raise EndpointError(
                "server_error", "Internal server error", status_code=500, hint=exc.detail
            ) from exc
        if not first:
            raise invalid_assertion("jti already used")
        return amr

    async def _key(self, client: OidcClient, header: jwt_bearer.GrantHeader) -> tuple[RSAPublicKey, str]:
        if header.kid is not None:
            key = next((k for k in client.keys if k.kid == header.kid), None)
            if key is None:
                raise invalid_assertion("unknown kid")
            if self.clock.now() >= _aware(key.expires_at):
                raise invalid_assertion("expired key")
            try:
                return jwt_bearer.rsa_public_key(key.jwk), "private_key_jwt"
            except jwt_bearer.InvalidSignature:
                raise invalid_assertion("invalid signature") from None
        if header.x5c is None:
            raise invalid_assertion("unknown kid")
        validator = self.certificates()
        if validator is None or not isinstance(header.x5c, list) or not header.x5c:
            raise invalid_assertion("invalid certificate")
        try:
            certificate = await validator.validate([str(item) for item in header.x5c])
        except (InvalidCertificateEncoding, UntrustedCertificate):
            raise invalid_assertion("invalid certificate") from None
        if certificate.orgno != client.registration.client_orgno:
            raise invalid_assertion("certificate orgno does not match client")
        return certificate.public_key, BUSINESS_CERTIFICATE


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
