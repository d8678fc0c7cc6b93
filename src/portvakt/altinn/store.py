"""SQL reads and writes of the Altinn rule store (altinn.md §2) on one connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Row, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.altinn.party import Party, ordinal_of, org_party_id, person_name, person_party_id
from portvakt.altinn.policy import Resource, load_policy
from portvakt.altinn.rights import App, Delegation, Holdings, PartyRoles, Unit
from portvakt.storage.tables.altinn import (
    altinn_api_keys,
    altinn_apps,
    altinn_delegations,
    altinn_mp_delegations,
    altinn_mp_schemes,
    altinn_party_uuids,
    altinn_service_owners,
)
from portvakt.storage.tables.population import entities, er_roles, persons

ACCOUNTANT_ROLE = "REGN"
AUDITOR_ROLE = "REVI"


@dataclass(frozen=True, slots=True)
class ServiceOwner:
    code: str
    name: str
    orgnr: str
    active: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    key_id: str
    owner_code: str
    sha256: str
    label: str | None
    created: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    resourceid: str
    title: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MpDelegation:
    id: int
    consumer_orgno: str
    supplier_orgno: str
    scheme: Scheme
    created: datetime
    created_by: str
    revoked_at: datetime | None


# -- parties ----------------------------------------------------------------------------------------------


def _person_party(row: Row[*tuple[Any, ...]]) -> Party:
    return Party(
        party_id=person_party_id(row.ordinal),
        kind="person",
        identifier=row.national_id,
        name=person_name(row.first_name, row.middle_name, row.last_name),
        birth_date=row.birth_date,
    )


def _org_party(row: Row[*tuple[Any, ...]]) -> Party:
    return Party(
        party_id=org_party_id(row.ordinal),
        kind="org",
        identifier=row.orgnr,
        name=row.name.upper(),
        organisation_form=row.organisation_form,
        parent_orgnr=row.parent_orgnr,
        deleted=row.deletion_date is not None,
    )


_PERSON_COLUMNS = (
    persons.c.ordinal,
    persons.c.national_id,
    persons.c.first_name,
    persons.c.middle_name,
    persons.c.last_name,
    persons.c.birth_date,
)
_ORG_COLUMNS = (
    entities.c.ordinal,
    entities.c.orgnr,
    entities.c.name,
    entities.c.organisation_form,
    entities.c.parent_orgnr,
    entities.c.deletion_date,
)


async def person(connection: AsyncConnection, national_id: str) -> Party | None:
    row = (
        await connection.execute(select(*_PERSON_COLUMNS).where(persons.c.national_id == national_id))
    ).first()
    return None if row is None else _person_party(row)


async def organisation(connection: AsyncConnection, orgnr: str) -> Party | None:
    row = (await connection.execute(select(*_ORG_COLUMNS).where(entities.c.orgnr == orgnr))).first()
    return None if row is None else _org_party(row)


async def organisations(connection: AsyncConnection, orgnrs: Iterable[str]) -> list[Party]:
    wanted = sorted(set(orgnrs))
    found: list[Party] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await connection.execute(select(*_ORG_COLUMNS).where(entities.c.orgnr.in_(chunk)))
        found += [_org_party(row) for row in rows]
    return found


async def party(connection: AsyncConnection, identifier: str) -> Party | None:
    """A party by organisation number (9 digits) or national identity number (11 digits)."""
    if len(identifier) == 9:
        return await organisation(connection, identifier)
    return await person(connection, identifier)


async def party_by_id(connection: AsyncConnection, party_id: int) -> Party | None:
    located = ordinal_of(party_id)
    if located is None:
        return None
    kind, ordinal = located
    if kind == "person":
        row = (await connection.execute(select(*_PERSON_COLUMNS).where(persons.c.ordinal == ordinal))).first()
        return None if row is None else _person_party(row)
    row = (await connection.execute(select(*_ORG_COLUMNS).where(entities.c.ordinal == ordinal))).first()
    return None if row is None else _org_party(row)


async def party_by_uuid(connection: AsyncConnection, value: str) -> Party | None:
    row = (
        await connection.execute(
            select(altinn_party_uuids.c.party_id).where(altinn_party_uuids.c.party_uuid == value)
        )
    ).first()
    if row is None:
        return None
    found = await party_by_id(connection, row.party_id)
    return found if found is not None and found.uuid == value else None


async def sub_units(connection: AsyncConnection, orgnrs: Iterable[str]) -> list[Party]:
    wanted = sorted(set(orgnrs))
    found: list[Party] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await connection.execute(
            select(*_ORG_COLUMNS).where(
                entities.c.parent_orgnr.in_(chunk), entities.c.organisation_form.in_(("BEDR", "AAFY"))
            )
        )
        found += [_org_party(row) for row in rows]
    return found


# -- ER roles (§3) ----------------------------------------------------------------------------------------


async def holdings(connection: AsyncConnection, national_id: str) -> Holdings:
    """The person's current (not resigned) ER roles, by entity."""
    rows = await connection.execute(
        select(er_roles.c.entity_orgnr, er_roles.c.role_code).where(
            er_roles.c.holder_national_id == national_id, er_roles.c.resigned.is_(False)
        )
    )
    held: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        held[row.entity_orgnr].add(row.role_code)
    return {orgnr: frozenset(codes) for orgnr, codes in held.items()}


