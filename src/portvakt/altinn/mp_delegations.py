"""Maskinporten delegations (altinn.md §7): lookup, creation and revocation, and the in-process port that
Maskinporten's token endpoint uses (maskinporten.md §7.3)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.altinn import store
from portvakt.altinn.errors import BadRequest, Forbidden, NotFound, bad_request
from portvakt.altinn.store import MpDelegation, Scheme
from portvakt.domain.clock import Clock
from portvakt.domain.errors import Unavailable
from portvakt.domain.identifiers import is_valid_orgnr
from portvakt.storage.engine import Database
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.registry import delegation_sources, prefixes, scope_access, scopes

SCOPE_READ: Final = "altinn:maskinporten/delegations"
SCOPE_ADMIN: Final = "altinn:maskinporten/delegations.admin"
SCOPE_WRITE: Final = "altinn:maskinporten/delegations.write"
PATH: Final = "/accessmanagement/api/v1/maskinporten/delegations"
SCHEME_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:portvakt:altinn:mp-scheme")

SEEDED_SCHEMES: Final = (
    (
        "krr-paa-vegne-av",
        "KRR - Delegere på-vegne-av-rettighet",
        ("krr:global/kontaktinfo.read", "krr:global/postkasse.read"),
    ),
    (
        "brreg-reelle-offentlig-paa-vegne-av",
        "Register over reelle rettighetshavere - Offentlig myndighet - På vegne av",
        ("brreg:reelle/offentlig",),
    ),
    (
        "brreg-reelle-rapporteringspliktig-paa-vegne-av",
        "Register over reelle rettighetshavere - Rapporteringspliktig virksomhet - På vegne av",
        ("brreg:reelle/rapporteringspliktig",),
    ),
)


def scheme_id(resourceid: str) -> str:
    return str(uuid.uuid5(SCHEME_NAMESPACE, resourceid))


def seeded_schemes() -> list[Scheme]:
    return [Scheme(scheme_id(rid), rid, title, scopes_) for rid, title, scopes_ in SEEDED_SCHEMES]


def document(delegation: MpDelegation) -> dict[str, Any]:
    """`MPDelegationExternal` (§7.2)."""
    created = delegation.created
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    created = created.astimezone(UTC)
    return {
        "consumer_org": delegation.consumer_orgno,
        "supplier_org": delegation.supplier_orgno,
        "delegation_scheme_Id": delegation.scheme.id,
        "scopes": sorted(delegation.scheme.scopes),
        "created": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "resourceid": delegation.scheme.resourceid,
    }


def _schemes_with_scope(all_schemes: Sequence[Scheme], scope: str) -> list[Scheme]:
    return [scheme for scheme in all_schemes if scope in scheme.scopes]


async def find(
    connection: AsyncConnection, *, consumer: str | None, supplier: str | None, scope: str | None
) -> list[MpDelegation]:
    scheme_ids = None
    if scope is not None:
        scheme_ids = [scheme.id for scheme in _schemes_with_scope(await store.schemes(connection), scope)]
    return await store.mp_delegations(connection, consumer=consumer, supplier=supplier, scheme_ids=scheme_ids)


@dataclass(frozen=True)
class Caller:
    consumer_orgno: str
    scopes: frozenset[str]


async def _owns_prefix(connection: AsyncConnection, orgno: str, scope: str) -> bool:
    prefix, separator, _ = scope.partition(":")
    if not separator or not prefix:
        return False
    row = (await connection.execute(select(prefixes.c.orgno).where(prefixes.c.prefix == prefix))).first()
    return row is not None and row.orgno == orgno


def _optional(parameters: Mapping[str, str], name: str) -> str | None:
    value = parameters.get(name, "").strip()
    return value or None


async def lookup(
    connection: AsyncConnection, caller: Caller, parameters: Mapping[str, str]
) -> list[dict[str, Any]]:
    """§7.2 checks 2–4, then the matching active delegations."""
    supplier = _optional(parameters, "supplierOrg")
    consumer = _optional(parameters, "consumerOrg")
    scope = _optional(parameters, "scope")
    if SCOPE_ADMIN not in caller.scopes:
        if scope is None:
            raise Forbidden("Not authorized for lookup of delegations without specifying parameter: scope")
        if not await _owns_prefix(connection, caller.consumer_orgno, scope):
            raise Forbidden(f"Not authorized for lookup of delegations for the scope: {scope}")
    errors: dict[str, list[str]] = {}
    if supplier is not None and not is_valid_orgnr(supplier):
        errors["supplierOrg"] = ["Supplierorg is not an valid organization number"]
    if consumer is not None and not is_valid_orgnr(consumer):
        errors["consumerOrg"] = ["Consumerorg is not an valid organization number"]
    if errors:
        raise BadRequest(errors)
    if supplier is None and consumer is None and scope is None:
        raise bad_request(
            "query", "Query without parameters is not allowed; give supplierOrg, consumerOrg or scope"
        )
    found = await find(connection, consumer=consumer, supplier=supplier, scope=scope)
    return [document(delegation) for delegation in found]


def _target(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    resourceid, scope = body.get("resourceid"), body.get("scope")
    if (resourceid is None) == (scope is None):
        raise bad_request("resourceid", "Give exactly one of resourceid and scope.")
    if resourceid is not None and (not isinstance(resourceid, str) or not resourceid):
        raise bad_request("resourceid", "The resourceid must be a non-empty string.")
    if scope is not None and (not isinstance(scope, str) or not scope):
        raise bad_request("scope", "The scope must be a non-empty string.")
    return resourceid, scope


async def _scheme(connection: AsyncConnection, resourceid: str | None, scope: str | None) -> Scheme:
    all_schemes = await store.schemes(connection)
    if resourceid is not None:
        for scheme in all_schemes:
            if scheme.resourceid == resourceid:
                return scheme
        raise bad_request("resourceid", f"No delegation scheme with resourceid {resourceid}")
    assert scope is not None
    matching = _schemes_with_scope(all_schemes, scope)
    if not matching:
        raise bad_request("scope", f"No delegation scheme contains the scope {scope}")
    if len(matching) > 1:
        raise bad_request("scope", f"The scope {scope} is in several delegation schemes; give resourceid")
    return matching[0]


async def _check_scopes(
    connection: AsyncConnection, scheme: Scheme, consumer: str, altinn_issuer: str
) -> None:
    """Every scheme scope is active with the Altinn delegation source, and the consumer may use it."""
    rows = {
        row.name: row
        for row in await connection.execute(
            select(
                scopes.c.name,
                scopes.c.active,
                scopes.c.owner_orgno,
                scopes.c.accessible_for_all,
                delegation_sources.c.issuer,
            )
            .select_from(
                scopes.outerjoin(delegation_sources, delegation_sources.c.name == scopes.c.delegation_source)
            )
            .where(scopes.c.name.in_(list(scheme.scopes)))
        )
    }
    for name in scheme.scopes:
        row = rows.get(name)
        if row is None or not row.active or row.issuer != altinn_issuer:
            raise bad_request("scope", f"The scope {name} is not an active scope delegable through Altinn")
    for name in scheme.scopes:
        row = rows[name]
        if row.owner_orgno == consumer or row.accessible_for_all:
            continue
        access = (
            await connection.execute(
                select(scope_access.c.state).where(
                    scope_access.c.scope == name, scope_access.c.consumer_orgno == consumer
                )
            )
        ).first()
        if access is None or access.state != "APPROVED":
            raise bad_request("scope", f"Consumer has not been granted access to the scope {name}")


async def create(
    connection: AsyncConnection,
    consumer: str,
    body: object,
    *,
    altinn_issuer: str,
    created_by: str,
    now: datetime,
) -> tuple[bool, dict[str, Any]]:
    """§7.3: (created, delegation). An identical active delegation is returned as it is."""
    if not isinstance(body, Mapping):
        raise bad_request("body", "A JSON object {supplierOrg, resourceid|scope} is required.")
    supplier = body.get("supplierOrg")
    if not isinstance(supplier, str) or not is_valid_orgnr(supplier):
        raise bad_request("supplierOrg", "Supplierorg is not an valid organization number")
    known = (await connection.execute(select(entities.c.orgnr).where(entities.c.orgnr == supplier))).first()
    if known is None:
        raise bad_request("supplierOrg", "Supplierorg is not found in the entity register")
    if supplier == consumer:
        raise bad_request("supplierOrg", "Supplierorg cannot be the consumer itself")
    resourceid, scope = _target(body)
    scheme = await _scheme(connection, resourceid, scope)
    await _check_scopes(connection, scheme, consumer, altinn_issuer)
    existing = await store.mp_delegations(
        connection, consumer=consumer, supplier=supplier, scheme_ids=[scheme.id]
    )
    if existing:
        return False, document(existing[0])
    await store.add_mp_delegation(connection, consumer, supplier, scheme.id, created_by, now)
    (created,) = await store.mp_delegations(
        connection, consumer=consumer, supplier=supplier, scheme_ids=[scheme.id]
    )
    return True, document(created)


async def revoke(
    connection: AsyncConnection, consumer: str, parameters: Mapping[str, str], now: datetime
) -> None:
    supplier = _optional(parameters, "supplierOrg")
    if supplier is None or not is_valid_orgnr(supplier):
        raise bad_request("supplierOrg", "Supplierorg is not an valid organization number")
    resourceid, scope = _optional(parameters, "resourceid"), _optional(parameters, "scope")
    body: dict[str, Any] = {"supplierOrg": supplier}
    if resourceid is not None:
        body["resourceid"] = resourceid
    if scope is not None:
        body["scope"] = scope
    resourceid, scope = _target(body)
    all_schemes = await store.schemes(connection)
    if resourceid is not None:
        ids = [scheme.id for scheme in all_schemes if scheme.resourceid == resourceid]
    else:
        assert scope is not None
        ids = [scheme.id for scheme in _schemes_with_scope(all_schemes, scope)]
    found = await store.mp_delegations(connection, consumer=consumer, supplier=supplier, scheme_ids=ids)
    if not found:
        raise NotFound("No active delegation matches the request.")
    await store.revoke_mp_delegations(connection, [delegation.id for delegation in found], now)


async def ensure_schemes(connection: AsyncConnection) -> None:
    existing = {scheme.resourceid for scheme in await store.schemes(connection)}
    for scheme in seeded_schemes():
        if scheme.resourceid not in existing:
            await store.add_scheme(connection, scheme)


class InProcessDelegationChecker:
    """The `DelegationChecker` port (maskinporten.md §7.3) on the rule store; registered as
    `altinn.delegations` when Altinn is co-located with Maskinporten."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def has_maskinporten_delegation(self, consumer_orgno: str, supplier_orgno: str, scope: str) -> bool:
        try:
            async with self.database.engine.connect() as connection:
                found = await find(connection, consumer=consumer_orgno, supplier=supplier_orgno, scope=scope)
        except Exception as exc:
            raise Unavailable("Delegation source unavailable", detail=type(exc).__name__) from exc
        return bool(found)
