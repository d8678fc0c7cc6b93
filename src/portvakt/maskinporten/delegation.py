"""The Altinn delegation port over HTTP (maskinporten.md §7.3): used when Altinn runs elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, cast

import httpx

from portvakt.domain.errors import Unavailable
from portvakt.maskinporten.ports import DelegationChecker

DELEGATIONS_PATH: Final = "/accessmanagement/api/v1/maskinporten/delegations"
TIMEOUT_SECONDS: Final = 3.0


class HttpDelegationChecker:
    """`GET {altinn_base}/accessmanagement/api/v1/maskinporten/delegations`: a non-empty array = delegated.

    Unreachable, timeout, 5xx or an unexpected answer raise Unavailable (→ MP-901)."""

    def __init__(
        self,
        altinn_base_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.url = altinn_base_url.rstrip("/") + DELEGATIONS_PATH
        self.timeout = timeout
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
        try:
            response = await self._http().get(self.url, params=params, timeout=self.timeout)
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

    def __init__(self, components: Mapping[str, object], altinn_base_url: str) -> None:
        self.components = components
        self.http = HttpDelegationChecker(altinn_base_url)

    def _checker(self) -> DelegationChecker:
        in_process = self.components.get(IN_PROCESS_COMPONENT)
        if in_process is not None:
            return cast(DelegationChecker, in_process)
        return self.http

    async def has_maskinporten_delegation(self, consumer_orgno: str, supplier_orgno: str, scope: str) -> bool:
        return await self._checker().has_maskinporten_delegation(consumer_orgno, supplier_orgno, scope)

    async def aclose(self) -> None:
        await self.http.aclose()
