"""`POST /accessmanagement/api/v1/resourceowner/authorizedparties` (altinn.md §6)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.altinn import store
from portvakt.altinn.errors import bad_request
from portvakt.altinn.facts import Facts
from portvakt.altinn.party import Party
from portvakt.altinn.rights import KEY_ROLES, PRIV, App, Codes, apps_with_rights
from portvakt.domain.identifiers import InvalidNationalId, is_valid_orgnr, parse_national_id

PERSON_ID: Final = "urn:altinn:person:identifier-no"
ORGANISATION_ID: Final = "urn:altinn:organization:identifier-no"
PARTY_UUID: Final = "urn:altinn:party:uuid"
PERSON_UUID: Final = "urn:altinn:person:uuid"
ORGANISATION_UUID: Final = "urn:altinn:organization:uuid"
TYPES: Final = (PERSON_ID, ORGANISATION_ID, PARTY_UUID, PERSON_UUID, ORGANISATION_UUID)

FLAGS: Final = {
    "includeAltinn2": False,
    "includeAltinn3": True,
    "includeRoles": False,
    "includeResources": True,
    "includeAccessPackages": False,
    "includeInstances": False,
    "includePartiesViaKeyRoles": True,
    "includeSubParties": True,
    "includeInactiveParties": True,
}


def parse_flags(query: list[tuple[str, str]]) -> dict[str, bool]:
    """Known flags (case-insensitive names and values); other values → 400."""
    by_lower = {name.lower(): name for name in FLAGS}
    flags = dict(FLAGS)
    for raw_name, raw_value in query:
        name = by_lower.get(raw_name.lower())
        if name is None:
            continue
        value = raw_value.strip().lower()
        if value not in ("true", "false"):
            raise bad_request(name, f"The value '{raw_value}' is not valid for {name}.")
        flags[name] = value == "true"
    return flags


@dataclass(frozen=True)
class Lookup:
    kind: str
    value: str


def parse_body(body: object, env: str) -> Lookup:
    if not isinstance(body, Mapping):
        raise bad_request("body", "A JSON object {type, value} is required.")
    kind, value = body.get("type"), body.get("value")
    if not isinstance(kind, str) or kind not in TYPES:
        raise bad_request("type", f"The type must be one of {', '.join(TYPES)}.")
    if not isinstance(value, str) or not value:
        raise bad_request("value", "The value is required.")
    if kind == PERSON_ID:
        try:
            parse_national_id(value, env=env)
        except InvalidNationalId:
            raise bad_request("value", "The value is not a valid national identity number.") from None
    elif kind == ORGANISATION_ID:
        if not is_valid_orgnr(value):
            raise bad_request("value", "The value is not a valid organization number.")
    else:
        try:
            value = str(uuid.UUID(value))
        except ValueError:
            raise bad_request("value", "The value is not a valid UUID.") from None
    return Lookup(kind, value)


async def resolve_subject(connection: AsyncConnection, lookup: Lookup) -> Party | None:
    if lookup.kind in (PERSON_ID, ORGANISATION_ID):
        return await store.party(connection, lookup.value)
    found = await store.party_by_uuid(connection, lookup.value)
    if found is None:
        return None
    if lookup.kind == PERSON_UUID and not found.is_person:
        return None
    if lookup.kind == ORGANISATION_UUID and found.is_person:
        return None
    return found


@dataclass
class Entry:
    party: Party
    codes: Codes
    resources: list[str]
    via_roles: bool
    delegated: bool
    subunits: list[Entry]
    qualifies: bool = True


async def _candidates(facts: Facts, subject: Party, flags: Mapping[str, bool]) -> dict[str, Party]:
    """Self, every party with a non-empty §3 code set, and every party that delegated to the subject."""
    connection = facts.connection
    found: dict[str, Party] = {}
    delegators = {
        delegation.offered_by for delegation in await store.delegations_to(connection, subject.identifier)
    }
    if subject.is_person:
        found[subject.identifier] = subject
        if flags["includePartiesViaKeyRoles"]:
            holdings = await facts.holdings(subject.identifier)
            firms = [orgnr for orgnr, codes in holdings.items() if not codes.isdisjoint(KEY_ROLES)]
            orgnrs = set(holdings) | await store.client_entities(connection, firms)
            for party in await store.organisations(connection, orgnrs):
                found[party.identifier] = party
            for party in await store.sub_units(connection, orgnrs):
                found.setdefault(party.identifier, party)
    for identifier in sorted(delegators - set(found)):
        delegator = await facts.party(identifier)
        if delegator is not None:
            found[delegator.identifier] = delegator
    return found


async def _entry(
    facts: Facts, subject: Party, party: Party, apps: list[App], flags: Mapping[str, bool]
) -> Entry:
    codes = await facts.codes(subject, party)
    delegations = await facts.delegations(party.identifier, subject.identifier)
    via_roles = bool(codes.er or codes.derived) and flags["includePartiesViaKeyRoles"]
    is_self = party.identifier == subject.identifier
    resources = apps_with_rights(apps, codes, delegations)
    return Entry(party, codes, resources, via_roles or is_self, bool(delegations), [], True)


def _document(entry: Entry, flags: Mapping[str, bool]) -> dict[str, Any]:
    party = entry.party
    roles: set[str] = set()
    if flags["includeRoles"] and entry.qualifies:
        roles |= entry.codes.er
        if entry.codes.priv:
            roles.add(PRIV)
        if flags["includeAltinn2"]:
            roles |= entry.codes.derived
    resources = (
        entry.resources if flags["includeResources"] and flags["includeAltinn3"] and entry.qualifies else []
    )
    return {
        "partyUuid": party.uuid,
        "name": party.name,
        "organizationNumber": None if party.is_person else party.identifier,
        "personId": party.identifier if party.is_person else None,
        "dateOfBirth": party.birth_date.isoformat() if party.birth_date is not None else None,
        "partyId": party.party_id,
        "type": "Person" if party.is_person else "Organization",
        "unitType": party.organisation_form,
        "isDeleted": party.deleted,
        "onlyHierarchyElementWithNoAccess": not entry.qualifies,
        "authorizedAccessPackages": [],
        "authorizedResources": resources,
        "authorizedRoles": sorted(roles),
        "authorizedInstances": [],
        "subunits": [_document(sub, flags) for sub in sorted(entry.subunits, key=lambda e: e.party.name)],
    }


async def authorized_parties(
    connection: AsyncConnection, owner_code: str, lookup: Lookup, flags: Mapping[str, bool]
) -> list[dict[str, Any]]:
    facts = Facts(connection)
    subject = await resolve_subject(connection, lookup)
    if subject is None:
        return []
    apps = await store.owner_apps(connection, owner_code)
    candidates = await _candidates(facts, subject, flags)
    entries = {
        identifier: await _entry(facts, subject, party, apps, flags)
        for identifier, party in candidates.items()
    }
    if not flags["includeInactiveParties"]:
        entries = {key: entry for key, entry in entries.items() if not entry.party.deleted}
    top: dict[str, Entry] = {}
    for identifier, entry in list(entries.items()):
        party = entry.party
        if party.is_sub_unit and party.parent_orgnr is not None:
            if not flags["includeSubParties"]:
                continue
            parent = entries.get(party.parent_orgnr)
            if parent is None:
                main = await facts.party(party.parent_orgnr)
                if main is None or (main.deleted and not flags["includeInactiveParties"]):
                    continue
                parent = Entry(main, Codes(), [], False, False, [], qualifies=False)
                entries[main.identifier] = parent
                top[main.identifier] = parent
            parent.subunits.append(entry)
        else:
            top[identifier] = entry
    ordered = sorted(
        top.values(),
        key=lambda entry: (
            entry.party.identifier != subject.identifier,
            entry.party.name,
            entry.party.identifier,
        ),
    )
    return [_document(entry, flags) for entry in ordered]
