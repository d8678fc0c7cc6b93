"""SQL adapters of the change log, the portal users and the organisation changes of the admin use cases.

`SqlRegistryUnit` (portvakt.registry.repository) exposes them as `audit`, `users` and
`organisation_changes`, on the unit's connection, so they share the transaction of the change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.registry.audit import AuditEvent
from portvakt.registry.model import Organisation
from portvakt.registry.users import PortalUser
from portvakt.storage.tables.audit import audit_events
from portvakt.storage.tables.portal import portal_users
from portvakt.storage.tables.registry import organisation_email_domains, organisations, prefixes, scopes


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return _utc(moment) if moment is not None else None


class SqlAuditLog:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def record(self, event: AuditEvent) -> None:
        await self.connection.execute(
            insert(audit_events).values(
                occurred=event.occurred,
                channel=event.channel,
                actor=event.actor,
                acting_orgno=event.acting_orgno,
                action=event.action,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                orgno=event.orgno,
                before=dict(event.before) if event.before is not None else None,
                after=dict(event.after) if event.after is not None else None,
            )
        )

    async def list(self, *, orgno: str | None = None, since: datetime | None = None) -> list[AuditEvent]:
        query = select(audit_events).order_by(audit_events.c.occurred, audit_events.c.id)
        if orgno is not None:
            query = query.where(or_(audit_events.c.orgno == orgno, audit_events.c.acting_orgno == orgno))
        if since is not None:
            query = query.where(audit_events.c.occurred >= since)
        return [
            AuditEvent(
                id=row.id,
                occurred=_utc(row.occurred),
                channel=row.channel,
                actor=row.actor,
                acting_orgno=row.acting_orgno,
                action=row.action,
                entity_type=row.entity_type,
                entity_id=row.entity_id,
                orgno=row.orgno,
                before=row.before,
                after=row.after,
            )
            for row in await self.connection.execute(query)
        ]


def _user_from_row(row: Row[Any]) -> PortalUser:
    m = row._mapping
    return PortalUser(
        user_id=m["user_id"],
        email=m["email"],
        name=m["name"],
        orgno=m["orgno"],
        pid=m["pid"],
        rights=tuple(m["rights"]),
        password_hash=m["password_hash"],
        email_confirmed=m["email_confirmed"],
        active=m["active"],
        created=_utc(m["created"]),
        last_login=_utc_or_none(m["last_login"]),
    )


def _user_values(user: PortalUser) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "orgno": user.orgno,
        "pid": user.pid,
        "rights": list(user.rights),
        "password_hash": user.password_hash,
        "email_confirmed": user.email_confirmed,
        "active": user.active,
        "created": user.created,
        "last_login": user.last_login,
    }


class SqlPortalUsers:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _one(self, *where: Any) -> PortalUser | None:
        row = (await self.connection.execute(select(portal_users).where(*where))).first()
        return _user_from_row(row) if row else None

    async def get(self, user_id: str) -> PortalUser | None:
        return await self._one(portal_users.c.user_id == user_id)

    async def by_email(self, email: str) -> PortalUser | None:
        return await self._one(portal_users.c.email == email)

    async def by_pid(self, pid: str) -> PortalUser | None:
        return await self._one(portal_users.c.pid == pid)

    async def list(self, *, orgno: str | None = None) -> list[PortalUser]:
        query = select(portal_users).order_by(portal_users.c.email)
        if orgno is not None:
            query = query.where(portal_users.c.orgno == orgno)
        return [_user_from_row(row) for row in await self.connection.execute(query)]

    async def add(self, user: PortalUser) -> None:
        await self.connection.execute(insert(portal_users).values(user_id=user.user_id, **_user_values(user)))

    async def update(self, user: PortalUser) -> None:
        await self.connection.execute(
            update(portal_users).where(portal_users.c.user_id == user.user_id).values(**_user_values(user))
        )


class SqlOrganisationChanges:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def update(self, organisation: Organisation) -> None:
        """Replace name, terms, mercantile data, `active`, `last_updated` and the e-mail domains."""
        await self.connection.execute(
            update(organisations)
            .where(organisations.c.orgno == organisation.orgno)
            .values(
                name=organisation.name,
                terms_signed=organisation.terms_signed,
                mercantile=dict(organisation.mercantile) if organisation.mercantile is not None else None,
                active=organisation.active,
                last_updated=organisation.last_updated,
            )
        )
        await self.connection.execute(
            delete(organisation_email_domains).where(organisation_email_domains.c.orgno == organisation.orgno)
        )
        if organisation.email_domains:
            await self.connection.execute(
                insert(organisation_email_domains),
                [{"domain": domain, "orgno": organisation.orgno} for domain in organisation.email_domains],
            )

    async def remove_prefix(self, prefix: str) -> None:
        await self.connection.execute(delete(prefixes).where(prefixes.c.prefix == prefix))

    async def prefix_in_use(self, prefix: str) -> bool:
        found = await self.connection.scalar(select(scopes.c.name).where(scopes.c.prefix == prefix).limit(1))
        return found is not None
