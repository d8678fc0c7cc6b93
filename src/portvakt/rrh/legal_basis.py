"""Legal bases for RRH scope grants (rrh.md §13): the codes per scope and the record per granted consumer.

`record_legal_basis(…)` is the in-process interface the self-service grant form calls for `brreg` scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.domain.errors import ValidationError
from portvakt.domain.identifiers import InvalidOrgnr, parse_orgnr
from portvakt.storage.tables.registry import scope_access
from portvakt.storage.tables.totalbestand import rrh_legal_basis

OFFENTLIG = "brreg:reelle/offentlig"
RAPPORTERINGSPLIKTIG = "brreg:reelle/rapporteringspliktig"
BEGRENSET = "brreg:reelle/rapporteringspliktig.begrenset"


@dataclass(frozen=True)
class LegalBasis:
    code: str
    provision: str
    recipient: str
    scope: str
    phase: int = 1


_REGULATION = "FOR-2021-06-21-2056 § 3-11"
_AML = "LOV-2018-06-01-23 § 4 første ledd"

LEGAL_BASES: tuple[LegalBasis, ...] = (
    LegalBasis("rrhf-3-11-1-a", f"{_REGULATION} (1) a", "police and prosecuting authority", OFFENTLIG),
    LegalBasis(
        "rrhf-3-11-1-b",
        f"{_REGULATION} (1) b",
        "the financial intelligence unit that receives suspicious-transaction reports under the "
        "Anti-Money Laundering Act § 26",
        OFFENTLIG,
    ),
    LegalBasis("rrhf-3-11-1-c", f"{_REGULATION} (1) c", "tax authorities", OFFENTLIG),
    LegalBasis(
        "rrhf-3-11-1-d",
        f"{_REGULATION} (1) d",
        "supervisory authorities for entities with reporting obligations under the "
        "anti-money-laundering rules",
        OFFENTLIG,
    ),
    LegalBasis(
        "rrhf-3-11-1-e",
        f"{_REGULATION} (1) e",
        "other authorities responsible for investigating and prosecuting money laundering, predicate "
        "offences and terrorist financing",
        OFFENTLIG,
    ),
    LegalBasis(
        "rrhf-3-11-1-f",
        f"{_REGULATION} (1) f",
        "other authorities responsible for tracing, freezing and confiscating proceeds of crime",
        OFFENTLIG,
    ),
    LegalBasis("rrhf-3-11-1-g", f"{_REGULATION} (1) g", "the National Security Authority", OFFENTLIG),
    LegalBasis(
        "rrhf-3-11-1-h", f"{_REGULATION} (1) h", "the supervisory authority for foundations", OFFENTLIG
    ),
    LegalBasis("rrhf-3-11-2", f"{_REGULATION} (2)", "media", "brreg:reelle/media", 2),
    LegalBasis(
        "rrhf-3-11-3",
        f"{_REGULATION} (3)",
        "civil-society organisations",
        "brreg:reelle/sivilsamfunnsorganisasjon",
        2,
    ),
    LegalBasis(
        "rrhf-3-11-4",
        f"{_REGULATION} (4)",
        "higher-education institutions",
        "brreg:reelle/hoeyereutdanningsinstitusjon",
        2,
    ),
    LegalBasis("hvitvl-4-1-a", f"{_AML} a", "banks", RAPPORTERINGSPLIKTIG),
    LegalBasis("hvitvl-4-1-b", f"{_AML} b", "credit institutions", RAPPORTERINGSPLIKTIG),
    LegalBasis("hvitvl-4-1-c", f"{_AML} c", "finance companies", RAPPORTERINGSPLIKTIG),
    LegalBasis("hvitvl-4-1-d", f"{_AML} d", "Norges Bank (the central bank)", BEGRENSET, 2),
    LegalBasis("hvitvl-4-1-e", f"{_AML} e", "e-money institutions", RAPPORTERINGSPLIKTIG),
    LegalBasis(
        "hvitvl-4-1-f", f"{_AML} f", "undertakings engaged in foreign-exchange business", BEGRENSET, 2
    ),
    LegalBasis(
        "hvitvl-4-1-g",
        f"{_AML} g",
        "payment institutions and others entitled to provide payment services",
        RAPPORTERINGSPLIKTIG,
    ),
    LegalBasis("hvitvl-4-1-h", f"{_AML} h", "investment firms", RAPPORTERINGSPLIKTIG),
    LegalBasis(
        "hvitvl-4-1-i", f"{_AML} i", "management companies for securities funds", RAPPORTERINGSPLIKTIG
    ),
    LegalBasis("hvitvl-4-1-j", f"{_AML} j", "insurance undertakings", RAPPORTERINGSPLIKTIG),
    LegalBasis(
        "hvitvl-4-1-k",
        f"{_AML} k",
        "insurance intermediaries other than reinsurance brokers",
        RAPPORTERINGSPLIKTIG,
    ),
    LegalBasis(
        "hvitvl-4-1-l", f"{_AML} l", "Posten Norge AS, for the financial services it provides", BEGRENSET, 2
    ),
    LegalBasis("hvitvl-4-1-m", f"{_AML} m", "central securities depositories", BEGRENSET, 2),
    LegalBasis("hvitvl-4-1-n", f"{_AML} n", "managers of alternative investment funds", RAPPORTERINGSPLIKTIG),
    LegalBasis("hvitvl-4-1-o", f"{_AML} o", "loan-intermediation undertakings", RAPPORTERINGSPLIKTIG),
)
BY_CODE = {basis.code: basis for basis in LEGAL_BASES}


class InvalidLegalBasis(ValidationError):
    """The code does not exist or does not belong to the scope."""


@dataclass(frozen=True)
class RecordedLegalBasis:
    consumer_orgno: str
    scope: str
    code: str
    recorded_at: datetime
    recorded_by: str


def bases_for_scope(scope: str) -> list[LegalBasis]:
    """The picker rows of the self-service grant form for a `brreg` scope (empty for other scopes)."""
    return [basis for basis in LEGAL_BASES if basis.scope == scope]


def _checked(consumer_orgno: str, scope: str, code: str) -> str:
    try:
        orgno = str(parse_orgnr(consumer_orgno))
    except InvalidOrgnr:
        raise InvalidLegalBasis(f"Invalid organisation number: {consumer_orgno}") from None
    basis = BY_CODE.get(code)
    if basis is None:
        raise InvalidLegalBasis(f"Unknown legal basis: {code}")
    if basis.scope != scope:
        raise InvalidLegalBasis(f"Legal basis {code} does not apply to scope {scope}")
    return orgno


def _values(orgno: str, scope: str, code: str, recorded_at: datetime, recorded_by: str) -> dict[str, object]:
    return {
        "consumer_orgno": orgno,
        "scope": scope,
        "code": code,
        "recorded_at": recorded_at,
        "recorded_by": recorded_by,
    }


async def record_legal_basis(
    connection: AsyncConnection,
    *,
    consumer_orgno: str,
    scope: str,
    code: str,
    recorded_at: datetime,
    recorded_by: str,
) -> RecordedLegalBasis:
    """Store (or replace) the basis of a consumer's grant; the caller owns the transaction."""
    orgno = _checked(consumer_orgno, scope, code)
    key = (rrh_legal_basis.c.consumer_orgno == orgno) & (rrh_legal_basis.c.scope == scope)
    await connection.execute(delete(rrh_legal_basis).where(key))
    await connection.execute(
        insert(rrh_legal_basis).values(_values(orgno, scope, code, recorded_at, recorded_by))
    )
    return RecordedLegalBasis(orgno, scope, code, recorded_at, recorded_by)


