"""Issuer signing keys shared through the database (maskinporten.md §12.3), one key set per service.

`SigningKeyManager` is the `TokenSigner` of a service: it keeps the unsealed keys in memory, signs
without touching the database, and reloads the table in the background (rotation and retirement are
decided from the stored timestamps, so processes need no coordination beyond the unique
(service, generation) constraint).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import structlog
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portvakt.domain.clock import Clock
from portvakt.domain.errors import PortvaktError
from portvakt.oauth.keys import (
    ALG,
    PUBLISHED,
    KeyState,
    KeyTimes,
    NewKey,
    Retirement,
    active_key,
    generate_private_key,
    key_states,
    next_generation,
    plan_new_key,
    plan_retirements,
    private_key_from_der,
    private_key_to_der,
    public_jwk,
    rsa_kid,
)
from portvakt.oauth.sealing import SealingError, seal, unseal
from portvakt.periodic import PeriodicJob
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.keys import signing_keys

log = structlog.stdlib.get_logger("portvakt.storage.signing_keys")

SIGNING_SERVICES: tuple[str, ...] = ("maskinporten", "idporten")
# ID-porten: the longest configurable client access_token_lifetime (selvbetjening.md §4, range 0–7200);
# longer than its id_token (120 s) and default access token (120 s) lifetimes.
IDPORTEN_MAX_TOKEN_LIFETIME = 7200
REFRESH_SECONDS = 60.0
_ATTEMPTS = 5
_PADDING = padding.PKCS1v15()
_HASH = SHA256()


class SigningKeyError(PortvaktError):
    """The signing keys cannot be loaded or used (wrong key-encryption key, no active key)."""

    status_code = 500
    code = "server_error"


def max_token_lifetime(settings: Settings, service: str) -> int:
    """Longest lifetime of a token the service signs: how long a retired key must stay published."""
    if service == "maskinporten":
        return settings.maskinporten_default_token_lifetime
    if service == "idporten":
        return IDPORTEN_MAX_TOKEN_LIFETIME
    raise ValueError(f"unknown signing service {service!r}; choose from {', '.join(SIGNING_SERVICES)}")


def create_signing_key_manager(
    settings: Settings, database: Database, clock: Clock, service: str
) -> SigningKeyManager:
    """A service's signing keys configured from the settings (§1.2); start() it with the process."""
    return SigningKeyManager(
        database,
        service,
        clock,
        settings.key_encryption_key_bytes,
        rotation_days=settings.signing_key_rotation_days,
        prepublish_hours=settings.signing_key_prepublish_hours,
        max_token_lifetime=max_token_lifetime(settings, service),
    )


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones in the session's zone."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _aad(service: str, kid: str) -> bytes:
    return f"signing_keys:{service}:{kid}".encode()


@dataclass(frozen=True)
class StoredKey:
    times: KeyTimes
    sealed_private_key: str
    created_at: datetime


@dataclass(frozen=True)
class KeyInfo:
    """One key as `portvakt keys list` shows it."""

    kid: str
    generation: int
    state: KeyState
    publish_at: datetime
    activate_at: datetime
    retire_at: datetime | None
    remove_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "kid": self.kid,
            "generation": self.generation,
            "state": self.state.value,
            "publish_at": iso(self.publish_at),
            "activate_at": iso(self.activate_at),
            "retire_at": iso(self.retire_at),
            "remove_at": iso(self.remove_at),
        }


@dataclass(frozen=True)
class RotationResult:
    created: bool  # False: a successor was already scheduled and is returned instead
    key: KeyInfo
    retired: tuple[str, ...] = ()  # kids retired by this rotation
    withdrawn: tuple[str, ...] = ()  # kids of scheduled successors dropped by an emergency rotation


