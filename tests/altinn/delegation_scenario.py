"""The registry half of the §10.3 Maskinporten scenario: S30's client, S31's access to the KRR scopes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import jwt

from portvakt.app import PortvaktApp
from portvakt.domain.clock import Clock, FixedClock
from portvakt.registry.model import ClientSettings
from portvakt.registry.repository import registry_service
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database

S30 = "399900336"
S31 = "399900344"
KONTAKTINFO = "krr:global/kontaktinfo.read"
POSTKASSE = "krr:global/postkasse.read"
KONTAKTINFORMASJON = "krr:global/kontaktinformasjon.read"


@dataclass(frozen=True)
class Supplier:
    client_id: str
    kid: str
    private_jwk: dict[str, Any]

    def grant(self, audience: str, now: int, **claims: Any) -> str:
        key = jwt.PyJWK.from_dict(self.private_jwk)
        body = {
            "aud": audience,
            "iss": self.client_id,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
            "scope": KONTAKTINFO,
            **claims,
        }
        return jwt.encode(body, key.key, algorithm="RS256", headers={"kid": self.kid})


async def supplier_scenario(app: PortvaktApp, clock: FixedClock) -> Supplier:
    return await supplier_in(app.platform.settings, app.platform.database, clock)


async def supplier_in(settings: Settings, database: Database, clock: Clock) -> Supplier:
    service = registry_service(settings, database, clock, Actor(channel="cli", name="test", admin=True))
    known = {organisation.orgno for organisation in await service.list_organisations()}
    for orgno, name in ((S30, "LEVERANDØR TEST AS"), (S31, "ETAT FOR TESTING")):
        if orgno not in known:
            await service.add_organisation(orgno, name, terms_signed=True)
    for scope in (KONTAKTINFO, POSTKASSE, KONTAKTINFORMASJON):
        await service.grant_access(scope, S31)
    created = await service.create_client(
        ClientSettings(
            client_name="LEVERANDØR TEST – KRR på vegne av",
            description="Leverandørklient",
            integration_type="maskinporten",
            scopes=(KONTAKTINFO, POSTKASSE),
        ),
        orgno=S30,
        generate_key=True,
    )
    generated = created.generated_key
    assert generated is not None
    return Supplier(created.client.client_id, generated.kid, dict(generated.private_jwk))
