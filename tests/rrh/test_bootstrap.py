"""RRH bootstrap at every start (rrh.md §2) and the in-process legal-basis interface (§13)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portvakt.app import PortvaktApp
from portvakt.rrh.app import LEGAL_BASIS_COMPONENT
from portvakt.rrh.legal_basis import InvalidLegalBasis, bases_for_scope
from portvakt.rrh.registry_bootstrap import ensure_rrh_registry
from portvakt.storage.tables.registry import organisations, prefixes, scopes
from portvakt.storage.tables.totalbestand import rrh_legal_basis

pytestmark = pytest.mark.db


async def test_owner_prefix_and_scopes_exist_after_start_and_again(app: PortvaktApp) -> None:
    platform = app.platform
    await ensure_rrh_registry(platform.settings, platform.database, platform.clock)  # idempotent
    async with platform.database.engine.connect() as connection:
        owner = (
            await connection.execute(select(organisations).where(organisations.c.orgno == "974760673"))
        ).one()
        prefix = (await connection.execute(select(prefixes).where(prefixes.c.prefix == "brreg"))).one()
        rows = (
            await connection.execute(select(scopes).where(scopes.c.prefix == "brreg").order_by(scopes.c.name))
        ).all()
    assert (owner.name, owner.terms_signed) == ("Registerenheten i Brønnøysund", True)
    assert prefix.orgno == "974760673"
    assert [row.name for row in rows] == ["brreg:reelle/offentlig", "brreg:reelle/rapporteringspliktig"]
    for row in rows:
        assert (row.visibility, row.owner_orgno, row.active) == ("PRIVATE", "974760673", True)


def test_legal_bases_per_scope() -> None:
    assert [basis.code for basis in bases_for_scope("brreg:reelle/offentlig")] == [
        f"rrhf-3-11-1-{letter}" for letter in "abcdefgh"
    ]
    assert [basis.code for basis in bases_for_scope("brreg:reelle/rapporteringspliktig")] == [
        f"hvitvl-4-1-{letter}" for letter in "abcegh" + "ijkno"
    ]
    assert bases_for_scope("krr:global/kontaktinformasjon.read") == []


async def test_record_legal_basis_in_process(app: PortvaktApp) -> None:
    record = app.platform.components[LEGAL_BASIS_COMPONENT]
    now = app.platform.clock.now()
    async with app.platform.database.engine.begin() as connection:
        await record(
            connection,
            consumer_orgno="310000035",
            scope="brreg:reelle/rapporteringspliktig",
            code="hvitvl-4-1-a",
            recorded_at=now,
            recorded_by="portal:kari@example.no",
        )
        with pytest.raises(InvalidLegalBasis, match="does not apply"):
            await record(
                connection,
                consumer_orgno="310000035",
                scope="brreg:reelle/rapporteringspliktig",
                code="rrhf-3-11-1-a",
                recorded_at=now,
                recorded_by="portal",
            )
    async with app.platform.database.engine.connect() as connection:
        [row] = (await connection.execute(select(rrh_legal_basis))).all()
    assert (row.consumer_orgno, row.code, row.recorded_by) == (
        "310000035",
        "hvitvl-4-1-a",
        "portal:kari@example.no",
    )
