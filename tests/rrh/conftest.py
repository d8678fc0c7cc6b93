"""RRH fixtures: the app with the rrh service, tokens signed by the platform's Maskinporten keys, and a
world of ER entities and RRH registrations in the storage-contract format."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from portvakt.app import PortvaktApp
from portvakt.domain.clock import FixedClock
from portvakt.domain.identifiers import iso6523
from portvakt.storage.engine import null_pool_sync_engine
from tests.rrh.builders import Person, Position, Registration, World, at, not_reported, orgnr

OFFENTLIG = "brreg:reelle/offentlig"
RAPPORTERINGSPLIKTIG = "brreg:reelle/rapporteringspliktig"
CONSUMER = "310000035"
LOOKUP = "/rrh/api/virksomheter/"

KARI = Person("12837541245", "KARI", "NORDMANN", date(1975, 3, 12))
MINOR = Person(
    "01011050093",
    "LILLE",
    "NORDMANN",
    date(2010, 1, 1),
    exempt=True,
    positions=(Position("kontrollOverStemmerettigheter", "intervall2", ("direkte",)),),
)
OLA = Person(
    "24016644927",
    "OLA",
    "SVENSKE",
    date(1966, 1, 24),
    country="SWE",
    citizenships=("SWE", "NOR"),
    positions=(Position("eierskap", "intervall1", ("indirekte",), via=(orgnr(39990027),)),),
)

Mint = Callable[..., str]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    engine = null_pool_sync_engine(database_url)
    yield World(engine)
    engine.dispose()


@pytest.fixture
def token(app: PortvaktApp, clock: FixedClock) -> Mint:
    signer = app.platform.components["maskinporten.signer"]

    def mint(
        scope: str = OFFENTLIG,
        *,
        consumer: str = CONSUMER,
        supplier: str | None = None,
        lifetime: int = 120,
        issuer: str | None = None,
    ) -> str:
        now = clock.timestamp()
        claims: dict[str, object] = {
            "iss": issuer or app.platform.settings.maskinporten_issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": "rrh-test-client",
            "scope": scope,
            "consumer": iso6523(consumer),
        }
        if supplier is not None:
            claims["supplier"] = iso6523(supplier)
        claims |= {"iat": now - 1, "exp": now + lifetime, "jti": secrets.token_urlsafe(12)}
        token: str = signer.sign(claims)
        return token

    return mint


@pytest.fixture
def bearer(token: Mint) -> dict[str, str]:
    return {"Authorization": f"Bearer {token()}"}


class Entities:
    """The standard cast: a reported AS with history and a minor, an unreported AS, an ENK, a deleted AS."""

    reported = orgnr(39990005)
    unreported = orgnr(39990013)
    sole_proprietorship = orgnr(39990021)
    deleted = orgnr(39990030)
    unknown = orgnr(39990048)


@pytest.fixture
def cast(world: World) -> type[Entities]:
    world.entity(Entities.reported)
    world.rrh(
        Entities.reported,
        [
            not_reported(at("2024-10-03T08:01:12")),
            Registration(at("2024-11-01T10:00:00.250"), owners=(KARI,)),
            Registration(at("2025-02-11T13:11:28.956"), owners=(KARI, MINOR, OLA)),
        ],
    )
    world.entity(Entities.unreported)
    world.rrh(Entities.unreported, [not_reported(at("2024-10-03T08:01:12"))])
    world.entity(Entities.sole_proprietorship, "ENK", name="HEGE LUND SNEKKERI")
    world.entity(Entities.deleted)
    world.rrh(
        Entities.deleted,
        [
            Registration(at("2024-12-01T09:00:00"), owners=(KARI,)),
            Registration(
                at("2025-03-01T09:00:00"), status="registreringsstatus.rettighetsinformasjonErSlettet"
            ),
        ],
        deleted=at("2025-03-01T09:00:00"),
    )
    return Entities
