"""SQL storage of ID-porten's state (storage/tables/idporten.py): one method per statement or transaction.

Single-use rules are conditional UPDATEs (`... WHERE used = false`): zero rows means another request won.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Column, Row, Table, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from portvakt.idporten.protocol import AuthorizationRequest, AuthResult, Parameters, SessionState
from portvakt.storage.engine import Database
from portvakt.storage.tables.idporten import (
    idporten_access_tokens,
    idporten_codes,
    idporten_grants,
    idporten_installation,
    idporten_par,
    idporten_refresh_tokens,
    idporten_transactions,
    sso_sessions,
)

PAIRWISE_SECRET = "pairwise_secret"  # noqa: S105 - the row's name


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


@dataclass(frozen=True)
class Transaction:
    tx: str
    client_id: str
    request: AuthorizationRequest
    csrf: str
    auth: AuthResult | None
    sid: str | None
    consented: tuple[str, ...] | None
    expires_at: int
    completed: bool


@dataclass(frozen=True)
class CodeRecord:
    client_id: str
    details: Mapping[str, Any]
    expires_at: int
    used: bool
    grant_id: str | None


@dataclass(frozen=True)
class GrantRecord:
    grant_id: str
    client_id: str
    pid: str
    sid: str | None
    scopes: tuple[str, ...]
    resources: tuple[str, ...]
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    given_name: str | None
    family_name: str | None
    locale: str
    created: int
    expires_at: int
    revoked: bool


@dataclass(frozen=True)
class RefreshRecord:
    grant_id: str
    client_id: str
    expires_at: int
    rotated: bool


@dataclass(frozen=True)
class AccessRecord:
    grant_id: str
    client_id: str
    kind: str
    expires_at: int
    revoked: bool
    claims: Mapping[str, Any] | None


def _grant(row: Any) -> GrantRecord:
    return GrantRecord(
        grant_id=row.grant_id,
        client_id=row.client_id,
        pid=row.pid,
        sid=row.sid,
        scopes=tuple(orjson.loads(row.scopes)),
        resources=tuple(orjson.loads(row.resources)),
        acr=row.acr,
        amr=tuple(orjson.loads(row.amr)),
        auth_time=row.auth_time,
        given_name=row.given_name,
        family_name=row.family_name,
        locale=row.locale,
        created=row.created,
        expires_at=row.expires_at,
        revoked=bool(row.revoked),
    )


def _session(row: Any) -> SessionState:
    return SessionState(
        sid=row.sid,
        auth=AuthResult(
            pid=row.pid,
            acr=row.acr,
            amr=tuple(orjson.loads(row.amr)),
            auth_time=row.auth_time,
            given_name=row.given_name,
            family_name=row.family_name,
        ),
        locale=row.locale,
        created=row.created,
        last_seen=row.last_seen,
        clients=tuple(orjson.loads(row.clients)),
    )


class IdportenStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._pairwise: bytes | None = None

    async def _insert(self, table: Table, **values: Any) -> None:
        """One row, in a transaction of its own."""
        async with self.database.engine.begin() as connection:
            await connection.execute(insert(table).values(**values))

    async def _row(self, key: Column[Any], value: object) -> Row[Any] | None:
        """The row of `key`'s table whose `key` equals `value`."""
        async with self.database.engine.connect() as connection:
            return (await connection.execute(select(key.table).where(key == value))).first()

    # -- installation secret -----------------------------------------------------------------------------

    async def pairwise_secret(self) -> bytes:
        """Created at first use by any process; every process then reads the same row."""
        if self._pairwise is not None:
            return self._pairwise
        query = select(idporten_installation.c.value).where(idporten_installation.c.name == PAIRWISE_SECRET)
        async with self.database.engine.connect() as connection:
            value = await connection.scalar(query)
        if value is None:
            try:
                async with self.database.engine.begin() as connection:
                    await connection.execute(
                        insert(idporten_installation).values(
                            name=PAIRWISE_SECRET, value=secrets.token_urlsafe(32)
                        )
                    )
            except IntegrityError:
                pass  # another process created it first
            async with self.database.engine.connect() as connection:
                value = await connection.scalar(query)
        assert value is not None
        self._pairwise = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return self._pairwise

    # -- PAR ---------------------------------------------------------------------------------------------

    async def save_par(self, uri_hash: str, client_id: str, parameters: Parameters, expires_at: int) -> None:
        await self._insert(
            idporten_par,
            request_uri_hash=uri_hash,
            client_id=client_id,
            parameters=_dumps(parameters.as_json()),
            expires_at=expires_at,
            used=False,
        )

    async def take_par(self, uri_hash: str, client_id: str, now: int) -> Parameters | None:
        """The pushed parameters if known, unexpired, unused and issued to `client_id`; marks it used."""
        async with self.database.engine.begin() as connection:
            row = (
                await connection.execute(
                    select(idporten_par).where(idporten_par.c.request_uri_hash == uri_hash)
                )
            ).first()
            if row is None or row.used or row.expires_at < now or row.client_id != client_id:
                return None
            taken = await connection.execute(
                update(idporten_par)
                .where(and_(idporten_par.c.request_uri_hash == uri_hash, idporten_par.c.used.is_(False)))
                .values(used=True)
            )
            if taken.rowcount != 1:
                return None
        return Parameters.from_json(orjson.loads(row.parameters))

    # -- transactions ------------------------------------------------------------------------------------

    async def create_transaction(
        self, tx: str, request: AuthorizationRequest, csrf: str, expires_at: int
    ) -> None:
        await self._insert(
            idporten_transactions,
            tx=tx,
            client_id=request.client_id,
            request=_dumps(request.as_json()),
            csrf=csrf,
            expires_at=expires_at,
            completed=False,
        )

    async def transaction(self, tx: str) -> Transaction | None:
        row = await self._row(idporten_transactions.c.tx, tx)
        if row is None:
            return None
        return Transaction(
            tx=row.tx,
            client_id=row.client_id,
            request=AuthorizationRequest.from_json(orjson.loads(row.request)),
            csrf=row.csrf,
            auth=AuthResult.from_json(orjson.loads(row.auth)) if row.auth else None,
            sid=row.sid,
            consented=tuple(orjson.loads(row.consented)) if row.consented is not None else None,
            expires_at=row.expires_at,
            completed=bool(row.completed),
        )

    async def set_authentication(self, tx: str, auth: AuthResult, sid: str) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(idporten_transactions)
                .where(idporten_transactions.c.tx == tx)
                .values(auth=_dumps(auth.as_json()), sid=sid)
            )

    async def set_consent(self, tx: str, consented: Sequence[str]) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(idporten_transactions)
                .where(idporten_transactions.c.tx == tx)
                .values(consented=_dumps(list(consented)))
            )

    async def complete_transaction(self, tx: str) -> bool:
        """Single completion: True for the one request that completes it."""
        async with self.database.engine.begin() as connection:
            result = await connection.execute(
                update(idporten_transactions)
                .where(and_(idporten_transactions.c.tx == tx, idporten_transactions.c.completed.is_(False)))
                .values(completed=True)
            )
        return result.rowcount == 1

    # -- SSO sessions ------------------------------------------------------------------------------------

    async def session_by_cookie(self, cookie_hash: str) -> SessionState | None:
        row = await self._row(sso_sessions.c.cookie_hash, cookie_hash)
        return _session(row) if row is not None else None

    async def create_session(self, session: SessionState, cookie_hash: str) -> None:
        auth = session.auth
        await self._insert(
            sso_sessions,
            sid=session.sid,
            cookie_hash=cookie_hash,
            pid=auth.pid,
            acr=auth.acr,
            amr=_dumps(list(auth.amr)),
            auth_time=auth.auth_time,
            given_name=auth.given_name,
            family_name=auth.family_name,
            locale=session.locale,
            created=session.created,
            last_seen=session.last_seen,
            clients=_dumps(list(session.clients)),
        )

    async def step_up_session(self, sid: str, auth: AuthResult, now: int) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(sso_sessions)
                .where(sso_sessions.c.sid == sid)
                .values(
                    acr=auth.acr,
                    amr=_dumps(list(auth.amr)),
                    auth_time=auth.auth_time,
                    given_name=auth.given_name,
                    family_name=auth.family_name,
                    last_seen=now,
                )
            )

    async def touch_session(self, sid: str, now: int, client_id: str | None = None) -> None:
        async with self.database.engine.begin() as connection:
            values: dict[str, Any] = {"last_seen": now}
            if client_id is not None:
                current = await connection.scalar(
                    select(sso_sessions.c.clients).where(sso_sessions.c.sid == sid)
                )
                if current is not None:
                    clients = list(orjson.loads(current))
                    if client_id not in clients:
                        values["clients"] = _dumps([*clients, client_id])
            await connection.execute(update(sso_sessions).where(sso_sessions.c.sid == sid).values(**values))

    async def delete_session(self, sid: str) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(delete(sso_sessions).where(sso_sessions.c.sid == sid))

    # -- codes -------------------------------------------------------------------------------------------

    async def save_code(
        self, code_hash: str, client_id: str, details: Mapping[str, Any], expires_at: int
    ) -> None:
        await self._insert(
            idporten_codes,
            code_hash=code_hash,
            client_id=client_id,
            details=_dumps(dict(details)),
            expires_at=expires_at,
            used=False,
        )

    async def code(self, code_hash: str) -> CodeRecord | None:
        row = await self._row(idporten_codes.c.code_hash, code_hash)
        if row is None:
            return None
        return CodeRecord(
            row.client_id, orjson.loads(row.details), row.expires_at, bool(row.used), row.grant_id
        )

    async def redeem_code(self, code_hash: str, grant: GrantRecord) -> bool:
        """Mark the code used and create its grant in one transaction; False when already used."""
        async with self.database.engine.begin() as connection:
            result = await connection.execute(
                update(idporten_codes)
                .where(and_(idporten_codes.c.code_hash == code_hash, idporten_codes.c.used.is_(False)))
                .values(used=True, grant_id=grant.grant_id)
            )
            if result.rowcount != 1:
                return False
            await connection.execute(
                insert(idporten_grants).values(
                    grant_id=grant.grant_id,
                    client_id=grant.client_id,
                    pid=grant.pid,
                    sid=grant.sid,
                    scopes=_dumps(list(grant.scopes)),
                    resources=_dumps(list(grant.resources)),
                    acr=grant.acr,
                    amr=_dumps(list(grant.amr)),
                    auth_time=grant.auth_time,
                    given_name=grant.given_name,
                    family_name=grant.family_name,
                    locale=grant.locale,
                    created=grant.created,
                    expires_at=grant.expires_at,
                    revoked=False,
                )
            )
        return True

    # -- grants and tokens -------------------------------------------------------------------------------

    async def grant(self, grant_id: str) -> GrantRecord | None:
        row = await self._row(idporten_grants.c.grant_id, grant_id)
        return _grant(row) if row is not None else None

    async def grants_of_session(self, sid: str) -> list[GrantRecord]:
        async with self.database.engine.connect() as connection:
            rows = (
                await connection.execute(select(idporten_grants).where(idporten_grants.c.sid == sid))
            ).all()
        return [_grant(row) for row in rows]

    async def revoke_grant(self, grant_id: str) -> None:
        """The grant and every access and refresh token issued under it."""
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(idporten_grants).where(idporten_grants.c.grant_id == grant_id).values(revoked=True)
            )
            await connection.execute(
                update(idporten_access_tokens)
                .where(idporten_access_tokens.c.grant_id == grant_id)
                .values(revoked=True)
            )
            await connection.execute(
                update(idporten_refresh_tokens)
                .where(idporten_refresh_tokens.c.grant_id == grant_id)
                .values(rotated=True)
            )

    async def save_access_token(
        self,
        token_hash: str,
        grant: GrantRecord,
        kind: str,
        expires_at: int,
        claims: Mapping[str, Any] | None,
    ) -> None:
        await self._insert(
            idporten_access_tokens,
            token_hash=token_hash,
            grant_id=grant.grant_id,
            client_id=grant.client_id,
            kind=kind,
            pid=grant.pid,
            expires_at=expires_at,
            revoked=False,
            claims=_dumps(dict(claims)) if claims is not None else None,
        )

    async def access_token(self, token_hash: str) -> AccessRecord | None:
        row = await self._row(idporten_access_tokens.c.token_hash, token_hash)
        if row is None:
            return None
        claims = orjson.loads(row.claims) if row.claims is not None else None
        return AccessRecord(row.grant_id, row.client_id, row.kind, row.expires_at, bool(row.revoked), claims)

    async def save_refresh_token(
        self, token_hash: str, grant_id: str, client_id: str, expires_at: int
    ) -> None:
        await self._insert(
            idporten_refresh_tokens,
            token_hash=token_hash,
            grant_id=grant_id,
            client_id=client_id,
            expires_at=expires_at,
            rotated=False,
        )

    async def refresh_token(self, token_hash: str) -> RefreshRecord | None:
        row = await self._row(idporten_refresh_tokens.c.token_hash, token_hash)
        if row is None:
            return None
        return RefreshRecord(row.grant_id, row.client_id, row.expires_at, bool(row.rotated))

    async def rotate_refresh_token(
        self, old_hash: str, new_hash: str, grant_id: str, client_id: str, expires_at: int
    ) -> bool:
        """ONETIME: rotate the old token out and store the new one atomically; False if already rotated."""
        async with self.database.engine.begin() as connection:
            result = await connection.execute(
                update(idporten_refresh_tokens)
                .where(
                    and_(
                        idporten_refresh_tokens.c.token_hash == old_hash,
                        idporten_refresh_tokens.c.rotated.is_(False),
                    )
                )
                .values(rotated=True)
            )
            if result.rowcount != 1:
                return False
            await connection.execute(
                insert(idporten_refresh_tokens).values(
                    token_hash=new_hash,
                    grant_id=grant_id,
                    client_id=client_id,
                    expires_at=expires_at,
                    rotated=False,
                )
            )
        return True

    async def extend_refresh_token(self, token_hash: str, expires_at: int) -> None:
        """REUSE: a refresh restarts the inactivity window of the same token."""
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(idporten_refresh_tokens)
                .where(idporten_refresh_tokens.c.token_hash == token_hash)
                .values(expires_at=expires_at)
            )

    # -- housekeeping ---------------------------------------------------------------------------------

    async def purge(self, now: int, sso_idle: int, sso_max: int, token_grace: int) -> int:
        """Delete what can no longer be used: expired PAR requests, transactions, codes, sessions and
        tokens, and grants whose authorization ended more than `token_grace` seconds ago."""
        removed = 0
        async with self.database.engine.begin() as connection:
            for table in (idporten_par, idporten_transactions, idporten_codes):
                result = await connection.execute(delete(table).where(table.c.expires_at < now))
                removed += result.rowcount
            result = await connection.execute(
                delete(sso_sessions).where(
                    (sso_sessions.c.last_seen < now - sso_idle) | (sso_sessions.c.created < now - sso_max)
                )
            )
            removed += result.rowcount
            ended = select(idporten_grants.c.grant_id).where(idporten_grants.c.expires_at < now - token_grace)
            for table in (idporten_access_tokens, idporten_refresh_tokens):
                result = await connection.execute(
                    delete(table).where((table.c.expires_at < now) | table.c.grant_id.in_(ended))
                )
                removed += result.rowcount
            result = await connection.execute(
                delete(idporten_grants).where(idporten_grants.c.expires_at < now - token_grace)
            )
            removed += result.rowcount
        return removed
