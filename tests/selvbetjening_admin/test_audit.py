"""The change log (selvbetjening.md §9): one row per change, exact before/after and actor, secrets never
stored, written in the change's own transaction."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from portvakt.domain.clock import FixedClock
from portvakt.registry.admin import AdminService
from portvakt.registry.admin_repository import SqlAuditLog
from portvakt.registry.audit import AuditEvent, audit_event_json, snapshot
from portvakt.registry.errors import InvalidClientMetadata
from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import ClientSettings, organisation_json, scope_json
from portvakt.registry.repository import SqlClients
from portvakt.registry.users import user_json
from portvakt.settings import Settings
from tests.selvbetjening_admin.conftest import (
    ALTINN_ISSUER,
    CONSUMER,
    PID,
    PLATFORM,
    PROVIDER,
    SCOPE,
    acting_as,
    audit_rows,
)


def summary(events: list[AuditEvent]) -> list[tuple[str, str, str, str | None]]:
    return [(e.action, e.entity_type, e.entity_id, e.orgno) for e in events]


async def test_bootstrap_records_what_it_creates_once(admin: AdminService, clock: FixedClock) -> None:
    await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    events = await admin.audit_events()
    assert summary(events)[:5] == [
        ("organisation.create", "organisation", PLATFORM, PLATFORM),
        ("prefix.assign", "prefix", "idporten", PLATFORM),
        ("prefix.assign", "prefix", "krr", PLATFORM),
        ("prefix.assign", "prefix", "portvakt", PLATFORM),
        ("delegation_source.create", "delegation_source", "altinn", None),
    ]
    assert [e.entity_id for e in events[5:]] == [
        "idporten:dcr.read",
        "idporten:dcr.modify",
        "idporten:dcr.write",
        "idporten:dcr.supplier",
        "idporten:scopes.write",
        "portvakt:admin",
        "idporten:token.introspection",
    ]
    first = events[0]
    assert (first.occurred, first.channel, first.actor, first.acting_orgno) == (
        clock.now(),
        "cli",
        "cli",
        PLATFORM,
    )
    assert first.before is None
    assert first.after is not None
    assert (first.after["name"], first.after["terms_signed"]) == ("PLATTFORMOPERATØR", True)
    assert events[4].after == {
        "name": "altinn",
        "issuer": ALTINN_ISSUER,
        "created": "2026-01-01T00:00:00.000Z",
        "last_updated": "2026-01-01T00:00:00.000Z",
    }
    await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    assert len(await admin.audit_events()) == len(events)
    clock.advance(60)
    await admin.bootstrap(altinn_issuer="https://altinn.example.no/")
    changed = (await admin.audit_events())[-1]
    assert changed.action == "delegation_source.update"
    assert changed.before is not None
    assert changed.after is not None
    assert (changed.before["issuer"], changed.after["issuer"]) == (
        ALTINN_ISSUER,
        "https://altinn.example.no/",
    )


async def test_organisation_prefix_and_scope_creation(platform: AdminService) -> None:
    events = await platform.audit_events(orgno=PROVIDER)
    assert summary(events) == [
        ("organisation.create", "organisation", PROVIDER, PROVIDER),
        ("prefix.assign", "prefix", "test", PROVIDER),
        ("scope.create", "scope", SCOPE, PROVIDER),
    ]
    provider = await platform.get_organisation(PROVIDER)
    assert events[0].after == {**organisation_json(provider), "prefixes": []}  # as created, before the prefix
    assert events[1].after == {"prefix": "test", "orgno": PROVIDER, "created": "2026-01-01T00:00:00.000Z"}
    assert events[2].after == scope_json(await platform.get_scope(SCOPE))


async def test_scope_deactivation_by_the_owner(platform: AdminService, clock: FixedClock) -> None:
    before = await platform.get_scope(SCOPE)
    clock.advance(timedelta(hours=1))
    owner = acting_as(platform, PROVIDER, name="klient-1")
    after = await owner.deactivate_scope(SCOPE, orgno=PROVIDER)
    await owner.deactivate_scope(SCOPE, orgno=PROVIDER)  # idempotent: no second row
    events = [e for e in await platform.audit_events() if e.action == "scope.deactivate"]
    assert len(events) == 1
    event = events[0]
    assert (event.channel, event.actor, event.acting_orgno, event.occurred) == (
        "api",
        "klient-1",
        PROVIDER,
        clock.now(),
    )
    assert (event.before, event.after) == (scope_json(before), scope_json(after))
    assert event.before is not None
    assert event.after is not None
    assert (event.before["active"], event.after["active"]) == (True, False)


async def test_access_grant_and_revoke(platform: AdminService, clock: FixedClock) -> None:
    owner = acting_as(platform, PROVIDER)
    granted = await owner.grant_access(SCOPE, CONSUMER, orgno=PROVIDER)
    await owner.grant_access(SCOPE, CONSUMER, orgno=PROVIDER)  # unchanged: no row
    clock.advance(5)
    revoked = await owner.revoke_access(SCOPE, CONSUMER, orgno=PROVIDER)
    events = [e for e in await platform.audit_events(orgno=PROVIDER) if e.entity_type == "scope_access"]
    assert [(e.action, e.entity_id) for e in events] == [
        ("scope_access.grant", f"{SCOPE}|{CONSUMER}"),
        ("scope_access.revoke", f"{SCOPE}|{CONSUMER}"),
    ]
    expected_granted = {
        "scope": SCOPE,
        "consumer_orgno": CONSUMER,
        "owner_orgno": PROVIDER,
        "state": "APPROVED",
        "created": "2026-01-01T00:00:00.000Z",
        "last_updated": "2026-01-01T00:00:00.000Z",
    }
    assert (events[0].before, events[0].after) == (None, expected_granted)
    assert events[1].before == expected_granted
    assert events[1].after == {
        **expected_granted,
        "state": "DENIED",
        "last_updated": "2026-01-01T00:00:05.000Z",
    }
    assert (granted.state.value, revoked.state.value) == ("APPROVED", "DENIED")


async def test_client_secret_and_private_key_are_never_stored(
    platform: AdminService, admin_settings: Settings
) -> None:
    secret_client = await platform.create_client(
        ClientSettings(
            client_name="Nettside",
            integration_type="idporten",
            redirect_uris=("https://nettside.example.no/callback",),
        ),
        orgno=PROVIDER,
    )
    keyed = await platform.create_client(
        ClientSettings(
            client_name="Maskin", integration_type="maskinporten", description="d", scopes=(SCOPE,)
        ),
        orgno=PROVIDER,
        generate_key=True,
    )
    assert secret_client.client_secret is not None
    assert keyed.private_jwk is not None
    stored = json.dumps(audit_rows(admin_settings.database_url), default=str, ensure_ascii=False)
    assert secret_client.client_secret not in stored
    assert secret_client.client.client_secret_hash is not None
    assert secret_client.client.client_secret_hash not in stored
    assert "client_secret_hash" not in stored
    assert keyed.private_jwk["d"] not in stored
    assert keyed.private_jwk["p"] not in stored
    events = await platform.audit_events(orgno=PROVIDER)
    created = [e for e in events if e.action == "client.create"]
    assert [e.entity_id for e in created] == [secret_client.client.client_id, keyed.client.client_id]
    assert created[0].after is not None
    assert created[0].after["client_secret_expires_at"] == "2026-12-27T00:00:00.000Z"  # when, never what
    keys = [e for e in events if e.action == "client.keys.replace"]
    assert len(keys) == 1
    assert keys[0].after is not None
    assert [key["kid"] for key in keys[0].after["keys"]] == [keyed.keys[0].kid]
    assert keys[0].after["keys"][0]["n"] == keyed.keys[0].jwk["n"]


async def test_key_replacement_and_addition_record_both_sets(
    platform: AdminService, clock: FixedClock
) -> None:
    created = await platform.create_client(
        ClientSettings(
            client_name="Maskin", integration_type="maskinporten", description="d", scopes=(SCOPE,)
        ),
        orgno=PROVIDER,
        generate_key=True,
    )
    client_id = created.client.client_id
    first_kid = created.keys[0].kid
    replacement = generate_rsa_key()
    clock.advance(10)
    await platform.replace_client_keys(client_id, [replacement.public_jwk])
    extra = generate_rsa_key()
    await platform.add_client_key(client_id, extra.public_jwk)
    events = [e for e in await platform.audit_events() if e.entity_type == "client_keys"]
    assert [(e.action, e.entity_id, e.orgno) for e in events] == [
        ("client.keys.replace", client_id, PROVIDER),
        ("client.keys.replace", client_id, PROVIDER),
        ("client.keys.add", client_id, PROVIDER),
    ]

    def kids(document: Any) -> list[str]:
        return [key["kid"] for key in document["keys"]]

    assert (kids(events[1].before), kids(events[1].after)) == ([first_kid], [replacement.kid])
    assert (kids(events[2].before), kids(events[2].after)) == (
        [replacement.kid],
        [replacement.kid, extra.kid],
    )


async def test_delegation_source_add(platform: AdminService) -> None:
    source = await platform.add_delegation_source("annen", "https://annen.example.no/")
    event = (await platform.audit_events())[-1]
    assert (event.action, event.entity_type, event.entity_id, event.before) == (
        "delegation_source.create",
        "delegation_source",
        "annen",
        None,
    )
    assert event.after == snapshot(source)


async def test_admin_changes_and_users(
    platform: AdminService, clock: FixedClock, admin_settings: Settings
) -> None:
    clock.advance(1)
    before = await platform.get_organisation(CONSUMER)
    updated = await platform.update_organisation(CONSUMER, name="NYTT NAVN AS")
    deactivated = await platform.deactivate_organisation(CONSUMER)
    portal = acting_as(platform, PROVIDER, channel="portal", name="ase@tilbyder.no")
    user = await portal.register_user("Ase@Tilbyder.no", "Åse", password_hash="scrypt$hemmelig")
    with_pid = await platform.set_user_pid(user.email, PID)
    granted = await platform.grant_right(user.email, "apier")
    revoked = await platform.revoke_right(user.email, "APIer")
    moved = await platform.set_user_org(user.email, PLATFORM)
    gone = await platform.deactivate_user(user.email, by_email=True)
    events = (await platform.audit_events())[-8:]
    assert [(e.action, e.entity_type) for e in events] == [
        ("organisation.update", "organisation"),
        ("organisation.deactivate", "organisation"),
        ("user.register", "user"),
        ("user.set_pid", "user"),
        ("user.grant_right", "user"),
        ("user.revoke_right", "user"),
        ("user.set_org", "user"),
        ("user.deactivate", "user"),
    ]
    assert (events[0].before, events[0].after) == (organisation_json(before), organisation_json(updated))
    assert (events[1].before, events[1].after) == (organisation_json(updated), organisation_json(deactivated))
    register = events[2]
    assert (register.channel, register.actor, register.acting_orgno, register.before) == (
        "portal",
        "ase@tilbyder.no",
        PROVIDER,
        None,
    )
    assert register.after == user_json(user)
    assert events[3].before == user_json(user)
    assert events[3].after == {**user_json(with_pid), "pid": "<redacted>"}
    assert events[4].after == {**user_json(granted), "pid": "<redacted>"}
    assert events[5].after is not None
    assert events[5].after["rights"] == list(revoked.rights) == []
    assert events[6].after is not None
    assert (events[6].entity_id, events[6].after["orgno"]) == (
        user.user_id,
        PLATFORM,
    )
    assert moved.orgno == PLATFORM
    assert events[7].after is not None
    assert events[7].after["active"] is gone.active is False
    stored = json.dumps(audit_rows(admin_settings.database_url), default=str)
    assert PID not in stored
    assert "scrypt$hemmelig" not in stored
    assert "password" not in stored


async def test_prefix_unassign(platform: AdminService) -> None:
    await platform.assign_prefix("ledig", CONSUMER)
    owner = await platform.unassign_prefix("ledig")
    event = (await platform.audit_events())[-1]
    assert (event.action, event.entity_type, event.entity_id, event.orgno, event.after) == (
        "prefix.unassign",
        "prefix",
        "ledig",
        CONSUMER,
        None,
    )
    assert event.before == {"prefix": "ledig", "orgno": CONSUMER, "created": "2026-01-01T00:00:00.000Z"}
    assert owner.orgno == CONSUMER


async def test_the_audit_json_form(platform: AdminService) -> None:
    event = (await platform.audit_events())[-1]
    document = audit_event_json(event)
    assert list(document) == [
        "id",
        "time",
        "channel",
        "actor",
        "acting_orgno",
        "action",
        "entity_type",
        "entity_id",
        "orgno",
        "before",
        "after",
    ]
    assert (document["time"], document["action"]) == ("2026-01-01T00:00:00.000Z", "scope.create")


async def test_audit_since_filter(platform: AdminService, clock: FixedClock) -> None:
    start = clock.now() + timedelta(minutes=1)
    clock.set(start)
    await platform.assign_prefix("senere", CONSUMER)
    assert summary(await platform.audit_events(since=start)) == [
        ("prefix.assign", "prefix", "senere", CONSUMER)
    ]


# -- the same transaction ---------------------------------------------------------------------------


async def test_a_change_whose_audit_row_fails_is_undone(
    platform: AdminService, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: SqlAuditLog, event: AuditEvent) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(SqlAuditLog, "record", broken)
    with pytest.raises(RuntimeError):
        await platform.update_organisation(CONSUMER, name="SKAL IKKE LAGRES")
    monkeypatch.undo()
    assert (await platform.get_organisation(CONSUMER)).name == "KONSUMENT AS"


async def test_a_failing_change_writes_no_audit_row(
    platform: AdminService, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = len(await platform.audit_events())

    async def broken(self: SqlClients, client_id: str, keys: Any) -> None:
        raise RuntimeError("storage failure after the client row and its audit row")

    monkeypatch.setattr(SqlClients, "replace_keys", broken)
    with pytest.raises(RuntimeError):
        await platform.create_client(
            ClientSettings(
                client_name="Maskin", integration_type="maskinporten", description="d", scopes=(SCOPE,)
            ),
            orgno=PROVIDER,
            generate_key=True,
        )
    monkeypatch.undo()
    assert len(await platform.audit_events()) == count


async def test_a_refused_change_writes_no_audit_row(platform: AdminService) -> None:
    count = len(await platform.audit_events())
    with pytest.raises(InvalidClientMetadata):
        await platform.create_client(
            replace(
                ClientSettings(client_name="Maskin", integration_type="maskinporten", description="d"),
                scopes=("finnes:ikke",),
            ),
            orgno=PROVIDER,
        )
    assert len(await platform.audit_events()) == count