def record_legal_basis_sync(
    connection: Connection,
    *,
    consumer_orgno: str,
    scope: str,
    code: str,
    recorded_at: datetime,
    recorded_by: str,
) -> RecordedLegalBasis:
    orgno = _checked(consumer_orgno, scope, code)
    key = (rrh_legal_basis.c.consumer_orgno == orgno) & (rrh_legal_basis.c.scope == scope)
    connection.execute(delete(rrh_legal_basis).where(key))
    connection.execute(insert(rrh_legal_basis).values(_values(orgno, scope, code, recorded_at, recorded_by)))
    return RecordedLegalBasis(orgno, scope, code, recorded_at, recorded_by)


@dataclass(frozen=True)
class GrantBasis:
    """An approved grant of a `brreg:reelle/…` scope and its recorded basis (None = missing)."""

    consumer_orgno: str
    scope: str
    code: str | None
    recorded_at: datetime | None
    recorded_by: str | None


def list_grant_bases(connection: Connection, *, missing_only: bool = False) -> list[GrantBasis]:
    """Approved RRH grants with their basis; also bases recorded for grants that no longer exist."""
    grants = connection.execute(
        select(scope_access.c.consumer_orgno, scope_access.c.scope).where(
            scope_access.c.scope.like("brreg:reelle/%"), scope_access.c.state == "APPROVED"
        )
    ).all()
    recorded = {
        (row.consumer_orgno, row.scope): row for row in connection.execute(select(rrh_legal_basis)).all()
    }
    keys = sorted({(row.consumer_orgno, row.scope) for row in grants} | set(recorded))
    result = []
    for orgno, scope in keys:
        row = recorded.get((orgno, scope))
        if missing_only and row is not None:
            continue
        result.append(
            GrantBasis(
                orgno,
                scope,
                row.code if row else None,
                (row.recorded_at.replace(tzinfo=UTC) if row.recorded_at.tzinfo is None else row.recorded_at)
                if row
                else None,
                row.recorded_by if row else None,
            )
        )
    return result