async def party_roles(connection: AsyncConnection, target: Party) -> PartyRoles:
    if target.is_person:
        return PartyRoles(target.identifier, is_person=True)
    orgnrs = [target.identifier]
    if target.is_sub_unit and target.parent_orgnr is not None:
        orgnrs.append(target.parent_orgnr)
    rows = await connection.execute(
        select(er_roles.c.entity_orgnr, er_roles.c.role_code, er_roles.c.holder_orgnr).where(
            er_roles.c.entity_orgnr.in_(orgnrs),
            er_roles.c.role_code.in_((ACCOUNTANT_ROLE, AUDITOR_ROLE)),
            er_roles.c.holder_orgnr.is_not(None),
            er_roles.c.resigned.is_(False),
        )
    )
    firms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        firms[(row.entity_orgnr, row.role_code)].add(row.holder_orgnr)
    units = tuple(
        Unit(
            orgnr,
            frozenset(firms[(orgnr, ACCOUNTANT_ROLE)]),
            frozenset(firms[(orgnr, AUDITOR_ROLE)]),
        )
        for orgnr in orgnrs
    )
    return PartyRoles(target.identifier, is_person=False, units=units)


async def client_entities(connection: AsyncConnection, firms: Sequence[str]) -> set[str]:
    """Entities whose REGN or REVI is one of these firms (§3 rows 4–5)."""
    found: set[str] = set()
    for start in range(0, len(firms), 500):
        rows = await connection.execute(
            select(er_roles.c.entity_orgnr).where(
                er_roles.c.holder_orgnr.in_(firms[start : start + 500]),
                er_roles.c.role_code.in_((ACCOUNTANT_ROLE, AUDITOR_ROLE)),
                er_roles.c.resigned.is_(False),
            )
        )
        found |= {row.entity_orgnr for row in rows}
    return found


# -- service owners, API keys, apps ---------------------------------------------------------------------


def _owner(row: Row[Any]) -> ServiceOwner:
    return ServiceOwner(row.code, row.name, row.orgnr, bool(row.active), row.created)


async def service_owner(connection: AsyncConnection, code: str) -> ServiceOwner | None:
    row = (
        await connection.execute(select(altinn_service_owners).where(altinn_service_owners.c.code == code))
    ).first()
    return None if row is None else _owner(row)


async def service_owner_by_orgnr(connection: AsyncConnection, orgnr: str) -> ServiceOwner | None:
    row = (
        await connection.execute(select(altinn_service_owners).where(altinn_service_owners.c.orgnr == orgnr))
    ).first()
    return None if row is None else _owner(row)


async def service_owners(connection: AsyncConnection) -> list[ServiceOwner]:
    rows = await connection.execute(select(altinn_service_owners).order_by(altinn_service_owners.c.code))
    return [_owner(row) for row in rows]


