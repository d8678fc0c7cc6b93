"""The change log of selvbetjening.md §9: every change writes one `audit_events` row in its own transaction.

How a use case records a change (existing and new ones alike): inside `store.transaction()`, after the
writes, call

    await record_change(unit, actor, now, "scope.update", before=old_scope, after=new_scope)

(`RegistryService._audit(unit, action, before=…, after=…)` does exactly this with the service's actor and
clock). `before` is `None` for a creation, `after` is `None` for a removal. The entity type, id and owning
organisation come from the objects; their JSON snapshot is made here, by `snapshot`, which is the only
place that decides what is stored: client secret hashes, password hashes and private key material never
are, and a national identity number is stored as `"<redacted>"`. Because the row is written through the
same unit of work, a change that fails writes no row and a row that cannot be written undoes the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from portvakt.registry.model import (
    ApiScope,
    ClientRegistration,
    DelegationSourceRecord,
    Organisation,
    Prefix,
    RegisteredKey,
    ScopeAccess,
    client_json,
    delegation_source_json,
    format_timestamp,
    organisation_json,
    scope_json,
)
from portvakt.registry.users import PortalUser, user_json

CHANNELS: tuple[str, ...] = ("api", "portal", "cli", "admin-api")
REDACTED = "<redacted>"
# Members of a JWK that belong to a private key (RFC 7518 §6.3.2, §6.2.2, §6.4): never stored in the log.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True)
class ClientKeys:
    """A client's key set as one audited object (entity type `client_keys`, id = the client id)."""

    client_id: str
    orgno: str
    keys: tuple[RegisteredKey, ...]


Audited = (
    Organisation
    | Prefix
    | ApiScope
    | ScopeAccess
    | ClientRegistration
    | ClientKeys
    | DelegationSourceRecord
    | PortalUser
)


@dataclass(frozen=True)
class AuditEvent:
    occurred: datetime
    channel: str  # api | portal | cli | admin-api
    actor: str  # client id, user e-mail or `cli`
    acting_orgno: str | None
    action: str  # e.g. scope.deactivate
    entity_type: str
    entity_id: str
    orgno: str | None  # the organisation the entity belongs to
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    id: int | None = None


class AuditLog(Protocol):
    async def record(self, event: AuditEvent) -> None: ...

    async def list(self, *, orgno: str | None = None, since: datetime | None = None) -> list[AuditEvent]:
        """Oldest first; `orgno` matches the acting organisation or the entity's organisation."""
        ...


class AuditedUnit(Protocol):
    @property
    def audit(self) -> AuditLog: ...


class ActingIdentity(Protocol):
    @property
    def channel(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def orgno(self) -> str | None: ...


# -- snapshots --------------------------------------------------------------------------------------


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in jwk.items() if name not in PRIVATE_JWK_MEMBERS}


def _keys_json(keys: Sequence[RegisteredKey]) -> list[dict[str, Any]]:
    return [
        {
            **public_jwk(key.jwk),
            "exp": int(key.expires_at.timestamp()),
            "created": format_timestamp(key.created),
        }
        for key in keys
    ]


def identify(entity: Audited) -> tuple[str, str, str | None]:
    """(entity type, entity id, owning organisation)."""
    match entity:
        case Organisation():
            return "organisation", entity.orgno, entity.orgno
        case Prefix():
            return "prefix", entity.prefix, entity.orgno
        case ApiScope():
            return "scope", entity.name, entity.owner_orgno
        case ScopeAccess():
            return "scope_access", f"{entity.scope}|{entity.consumer_orgno}", entity.owner_orgno
        case ClientRegistration():
            return "client", entity.client_id, entity.client_orgno
        case ClientKeys():
            return "client_keys", entity.client_id, entity.orgno
        case DelegationSourceRecord():
            return "delegation_source", entity.name, None
        case PortalUser():
            return "user", entity.user_id, entity.orgno


def snapshot(entity: Audited) -> dict[str, Any]:
    """The entity's JSON form as stored in the log, secrets removed."""
    match entity:
        case Organisation():
            return organisation_json(entity)
        case Prefix():
            return {
                "prefix": entity.prefix,
                "orgno": entity.orgno,
                "created": format_timestamp(entity.created),
            }
        case ApiScope():
            return scope_json(entity)
        case ScopeAccess():
            return {
                "scope": entity.scope,
                "consumer_orgno": entity.consumer_orgno,
                "owner_orgno": entity.owner_orgno,
                "state": entity.state.value,
                "created": format_timestamp(entity.created),
                "last_updated": format_timestamp(entity.last_updated),
            }
        case ClientRegistration():
            document = client_json(entity)  # never the secret or its hash
            document["client_secret_expires_at"] = format_timestamp(entity.client_secret_expires_at)
            return document
        case ClientKeys():
            return {"client_id": entity.client_id, "keys": _keys_json(entity.keys)}
        case DelegationSourceRecord():
            return delegation_source_json(entity)
        case PortalUser():
            document = user_json(entity)
            if document["pid"] is not None:
                document["pid"] = REDACTED
            return document


def change_event(
    actor: ActingIdentity,
    now: datetime,
    action: str,
    *,
    before: Audited | None = None,
    after: Audited | None = None,
    acting_orgno: str | None = None,
) -> AuditEvent:
    subject = after if after is not None else before
    if subject is None:
        raise ValueError("a change needs an entity before or after it")
    entity_type, entity_id, orgno = identify(subject)
    return AuditEvent(
        occurred=now,
        channel=actor.channel,
        actor=actor.name,
        acting_orgno=acting_orgno if acting_orgno is not None else actor.orgno,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        orgno=orgno,
        before=snapshot(before) if before is not None else None,
        after=snapshot(after) if after is not None else None,
    )


async def record_change(
    unit: AuditedUnit,
    actor: ActingIdentity,
    now: datetime,
    action: str,
    *,
    before: Audited | None = None,
    after: Audited | None = None,
    acting_orgno: str | None = None,
) -> None:
    """Write the change's row through the unit of work that made the change."""
    await unit.audit.record(
        change_event(actor, now, action, before=before, after=after, acting_orgno=acting_orgno)
    )


def audit_event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "time": format_timestamp(event.occurred),
        "channel": event.channel,
        "actor": event.actor,
        "acting_orgno": event.acting_orgno,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "orgno": event.orgno,
        "before": dict(event.before) if event.before is not None else None,
        "after": dict(event.after) if event.after is not None else None,
    }