class SigningKeyRepository:
    """The `signing_keys` rows of one service."""

    def __init__(self, database: Database, service: str) -> None:
        self.database = database
        self.service = service

    async def load(self) -> list[StoredKey]:
        query = (
            select(signing_keys)
            .where(signing_keys.c.service == self.service)
            .order_by(signing_keys.c.generation)
        )
        async with self.database.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            StoredKey(
                times=KeyTimes(
                    generation=row["generation"],
                    kid=row["kid"],
                    publish_at=_utc(row["publish_at"]),
                    activate_at=_utc(row["activate_at"]),
                    retire_at=_optional_utc(row["retire_at"]),
                    remove_at=_optional_utc(row["remove_at"]),
                ),
                sealed_private_key=row["private_key"],
                created_at=_utc(row["created_at"]),
            )
            for row in rows
        ]

    async def insert(self, times: KeyTimes, sealed_private_key: str, created_at: datetime) -> bool:
        """False when another process took this generation first."""
        statement = insert(signing_keys).values(
            service=self.service,
            generation=times.generation,
            kid=times.kid,
            private_key=sealed_private_key,
            publish_at=times.publish_at,
            activate_at=times.activate_at,
            retire_at=times.retire_at,
            remove_at=times.remove_at,
            created_at=created_at,
        )
        try:
            async with self.database.engine.begin() as connection:
                await connection.execute(statement)
        except IntegrityError:
            return False
        return True

    async def retire(self, retirement: Retirement) -> None:
        statement = (
            update(signing_keys)
            .where(
                signing_keys.c.service == self.service,
                signing_keys.c.generation == retirement.generation,
                signing_keys.c.retire_at.is_(None),
            )
            .values(retire_at=retirement.retire_at, remove_at=retirement.remove_at)
        )
        async with self.database.engine.begin() as connection:
            await connection.execute(statement)

    async def withdraw(self, generation: int, now: datetime) -> None:
        """Drop a scheduled key that never signed anything: removed at once."""
        statement = (
            update(signing_keys)
            .where(signing_keys.c.service == self.service, signing_keys.c.generation == generation)
            .values(retire_at=now, remove_at=now)
        )
        async with self.database.engine.begin() as connection:
            await connection.execute(statement)


@dataclass(frozen=True)
class _LoadedKey:
    times: KeyTimes
    private_key: rsa.RSAPrivateKey
    header: bytes  # base64url of {"kid":…,"alg":"RS256"} followed by "."
    jwk: dict[str, str]


def _boundaries(keys: Sequence[KeyTimes]) -> list[int]:
    moments = {int(key.activate_at.timestamp()) for key in keys}
    for key in keys:
        for moment in (key.retire_at, key.remove_at):
            if moment is not None:
                moments.add(int(moment.timestamp()))
    return sorted(moments)


