"""The Altinn delegation port over HTTP (maskinporten.md §7.3): used when Altinn runs elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, cast

import httpx

from portvakt.domain.errors import Unavailable
from portvakt.domain.identifiers import iso6523
from portvakt.maskinporten.ports import DelegationChecker
from portvakt.oauth.access_tokens import new_jti

DELEGATIONS_PATH: Final = "/accessmanagement/api/v1/maskinporten/delegations"
TIMEOUT_SECONDS: Final = 3.0
LOOKUP_SCOPE: Final = "altinn:maskinporten/delegations.admin"
SELF_TOKEN_LIFETIME: Final = 120


class _Signer(Protocol):
    def sign(self, claims: Mapping[str, Any]) -> str: ...


class _Clock(Protocol):
    def timestamp(self) -> int: ...


class SelfIssuedToken:
    """altinn.md §7.1: the access token Maskinporten issues to itself for the lookup (consumer = the
    platform organisation, scope `altinn:maskinporten/delegations.admin`), reused until near expiry."""

    def __init__(self, signer: _Signer, issuer: str, platform_orgno: str, clock: _Clock) -> None:
        self.signer = signer
        self.issuer = issuer
        self.platform_orgno = platform_orgno
        self.clock = clock
        self._token: tuple[str, int] | None = None

    def __call__(self) -> str:
        now = self.clock.timestamp()
        if self._token is not None and self._token[1] > now + 30:
            return self._token[0]
        expires = now + SELF_TOKEN_LIFETIME
        claims = {
            "iss": self.issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": "portvakt-maskinporten",
            "scope": LOOKUP_SCOPE,
            "consumer": iso6523(self.platform_orgno),
            "iat": now,
            "exp": expires,
            "jti": new_jti(),
        }
        token = self.signer.sign(claims)
        self._token = (token, expires)
        return token


class HttpDelegationChecker:
    """`GET {altinn_base}/accessmanagement/api/v1/maskinporten/delegations`: a non-empty array = delegated.

    Unreachable, timeout, 5xx or an unexpected answer raise Unavailable (→ MP-901)."""

    def __init__(
        self,
        altinn_base_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = TIMEOUT_SECONDS,
        token: Callable[[], str] | None = None,
    ) -> None:
        self.url = altinn_base_url.rstrip("/") + DELEGATIONS_PATH
        self.timeout = timeout
        self.token = token
        self._client = client
        self._owns_client = client is None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def has_maskinporten_delegation(self, consumer_orgno: str, supplier_orgno: str, scope: str) -> bool:
        params = {"supplierOrg": supplier_orgno, "consumerOrg": consumer_orgno, "scope": scope}
        headers = {} if self.token is None else {"Authorization": f"Bearer {self.token()}"}
        try:
            response = await self._http().get(self.url, params=params, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise Unavailable(
                "Delegation source unavailable", detail=f"{type(exc).__name__} from {self.url}"
            ) from exc
        if response.status_code != 200:
            raise Unavailable("Delegation source unavailable", detail=f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise Unavailable("Delegation source unavailable", detail="answer is not JSON") from exc
        if not isinstance(body, list):
            raise Unavailable("Delegation source unavailable", detail="answer is not a JSON array")
        return len(body) > 0


IN_PROCESS_COMPONENT: Final = "altinn.delegations"


class PreferInProcessDelegationChecker:
    """§1.1: the co-located Altinn service's in-process port when it registered one, else HTTP.

    Looked up per call because the Altinn service is built after Maskinporten in the same process."""

    def __init__(
        self, components: Mapping[str, object], altinn_base_url: str, token: Callable[[], str] | None = None
    ) -> None:
        self.components = components
        self.http = HttpDelegationChecker(altinn_base_url, token=token)

    def _checker(self) -> DelegationChecker:
        in_process = self.components.get(IN_PROCESS_COMPONENT)
        if in_process is not None:
            return cast(DelegationChecker, in_process)
        return self.http

    async def has_maskinporten_delegation(self, consumer_orgno: str, supplier_orgno: str, scope: str) -> bool:
        return await self._checker().has_maskinporten_delegation(consumer_orgno, supplier_orgno, scope)

    async def aclose(self) -> None:
        await self.http.aclose()
