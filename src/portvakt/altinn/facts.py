"""Loads what the evaluator needs (altinn.md §3) from the rule store, once per request and key."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.altinn import store
from portvakt.altinn.party import Party
from portvakt.altinn.rights import NO_CODES, App, Codes, Delegation, Holdings, PartyRoles, effective_codes


class Facts:
    """Request-scoped reads with memoisation: a 100-element PDP multi-request asks about few parties."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._holdings: dict[str, Holdings] = {}
        self._party_roles: dict[str, PartyRoles] = {}
        self._parties: dict[str, Party | None] = {}
        self._apps: dict[tuple[str, str], App | None] = {}
        self._delegations: dict[tuple[str, str], list[Delegation]] = {}
        self._received: dict[str, list[Delegation]] = {}  # all active delegations to a party (prefetched)

    async def party(self, identifier: str) -> Party | None:
        if identifier not in self._parties:
            self._parties[identifier] = await store.party(self.connection, identifier)
        return self._parties[identifier]

    async def app(self, org: str, name: str) -> App | None:
        key = (org, name)
        if key not in self._apps:
            self._apps[key] = await store.app(self.connection, org, name)
        return self._apps[key]

    async def holdings(self, national_id: str) -> Holdings:
        if national_id not in self._holdings:
            self._holdings[national_id] = await store.holdings(self.connection, national_id)
        return self._holdings[national_id]

    async def party_roles(self, party: Party) -> PartyRoles:
        if party.identifier not in self._party_roles:
            self._party_roles[party.identifier] = await store.party_roles(self.connection, party)
        return self._party_roles[party.identifier]

    async def codes(self, subject: Party, party: Party) -> Codes:
        """§3 codes of a person subject for a party; organisations hold no role codes."""
        if not subject.is_person:
            return NO_CODES
        return effective_codes(
            subject.identifier, await self.holdings(subject.identifier), await self.party_roles(party)
        )

    async def prefetch(self, persons: Iterable[str], organisations: Iterable[str]) -> None:
        """Bulk reads for a multi-request: the parties, the persons' ER roles, the organisations' accountants
        and auditors, and the delegations to the persons and organisations, a few queries in all."""
        connection = self.connection
        person_ids = {value for value in persons if value not in self._parties}
        orgnrs = {value for value in organisations if value not in self._parties}
        for party in await store.persons_many(connection, person_ids):
            self._parties[party.identifier] = party
        for party in await store.organisations(connection, orgnrs):
            self._parties[party.identifier] = party
        for identifier in person_ids | orgnrs:
            self._parties.setdefault(identifier, None)
        known = [party for party in self._parties.values() if party is not None]
        subjects = [
            party.identifier for party in known if party.is_person and party.identifier not in self._holdings
        ]
        self._holdings |= await store.holdings_many(connection, subjects)
        pending = [
            party for party in known if not party.is_person and party.identifier not in self._party_roles
        ]
        self._party_roles |= await store.party_roles_many(connection, pending)
        receivers = [party.identifier for party in known if party.identifier not in self._received]
        received = await store.delegations_many(connection, receivers)
        for identifier in receivers:
            self._received[identifier] = received.get(identifier, [])

    async def delegations(self, offered_by: str, covered_by: str) -> list[Delegation]:
        if covered_by in self._received:
            return [d for d in self._received[covered_by] if d.offered_by == offered_by]
        key = (offered_by, covered_by)
        if key not in self._delegations:
            self._delegations[key] = await store.delegations_between(self.connection, offered_by, covered_by)
        return self._delegations[key]
