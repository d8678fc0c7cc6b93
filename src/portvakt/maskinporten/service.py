"""The token endpoint's use case: the validation pipeline of maskinporten.md §8, in order, then §9.

Each step is a small method raising one MaskinportenError; the RFC 7523 checks live in
portvakt.oauth.jwt_bearer and their errors are translated to catalogue codes in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from portvakt.domain.clock import Clock
from portvakt.domain.errors import Unavailable
from portvakt.maskinporten.errors import MaskinportenError, from_oauth_error
from portvakt.maskinporten.ports import (
    JWT_BEARER,
    CertificateValidator,
    Client,
    ClientKey,
    DelegationChecker,
    RegistryReader,
    ReplayStore,
    Scope,
    TokenSigner,
)
from portvakt.oauth import jwt_bearer
from portvakt.oauth.access_tokens import (
    BUSINESS_CERTIFICATE,
    PRIVATE_KEY_JWT,
    AccessTokenContent,
    Delegation,
    access_token_claims,
    new_jti,
    token_lifetime,
)
from portvakt.oauth.errors import OAuthError
from portvakt.oauth.replay import ReplayStoreUnavailable, replay_expiry, replay_key
from portvakt.oauth.x509_chain import InvalidCertificateEncoding, UntrustedCertificate

DEFAULT_DELEGATION_SOURCE: Final = "altinn"
KEY_CACHE_LIMIT: Final = 10_000


@dataclass(frozen=True, slots=True)
class TokenEndpointConfig:
    issuer: str  # with trailing slash
    env: str  # "test" | "prod"
    default_lifetime: int
    altinn_issuer: str  # issuer of the default delegation source, `{altinn_base}/`


@dataclass(frozen=True, slots=True)
class TokenPorts:
    registry: RegistryReader
    signer: TokenSigner
    replay: ReplayStore
    certificates: CertificateValidator
    delegations: DelegationChecker


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    client_amr: str


@dataclass(slots=True)
class TokenAttempt:
    """What is known about a request so far, for its one log event (never the assertion or token)."""

    client_id: str | None = None
    client_amr: str | None = None


@dataclass(frozen=True, slots=True)
class _CachedKey:
    jwk: Mapping[str, Any]
    public_key: RSAPublicKey


class TokenService:
    def __init__(self, config: TokenEndpointConfig, ports: TokenPorts, clock: Clock) -> None:
        self.config = config
        self.ports = ports
        self.clock = clock
        self._keys: dict[tuple[str, str], _CachedKey] = {}

    async def token(self, form: Mapping[str, str], attempt: TokenAttempt | None = None) -> IssuedToken:
        """Steps 2–18 of §8 on a parsed form (step 1 belongs to the HTTP layer)."""
        try:
            return await self._pipeline(form, attempt or TokenAttempt())
        except MaskinportenError:
            raise
        except OAuthError as exc:
            raise from_oauth_error(exc) from exc

    async def _pipeline(self, form: Mapping[str, str], attempt: TokenAttempt) -> IssuedToken:
        assertion = jwt_bearer.grant_assertion(form)
        jws = jwt_bearer.parse_compact_jws(assertion)
        header = jwt_bearer.check_header(jws.header)
        claims = jwt_bearer.check_claims(jws.claims, env=self.config.env)
        attempt.client_id = claims.iss
        client = await self.check_client(claims.iss)
        jwt_bearer.check_audience(claims, self.config.issuer)
        jwt_bearer.check_subject(claims)
        key, client_amr = await self.resolve_key(client, header)
        attempt.client_amr = client_amr
        jwt_bearer.verify_signature(key, header.alg, jws)
        now = self.clock.timestamp()
        jwt_bearer.check_times(claims, now)
        await self.record_use(client, claims, assertion, now)
        scopes = await self.check_scopes(client, claims.scopes)
        self.check_consumer_org(client, claims.consumer_org, scopes)
        consumer = claims.consumer_org or client.client_orgno
        await self.check_access(scopes, consumer)
        delegation = None
        if claims.consumer_org is not None:
            await self.check_delegations(scopes, consumer, client.client_orgno)
            delegation = Delegation(client.client_orgno, await self.delegation_issuer(scopes[0]))
        check_authorization_details(claims)
        content = AccessTokenContent(
            issuer=self.config.issuer,
            client_amr=client_amr,
            client_id=client.client_id,
            scopes=claims.scopes,
            consumer_orgno=consumer,
            issued_at=now,
            lifetime=token_lifetime(
                self.config.default_lifetime,
                (scope.at_max_age for scope in scopes),
                client.access_token_lifetime,
            ),
            delegation=delegation,
            resources=claims.resources,
            pid=claims.pid,
        )
        return self.mint(content)

    # -- steps 5–6 ---------------------------------------------------------------------------------

    async def check_client(self, client_id: str) -> Client:
        client = await self.ports.registry.client(client_id)
        if client is None or not client.active:
            raise MaskinportenError("MP-100", hint="unknown" if client is None else "inactive")
        if JWT_BEARER not in client.grant_types:
            raise MaskinportenError("MP-101")
        return client

    # -- step 9: key resolution (§6.1 steps 1–3, §6.2 steps 1–4) -------------------------------------

    async def resolve_key(self, client: Client, header: jwt_bearer.GrantHeader) -> tuple[RSAPublicKey, str]:
        if header.kid is not None:
            return await self.registered_key(client, header.kid, header.alg), PRIVATE_KEY_JWT
        if client.keys:
            raise MaskinportenError("MP-126")
        return await self.certificate_key(client, header.x5c), BUSINESS_CERTIFICATE

    async def registered_key(self, client: Client, kid: str, alg: str) -> RSAPublicKey:
        key = client.key(kid)
        if key is None:
            raise MaskinportenError("MP-125", hint=f"kid {kid!r}")
        if key.expires_at <= self.clock.now():
            raise MaskinportenError("MP-121", hint=f"kid {kid!r} expired {key.expires_at.isoformat()}")
        registered_alg = key.jwk.get("alg")
        if registered_alg is not None and registered_alg != alg:
            raise MaskinportenError("MP-124", hint=f"header alg {alg}, registered alg {registered_alg}")
        locked = key.jwk.get("x5c")
        if locked is not None:
            await self.certificate_lock(client, locked)
        return self.public_key(client.client_id, key)

    async def certificate_lock(self, client: Client, x5c: object) -> None:
        try:
            certificate = await self.ports.certificates.validate(_x5c_list(x5c))
        except (InvalidCertificateEncoding, UntrustedCertificate) as exc:
            raise MaskinportenError("MP-120", hint=f"certificate lock: {exc}") from exc
        check_certificate_orgno(client, certificate.orgno)

    async def certificate_key(self, client: Client, x5c: object) -> RSAPublicKey:
        try:
            certificate = await self.ports.certificates.validate(_x5c_list(x5c))
        except InvalidCertificateEncoding as exc:
            raise MaskinportenError("MP-123", hint=str(exc)) from exc
        except UntrustedCertificate as exc:
            raise MaskinportenError("MP-120", hint=str(exc)) from exc
        check_certificate_orgno(client, certificate.orgno)
        return certificate.public_key

    def public_key(self, client_id: str, key: ClientKey) -> RSAPublicKey:
        """The JWK's public key, parsed once per (client, kid) while the registered JWK stays the same."""
        cached = self._keys.get((client_id, key.kid))
        if cached is not None and (cached.jwk is key.jwk or cached.jwk == key.jwk):
            return cached.public_key
        try:
            public_key = jwt_bearer.rsa_public_key(key.jwk)
        except jwt_bearer.InvalidSignature as exc:
            raise MaskinportenError("MP-124", hint=exc.hint) from exc
        if len(self._keys) >= KEY_CACHE_LIMIT:
            self._keys.clear()
        self._keys[(client_id, key.kid)] = _CachedKey(key.jwk, public_key)
        return public_key

    # -- step 12: replay -------------------------------------------------------------------------------

    async def record_use(
        self, client: Client, claims: jwt_bearer.GrantClaims, assertion: str, now: int
    ) -> None:
        key = replay_key(client.client_id, claims.jti, assertion)
        try:
            first = await self.ports.replay.first_use(key, replay_expiry(claims.exp, now))
        except ReplayStoreUnavailable as exc:
            raise MaskinportenError("MP-900", hint=f"replay store: {exc.detail}") from exc
        if not first:
            raise MaskinportenError("MP-012", hint="jti seen before" if claims.jti else "grant seen before")

    # -- steps 13–16: scopes, consumer, access, delegation ----------------------------------------------

    async def check_scopes(self, client: Client, requested: Sequence[str]) -> list[Scope]:
        found = await self.ports.registry.scopes(requested)
        invalid = [
            name
            for name in requested
            if (scope := found.get(name)) is None or not scope.active or name not in client.scopes
        ]
        if invalid:
            raise MaskinportenError("MP-200", scopes=" ".join(invalid))
        scopes = [found[name] for name in requested]
        refused = [
            scope.name
            for scope in scopes
            if scope.allowed_integration_types
            and client.integration_type not in scope.allowed_integration_types
        ]
        if refused:
            raise MaskinportenError("MP-201", scopes=" ".join(refused))
        return scopes

    def check_consumer_org(self, client: Client, consumer_org: str | None, scopes: Sequence[Scope]) -> None:
        if consumer_org is None:
            return
        if consumer_org == client.client_orgno:
            raise MaskinportenError("MP-252", hint="consumer_org is the client's own organisation")
        if any(scope.delegation_source is None for scope in scopes):
            raise MaskinportenError("MP-252", hint="a scope has no delegation source")

    async def check_access(self, scopes: Sequence[Scope], consumer: str) -> None:
        for scope in scopes:
            if scope.owner_orgno == consumer or scope.accessible_for_all:
                continue
            if not await self.ports.registry.has_approved_access(scope.name, consumer):
                raise MaskinportenError("MP-250", scope=scope.name)

    async def check_delegations(self, scopes: Sequence[Scope], consumer: str, supplier: str) -> None:
        for scope in scopes:
            try:
                delegated = await self.ports.delegations.has_maskinporten_delegation(
                    consumer, supplier, scope.name
                )
            except Unavailable as exc:
                raise MaskinportenError("MP-901", hint=exc.detail) from exc
            if not delegated:
                raise MaskinportenError("MP-251", consumer=consumer, scope=scope.name, supplier=supplier)

    async def delegation_issuer(self, scope: Scope) -> str:
        name = scope.delegation_source or DEFAULT_DELEGATION_SOURCE
        source = await self.ports.registry.delegation_source(name)
        if source is not None:
            return source.issuer
        if name == DEFAULT_DELEGATION_SOURCE:
            return self.config.altinn_issuer
        raise MaskinportenError("MP-900", hint=f"delegation source {name!r} of scope {scope.name} not found")

    # -- step 18 -------------------------------------------------------------------------------------

    def mint(self, content: AccessTokenContent) -> IssuedToken:
        access_token = self.ports.signer.sign(access_token_claims(content, new_jti()))
        return IssuedToken(
            access_token=access_token,
            expires_in=max(content.expires_at - self.clock.timestamp(), 0),
            scope=content.scope,
            client_amr=content.client_amr,
        )


def _x5c_list(x5c: object) -> list[str]:
    """§6.2 step 1: an array of strings, not empty; decoding is the certificate validator's work."""
    if not isinstance(x5c, list) or not x5c or not all(isinstance(item, str) for item in x5c):
        raise InvalidCertificateEncoding("x5c is not a non-empty array of strings")
    return [str(item) for item in x5c]


def check_certificate_orgno(client: Client, orgno: str | None) -> None:
    if orgno is None or orgno != client.client_orgno:
        raise MaskinportenError(
            "MP-122", hint=f"certificate orgno {orgno}, client orgno {client.client_orgno}"
        )


def check_authorization_details(claims: jwt_bearer.GrantClaims) -> None:
    """Step 17, phase 1: no authorization_details type is enabled (§13)."""
    if claims.has_authorization_details:
        raise MaskinportenError("MP-301")
