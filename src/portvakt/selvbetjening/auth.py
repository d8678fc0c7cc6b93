"""API authentication and authorisation (selvbetjening.md §2).

1. `Authorization: Bearer <Maskinporten token>`, validated with `portvakt.resource_server` against the
   platform's Maskinporten issuer(s) (`aud` not checked) → else 401 `invalid_token`;
2. the acting org (the token's `consumer`) is registered and active, and for changes has signed the
   terms → else 403 `access_denied` (the registry's `acting_organisation` use case);
3. the token carries the endpoint's scope → else 403 `insufficient_scope`;
4. the object belongs to the acting org: checked by the use cases, plus the supplier rule below.

A supplier-managed client (`supplier_orgno` = acting org ≠ `client_orgno`) needs `idporten:dcr.supplier`;
the `dcr.read/.modify/.write` scopes cover only the acting org's own clients.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portvakt.maskinporten.discovery import SIGNER_COMPONENT
from portvakt.registry.errors import InsufficientScope
from portvakt.registry.model import ClientRegistration
from portvakt.registry.repository import registry_service
from portvakt.registry.service import Actor, RegistryService
from portvakt.resource_server import AsyncTokenValidator, Issuer, TokenError, ValidatedToken
from portvakt.resource_server.dependency import bearer_token
from portvakt.resource_server.errors import MissingToken
from portvakt.selvbetjening.errors import InvalidToken
from portvakt.web.service import Platform

DCR_READ: Final = "idporten:dcr.read"
DCR_MODIFY: Final = "idporten:dcr.modify"
DCR_WRITE: Final = "idporten:dcr.write"
DCR_SUPPLIER: Final = "idporten:dcr.supplier"
SCOPES_WRITE: Final = "idporten:scopes.write"
ADMIN: Final = "portvakt:admin"

# Documents the bearer scheme in OpenAPI; the token itself is read with the resource-server library.
bearer_scheme = HTTPBearer(auto_error=False, description="Maskinporten access token (selvbetjening.md §2)")


def platform_issuers(platform: Platform) -> list[Issuer]:
    """The accepted issuers: the co-located Maskinporten's keys in-process, any other by its `jwks_uri`."""
    settings = platform.settings
    own = settings.maskinporten_issuer
    signer = platform.components.get(SIGNER_COMPONENT)
    issuers = []
    for issuer in settings.maskinporten_issuers_for("selvbetjening"):
        if issuer == own and signer is not None:
            issuers.append(Issuer(issuer, key_provider=signer.public_jwks))
        elif issuer == own:
            issuers.append(Issuer(issuer, jwks_uri=f"{own}jwk"))
        else:
            issuers.append(Issuer(issuer))
    return issuers


@dataclass(frozen=True)
class Caller:
    """An authenticated API caller: its token, acting organisation and the use cases acting for it."""

    token: ValidatedToken
    orgno: str
    service: RegistryService

    def has(self, scope: str) -> bool:
        return scope in self.token.scopes

    def require(self, scope: str) -> None:
        if not self.has(scope):
            raise InsufficientScope(scope)

    def require_for_client(self, client: ClientRegistration, own_scope: str) -> None:
        """§2: own clients need `own_scope`, supplier-managed ones `idporten:dcr.supplier`."""
        self.require(own_scope if client.client_orgno == self.orgno else DCR_SUPPLIER)

    async def managed_client(self, client_id: str, own_scope: str) -> ClientRegistration:
        """§2 step 4 (404 / 403 `access_denied`), then the scope that covers this client."""
        client = await self.service.get_client(client_id)
        self.require_for_client(client, own_scope)
        return client


class ApiAuth:
    """Builds the validator on first use, when every co-located service (and its signer) exists."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._validator: AsyncTokenValidator | None = None
        platform.shutdown.append(self.aclose)

    @property
    def validator(self) -> AsyncTokenValidator:
        if self._validator is None:
            self._validator = AsyncTokenValidator(platform_issuers(self.platform), clock=self.platform.clock)
        return self._validator

    async def aclose(self) -> None:
        if self._validator is not None:
            await self._validator.aclose()
            self._validator = None

    async def authenticate(self, request: Request, *, change: bool, scopes: tuple[str, ...]) -> Caller:
        """§2 steps 1–3; `scopes` are alternatives, the first is the one named in a refusal."""
        try:
            token = await self.validator.validate(bearer_token(request))
        except MissingToken:
            raise InvalidToken.missing() from None
        except TokenError as exc:
            raise InvalidToken.rejected(exc.reason) from None
        if token.consumer_orgno is None:
            raise InvalidToken.rejected("no consumer")
        actor = Actor(channel="api", name=token.client_id or "unknown", orgno=token.consumer_orgno)
        platform = self.platform
        service = registry_service(platform.settings, platform.database, platform.clock, actor)
        await service.acting_organisation(change=change)
        if scopes and not token.scopes.intersection(scopes):
            raise InsufficientScope(scopes[0])
        return Caller(token=token, orgno=token.consumer_orgno, service=service)

    def requires(self, *scopes: str, change: bool) -> Callable[..., Awaitable[Caller]]:
        """A FastAPI dependency: the caller, authorised for one of `scopes`."""

        async def dependency(
            request: Request,
            _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        ) -> Caller:
            return await self.authenticate(request, change=change, scopes=scopes)

        return dependency