class SigningKeyManager:
    """The `TokenSigner` of one service (maskinporten.md §12.3); start() before use, stop() at shutdown."""

    def __init__(  # noqa: PLR0917  # the positional order is the pinned constructor
        self,
        database: Database,
        service: str,
        clock: Clock,
        kek: bytes | None,
        rotation_days: int,
        prepublish_hours: int,
        max_token_lifetime: int,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.service = service
        self.repository = SigningKeyRepository(database, service)
        self._clock = clock
        self._kek = kek
        self._rotation = timedelta(days=rotation_days)
        self._prepublish = timedelta(hours=prepublish_hours)
        self._max_token_lifetime = timedelta(seconds=max_token_lifetime)
        self._keys: tuple[_LoadedKey, ...] = ()
        self._signer: _LoadedKey | None = None
        self._window = (0, -1)  # [from, until) in epoch seconds during which _signer stays the signer
        self._refresh_job = PeriodicJob(f"signing-keys-{service}", refresh_seconds, self.refresh)

    # -- the hot path -------------------------------------------------------------------------------

    def sign(self, claims: Mapping[str, Any]) -> str:
        now = self._clock.timestamp()
        if not self._window[0] <= now < self._window[1]:
            self._select(now)
        signer = self._signer
        if signer is None:
            raise SigningKeyError(f"No active {self.service} signing key")
        payload = orjson.dumps(claims if isinstance(claims, dict) else dict(claims))
        signing_input = signer.header + _b64(payload)
        signature = signer.private_key.sign(signing_input, _PADDING, _HASH)
        return (signing_input + b"." + _b64(signature)).decode("ascii")

    def public_jwks(self) -> dict[str, Any]:
        now = self._now()
        times = [key.times for key in self._keys]
        states = key_states(times, now)
        order = {KeyState.ACTIVE: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}
        published = [key for key in self._keys if states[key.times.generation] in PUBLISHED]
        published.sort(key=lambda key: (order[states[key.times.generation]], -key.times.generation))
        return {"keys": [dict(key.jwk) for key in published]}

    @property
    def active_kid(self) -> str | None:
        self._select(self._clock.timestamp())
        return None if self._signer is None else self._signer.times.kid

    def _select(self, now: int) -> None:
        times = [key.times for key in self._keys]
        active = active_key(times, datetime.fromtimestamp(now, UTC))
        self._signer = next(
            (key for key in self._keys if active is not None and key.times.generation == active.generation),
            None,
        )
        boundaries = _boundaries(times)
        start = max((moment for moment in boundaries if moment <= now), default=now)
        until = min((moment for moment in boundaries if moment > now), default=now + 365 * 86400)
        self._window = (start, until)

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the keys (creating the first one on an empty table) and start the background refresh."""
        await self.refresh()
        self._refresh_job.start()

    async def stop(self) -> None:
        await self._refresh_job.stop()

    async def refresh(self) -> None:
        """Reload the table; create the first key or the due successor; retire superseded keys."""
        for _ in range(_ATTEMPTS):
            stored = await self.repository.load()
            await self._install(stored)  # a wrong key-encryption key fails here, before anything is created
            now = self._now()
            times = [key.times for key in stored]
            planned = plan_new_key(times, now, self._rotation, self._prepublish)
            if planned is not None:
                await self._create(planned, now)  # lost race or not: read the table again
                continue
            retirements = plan_retirements(times, now, self._max_token_lifetime)
            for retirement in retirements:
                await self.repository.retire(retirement)
            if retirements:
                stored = await self.repository.load()
            await self._install(stored)
            return
        raise SigningKeyError(f"Could not settle the {self.service} signing keys; try again")

    async def rotate(self, now: bool = False) -> RotationResult:
        """Schedule the successor (`activate_at = now + prepublish`), or with `now=True` (emergency)
        activate a new key at once, retire the current one and drop any scheduled successor."""
        for _ in range(_ATTEMPTS):
            stored = await self.repository.load()
            await self._install(stored)  # refuses a wrong key-encryption key before creating anything
            moment = self._now()
            times = [key.times for key in stored]
            states = key_states(times, moment)
            waiting = [key for key in times if states[key.generation] in (KeyState.NEXT, KeyState.PENDING)]
            previous = active_key(times, moment)
            if waiting and not now:
                return RotationResult(created=False, key=self._info(waiting[-1], KeyState.NEXT))
            activate_at = moment if now or previous is None else moment + self._prepublish
            planned = NewKey(next_generation(times), publish_at=moment, activate_at=activate_at)
            kid = await self._create(planned, moment)
            if kid is None:
                continue
            if now:
                for key in waiting:
                    await self.repository.withdraw(key.generation, moment)
            await self.refresh()
            created = next(key for key in self._keys if key.times.kid == kid)
            retired = (previous.kid,) if previous is not None and activate_at == moment else ()
            state = KeyState.ACTIVE if activate_at <= moment else KeyState.NEXT
            return RotationResult(
                created=True,
                key=self._info(created.times, state),
                retired=retired,
                withdrawn=tuple(key.kid for key in waiting) if now else (),
            )
        raise SigningKeyError(f"Could not rotate the {self.service} signing keys; try again")

    async def list_keys(self) -> list[KeyInfo]:
        """Every stored key with its state; needs no key-encryption key."""
        stored = await self.repository.load()
        now = self._now()
        times = [key.times for key in stored]
        states = key_states(times, now)
        return [self._info(key, states[key.generation]) for key in times]

    # -- internals ----------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC).replace(microsecond=0)

    @staticmethod
    def _info(times: KeyTimes, state: KeyState) -> KeyInfo:
        return KeyInfo(
            kid=times.kid,
            generation=times.generation,
            state=state,
            publish_at=times.publish_at,
            activate_at=times.activate_at,
            retire_at=times.retire_at,
            remove_at=times.remove_at,
        )

    async def _create(self, planned: NewKey, now: datetime) -> str | None:
        """Insert a fresh key for the planned generation; None if another process got there first."""
        private_key = await asyncio.to_thread(generate_private_key)
        kid = rsa_kid(private_key.public_key())
        sealed = seal(private_key_to_der(private_key), self._kek, aad=_aad(self.service, kid))
        times = KeyTimes(planned.generation, kid, planned.publish_at, planned.activate_at)
        if not await self.repository.insert(times, sealed, created_at=now):
            return None
        log.info(
            "signing_key_created",
            service=self.service,
            kid=kid,
            generation=planned.generation,
            activate_at=planned.activate_at.isoformat(),
        )
        return kid

    async def _install(self, stored: Sequence[StoredKey]) -> None:
        now = self._now()
        states = key_states([key.times for key in stored], now)
        cached = {(key.times.generation, key.times.kid): key for key in self._keys}
        loaded: list[_LoadedKey] = []
        for key in stored:
            if states[key.times.generation] is KeyState.REMOVED:
                continue
            previous = cached.get((key.times.generation, key.times.kid))
            loaded.append(replace(previous, times=key.times) if previous is not None else self._open(key))
        self._keys = tuple(loaded)
        self._select(self._clock.timestamp())

    def _open(self, stored: StoredKey) -> _LoadedKey:
        kid = stored.times.kid
        try:
            der = unseal(stored.sealed_private_key, self._kek, aad=_aad(self.service, kid))
            private_key = private_key_from_der(der)
        except (SealingError, ValueError) as exc:
            raise SigningKeyError(
                f"Cannot open the {self.service} signing key {kid}: {exc}",
                detail=type(exc).__name__,
            ) from None
        if rsa_kid(private_key.public_key()) != kid:
            raise SigningKeyError(f"The {self.service} signing key {kid} does not match its kid")
        header = _b64(orjson.dumps({"kid": kid, "alg": ALG})) + b"."
        return _LoadedKey(stored.times, private_key, header, public_jwk(private_key.public_key(), kid))