async def add_service_owner(connection: AsyncConnection, owner: ServiceOwner) -> None:
    await connection.execute(
        insert(altinn_service_owners).values(
            code=owner.code, name=owner.name, orgnr=owner.orgnr, active=owner.active, created=owner.created
        )
    )


async def set_service_owner_active(connection: AsyncConnection, code: str, active: bool) -> None:
    await connection.execute(
        update(altinn_service_owners).where(altinn_service_owners.c.code == code).values(active=active)
    )


def _key(row: Row[Any]) -> ApiKeyRow:
    return ApiKeyRow(
        row.key_id, row.owner_code, row.sha256, row.label, row.created, row.last_used_at, row.revoked_at
    )


async def api_key(connection: AsyncConnection, key_id: str) -> ApiKeyRow | None:
    row = (
        await connection.execute(select(altinn_api_keys).where(altinn_api_keys.c.key_id == key_id))
    ).first()
    return None if row is None else _key(row)


async def api_keys(connection: AsyncConnection, owner_code: str) -> list[ApiKeyRow]:
    rows = await connection.execute(
        select(altinn_api_keys)
        .where(altinn_api_keys.c.owner_code == owner_code)
        .order_by(altinn_api_keys.c.created)
    )
    return [_key(row) for row in rows]


async def add_api_key(connection: AsyncConnection, key: ApiKeyRow) -> None:
    await connection.execute(
        insert(altinn_api_keys).values(
            key_id=key.key_id,
            owner_code=key.owner_code,
            sha256=key.sha256,
            label=key.label,
            created=key.created,
            last_used_at=None,
            revoked_at=None,
        )
    )


async def touch_api_key(connection: AsyncConnection, key_id: str, now: datetime) -> None:
    await connection.execute(
        update(altinn_api_keys).where(altinn_api_keys.c.key_id == key_id).values(last_used_at=now)
    )


async def revoke_api_key(connection: AsyncConnection, key_id: str, now: datetime) -> None:
    await connection.execute(
        update(altinn_api_keys).where(altinn_api_keys.c.key_id == key_id).values(revoked_at=now)
    )


def _app(row: Row[Any], position: int) -> App:
    return App(position, row.org, row.app, row.title, load_policy(row.policy), row.min_auth_level)


async def owner_apps(connection: AsyncConnection, code: str) -> list[App]:
    """The owner's apps in registration order."""
    rows = await connection.execute(
        select(altinn_apps).where(altinn_apps.c.org == code).order_by(altinn_apps.c.id)
    )
    return [_app(row, position) for position, row in enumerate(rows)]


async def all_apps(connection: AsyncConnection) -> list[App]:
    rows = await connection.execute(select(altinn_apps).order_by(altinn_apps.c.id))
    return [_app(row, position) for position, row in enumerate(rows)]


async def app(connection: AsyncConnection, org: str, name: str) -> App | None:
    row = (
        await connection.execute(
            select(altinn_apps).where(altinn_apps.c.org == org, altinn_apps.c.app == name)
        )
    ).first()
    return None if row is None else _app(row, 0)


async def add_app(connection: AsyncConnection, new: App, now: datetime) -> None:
    await connection.execute(
        insert(altinn_apps).values(
            org=new.org,
            app=new.name,
            title=new.title,
            policy=new.policy.to_json(),
            min_auth_level=new.min_auth_level,
            created=now,
        )
    )


async def set_policy(connection: AsyncConnection, org: str, name: str, policy_json: str) -> None:
    await connection.execute(
        update(altinn_apps)
        .where(altinn_apps.c.org == org, altinn_apps.c.app == name)
        .values(policy=policy_json)
    )


# -- direct delegations ---------------------------------------------------------------------------------


def _delegation(row: Row[Any]) -> Delegation:
    resource = None if row.resource_id is None else Resource(row.resource_id, row.resource_value)
    return Delegation(
        rule_guid=row.rule_guid,
        offered_by=row.offered_by,
        covered_by=row.covered_by,
        app_org=row.app_org,
        app_name=row.app_name,
        resource=resource,
        action=row.action,
        is_delegatable=bool(row.is_delegatable),
    )


_ACTIVE = altinn_delegations.c.revoked_at.is_(None)


