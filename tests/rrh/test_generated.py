"""The API over generated test data (identifiers-and-testdata.md §9.3, §10, §11.6): the scenarios render as
specified, and every generated registration renders (no unknown code, no server error)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from portvakt.app import PortvaktApp
from portvakt.rrh.scheduler import TotalbestandScheduler
from portvakt.rrh.store import is_registrable
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.rrh import rrh_entities
from portvakt.testdata.generate import GenerateOptions, generate
from tests.rrh.conftest import LOOKUP

pytestmark = [pytest.mark.db, pytest.mark.slow]


async def test_generated_scenarios_through_the_api(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str], database_url: str
) -> None:
    scheduler: TotalbestandScheduler = app.platform.components["rrh.totalbestand"]
    await scheduler.settled()
    options = GenerateOptions(
        persons=3000, entities=800, seed=3, as_of=date(2026, 1, 1), workers=1, progress=False
    )
    generate(database_url, options, env="test")

    s05 = (await client.get(LOOKUP + "399900050", headers=bearer)).json()
    current = s05["registreringer"][0]
    assert (
        current["reelleRettighetshaverestatus"]["kode"]
        == "reellerettighetshaverestatus.harReelleRettighetshavere"
    )
    assert len(current["reelleRettighetshavere"]) == 5
    kinds = {
        position["posisjonstype"]["kode"].split(".")[1]
        for owner in current["reelleRettighetshavere"]
        for position in owner["posisjoner"]
    }
    assert kinds == {
        "eierskap",
        "kontrollOverStemmerettigheter",
        "rettTilAaUtpekeEllerAvsetteStyre",
        "kontrollPaaAnnenMaate",
    }

    s12 = (await client.get(LOOKUP + "399900123", headers={**bearer, "Accept-Language": "eng"})).json()
    register = s12["registreringer"][0]["utenlandskRegister"]
    assert register["land"] == {"landkode": "LTU", "navn": "Lithuania"}
    assert register["registertype"]["kodenavn"] == "Register of beneficial owners in Lithuania"

    s21 = (await client.get(LOOKUP + "399900220", headers=bearer)).json()
    assert [item["registreringsstatus"]["kode"] for item in s21["registreringer"]] == [
        "registreringsstatus.rettighetsinformasjonErIkkeMeldt"
    ]
    assert (await client.get(LOOKUP + "399900239", headers=bearer)).status_code == 404
    s23 = (await client.get(LOOKUP + "399900247", headers=bearer)).json()
    assert [item["erGjeldendeRegistrering"] for item in s23["registreringer"]].count(True) == 1
    assert s23["registreringer"][0]["erGjeldendeRegistrering"] is True
    assert len(s23["registreringer"]) >= 3
    s24 = (await client.get(LOOKUP + "399900255", headers=bearer)).json()
    assert "slettetIRegisterOverReelleRettighetshavere" in s24

    engine = null_pool_sync_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                rrh_entities.c.orgnr, entities.c.organisation_form, entities.c.registered_in_business_register
            )
            .select_from(rrh_entities.join(entities, entities.c.orgnr == rrh_entities.c.orgnr))
            .order_by(rrh_entities.c.orgnr)
        ).all()
    engine.dispose()
    registrable = [
        row.orgnr
        for row in rows
        if is_registrable(row.organisation_form, row.registered_in_business_register)
    ]
    assert len(registrable) > 100
    for number in registrable:
        response = await client.get(LOOKUP + number, headers={**bearer, "Accept-Language": "nno"})
        assert response.status_code == 200, (number, response.text)

    outcome = await scheduler.build("test")
    assert outcome.current is not None
    response = await client.get("/rrh/api/virksomheter/json", headers=bearer)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.load(io.TextIOWrapper(archive.open("totalbestand.json"), encoding="utf-8"))
    assert [item["organisasjonsnummer"] for item in document] == registrable
