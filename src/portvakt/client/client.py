"""Maskinporten token clients (maskinporten.md §4, §9): sync on httpx.Client, async on httpx.AsyncClient.

Both share one grant builder and one cache policy: a token is reused per (scopes, resource, consumer_org, pid)
until `refresh_margin` seconds before it expires; one request per key is in flight at a time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

import httpx

from portvakt.client.errors import DiscoveryError, TokenRequestError
from portvakt.client.grant import DEFAULT_GRANT_LIFETIME, GrantBuilder, TokenRequest
from portvakt.client.keys import SigningKey

DEFAULT_REFRESH_MARGIN = 30
PRUNE_ABOVE = 256
METADATA_PATH = ".well-known/oauth-authorization-server"


class Clock(Protocol):
    def timestamp(self) -> int: ...


class SystemClock:
    def timestamp(self) -> int:
        return int(time.time())


@dataclass(frozen=True)
class TokenResponse:
    """A token endpoint answer (§9.1); `obtained_at` is the clock time the request was sent."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    obtained_at: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def expires_at(self) -> int:
        return self.obtained_at + self.expires_in

    def usable(self, now: int, margin: int) -> bool:
        return now < self.expires_at - margin


def metadata_url(issuer: str) -> str:
    """RFC 8414 metadata of a Maskinporten issuer (issuer has its trailing slash)."""
    return issuer + METADATA_PATH if issuer.endswith("/") else f"{issuer}/{METADATA_PATH}"


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def token_endpoint_from_metadata(issuer: str, response: httpx.Response) -> str:
    body = _json_object(response)
    if response.status_code != 200 or body is None:
        raise DiscoveryError(
            response.status_code, "invalid_response", f"Metadata document: HTTP {response.status_code}"
        )
    if body.get("issuer") != issuer:
        raise DiscoveryError(200, "invalid_response", "Metadata document names another issuer")
    endpoint = body.get("token_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise DiscoveryError(200, "invalid_response", "Metadata document has no token_endpoint")
    return endpoint


def parse_token_response(response: httpx.Response, obtained_at: int) -> TokenResponse:
    """A 200 with the §9.1 members → TokenResponse; anything else → TokenRequestError."""
    body = _json_object(response)
    if response.status_code != 200:
        if body is not None and isinstance(body.get("error"), str):
            raise TokenRequestError(
                response.status_code,
                body["error"],
                _optional_str(body.get("error_description")),
                _optional_str(body.get("error_uri")),
            )
        raise TokenRequestError(
            response.status_code, "invalid_response", f"HTTP {response.status_code} without an error body"
        )
    if body is None:
        raise TokenRequestError(200, "invalid_response", "Token response is not a JSON object")
    access_token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(access_token, str) or not isinstance(expires_in, int) or isinstance(expires_in, bool):
        raise TokenRequestError(200, "invalid_response", "Token response lacks access_token or expires_in")
    return TokenResponse(
        access_token=access_token,
        token_type=str(body.get("token_type", "Bearer")),
        expires_in=expires_in,
        scope=str(body.get("scope", "")),
        obtained_at=obtained_at,
        raw=body,
    )


def _request_failed(exc: httpx.HTTPError) -> TokenRequestError:
    return TokenRequestError(None, "request_failed", f"{type(exc).__name__}: {exc}")


class _ClientBase:
    def __init__(
        self,
        issuer: str,
        client_id: str,
        key: SigningKey,
        *,
        token_endpoint: str | None,
        grant_lifetime: int,
        refresh_margin: int,
        clock: Clock | None,
    ) -> None:
        if refresh_margin < 0:
            raise ValueError("refresh_margin must not be negative")
        self.issuer = issuer
        self.client_id = client_id
        self.grants = GrantBuilder(issuer, client_id, key, grant_lifetime)
        self.refresh_margin = refresh_margin
        self.clock: Clock = clock or SystemClock()
        self._token_endpoint = token_endpoint
        self._cache: dict[object, TokenResponse] = {}

    def _cached(self, request: TokenRequest) -> TokenResponse | None:
        cached = self._cache.get(request.cache_key)
        if cached is not None and cached.usable(self.clock.timestamp(), self.refresh_margin):
            return cached
        return None

    def _store(self, request: TokenRequest, token: TokenResponse) -> None:
        self._cache[request.cache_key] = token
        if len(self._cache) > PRUNE_ABOVE:  # e.g. many pid-restricted tokens: drop the expired ones
            now = self.clock.timestamp()
            for key in [k for k, v in self._cache.items() if v.expires_at <= now]:
                del self._cache[key]

    def clear_cache(self) -> None:
        self._cache.clear()


class MaskinportenClient(_ClientBase):
    """Gets Maskinporten tokens with a JWT grant; thread-safe, caches per request key."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        key: SigningKey,
        *,
        token_endpoint: str | None = None,
        grant_lifetime: int = DEFAULT_GRANT_LIFETIME,
        refresh_margin: int = DEFAULT_REFRESH_MARGIN,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            issuer,
            client_id,
            key,
            token_endpoint=token_endpoint,
            grant_lifetime=grant_lifetime,
            refresh_margin=refresh_margin,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout)
        self._guard = threading.Lock()
        self._discovery_lock = threading.Lock()
        self._locks: dict[object, threading.Lock] = {}

    def token_endpoint(self) -> str:
        with self._discovery_lock:
            if self._token_endpoint is None:
                try:
                    response = self._http.get(metadata_url(self.issuer))
                except httpx.HTTPError as exc:
                    raise _request_failed(exc) from exc
                self._token_endpoint = token_endpoint_from_metadata(self.issuer, response)
            return self._token_endpoint

    def get_token(
        self,
        scopes: str | Sequence[str],
        *,
        resource: str | Sequence[str] | None = None,
        consumer_org: str | None = None,
        pid: str | None = None,
        force_refresh: bool = False,
    ) -> TokenResponse:
        request = TokenRequest.of(scopes, resource=resource, consumer_org=consumer_org, pid=pid)
        with self._guard:
            lock = self._locks.setdefault(request.cache_key, threading.Lock())
        with lock:
            cached = None if force_refresh else self._cached(request)
            if cached is not None:
                return cached
            token = self._request(request)
            with self._guard:
                self._store(request, token)
                if len(self._locks) > PRUNE_ABOVE:
                    for key in [k for k, v in self._locks.items() if k not in self._cache and not v.locked()]:
                        del self._locks[key]
            return token

    def access_token(self, scopes: str | Sequence[str], **options: Any) -> str:
        return self.get_token(scopes, **options).access_token

    def _request(self, request: TokenRequest) -> TokenResponse:
        endpoint = self.token_endpoint()
        now = self.clock.timestamp()
        try:
            response = self._http.post(endpoint, data=self.grants.form(request, now))
        except httpx.HTTPError as exc:
            raise _request_failed(exc) from exc
        return parse_token_response(response, now)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncMaskinportenClient(_ClientBase):
    """The async twin of MaskinportenClient: N concurrent callers for one key share one request."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        key: SigningKey,
        *,
        token_endpoint: str | None = None,
        grant_lifetime: int = DEFAULT_GRANT_LIFETIME,
        refresh_margin: int = DEFAULT_REFRESH_MARGIN,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            issuer,
            client_id,
            key,
            token_endpoint=token_endpoint,
            grant_lifetime=grant_lifetime,
            refresh_margin=refresh_margin,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self._discovery_lock = asyncio.Lock()
        self._locks: dict[object, asyncio.Lock] = {}

    async def token_endpoint(self) -> str:
        async with self._discovery_lock:
            if self._token_endpoint is None:
                try:
                    response = await self._http.get(metadata_url(self.issuer))
                except httpx.HTTPError as exc:
                    raise _request_failed(exc) from exc
                self._token_endpoint = token_endpoint_from_metadata(self.issuer, response)
            return self._token_endpoint

    async def get_token(
        self,
        scopes: str | Sequence[str],
        *,
        resource: str | Sequence[str] | None = None,
        consumer_org: str | None = None,
        pid: str | None = None,
        force_refresh: bool = False,
    ) -> TokenResponse:
        request = TokenRequest.of(scopes, resource=resource, consumer_org=consumer_org, pid=pid)
        lock = self._locks.setdefault(request.cache_key, asyncio.Lock())
        async with lock:
            cached = None if force_refresh else self._cached(request)
            if cached is not None:
                return cached
            token = await self._request(request)
            self._store(request, token)
            if len(self._locks) > PRUNE_ABOVE:
                for key in [k for k, v in self._locks.items() if k not in self._cache and not v.locked()]:
                    del self._locks[key]
            return token

    async def access_token(self, scopes: str | Sequence[str], **options: Any) -> str:
        return (await self.get_token(scopes, **options)).access_token

    async def _request(self, request: TokenRequest) -> TokenResponse:
        endpoint = await self.token_endpoint()
        now = self.clock.timestamp()
        try:
            response = await self._http.post(endpoint, data=self.grants.form(request, now))
        except httpx.HTTPError as exc:
            raise _request_failed(exc) from exc
        return parse_token_response(response, now)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