async def delegations_between(
    connection: AsyncConnection, offered_by: str, covered_by: str
) -> list[Delegation]:
    rows = await connection.execute(
        select(altinn_delegations).where(
            altinn_delegations.c.offered_by == offered_by,
            altinn_delegations.c.covered_by == covered_by,
            _ACTIVE,
        )
    )
    return [_delegation(row) for row in rows]


async def delegations_to(connection: AsyncConnection, covered_by: str) -> list[Delegation]:
    rows = await connection.execute(
        select(altinn_delegations).where(altinn_delegations.c.covered_by == covered_by, _ACTIVE)
    )
    return [_delegation(row) for row in rows]


async def delegations_from(connection: AsyncConnection, offered_by: str) -> list[Delegation]:
    rows = await connection.execute(
        select(altinn_delegations).where(altinn_delegations.c.offered_by == offered_by, _ACTIVE)
    )
    return [_delegation(row) for row in rows]


async def delegation(
    connection: AsyncConnection, rule_guid: str
) -> tuple[Delegation, datetime | None] | None:
    row = (
        await connection.execute(
            select(altinn_delegations).where(altinn_delegations.c.rule_guid == rule_guid)
        )
    ).first()
    return None if row is None else (_delegation(row), row.revoked_at)


async def add_delegation(
    connection: AsyncConnection, new: Delegation, delegated_by: str, now: datetime
) -> None:
    await connection.execute(
        insert(altinn_delegations).values(
            rule_guid=new.rule_guid,
            offered_by=new.offered_by,
            covered_by=new.covered_by,
            app_org=new.app_org,
            app_name=new.app_name,
            resource_id=None if new.resource is None else new.resource.id,
            resource_value=None if new.resource is None else new.resource.value,
            action=new.action,
            delegated_by=delegated_by,
            is_delegatable=new.is_delegatable,
            created=now,
            revoked_at=None,
        )
    )


async def revoke_delegation(connection: AsyncConnection, rule_guid: str, now: datetime) -> None:
    await connection.execute(
        update(altinn_delegations).where(altinn_delegations.c.rule_guid == rule_guid).values(revoked_at=now)
    )


# -- Maskinporten delegation schemes and delegations ----------------------------------------------------


def _scheme(row: Row[Any]) -> Scheme:
    return Scheme(row.id, row.resourceid, row.title, tuple(orjson.loads(row.scopes)))


async def schemes(connection: AsyncConnection) -> list[Scheme]:
    rows = await connection.execute(select(altinn_mp_schemes).order_by(altinn_mp_schemes.c.resourceid))
    return [_scheme(row) for row in rows]


async def add_scheme(connection: AsyncConnection, scheme: Scheme) -> None:
    await connection.execute(
        insert(altinn_mp_schemes).values(
            id=scheme.id,
            resourceid=scheme.resourceid,
            title=scheme.title,
            scopes=orjson.dumps(list(scheme.scopes)).decode(),
        )
    )


async def mp_delegations(
    connection: AsyncConnection,
    *,
    consumer: str | None = None,
    supplier: str | None = None,
    scheme_ids: Sequence[str] | None = None,
) -> list[MpDelegation]:
    """Active delegations matching every given filter, ordered by `created`."""
    conditions: list[ColumnElement[bool]] = [altinn_mp_delegations.c.revoked_at.is_(None)]
    if consumer is not None:
        conditions.append(altinn_mp_delegations.c.consumer_orgno == consumer)
    if supplier is not None:
        conditions.append(altinn_mp_delegations.c.supplier_orgno == supplier)
    if scheme_ids is not None:
        conditions.append(altinn_mp_delegations.c.scheme_id.in_(list(scheme_ids)))
    statement = (
        select(
            altinn_mp_delegations,
            altinn_mp_schemes.c.resourceid,
            altinn_mp_schemes.c.title,
            altinn_mp_schemes.c.scopes,
        )
        .join(altinn_mp_schemes, altinn_mp_schemes.c.id == altinn_mp_delegations.c.scheme_id)
        .where(and_(*conditions))
        .order_by(altinn_mp_delegations.c.created, altinn_mp_delegations.c.id)
    )
    return [
        MpDelegation(
            row.id,
            row.consumer_orgno,
            row.supplier_orgno,
            Scheme(row.scheme_id, row.resourceid, row.title, tuple(orjson.loads(row.scopes))),
            row.created,
            row.created_by,
            row.revoked_at,
        )
        for row in await connection.execute(statement)
    ]


