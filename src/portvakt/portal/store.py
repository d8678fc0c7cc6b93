"""SQL storage of the portal's own state: sessions, confirmation links, the test outbox, pending ID-porten
logins and the portal client's sealed key. Secrets (session ids, link tokens, states) are stored as
SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update

from portvakt.storage.engine import Database
from portvakt.storage.tables.portal import (
    portal_client_keys,
    portal_confirmations,
    portal_login_states,
    portal_outbox,
    portal_sessions,
)

SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Session:
    session_hash: str
    user_id: str | None
    csrf_token: str
    idporten_pid: str | None
    created: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Mail:
    id: int
    recipient: str
    subject: str
    body: str
    created: datetime


@dataclass(frozen=True)
class LoginState:
    session_hash: str
    nonce: str
    code_verifier: str


class PortalStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- sessions --------------------------------------------------------------------------------

    async def create_session(
        self, session_id: str, csrf_token: str, now: datetime, *, user_id: str | None = None
    ) -> Session:
        session = Session(digest(session_id), user_id, csrf_token, None, now, now)
        async with self.database.engine.begin() as connection:
            await connection.execute(
                delete(portal_sessions).where(
                    or_(
                        portal_sessions.c.last_seen < now - SESSION_IDLE,
                        portal_sessions.c.created < now - SESSION_MAX,
                    )
                )
            )
            await connection.execute(
                insert(portal_sessions).values(
                    session_hash=session.session_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    idporten_pid=None,
                    created=now,
                    last_seen=now,
                )
            )
        return session

    async def session(self, session_id: str, now: datetime) -> Session | None:
        """The live session with this id (idle ≤ 30 min, age ≤ 8 h), touched; None otherwise."""
        key = digest(session_id)
        async with self.database.engine.begin() as connection:
            row = (
                await connection.execute(select(portal_sessions).where(portal_sessions.c.session_hash == key))
            ).first()
            if row is None:
                return None
            created, last_seen = _utc(row.created), _utc(row.last_seen)
            if now - last_seen > SESSION_IDLE or now - created > SESSION_MAX:
                await connection.execute(delete(portal_sessions).where(portal_sessions.c.session_hash == key))
                return None
            await connection.execute(
                update(portal_sessions).where(portal_sessions.c.session_hash == key).values(last_seen=now)
            )
        return Session(key, row.user_id, row.csrf_token, row.idporten_pid, created, now)

    async def end_session(self, session_hash: str) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                delete(portal_sessions).where(portal_sessions.c.session_hash == session_hash)
            )

    async def end_user_sessions(self, user_id: str) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(delete(portal_sessions).where(portal_sessions.c.user_id == user_id))

    # -- confirmation links ----------------------------------------------------------------------

    async def add_confirmation(self, token: str, user_id: str, expires: datetime) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                insert(portal_confirmations).values(
                    token_hash=digest(token), user_id=user_id, expires=expires, used=False
                )
            )

    async def use_confirmation(self, token: str, now: datetime) -> str | None:
        """The user id of an unused, unexpired link, marking it used (atomically); None otherwise."""
        key = digest(token)
        async with self.database.engine.begin() as connection:
            row = (
                await connection.execute(
                    select(portal_confirmations).where(portal_confirmations.c.token_hash == key)
                )
            ).first()
            if row is None or row.used or _utc(row.expires) <= now:
                return None
            result = await connection.execute(
                update(portal_confirmations)
                .where(portal_confirmations.c.token_hash == key, portal_confirmations.c.used.is_(False))
                .values(used=True)
            )
            return str(row.user_id) if result.rowcount == 1 else None

    # -- outbox (test) ---------------------------------------------------------------------------

    async def add_mail(self, recipient: str, subject: str, body: str, now: datetime) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                insert(portal_outbox).values(recipient=recipient, subject=subject, body=body, created=now)
            )

    async def mails(self) -> list[Mail]:
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(select(portal_outbox).order_by(portal_outbox.c.id.desc()))
            return [Mail(row.id, row.recipient, row.subject, row.body, _utc(row.created)) for row in rows]

    # -- pending ID-porten logins ----------------------------------------------------------------

    async def add_login_state(
        self, state: str, session_hash: str, nonce: str, code_verifier: str, expires: datetime
    ) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                delete(portal_login_states).where(
                    portal_login_states.c.expires < expires - timedelta(hours=1)
                )
            )
            await connection.execute(
                insert(portal_login_states).values(
                    state_hash=digest(state),
                    session_hash=session_hash,
                    nonce=nonce,
                    code_verifier=code_verifier,
                    expires=expires,
                )
            )

    async def take_login_state(self, state: str, now: datetime) -> LoginState | None:
        """Single use: the pending login is removed whether or not it is still valid."""
        key = digest(state)
        async with self.database.engine.begin() as connection:
            row = (
                await connection.execute(
                    select(portal_login_states).where(portal_login_states.c.state_hash == key)
                )
            ).first()
            if row is None:
                return None
            result = await connection.execute(
                delete(portal_login_states).where(portal_login_states.c.state_hash == key)
            )
            if result.rowcount != 1 or _utc(row.expires) <= now:
                return None
        return LoginState(row.session_hash, row.nonce, row.code_verifier)

    async def set_session_user(
        self, session_hash: str, user_id: str, *, idporten_pid: str | None = None
    ) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(portal_sessions)
                .where(portal_sessions.c.session_hash == session_hash)
                .values(user_id=user_id, idporten_pid=idporten_pid)
            )

    # -- the portal client's key -----------------------------------------------------------------

    async def client_keys(self) -> list[tuple[str, str]]:
        """(kid, sealed private JWK), newest first."""
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(
                select(portal_client_keys).order_by(portal_client_keys.c.created.desc())
            )
            return [(row.kid, row.sealed_private_jwk) for row in rows]

    async def add_client_key(self, kid: str, sealed: str, now: datetime) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                insert(portal_client_keys).values(kid=kid, sealed_private_jwk=sealed, created=now)
            )
