"""TokenValidator and AsyncTokenValidator (maskinporten.md §14): the same checks, in the same order.

Order: compact JWS; header `alg` RS256 and `kid`; key found; signature; `iss`; `exp > now − leeway`;
`iat ≤ now + leeway`; `consumer` (Maskinporten issuers); `aud` (if configured); scopes; `pid`.
Opaque (non-JWS) tokens go to the introspection of the ID-porten issuers that have it (idporten.md §7.2).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from portvakt.resource_server import jws as jose
from portvakt.resource_server.errors import InvalidToken, MissingToken
from portvakt.resource_server.introspection import ClientCredentials, active_claims, build_request
from portvakt.resource_server.issuers import Introspector, Issuer, KeyProvider, Metadata, parse_metadata
from portvakt.resource_server.keyset import CachePolicy, KeySet
from portvakt.resource_server.token import ClaimRules, ScopeMode, ValidatedToken, check_claims

log = logging.getLogger(__name__)
NOT_A_JWS = "The token is not a compact JWS"


class Clock(Protocol):
    def timestamp(self) -> int: ...


class SystemClock:
    def timestamp(self) -> int:
        return int(time.time())


def _issuers(
    issuer: str | Issuer | Sequence[str | Issuer],
    single: dict[str, Any],
) -> tuple[Issuer, ...]:
    given = [issuer] if isinstance(issuer, str | Issuer) else list(issuer)
    if not given:
        raise ValueError("At least one issuer is required")
    options = {name: value for name, value in single.items() if value is not None}
    if options and (len(given) != 1 or not isinstance(given[0], str)):
        raise ValueError(f"{', '.join(options)}: give these on each Issuer when there are several issuers")
    issuers = tuple(Issuer(i, **options) if isinstance(i, str) else i for i in given)
    if len({i.issuer for i in issuers}) != len(issuers):
        raise ValueError("Each issuer may be given once")
    return issuers


class _ValidatorCore:
    def __init__(
        self,
        issuer: str | Issuer | Sequence[str | Issuer],
        *,
        jwks_uri: str | None,
        key_provider: KeyProvider | None,
        introspection_endpoint: str | None,
        introspection_client: ClientCredentials | None,
        introspector: Introspector | None,
        audience: str | None,
        leeway: int,
        jwks_max_age: int,
        jwks_min_refresh: int,
        clock: Clock | None,
    ) -> None:
        single = {
            "jwks_uri": jwks_uri,
            "key_provider": key_provider,
            "introspection_endpoint": introspection_endpoint,
            "introspection_client": introspection_client,
            "introspector": introspector,
        }
        self.issuers = _issuers(issuer, single)
        self.audience = audience
        self.leeway = leeway
        self.policy = CachePolicy(jwks_max_age, jwks_min_refresh)
        self.clock: Clock = clock or SystemClock()
        self._key_sets = {i.issuer: KeySet(i) for i in self.issuers}

    def _rules(
        self,
        required_scopes: Collection[str],
        scope_mode: ScopeMode,
        expected_pid: str | None,
        require_pid: bool,
    ) -> ClaimRules:
        if scope_mode not in ("any", "all"):
            raise ValueError("scope_mode must be 'any' or 'all'")
        scopes = (required_scopes,) if isinstance(required_scopes, str) else tuple(required_scopes)
        return ClaimRules(
            self.clock.timestamp(), self.leeway, self.audience, scopes, scope_mode, expected_pid, require_pid
        )

    def _is_opaque(self, token: str) -> bool:
        """Not a JWS, and an ID-porten issuer can introspect it (idporten.md §7.2)."""
        return "." not in token and any(i.introspects for i in self.issuers)

    def _candidates(self, claims: Mapping[str, Any]) -> list[KeySet]:
        """The key set of the claimed issuer; all key sets when `iss` is not one of ours (fails at `iss`)."""
        iss = claims.get("iss")
        claimed = self._key_sets.get(iss) if isinstance(iss, str) else None
        return [claimed] if claimed is not None else list(self._key_sets.values())

    def _introspecting(self) -> list[KeySet]:
        return [s for s in self._key_sets.values() if s.issuer.introspects]

    def _finish(
        self, token: jose.CompactJWS, found: list[tuple[KeySet, rsa.RSAPublicKey]], rules: ClaimRules
    ) -> ValidatedToken:
        if not found:
            raise InvalidToken("The token's kid is not a known signing key")
        failure: InvalidToken | None = None
        for key_set, key in found:  # several only when `iss` is not ours and key sets share the kid
            try:
                jose.verify(token, key)
            except InvalidToken as exc:
                failure = exc
                continue
            if token.claims.get("iss") != key_set.issuer.issuer:
                raise InvalidToken("The token's issuer is not accepted")
            return check_claims(token.claims, key_set.issuer.issuer, key_set.issuer.issuer_kind, rules)
        assert failure is not None
        raise failure

    def _introspected(
        self, key_set: KeySet, status: int, answer: object, rules: ClaimRules
    ) -> ValidatedToken:
        claims = active_claims(status, answer, key_set.issuer.issuer)
        return check_claims(claims, key_set.issuer.issuer, "idporten", rules)

    @staticmethod
    def _jwks_body(response: httpx.Response) -> Mapping[str, Any]:
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("JWKS is not a JSON object")
        return body


class TokenValidator(_ValidatorCore):
    """Validates bearer tokens synchronously; thread-safe (one key-set fetch per issuer at a time)."""

    def __init__(
        self,
        issuer: str | Issuer | Sequence[str | Issuer],
        *,
        jwks_uri: str | None = None,
        key_provider: KeyProvider | None = None,
        introspection_endpoint: str | None = None,
        introspection_client: ClientCredentials | None = None,
        introspector: Introspector | None = None,
        audience: str | None = None,
        leeway: int = 10,
        jwks_max_age: int = 86400,
        jwks_min_refresh: int = 60,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(
            issuer,
            jwks_uri=jwks_uri,
            key_provider=key_provider,
            introspection_endpoint=introspection_endpoint,
            introspection_client=introspection_client,
            introspector=introspector,
            audience=audience,
            leeway=leeway,
            jwks_max_age=jwks_max_age,
            jwks_min_refresh=jwks_min_refresh,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout)
        self._locks = {name: threading.Lock() for name in self._key_sets}

    def validate(
        self,
        token: str | None,
        required_scopes: Collection[str] = (),
        scope_mode: ScopeMode = "any",
        expected_pid: str | None = None,
        require_pid: bool = False,
    ) -> ValidatedToken:
        rules = self._rules(required_scopes, scope_mode, expected_pid, require_pid)
        if not token:
            raise MissingToken()
        if self._is_opaque(token):
            return self._introspect(token, rules)
        parsed = jose.parse(token)
        kid = jose.check_header(parsed.header)
        return self._finish(parsed, self._find_keys(parsed.claims, kid, rules.now), rules)

    def _find_keys(
        self, claims: Mapping[str, Any], kid: str, now: int
    ) -> list[tuple[KeySet, rsa.RSAPublicKey]]:
        found = []
        for key_set in self._candidates(claims):
            with self._locks[key_set.issuer.issuer]:
                if key_set.wants_fetch(kid, now, self.policy):
                    self._refresh(key_set, now)
                key = key_set.key(kid)
            if key is not None:
                found.append((key_set, key))
        return found

    def _refresh(self, key_set: KeySet, now: int) -> None:
        try:
            key_set.store(self._load_jwks(key_set), now)
        except Exception as exc:  # any failure keeps the cached set (§14)
            key_set.failed(now)
            log.warning("jwks fetch failed for %s: %s", key_set.issuer.issuer, type(exc).__name__)

    def _load_jwks(self, key_set: KeySet) -> Mapping[str, Any]:
        issuer = key_set.issuer
        if issuer.key_provider is not None:
            jwks = issuer.key_provider()
            if inspect.isawaitable(jwks):
                raise TypeError("TokenValidator needs a synchronous key provider")
            return jwks
        uri = issuer.jwks_uri or self._metadata(key_set).jwks_uri
        return self._jwks_body(self._http.get(uri))

    def _metadata(self, key_set: KeySet) -> Metadata:
        if key_set.metadata is None:
            response = self._http.get(key_set.issuer.metadata_url)
            response.raise_for_status()
            key_set.metadata = parse_metadata(key_set.issuer, response.json())
        return key_set.metadata

    def _introspect(self, token: str, rules: ClaimRules) -> ValidatedToken:
        failure = InvalidToken("The token is not active")
        for key_set in self._introspecting():
            try:
                status, answer = self._introspection_answer(key_set, token, rules.now)
                return self._introspected(key_set, status, answer, rules)
            except InvalidToken as exc:
                failure = exc
        raise failure

    def _introspection_answer(self, key_set: KeySet, token: str, now: int) -> tuple[int, object]:
        issuer = key_set.issuer
        if issuer.introspector is not None:
            answer = issuer.introspector(token)
            if inspect.isawaitable(answer):
                raise TypeError("TokenValidator needs a synchronous introspector")
            return 200, answer
        assert issuer.introspection_client is not None
        try:
            with self._locks[issuer.issuer]:
                endpoint = issuer.introspection_endpoint or self._metadata(key_set).introspection_endpoint
            if endpoint is None:
                raise InvalidToken("The issuer has no introspection endpoint")
            request = build_request(issuer.introspection_client, issuer.issuer, token, now)
            response = self._http.post(endpoint, data=request.form, headers=request.headers)
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidToken(f"Token introspection failed ({type(exc).__name__})") from exc
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncTokenValidator(_ValidatorCore):
    """The async twin of TokenValidator: one key-set fetch per issuer in flight at a time."""

    def __init__(
        self,
        issuer: str | Issuer | Sequence[str | Issuer],
        *,
        jwks_uri: str | None = None,
        key_provider: KeyProvider | None = None,
        introspection_endpoint: str | None = None,
        introspection_client: ClientCredentials | None = None,
        introspector: Introspector | None = None,
        audience: str | None = None,
        leeway: int = 10,
        jwks_max_age: int = 86400,
        jwks_min_refresh: int = 60,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(
            issuer,
            jwks_uri=jwks_uri,
            key_provider=key_provider,
            introspection_endpoint=introspection_endpoint,
            introspection_client=introspection_client,
            introspector=introspector,
            audience=audience,
            leeway=leeway,
            jwks_max_age=jwks_max_age,
            jwks_min_refresh=jwks_min_refresh,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self._locks = {name: asyncio.Lock() for name in self._key_sets}

    async def validate(
        self,
        token: str | None,
        required_scopes: Collection[str] = (),
        scope_mode: ScopeMode = "any",
        expected_pid: str | None = None,
        require_pid: bool = False,
    ) -> ValidatedToken:
        rules = self._rules(required_scopes, scope_mode, expected_pid, require_pid)
        if not token:
            raise MissingToken()
        if self._is_opaque(token):
            return await self._introspect(token, rules)
        parsed = jose.parse(token)
        kid = jose.check_header(parsed.header)
        return self._finish(parsed, await self._find_keys(parsed.claims, kid, rules.now), rules)

    async def _find_keys(
        self, claims: Mapping[str, Any], kid: str, now: int
    ) -> list[tuple[KeySet, rsa.RSAPublicKey]]:
        found = []
        for key_set in self._candidates(claims):
            async with self._locks[key_set.issuer.issuer]:
                if key_set.wants_fetch(kid, now, self.policy):
                    await self._refresh(key_set, now)
                key = key_set.key(kid)
            if key is not None:
                found.append((key_set, key))
        return found

    async def _refresh(self, key_set: KeySet, now: int) -> None:
        try:
            key_set.store(await self._load_jwks(key_set), now)
        except Exception as exc:  # any failure keeps the cached set (§14)
            key_set.failed(now)
            log.warning("jwks fetch failed for %s: %s", key_set.issuer.issuer, type(exc).__name__)

    async def _load_jwks(self, key_set: KeySet) -> Mapping[str, Any]:
        issuer = key_set.issuer
        if issuer.key_provider is not None:
            jwks = issuer.key_provider()
            return await jwks if inspect.isawaitable(jwks) else jwks
        uri = issuer.jwks_uri or (await self._metadata(key_set)).jwks_uri
        return self._jwks_body(await self._http.get(uri))

    async def _metadata(self, key_set: KeySet) -> Metadata:
        if key_set.metadata is None:
            response = await self._http.get(key_set.issuer.metadata_url)
            response.raise_for_status()
            key_set.metadata = parse_metadata(key_set.issuer, response.json())
        return key_set.metadata

    async def _introspect(self, token: str, rules: ClaimRules) -> ValidatedToken:
        failure = InvalidToken("The token is not active")
        for key_set in self._introspecting():
            try:
                status, answer = await self._introspection_answer(key_set, token, rules.now)
                return self._introspected(key_set, status, answer, rules)
            except InvalidToken as exc:
                failure = exc
        raise failure

    async def _introspection_answer(self, key_set: KeySet, token: str, now: int) -> tuple[int, object]:
        issuer = key_set.issuer
        if issuer.introspector is not None:
            answer = issuer.introspector(token)
            return 200, (await answer if inspect.isawaitable(answer) else answer)
        assert issuer.introspection_client is not None
        try:
            async with self._locks[issuer.issuer]:
                endpoint = (
                    issuer.introspection_endpoint or (await self._metadata(key_set)).introspection_endpoint
                )
            if endpoint is None:
                raise InvalidToken("The issuer has no introspection endpoint")
            request = build_request(issuer.introspection_client, issuer.issuer, token, now)
            response = await self._http.post(endpoint, data=request.form, headers=request.headers)
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidToken(f"Token introspection failed ({type(exc).__name__})") from exc
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
