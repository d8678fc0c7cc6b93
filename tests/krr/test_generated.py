"""The generator's KRR stage (identifiers-and-testdata.md §9.4, §10.2, §11.6) seen through the API."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import date
from typing import Any

import httpx
import pytest
from cryptography import x509
from sqlalchemy import func, select

from portvakt.app import PortvaktApp
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.krr import krr_endring, krr_person
from portvakt.testdata.generate import GenerateOptions, generate, verify_population
from tests.conftest import truncate_all
from tests.krr.conftest import DIGITALPOST, FEED, HENTENDRING, KONTAKT, V2, Mint, bearer

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.db, pytest.mark.slow]

P09, P13, P18, P19, P20, P07, P05 = (
    "01817005140",
    "17868633026",
    "26849445552",
    "08818028890",
    "31857314002",
    "02883112981",
    "15851261165",
)


def counts(url: str) -> tuple[int, int, list[Any]]:
    engine = null_pool_sync_engine(url)
    with engine.connect() as connection:
        people = connection.execute(select(func.count()).select_from(krr_person)).scalar_one()
        changes = connection.execute(select(func.count()).select_from(krr_endring)).scalar_one()
        rows = connection.execute(select(krr_person)).all()
    engine.dispose()
    return int(people), int(changes), list(rows)


async def test_generated_register(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint, migrated_database_url: str
) -> None:
    options = GenerateOptions(
        persons=3000, entities=60, seed=3, as_of=date(2026, 1, 1), workers=1, progress=False, replace=True
    )
    generate(migrated_database_url, options, env="test")
    assert verify_population(migrated_database_url) == []
    people, changes, rows = counts(migrated_database_url)
    assert changes == people  # --krr-feed-history is on for ≤ 100 000 persons

    body = {"personidentifikatorer": [P09, P13, P18, P19, P20, P07, P05], "inkluderIkkeRegistrerte": True}
    found = (await client.post(V2, json=body, headers=bearer(token(f"{KONTAKT} {DIGITALPOST}")))).json()
    by_id = {p["personidentifikator"]: p for p in found["personer"]}
    assert by_id[P09]["status"] == by_id[P05]["status"] == "IKKE_REGISTRERT"
    assert by_id[P07]["status"] == "SLETTET"
    assert by_id[P18]["varslingsstatus"] == "KAN_IKKE_VARSLES"
    assert by_id[P20]["varslingsstatus"] == "KAN_VARSLES"
    assert by_id[P20]["digital_post"] == {
        "postkasseadresse": "000000000020",
        "postkasseleverandoeradresse": "922020175",
    }
    assert by_id[P19]["reservasjon"] == "JA"
    assert by_id[P19]["varslingsstatus"] == "KAN_IKKE_VARSLES"
    ingrid = by_id[P13]
    assert ingrid["digital_post"]["postkasseadresse"] == "ingrid.moen#7KQ2"
    assert ingrid["spraak"] == "nb"
    assert ingrid["kontaktinformasjon"]["epostadresse_sist_verifisert"] == "2025-12-02T13:00:00+01"
    certificate = x509.load_der_x509_certificate(base64.b64decode(ingrid["sertifikat"], validate=True))
    ca = await app.platform.components["maskinporten.testca"].certificate()
    assert certificate.issuer == ca.subject
    assert "NTRNO-984661185" in certificate.subject.rfc4514_string()

    generated = [row.personidentifikator for row in rows][:1000]
    bulk = await client.post(
        V2, json={"personidentifikatorer": generated}, headers=bearer(token(f"{KONTAKT} {DIGITALPOST}"))
    )
    assert bulk.status_code == 200
    assert len(bulk.json()["personer"]) == 1000

    feed = (await client.post(FEED, json={"fraEndringsId": 0}, headers=bearer(token(HENTENDRING)))).json()
    assert feed["list"][0]["personidentifikator"] == "12837541245"  # P01: scenarios first
    assert feed["sisteEndringsId"] == 200000000 + changes

    statuses = Counter(row.status for row in rows)
    active = [row for row in rows if row.status == "AKTIV"]
    assert statuses["SLETTET"] < statuses["AKTIV"] * 0.1
    channels = Counter((row.epostadresse is not None, row.mobiltelefonnummer is not None) for row in active)
    assert 0.70 < channels[(True, True)] / len(active) < 0.86
    assert all(
        row.mobiltelefonnummer is None or row.mobiltelefonnummer.startswith(("+474", "+479"))
        for row in active
    )
    assert all(
        row.epostadresse is None or row.epostadresse.endswith((".com", ".net", ".org")) for row in active
    )
    providers = Counter(row.postkasseleverandoeradresse for row in active if row.postkasseleverandoeradresse)
    assert providers["984661185"] > providers["922020175"] > 0


async def test_without_feed_history(app: PortvaktApp, migrated_database_url: str) -> None:
    # Emptied here rather than with --replace: `--replace` on PostgreSQL trips over the truncated name of an
    # RRH foreign key when it restores the deferred schema (a generator issue outside KRR).
    truncate_all(migrated_database_url)
    options = GenerateOptions(
        persons=500,
        entities=20,
        seed=4,
        as_of=date(2026, 1, 1),
        workers=1,
        progress=False,
        krr_feed_history=False,
    )
    generate(migrated_database_url, options, env="test")
    people, changes, _rows = counts(migrated_database_url)
    assert people > 300
    assert changes == 0
