"""`GET /api/serviceowner/authorization/apprights` — legacy (Altinn 2), altinn.md §4."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.altinn import store
from portvakt.altinn.apikeys import key_id_of, key_matches
from portvakt.altinn.errors import LegacyError
from portvakt.altinn.facts import Facts
from portvakt.altinn.party import Party
from portvakt.altinn.rights import Right, app_rights
from portvakt.altinn.store import ServiceOwner
from portvakt.domain.identifiers import InvalidNationalId, is_valid_orgnr, parse_national_id

PATH: Final = "/api/serviceowner/authorization/apprights"

MISSING_KEY: Final = "Required header 'ApiKey' is missing."
KEY_REFUSED: Final = "Forbidden - The API key is not authorized for this operation"
WRONG_ORGANISATION: Final = "Forbidden - The authenticated organization does not own the API key"
SUBJECT_REQUIRED: Final = "The subject parameter is required."
SUBJECT_INVALID: Final = "The subject parameter is not a valid national identity number."
REPORTEE_REQUIRED: Final = "The reportee parameter is required."
REPORTEE_INVALID: Final = (
    "The reportee parameter is not a valid organization number or national identity number."
)
SUBJECT_NOT_FOUND: Final = "Subject not found."
REPORTEE_NOT_FOUND: Final = "Reportee not found."


async def service_owner_for_key(connection: AsyncConnection, key: str | None, now: datetime) -> ServiceOwner:
    """Checks 1–2: the key is present, well formed, known, unrevoked, and its owner is active."""
    if key is None or not key.strip():
        raise LegacyError(401, MISSING_KEY)
    key = key.strip()
    key_id = key_id_of(key)
    row = None if key_id is None else await store.api_key(connection, key_id)
    if row is None or not key_matches(key, row.sha256) or row.revoked_at is not None:
        raise LegacyError(403, KEY_REFUSED, detail="unknown, wrong or revoked API key")
    owner = await store.service_owner(connection, row.owner_code)
    if owner is None or not owner.active:
        raise LegacyError(403, KEY_REFUSED, detail="service owner inactive")
    await store.touch_api_key(connection, row.key_id, now)
    return owner


def query_parameters(items: list[tuple[str, str]]) -> dict[str, str]:
    """Case-insensitive names, first occurrence wins, unknown names ignored by the caller."""
    found: dict[str, str] = {}
    for name, value in items:
        found.setdefault(name.lower(), value)
    return found


@dataclass(frozen=True)
class AppRightsResult:
    subject: Party
    reportee: Party
    rights: list[Right]


def _check_parameters(parameters: Mapping[str, str], env: str) -> tuple[str, str]:
    """Checks 4–7."""
    subject = parameters.get("subject", "").strip()
    if not subject:
        raise LegacyError(400, SUBJECT_REQUIRED)
    try:
        parse_national_id(subject, env=env)
    except InvalidNationalId:
        raise LegacyError(400, SUBJECT_INVALID) from None
    reportee = parameters.get("reportee", "").strip()
    if not reportee:
        raise LegacyError(400, REPORTEE_REQUIRED)
    if len(reportee) == 9:
        valid = is_valid_orgnr(reportee)
    else:
        try:
            parse_national_id(reportee, env=env)
            valid = True
        except InvalidNationalId:
            valid = False
    if not valid:
        raise LegacyError(400, REPORTEE_INVALID)
    return subject, reportee


async def app_rights_for(
    connection: AsyncConnection, owner: ServiceOwner, parameters: Mapping[str, str], env: str
) -> AppRightsResult:
    """Checks 4–9, then the §4 computation for the owner's apps."""
    subject_id, reportee_id = _check_parameters(parameters, env)
    facts = Facts(connection)
    subject = await store.person(connection, subject_id)
    if subject is None:
        raise LegacyError(404, SUBJECT_NOT_FOUND)
    reportee = await facts.party(reportee_id)
    if reportee is None:
        raise LegacyError(404, REPORTEE_NOT_FOUND)
    apps = await store.owner_apps(connection, owner.code)
    codes = await facts.codes(subject, reportee)
    delegations = await facts.delegations(reportee.identifier, subject.identifier)
    return AppRightsResult(subject, reportee, app_rights(apps, codes, delegations))


def _person(party: Party) -> dict[str, Any]:
    return {"Name": party.name, "Type": "Person", "SocialSecurityNumber": party.identifier}


def _reportee(party: Party) -> dict[str, Any]:
    if party.is_person:
        return _person(party)
    body: dict[str, Any] = {
        "Name": party.name,
        "Type": "Business" if party.is_sub_unit else "Enterprise",
        "OrganizationNumber": party.identifier,
    }
    if party.is_sub_unit:
        body["ParentOrganizationNumber"] = party.parent_orgnr
    body["OrganizationForm"] = party.organisation_form
    body["Status"] = "Deleted" if party.deleted else "Active"
    return body


def right_document(right: Right) -> dict[str, Any]:
    return {
        "RuleGuid": right.rule_guid,
        "AltinnAppId": right.app_id,
        "ResourceId": right.resource_id,
        "ResourceValue": right.resource_value,
        "Action": right.action,
        "RightSourceType": right.source.value,
        "IsDelegatable": right.is_delegatable,
    }


def render(result: AppRightsResult, base_url: str, *, hal: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Subject": _person(result.subject),
        "Reportee": _reportee(result.reportee),
        "AppRights": [right_document(right) for right in result.rights],
    }
    if hal:
        query = urlencode({"subject": result.subject.identifier, "reportee": result.reportee.identifier})
        body["_links"] = {"self": {"href": f"{base_url}{PATH}?{query}"}}
    return body
