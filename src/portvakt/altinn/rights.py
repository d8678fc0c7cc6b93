"""The one evaluator (altinn.md §3–§6): effective role codes, app rights and decisions.

Pure: no web framework, no SQL. apprights, the PDP and authorizedparties are three views of these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from portvakt.altinn.policy import APP_WIDE, Policy, Resource, resource_id

# §3 row 3: ER roles that make their holder a key-role holder (nøkkelrolle).
KEY_ROLES: Final = frozenset(
    {"DAGL", "LEDE", "INNH", "DTSO", "DTPR", "KOMP", "BEST", "BOBE", "KNUF", "REPR", "KOMK", "KEMN", "SAM"}
)
KEY_ROLE_CODES: Final = frozenset({"HADM", "ADMAI", "UTINN", "REGNA", "LOPER", "SISKD", "SIGNE", "APIADM"})
ESTATE_CODES: Final = frozenset({"BOBEL", "BOBES"})  # for BOBE (bobestyrer)
ACCOUNTANT_CODES: Final = frozenset({"A0212", "A0236", "A0237"})  # §3 row 4, via REGN
AUDITOR_CODES: Final = frozenset({"A0238", "A0239"})  # §3 row 5, via REVI
DELEGATABLE_CODES: Final = frozenset({"HADM", "ADMAI", "PRIV"})
PRIV: Final = "PRIV"


class Source(StrEnum):
    ROLE = "RoleTypeRight"
    DELEGATION = "DirectlyDelegated"


@dataclass(frozen=True, slots=True)
class App:
    position: int  # registration order of the owner's apps
    org: str
    name: str
    title: str
    policy: Policy
    min_auth_level: int

    @property
    def app_id(self) -> str:
        return f"{self.org}/{self.name}"

    @property
    def resource_id(self) -> str:
        return resource_id(self.org, self.name)


@dataclass(frozen=True, slots=True)
class Delegation:
    """An active direct delegation (§2.4), one action."""

    rule_guid: str
    offered_by: str
    covered_by: str
    app_org: str
    app_name: str
    resource: Resource | None
    action: str
    is_delegatable: bool

    @property
    def app_id(self) -> str:
        return f"{self.app_org}/{self.app_name}"


@dataclass(frozen=True, slots=True)
class Unit:
    """An organisation whose ER roles count for a party: the party itself or a sub-unit's main unit."""

    orgnr: str
    accountants: frozenset[str] = frozenset()  # holders of REGN in this unit
    auditors: frozenset[str] = frozenset()  # holders of REVI in this unit


@dataclass(frozen=True, slots=True)
class PartyRoles:
    """What §3 needs to know about a party: its identifier and (organisations) its units."""

    identifier: str  # fødselsnummer/D-number or organisation number
    is_person: bool
    units: tuple[Unit, ...] = ()  # the party, then its main unit when it is a sub-unit


Holdings = Mapping[str, frozenset[str]]  # a person's current ER roles, by entity organisation number


@dataclass(frozen=True, slots=True)
class Codes:
    """Effective role codes of a person for a party (§3), upper case."""

    er: frozenset[str] = frozenset()  # row 2 (and 6): the ER codes themselves
    derived: frozenset[str] = frozenset()  # rows 3–5 (and 6): Altinn 2 codes
    priv: bool = False  # row 1

    @property
    def all(self) -> frozenset[str]:
        return self.er | self.derived | ({PRIV} if self.priv else frozenset())

    @property
    def delegatable(self) -> bool:
        return not self.all.isdisjoint(DELEGATABLE_CODES)

    def __bool__(self) -> bool:
        return bool(self.er or self.derived or self.priv)


NO_CODES: Final = Codes()


def _key_holder(holdings: Holdings, orgnr: str) -> bool:
    return not holdings.get(orgnr, frozenset()).isdisjoint(KEY_ROLES)


def effective_codes(subject: str, holdings: Holdings, party: PartyRoles) -> Codes:
    """§3 for person `subject` (holding `holdings`) acting for `party`."""
    if party.is_person:
        return Codes(priv=subject == party.identifier)
    er: set[str] = set()
    derived: set[str] = set()
    for unit in party.units:
        held = holdings.get(unit.orgnr, frozenset())
        er |= held
        if not held.isdisjoint(KEY_ROLES):
            derived |= KEY_ROLE_CODES
            if "BOBE" in held:
                derived |= ESTATE_CODES
        if any(_key_holder(holdings, firm) for firm in unit.accountants):
            derived |= ACCOUNTANT_CODES
        if any(_key_holder(holdings, firm) for firm in unit.auditors):
            derived |= AUDITOR_CODES
    return Codes(er=frozenset(er), derived=frozenset(derived))


