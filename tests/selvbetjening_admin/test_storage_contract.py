"""The SQL adapters of the change log, portal users and organisation changes: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portvakt.registry.audit import AuditEvent
from portvakt.registry.model import ApiScope, Organisation, Prefix, ScopeSettings
from portvakt.registry.repository import SqlRegistryStore
from portvakt.registry.users import PortalUser
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade

T0 = datetime(2026, 2, 3, 4, 5, 6, 123000, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
ORG = "310000027"
ORG2 = "310000035"


@pytest.fixture
async def store(empty_database_url: str) -> AsyncIterator[SqlRegistryStore]:
    upgrade(empty_database_url)
    database = Database.connect(empty_database_url)
    store = SqlRegistryStore(database)
    async with store.transaction() as unit:
        for orgno in (ORG, ORG2):
            await unit.organisations.add(
                Organisation(orgno=orgno, name="ÆRLIG ØKONOMI Å/S", created=T0, last_updated=T0)
            )
    yield store
    await database.dispose()


def event(action: str, occurred: datetime, **changes: object) -> AuditEvent:
    values: dict[str, object] = {
        "occurred": occurred,
        "channel": "admin-api",
        "actor": "klient-æøå",
        "acting_orgno": "310000019",
        "action": action,
        "entity_type": "organisation",
        "entity_id": ORG,
        "orgno": ORG,
        "before": None,
        "after": {"name": "ÆRLIG ØKONOMI Å/S", "email_domains": ["ærlig.no"], "nested": {"n": 1}},
    }
    values.update(changes)
    return AuditEvent(**values)  # type: ignore[arg-type]


async def test_audit_events_round_trip_in_order_with_filters(store: SqlRegistryStore) -> None:
    first = event("organisation.create", T0)
    second = event(
        "organisation.update", T1, before=first.after, after={"name": "NYTT NAVN"}, acting_orgno=ORG2
    )
    third = event("prefix.assign", T1, entity_type="prefix", entity_id="abc", orgno=ORG2, acting_orgno=None)
    async with store.transaction() as unit:
        for item in (first, second, third):
            await unit.audit.record(item)
    async with store.transaction() as unit:
        everything = await unit.audit.list()
        by_org2 = await unit.audit.list(orgno=ORG2)
        since = await unit.audit.list(since=T1)
        none = await unit.audit.list(orgno="310000043")
    assert [e.action for e in everything] == ["organisation.create", "organisation.update", "prefix.assign"]
    assert [e.id for e in everything] == sorted(e.id for e in everything if e.id is not None)
    stored = everything[0]
    assert (stored.occurred, stored.channel, stored.actor, stored.acting_orgno) == (
        T0,
        "admin-api",
        "klient-æøå",
        "310000019",
    )
    assert (stored.before, stored.after) == (None, first.after)
    assert everything[1].before == first.after
    assert [e.action for e in by_org2] == ["organisation.update", "prefix.assign"]  # acting org or entity org
    assert [e.action for e in since] == ["organisation.update", "prefix.assign"]
    assert none == []


async def test_a_rolled_back_transaction_keeps_no_audit_row(store: SqlRegistryStore) -> None:
    async def record_then_fail() -> None:
        async with store.transaction() as unit:
            await unit.audit.record(event("organisation.create", T0))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await record_then_fail()
    async with store.transaction() as unit:
        assert await unit.audit.list() == []


def user(user_id: str, email: str, **changes: object) -> PortalUser:
    values: dict[str, object] = {
        "user_id": user_id,
        "email": email,
        "name": "Åse Øvrebø",
        "orgno": ORG,
        "created": T0,
    }
    values.update(changes)
    return PortalUser(**values)  # type: ignore[arg-type]


async def test_portal_users_round_trip(store: SqlRegistryStore) -> None:
    full = user(
        "11111111-1111-4111-8111-111111111111",
        "ase@tilbyder.no",
        pid="01817012309",
        rights=("APIer", "leverandør"),
        password_hash="scrypt$abc",
        email_confirmed=True,
        last_login=T1,
    )
    bare = user("22222222-2222-4222-8222-222222222222", "bjorn@konsument.no", orgno=ORG2)
    async with store.transaction() as unit:
        await unit.users.add(full)
        await unit.users.add(bare)
    async with store.transaction() as unit:
        assert await unit.users.get(full.user_id) == full
        assert await unit.users.by_email("bjorn@konsument.no") == bare
        assert await unit.users.by_pid("01817012309") == full
        assert await unit.users.get("unknown") is None
        assert [u.email for u in await unit.users.list()] == ["ase@tilbyder.no", "bjorn@konsument.no"]
        assert await unit.users.list(orgno=ORG2) == [bare]
        changed = PortalUser(
            **{
                **full.__dict__,
                "orgno": ORG2,
                "pid": None,
                "rights": (),
                "active": False,
                "password_hash": None,
            }
        )
        await unit.users.update(changed)
    async with store.transaction() as unit:
        assert await unit.users.get(full.user_id) == changed
        assert await unit.users.by_pid("01817012309") is None


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(user("22222222-2222-4222-8222-222222222222", "ase@tilbyder.no"), id="email-unique"),
        pytest.param(
            user("22222222-2222-4222-8222-222222222222", "b@tilbyder.no", pid="01817012309"), id="pid-unique"
        ),
        pytest.param(
            user("22222222-2222-4222-8222-222222222222", "c@x.no", orgno="310000043"), id="org-exists"
        ),
    ],
)
async def test_portal_user_constraints(store: SqlRegistryStore, second: PortalUser) -> None:
    async with store.transaction() as unit:
        await unit.users.add(
            user("11111111-1111-4111-8111-111111111111", "ase@tilbyder.no", pid="01817012309")
        )
    with pytest.raises(IntegrityError):
        async with store.transaction() as unit:
            await unit.users.add(second)


async def test_two_users_without_pid_are_allowed(store: SqlRegistryStore) -> None:
    async with store.transaction() as unit:
        await unit.users.add(user("11111111-1111-4111-8111-111111111111", "a@tilbyder.no"))
        await unit.users.add(user("22222222-2222-4222-8222-222222222222", "b@tilbyder.no"))
    async with store.transaction() as unit:
        assert len(await unit.users.list()) == 2


async def test_organisation_changes(store: SqlRegistryStore) -> None:
    async with store.transaction() as unit:
        await unit.organisation_changes.update(
            Organisation(
                orgno=ORG,
                name="NYTT NAVN",
                email_domains=("a.no", "b.no"),
                terms_signed=True,
                mercantile={"invoice": {"reference": "Ref ÆØÅ"}, "notification_points": []},
                active=False,
                created=T0,
                last_updated=T1,
            )
        )
        await unit.prefixes.add(Prefix(prefix="abc", orgno=ORG, created=T0))
        await unit.prefixes.add(Prefix(prefix="def", orgno=ORG, created=T0))
        await unit.scopes.add(
            ApiScope("abc:les", "abc", "les", ORG, ScopeSettings(description="x"), True, T0, T0)
        )
    async with store.transaction() as unit:
        stored = await unit.organisations.get(ORG)
        assert stored is not None
        assert (stored.name, stored.email_domains, stored.terms_signed, stored.active) == (
            "NYTT NAVN",
            ("a.no", "b.no"),
            True,
            False,
        )
        assert stored.mercantile == {"invoice": {"reference": "Ref ÆØÅ"}, "notification_points": []}
        assert (stored.created, stored.last_updated) == (T0, T1)
        assert await unit.organisations.domain_owner("b.no") == ORG
        assert await unit.organisation_changes.prefix_in_use("abc") is True
        assert await unit.organisation_changes.prefix_in_use("def") is False
        await unit.organisation_changes.remove_prefix("def")
        await unit.organisation_changes.update(
            Organisation(orgno=ORG, name="NYTT NAVN", email_domains=("c.no",), created=T0, last_updated=T1)
        )
    async with store.transaction() as unit:
        stored = await unit.organisations.get(ORG)
        assert stored is not None
        assert (stored.email_domains, stored.prefixes, stored.mercantile) == (("c.no",), ("abc",), None)
        assert await unit.organisations.domain_owner("a.no") is None
