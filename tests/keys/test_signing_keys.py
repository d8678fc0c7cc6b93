"""Issuer signing keys shared through the database (maskinporten.md §12.3), run on the test database."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import jwt as pyjwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from portvakt.domain.clock import FixedClock
from portvakt.oauth.keys import KeyState
from portvakt.storage.engine import Database
from portvakt.storage.signing_keys import SigningKeyError, SigningKeyManager
from portvakt.storage.tables.keys import signing_keys

pytestmark = pytest.mark.db

LIFETIME = 600
ManagerFactory = Callable[..., SigningKeyManager]


@pytest.fixture
async def databases(database_url: str) -> AsyncIterator[list[Database]]:
    opened: list[Database] = []
    yield opened
    for database in opened:
        await database.dispose()


@pytest.fixture
def manager_factory(database_url: str, clock: FixedClock, databases: list[Database]) -> ManagerFactory:
    """A manager on its own engine, as a separate process would have."""

    def create(
        *, kek: bytes | None = None, service: str = "maskinporten", refresh_seconds: float = 60.0
    ) -> SigningKeyManager:
        database = Database.connect(database_url)
        databases.append(database)
        return SigningKeyManager(
            database,
            service,
            clock,
            kek,
            rotation_days=90,
            prepublish_hours=24,
            max_token_lifetime=LIFETIME,
            refresh_seconds=refresh_seconds,
        )

    return create


@pytest.fixture
async def manager(manager_factory: ManagerFactory) -> AsyncIterator[SigningKeyManager]:
    started = manager_factory()
    await started.start()
    yield started
    await started.stop()


async def stored_rows(database: Database) -> list[dict[str, object]]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(signing_keys).order_by(signing_keys.c.generation))
        return [dict(row) for row in rows.mappings()]


def header_of(token: str) -> bytes:
    segment = token.split(".", maxsplit=1)[0]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def kids(manager: SigningKeyManager) -> list[str]:
    return [key["kid"] for key in manager.public_jwks()["keys"]]


async def test_first_start_creates_one_active_key(
    manager: SigningKeyManager, databases: list[Database]
) -> None:
    rows = await stored_rows(databases[0])
    assert len(rows) == 1
    assert rows[0]["service"] == "maskinporten"
    assert rows[0]["generation"] == 1
    assert rows[0]["publish_at"] == rows[0]["activate_at"]
    assert [key.state for key in await manager.list_keys()] == [KeyState.ACTIVE]
    jwks = manager.public_jwks()
    assert [set(key) for key in jwks["keys"]] == [{"kty", "kid", "use", "alg", "n", "e"}]
    assert jwks["keys"][0]["kid"] == rows[0]["kid"] == manager.active_kid


async def test_signed_token_verifies_with_pyjwt_and_joserfc(
    manager: SigningKeyManager, clock: FixedClock
) -> None:
    claims = {
        "iss": "http://localhost:8080/maskinporten/",
        "scope": "test:a æøå",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:310000019"},
        "iat": clock.timestamp(),
        "exp": clock.timestamp() + 600,
        "jti": secrets.token_urlsafe(32),
    }
    token = manager.sign(claims)
    jwk = manager.public_jwks()["keys"][0]

    assert header_of(token) == json.dumps({"kid": jwk["kid"], "alg": "RS256"}, separators=(",", ":")).encode()
    assert pyjwt.get_unverified_header(token) == {"kid": jwk["kid"], "alg": "RS256"}
    decoded = pyjwt.decode(
        token,
        pyjwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert decoded == claims
    verified = jose_jwt.decode(token, RSAKey.import_key(jwk), algorithms=["RS256"])
    assert verified.header == {"kid": jwk["kid"], "alg": "RS256"}
    assert verified.claims == claims


async def test_a_tampered_token_does_not_verify(manager: SigningKeyManager) -> None:
    token = manager.sign({"sub": "a"})
    header, _payload, signature = token.split(".")
    forged = ".".join([header, base64.urlsafe_b64encode(b'{"sub":"b"}').rstrip(b"=").decode(), signature])
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(forged, pyjwt.PyJWK(manager.public_jwks()["keys"][0]).key, algorithms=["RS256"])


async def test_concurrent_first_starts_create_exactly_one_key(
    manager_factory: ManagerFactory, databases: list[Database]
) -> None:
    first, second, third = manager_factory(), manager_factory(), manager_factory()
    await asyncio.gather(first.start(), second.start(), third.start())
    try:
        rows = await stored_rows(databases[0])
        assert len(rows) == 1
        assert first.active_kid == second.active_kid == third.active_kid == rows[0]["kid"]
    finally:
        await asyncio.gather(first.stop(), second.stop(), third.stop())


async def test_scheduled_rotation_prepublishes_then_switches_then_removes(
    manager: SigningKeyManager, clock: FixedClock
) -> None:
    original = manager.active_kid
    clock.advance(timedelta(days=90) - timedelta(seconds=1))
    await manager.refresh()
    assert kids(manager) == [original]

    clock.advance(1)
    await manager.refresh()
    successor = next(key for key in await manager.list_keys() if key.generation == 2)
    assert successor.state is KeyState.NEXT
    assert successor.activate_at == clock.now() + timedelta(hours=24)
    assert kids(manager) == [original, successor.kid]  # published before it signs
    assert pyjwt.get_unverified_header(manager.sign({"a": 1}))["kid"] == original

    clock.advance(timedelta(hours=24))  # the switch needs no refresh
    assert pyjwt.get_unverified_header(manager.sign({"a": 1}))["kid"] == successor.kid
    assert manager.active_kid == successor.kid

    await manager.refresh()
    retired = next(key for key in await manager.list_keys() if key.generation == 1)
    assert retired.state is KeyState.RETIRED
    assert retired.retire_at == successor.activate_at
    assert retired.remove_at == successor.activate_at + timedelta(seconds=LIFETIME + 10)
    assert kids(manager) == [successor.kid, original]

    clock.advance(LIFETIME + 9)
    assert kids(manager) == [successor.kid, original]
    clock.advance(1)
    assert kids(manager) == [successor.kid]
    await manager.refresh()
    assert [key.state for key in await manager.list_keys()] == [KeyState.REMOVED, KeyState.ACTIVE]


async def test_concurrent_processes_create_one_successor(
    manager_factory: ManagerFactory, clock: FixedClock, databases: list[Database]
) -> None:
    first, second = manager_factory(), manager_factory()
    await first.start()
    await second.start()
    try:
        clock.advance(timedelta(days=91))
        await asyncio.gather(first.refresh(), second.refresh())
        rows = await stored_rows(databases[0])
        assert [row["generation"] for row in rows] == [1, 2]
        assert kids(first) == kids(second)
        assert len(kids(first)) == 2
    finally:
        await first.stop()
        await second.stop()


async def test_scheduled_rotate_is_not_repeated(manager: SigningKeyManager, clock: FixedClock) -> None:
    original = manager.active_kid
    scheduled = await manager.rotate()
    assert scheduled.created
    assert scheduled.key.state is KeyState.NEXT
    assert scheduled.key.activate_at == clock.now() + timedelta(hours=24)
    assert scheduled.retired == ()
    assert manager.active_kid == original

    again = await manager.rotate()
    assert not again.created
    assert again.key.kid == scheduled.key.kid


async def test_emergency_rotation_activates_now_and_retires_at_once(
    manager: SigningKeyManager, clock: FixedClock
) -> None:
    original = manager.active_kid
    assert original is not None
    scheduled = await manager.rotate()
    clock.advance(60)

    result = await manager.rotate(now=True)

    assert result.created
    assert result.key.state is KeyState.ACTIVE
    assert result.retired == (original,)
    assert result.withdrawn == (scheduled.key.kid,)
    assert pyjwt.get_unverified_header(manager.sign({"a": 1}))["kid"] == result.key.kid
    states = {key.kid: key for key in await manager.list_keys()}
    assert states[original].state is KeyState.RETIRED
    assert states[original].retire_at == clock.now()
    assert states[original].remove_at == clock.now() + timedelta(seconds=LIFETIME + 10)
    assert states[scheduled.key.kid].state is KeyState.REMOVED
    assert kids(manager) == [result.key.kid, original]


async def test_another_process_picks_up_a_rotation_on_refresh(
    manager: SigningKeyManager, manager_factory: ManagerFactory
) -> None:
    other = manager_factory()
    await other.start()
    try:
        result = await manager.rotate(now=True)
        assert other.active_kid != result.key.kid
        await other.refresh()
        assert other.active_kid == result.key.kid
        assert kids(other) == kids(manager)
    finally:
        await other.stop()


async def test_background_refresh_picks_up_a_rotation(
    manager: SigningKeyManager, manager_factory: ManagerFactory
) -> None:
    other = manager_factory(refresh_seconds=0.02)
    await other.start()
    try:
        result = await manager.rotate(now=True)
        async with asyncio.timeout(10):
            while other.active_kid != result.key.kid:  # noqa: ASYNC110  # polls another process
                await asyncio.sleep(0.01)
    finally:
        await other.stop()


async def test_services_have_separate_keys(manager_factory: ManagerFactory) -> None:
    maskinporten, idporten = manager_factory(), manager_factory(service="idporten")
    await maskinporten.start()
    await idporten.start()
    try:
        assert maskinporten.active_kid != idporten.active_kid
        assert len(kids(maskinporten)) == len(kids(idporten)) == 1
    finally:
        await maskinporten.stop()
        await idporten.stop()


async def test_private_keys_are_sealed_with_the_key_encryption_key(
    manager_factory: ManagerFactory, databases: list[Database]
) -> None:
    kek = secrets.token_bytes(32)
    sealed = manager_factory(kek=kek)
    await sealed.start()
    await sealed.stop()
    [row] = await stored_rows(databases[0])
    stored = str(row["private_key"])
    assert stored.startswith("v1.")
    assert "PRIVATE" not in stored
    assert "MII" not in stored  # no DER/PEM body either

    reopened = manager_factory(kek=kek)
    await reopened.start()
    await reopened.stop()
    assert reopened.active_kid == row["kid"]


@pytest.mark.parametrize(
    ("kek", "message"),
    [
        pytest.param(
            lambda: secrets.token_bytes(32),
            "wrong PORTVAKT_KEY_ENCRYPTION_KEY",
            id="wrong-key-encryption-key",
        ),
        pytest.param(
            lambda: None, "PORTVAKT_KEY_ENCRYPTION_KEY is required", id="missing-key-encryption-key"
        ),
    ],
)
async def test_a_sealed_key_without_the_right_kek_fails_clearly_at_start(
    manager_factory: ManagerFactory,
    databases: list[Database],
    kek: Callable[[], bytes | None],
    message: str,
) -> None:
    first = manager_factory(kek=secrets.token_bytes(32))
    await first.start()
    await first.stop()

    refused = manager_factory(kek=kek())
    with pytest.raises(SigningKeyError, match=message) as raised:
        await refused.start()
    assert "Cannot open the maskinporten signing key" in raised.value.message
    async with databases[0].engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(signing_keys))
    assert count == 1  # nothing was created on top


async def test_sign_before_start_is_a_clear_error(manager_factory: ManagerFactory) -> None:
    with pytest.raises(SigningKeyError, match="No active maskinporten signing key"):
        manager_factory().sign({"a": 1})


async def test_a_wrong_kek_creates_no_successor_even_when_rotation_is_due(
    manager_factory: ManagerFactory, clock: FixedClock, databases: list[Database]
) -> None:
    first = manager_factory(kek=secrets.token_bytes(32))
    await first.start()
    await first.stop()
    clock.advance(timedelta(days=91))
    with pytest.raises(SigningKeyError, match="wrong PORTVAKT_KEY_ENCRYPTION_KEY"):
        await manager_factory(kek=secrets.token_bytes(32)).start()
    assert len(await stored_rows(databases[0])) == 1