@dataclass(frozen=True, slots=True)
class Right:
    """One line of apprights (§4), with the policy rule (or delegation) that gave it."""

    position: int
    app_id: str
    resource_id: str
    resource_value: str
    action: str
    source: Source
    rule_guid: str
    is_delegatable: bool
    rule_id: str

    def sort_key(self) -> tuple[int, int, str, str, str, str]:
        source_rank = 0 if self.source is Source.ROLE else 1
        return (
            self.position,
            source_rank,
            self.resource_id,
            self.resource_value,
            self.action,
            self.rule_guid,
        )


def _resource_fields(app: App, resource: Resource | None) -> tuple[str, str]:
    return (APP_WIDE, app.name) if resource is None else (resource.id, resource.value)


def role_rights(app: App, codes: Codes) -> list[Right]:
    """§4 step 1: rules whose rolecodes intersect the codes, one right per action, duplicates collapsed."""
    lowered = {code.lower() for code in codes.all}
    rights: dict[tuple[str, str, str], Right] = {}
    for rule in app.policy.rules:
        if rule.rolecodes.isdisjoint(lowered):
            continue
        rid, value = _resource_fields(app, rule.resource)
        for action in rule.actions:
            rights.setdefault(
                (rid, value, action),
                Right(
                    app.position,
                    app.app_id,
                    rid,
                    value,
                    action,
                    Source.ROLE,
                    "",
                    codes.delegatable,
                    rule.rule_id,
                ),
            )
    return list(rights.values())


def delegated_rights(app: App, delegations: Iterable[Delegation]) -> list[Right]:
    """§4 step 2: each active delegation of this app."""
    rights = []
    for delegation in delegations:
        if delegation.app_org != app.org or delegation.app_name != app.name:
            continue
        rid, value = _resource_fields(app, delegation.resource)
        rights.append(
            Right(
                app.position,
                app.app_id,
                rid,
                value,
                delegation.action,
                Source.DELEGATION,
                delegation.rule_guid,
                delegation.is_delegatable,
                delegation.rule_guid,
            )
        )
    return rights


def app_rights(apps: Sequence[App], codes: Codes, delegations: Iterable[Delegation]) -> list[Right]:
    """§4: every right of the subject for the party on these apps, in the §4 order."""
    delegations = list(delegations)
    rights: list[Right] = []
    for app in apps:
        rights += role_rights(app, codes)
        rights += delegated_rights(app, delegations)
    return sorted(rights, key=Right.sort_key)


def apps_with_rights(apps: Sequence[App], codes: Codes, delegations: Iterable[Delegation]) -> list[str]:
    """§6 `authorizedResources`: sorted resource ids of the apps with at least one right."""
    delegations = list(delegations)
    return sorted(
        app.resource_id for app in apps if role_rights(app, codes) or delegated_rights(app, delegations)
    )


@dataclass(frozen=True, slots=True)
class Question:
    """One PDP question (§5) after the party, subject and app were resolved."""

    app: App
    action: str
    resource: Resource | None  # the request's task / end-event, if any
    codes: Codes  # the subject's role codes for the party (empty for organisations)
    owner_code: str | None  # subject `urn:altinn:org`
    delegations: tuple[Delegation, ...]  # active delegations party → subject on this app


def _resource_matches(rule_resource: Resource | None, requested: Resource | None) -> bool:
    return rule_resource is None or rule_resource == requested


def permits(question: Question) -> bool:
    """§5: a policy rule matches (role codes or `urn:altinn:org`), or an active delegation does."""
    action = question.action.lower()
    lowered = {code.lower() for code in question.codes.all}
    for rule in question.app.policy.rules:
        if action not in rule.actions or not _resource_matches(rule.resource, question.resource):
            continue
        if not rule.rolecodes.isdisjoint(lowered):
            return True
        if question.owner_code is not None and question.owner_code in rule.orgs:
            return True
    return any(
        delegation.action == action
        and delegation.app_org == question.app.org
        and delegation.app_name == question.app.name
        and _resource_matches(delegation.resource, question.resource)
        for delegation in question.delegations
    )
