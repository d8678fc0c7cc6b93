"""The change feed `POST /rest/v2/krr/hentEndringer` (krr.md §8; acceptance test §15.8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from portvakt.app import PortvaktApp
from portvakt.krr.model import PersonRecord
from portvakt.krr.service import KrrService, PersonEdit
from tests.krr.conftest import (
    DIGITALPOST,
    FEED,
    HENTENDRING,
    INGRID,
    KONTAKT,
    OLA,
    Mint,
    active,
    bearer,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.db]

Seed = Callable[..., Any]


async def changes(client: httpx.AsyncClient, token: str, body: Any) -> httpx.Response:
    return await client.post(FEED, json=body, headers=bearer(token))


async def test_empty_feed(client: httpx.AsyncClient, token: Mint) -> None:
    response = await changes(client, token(HENTENDRING), {"fraEndringsId": 0})
    assert response.status_code == 200
    assert response.json() == {
        "list": [],
        "fraEndringsId": 0,
        "tilEndringsId": 200000000,
        "sisteEndringsId": 200000000,
    }
    beyond = await changes(client, token(HENTENDRING), {"fraEndringsId": 300000000})
    assert beyond.json()["tilEndringsId"] == 300000000


async def test_ids_start_at_200000001_and_the_bound_is_exclusive(
    client: httpx.AsyncClient, token: Mint, seed: Seed
) -> None:
    await seed(active(INGRID, both=True), active(OLA))
    await seed(
        active(
            INGRID, both=True, spraak="en", spraak_oppdatert=active(INGRID, both=True).epostadresse_oppdatert
        )
    )
    page = (await changes(client, token(HENTENDRING), {"fraEndringsId": 0})).json()
    assert (page["fraEndringsId"], page["tilEndringsId"], page["sisteEndringsId"]) == (
        0,
        200000003,
        200000003,
    )
    assert [p["personidentifikator"] for p in page["list"]] == [INGRID, OLA, INGRID]  # changed twice: twice
    assert page["list"][0] == {
        "personidentifikator": INGRID,
        "reservasjon": "NEI",
        "status": "AKTIV",
    }  # BASE only
    rest = (await changes(client, token(HENTENDRING), {"fraEndringsId": 200000001})).json()
    assert [p["personidentifikator"] for p in rest["list"]] == [OLA, INGRID]
    assert rest["tilEndringsId"] == 200000003
    done = (await changes(client, token(HENTENDRING), {"fraEndringsId": 200000003})).json()
    assert done["list"] == []
    assert done["tilEndringsId"] == done["sisteEndringsId"] == 200000003


async def test_snapshots_with_scopes_and_duplicate_flags(
    client: httpx.AsyncClient, token: Mint, service: KrrService
) -> None:
    await service.update_person(INGRID, PersonEdit(epost="felles@example.com", mobil="91234567"))
    await service.update_person(OLA, PersonEdit(epost="felles@example.com"))
    await service.delete_person(INGRID)
    page = (
        await changes(client, token(f"{HENTENDRING} {KONTAKT} {DIGITALPOST}"), {"fraEndringsId": 0})
    ).json()
    first, second, third = page["list"]
    assert first["kontaktinformasjon"]["epostadresse_duplisert"] == "NEI"  # at the time of the change
    assert first["kontaktinformasjon"]["mobiltelefonnummer_duplisert"] == "NEI"
    assert first["kontaktinformasjon"]["mobiltelefonnummer"] == "+4791234567"
    assert first["varslingsstatus"] == "KAN_VARSLES"
    assert second["kontaktinformasjon"]["epostadresse_duplisert"] == "JA"
    assert third["status"] == "SLETTET"
    assert "kontaktinformasjon" not in third
    assert third["varslingsstatus"] == "KAN_IKKE_VARSLES"


async def test_page_size_is_bounded(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint, seed: Seed
) -> None:
    records = [PersonRecord(f"{10000000000 + i:011d}", "AKTIV", "NEI") for i in range(1005)]
    await seed(*records)
    page = (await changes(client, token(HENTENDRING), {"fraEndringsId": 0})).json()
    assert len(page["list"]) == 1000
    assert (page["tilEndringsId"], page["sisteEndringsId"]) == (200001000, 200001005)
    following = (await changes(client, token(HENTENDRING), {"fraEndringsId": page["tilEndringsId"]})).json()
    assert len(following["list"]) == 5
    assert following["tilEndringsId"] == following["sisteEndringsId"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"fraEndringsId": "1"},
        {"fraEndringsId": 1.5},
        {"fraEndringsId": -1},
        {"fraEndringsId": True},
        {"fraEndringsId": 9223372036854775808},
        {"fraEndringsId": None},
    ],
)
async def test_feed_body_errors(client: httpx.AsyncClient, token: Mint, body: Any) -> None:
    response = await changes(client, token(HENTENDRING), body)
    assert response.status_code == 400
    assert response.json()["message"] == "fraEndringsId: must be an integer between 0 and 9223372036854775807"


async def test_largest_id_is_accepted(client: httpx.AsyncClient, token: Mint) -> None:
    response = await changes(client, token(HENTENDRING), {"fraEndringsId": 9223372036854775807})
    assert response.status_code == 200
    assert response.json()["tilEndringsId"] == 9223372036854775807


async def test_feed_needs_hentendring(client: httpx.AsyncClient, token: Mint) -> None:
    response = await changes(client, token(KONTAKT), {"fraEndringsId": 0})
    assert response.status_code == 403