async def add_mp_delegation(  # noqa: PLR0917  # one positional per column
    connection: AsyncConnection, consumer: str, supplier: str, scheme_id: str, created_by: str, now: datetime
) -> None:
    await connection.execute(
        insert(altinn_mp_delegations).values(
            consumer_orgno=consumer,
            supplier_orgno=supplier,
            scheme_id=scheme_id,
            created=now,
            created_by=created_by,
            revoked_at=None,
        )
    )


async def revoke_mp_delegations(connection: AsyncConnection, ids: Sequence[int], now: datetime) -> None:
    await connection.execute(
        update(altinn_mp_delegations).where(altinn_mp_delegations.c.id.in_(list(ids))).values(revoked_at=now)
    )


# -- bulk reads for multi-requests ------------------------------------------------------------------------


def _chunks(values: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


async def persons_many(connection: AsyncConnection, national_ids: Iterable[str]) -> list[Party]:
    found: list[Party] = []
    for chunk in _chunks(national_ids):
        rows = await connection.execute(select(*_PERSON_COLUMNS).where(persons.c.national_id.in_(chunk)))
        found += [_person_party(row) for row in rows]
    return found


async def holdings_many(connection: AsyncConnection, national_ids: Iterable[str]) -> dict[str, Holdings]:
    held: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    wanted = set(national_ids)
    for chunk in _chunks(wanted):
        rows = await connection.execute(
            select(er_roles.c.holder_national_id, er_roles.c.entity_orgnr, er_roles.c.role_code).where(
                er_roles.c.holder_national_id.in_(chunk), er_roles.c.resigned.is_(False)
            )
        )
        for row in rows:
            held[row.holder_national_id][row.entity_orgnr].add(row.role_code)
    return {
        national_id: {orgnr: frozenset(codes) for orgnr, codes in held[national_id].items()}
        for national_id in wanted
    }


async def party_roles_many(connection: AsyncConnection, parties: Iterable[Party]) -> dict[str, PartyRoles]:
    organisations_ = [party for party in parties if not party.is_person]
    units: dict[str, list[str]] = {}
    for party in organisations_:
        orgnrs = [party.identifier]
        if party.is_sub_unit and party.parent_orgnr is not None:
            orgnrs.append(party.parent_orgnr)
        units[party.identifier] = orgnrs
    firms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for chunk in _chunks(orgnr for orgnrs in units.values() for orgnr in orgnrs):
        rows = await connection.execute(
            select(er_roles.c.entity_orgnr, er_roles.c.role_code, er_roles.c.holder_orgnr).where(
                er_roles.c.entity_orgnr.in_(chunk),
                er_roles.c.role_code.in_((ACCOUNTANT_ROLE, AUDITOR_ROLE)),
                er_roles.c.holder_orgnr.is_not(None),
                er_roles.c.resigned.is_(False),
            )
        )
        for row in rows:
            firms[(row.entity_orgnr, row.role_code)].add(row.holder_orgnr)
    return {
        identifier: PartyRoles(
            identifier,
            is_person=False,
            units=tuple(
                Unit(
                    orgnr,
                    frozenset(firms.get((orgnr, ACCOUNTANT_ROLE), ())),
                    frozenset(firms.get((orgnr, AUDITOR_ROLE), ())),
                )
                for orgnr in orgnrs
            ),
        )
        for identifier, orgnrs in units.items()
    }


async def delegations_many(
    connection: AsyncConnection, covered_by: Iterable[str]
) -> dict[str, list[Delegation]]:
    found: dict[str, list[Delegation]] = defaultdict(list)
    for chunk in _chunks(covered_by):
        rows = await connection.execute(
            select(altinn_delegations).where(altinn_delegations.c.covered_by.in_(chunk), _ACTIVE)
        )
        for row in rows:
            found[row.covered_by].append(_delegation(row))
    return found
