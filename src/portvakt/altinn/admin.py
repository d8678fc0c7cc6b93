"""Administration of the rule store (altinn.md §2, §9): the use cases behind `portvakt altinn …`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.altinn import store
from portvakt.altinn.apikeys import NewKey, new_key
from portvakt.altinn.facts import Facts
from portvakt.altinn.policy import APP_PATTERN, OWNER_CODE_PATTERN, Policy, Resource, default_policy
from portvakt.altinn.rights import App, Delegation
from portvakt.altinn.store import ApiKeyRow, ServiceOwner
from portvakt.domain.errors import Conflict, NotFound, ValidationError
from portvakt.domain.identifiers import InvalidNationalId, is_valid_orgnr, parse_national_id


async def create_service_owner(
    connection: AsyncConnection, code: str, name: str, orgnr: str, now: datetime
) -> ServiceOwner:
    if not OWNER_CODE_PATTERN.match(code):
        raise ValidationError(f"Invalid service-owner code '{code}': 2–10 lower-case letters or digits")
    if not name.strip():
        raise ValidationError("A service owner needs a name")
    if not is_valid_orgnr(orgnr):
        raise ValidationError(f"Invalid organisation number {orgnr}")
    if await store.service_owner(connection, code) is not None:
        raise Conflict(f"Service owner '{code}' already exists")
    if await store.service_owner_by_orgnr(connection, orgnr) is not None:
        raise Conflict(f"Organisation {orgnr} is already a service owner")
    owner = ServiceOwner(code, name.strip(), orgnr, True, now)
    await store.add_service_owner(connection, owner)
    return owner


async def _owner(connection: AsyncConnection, code: str) -> ServiceOwner:
    owner = await store.service_owner(connection, code)
    if owner is None:
        raise NotFound(f"No service owner '{code}'")
    return owner


async def deactivate_service_owner(connection: AsyncConnection, code: str) -> None:
    await _owner(connection, code)
    await store.set_service_owner_active(connection, code, False)


async def create_api_key(
    connection: AsyncConnection, owner_code: str, label: str | None, now: datetime
) -> NewKey:
    await _owner(connection, owner_code)
    key = new_key()
    await store.add_api_key(connection, ApiKeyRow(key.key_id, owner_code, key.sha256, label, now, None, None))
    return key


async def revoke_api_key(connection: AsyncConnection, key_id: str, now: datetime) -> None:
    row = await store.api_key(connection, key_id)
    if row is None:
        raise NotFound(f"No API key '{key_id}'")
    if row.revoked_at is None:
        await store.revoke_api_key(connection, key_id, now)


async def create_app(
    connection: AsyncConnection,
    org: str,
    name: str,
    *,
    title: str | None,
    policy: Policy | None,
    min_auth_level: int,
    now: datetime,
) -> App:
    await _owner(connection, org)
    if not APP_PATTERN.match(name):
        raise ValidationError(f"Invalid app name '{name}'")
    if not 0 <= min_auth_level <= 4:
        raise ValidationError("min-auth-level must be 0–4")
    if await store.app(connection, org, name) is not None:
        raise Conflict(f"App '{org}/{name}' already exists")
    app = App(0, org, name, title or name, policy or default_policy(org, name), min_auth_level)
    await store.add_app(connection, app, now)
    return app


async def set_policy(connection: AsyncConnection, org: str, name: str, policy: Policy) -> None:
    if await store.app(connection, org, name) is None:
        raise NotFound(f"No app '{org}/{name}'")
    await store.set_policy(connection, org, name, policy.to_json())


def _party_identifier(value: str, env: str, what: str) -> str:
    if len(value) == 9 and is_valid_orgnr(value):
        return value
    try:
        parse_national_id(value, env=env)
    except InvalidNationalId:
        raise ValidationError(
            f"{what} must be an organisation number or a national identity number"
        ) from None
    return value


async def create_delegations(
    connection: AsyncConnection,
    *,
    offered_by: str,
    covered_by: str,
    app_id: str,
    resource: Resource | None,
    actions: Sequence[str],
    delegated_by: str,
    delegatable: bool,
    env: str,
    now: datetime,
) -> list[str]:
    """§2.4: one RuleGuid per action, after the policy and `HADM` checks."""
    offered_by = _party_identifier(offered_by, env, "--from")
    covered_by = _party_identifier(covered_by, env, "--to")
    try:
        parse_national_id(delegated_by, env=env)
    except InvalidNationalId:
        raise ValidationError("--by must be a national identity number") from None
    org, _, name = app_id.partition("/")
    app = await store.app(connection, org, name)
    if app is None:
        raise NotFound(f"No app '{app_id}'")
    facts = Facts(connection)
    offerer = await facts.party(offered_by)
    receiver = await facts.party(covered_by)
    delegator = await facts.party(delegated_by)
    if offerer is None or receiver is None or delegator is None:
        raise NotFound("Unknown party: --from, --to and --by must be known parties")
    if delegated_by != offered_by and "HADM" not in (await facts.codes(delegator, offerer)).all:
        raise ValidationError(f"{delegated_by} holds no HADM for {offered_by}")
    if not actions:
        raise ValidationError("At least one --action is required")
    existing = await store.delegations_between(connection, offered_by, covered_by)
    guids = []
    for action in dict.fromkeys(actions):
        if not app.policy.allows(resource, action):
            raise ValidationError(f"The policy of {app_id} has no rule for {action} on that resource")
        if any(
            d.app_org == org and d.app_name == name and d.resource == resource and d.action == action
            for d in existing
        ):
            raise Conflict(f"An active delegation of {action} on that resource already exists")
        guid = str(uuid.uuid4())
        delegation = Delegation(guid, offered_by, covered_by, org, name, resource, action, delegatable)
        await store.add_delegation(connection, delegation, delegated_by, now)
        guids.append(guid)
    return guids


async def revoke_delegation(connection: AsyncConnection, rule_guid: str, now: datetime) -> None:
    found = await store.delegation(connection, rule_guid)
    if found is None or found[1] is not None:
        raise NotFound(f"No active delegation {rule_guid}")
    await store.revoke_delegation(connection, rule_guid, now)
