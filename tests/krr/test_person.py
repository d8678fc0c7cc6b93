"""The citizen's own record `GET`/`PATCH /rest/v1/person` (krr.md §7; acceptance test §15.7, §15.10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from portvakt.app import PortvaktApp
from portvakt.krr.model import PersonRecord
from portvakt.storage.tables.krr import krr_endring
from tests.krr.conftest import (
    INGRID,
    OLA,
    PERSON,
    SPRAAK_WRITE,
    UNKNOWN,
    USER_KONTAKT,
    USER_POST,
    V1,
    Mint,
    active,
    ago,
    bearer,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.db]

Seed = Callable[..., Any]


async def feed_size(app: PortvaktApp) -> int:
    async with app.platform.database.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(krr_endring))).scalar_one())


async def test_get_own_record(client: httpx.AsyncClient, citizen: Mint, seed: Seed) -> None:
    await seed(
        active(
            INGRID,
            both=True,
            postkasseadresse="ingrid.moen#7KQ2",
            postkasseleverandoeradresse="984661185",
            spraak="nb",
            spraak_oppdatert=ago(5),
        )
    )
    response = await client.get(PERSON, headers=bearer(citizen()))
    assert response.status_code == 200
    person = response.json()
    assert person["personidentifikator"] == INGRID
    assert person["varslingsstatus"] == "KAN_VARSLES"
    assert person["digital_post"]["postkasseleverandoeradresse"] == "984661185"
    assert person["spraak"] == "nb"
    only_post = (await client.get(PERSON, headers=bearer(citizen(scope=USER_POST)))).json()
    assert "kontaktinformasjon" not in only_post
    assert "digital_post" in only_post


async def test_get_unregistered_and_deleted(client: httpx.AsyncClient, citizen: Mint, seed: Seed) -> None:
    unknown = await client.get(PERSON, headers=bearer(citizen(UNKNOWN)))
    assert unknown.json() == {
        "personidentifikator": UNKNOWN,
        "status": "IKKE_REGISTRERT",
        "varslingsstatus": "KAN_IKKE_VARSLES",
    }
    unknown_post = await client.get(PERSON, headers=bearer(citizen(UNKNOWN, scope=USER_POST)))
    assert unknown_post.json() == {"personidentifikator": UNKNOWN, "status": "IKKE_REGISTRERT"}
    await seed(
        PersonRecord(OLA, "SLETTET", "JA", reservasjonstidspunkt=ago(10), reservasjon_oppdatert=ago(10))
    )
    deleted = (await client.get(PERSON, headers=bearer(citizen(OLA)))).json()
    assert deleted == {
        "personidentifikator": OLA,
        "reservasjon": "JA",
        "reservasjonstidspunkt": "2026-01-05T12:00:00+01",
        "reservasjon_oppdatert": "2026-01-05T12:00:00+01",
        "status": "SLETTET",
        "varslingsstatus": "KAN_IKKE_VARSLES",
    }


async def test_get_needs_a_user_read_scope(client: httpx.AsyncClient, citizen: Mint) -> None:
    response = await client.get(PERSON, headers=bearer(citizen(scope=SPRAAK_WRITE)))
    assert response.status_code == 403
    assert response.json()["message"] == "Access Denied"


async def test_token_without_pid_is_invalid(client: httpx.AsyncClient, citizen: Mint) -> None:
    response = await client.get(PERSON, headers=bearer(citizen(None)))
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid bearer token: Token has no pid claim"


async def test_maskinporten_token_on_person_is_401(client: httpx.AsyncClient, token: Mint) -> None:
    response = await client.get(PERSON, headers=bearer(token(USER_KONTAKT)))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert (
        response.json()["message"] == "Invalid bearer token: Token issuer is not accepted for this endpoint"
    )


async def test_idporten_token_on_personer_is_401(client: httpx.AsyncClient, citizen: Mint) -> None:
    response = await client.post(
        V1,
        json={"personidentifikatorer": [INGRID]},
        headers=bearer(citizen(scope="krr:global/kontaktinformasjon.read")),
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_patch_language(app: PortvaktApp, client: httpx.AsyncClient, citizen: Mint, seed: Seed) -> None:
    await seed(active(INGRID, both=True, spraak="nb", spraak_oppdatert=ago(100)))
    before = await feed_size(app)
    response = await client.patch(PERSON, json={"spraak": "nn"}, headers=bearer(citizen(scope=SPRAAK_WRITE)))
    assert response.status_code == 200
    assert response.json() == {
        "personidentifikator": INGRID,
        "reservasjon": "NEI",
        "status": "AKTIV",
        "spraak": "nn",
        "spraak_oppdatert": "2026-01-15T12:00:00+01",
    }
    assert await feed_size(app) == before + 1
    again = await client.patch(
        PERSON, json={"spraak": "nn"}, headers=bearer(citizen(scope=f"{SPRAAK_WRITE} {USER_KONTAKT}"))
    )
    assert again.status_code == 200
    assert again.json()["kontaktinformasjon"]["epostadresse"] == f"p{INGRID}@example.com"
    assert await feed_size(app) == before + 2  # unchanged value: still a change


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"spraak": "de"}, "spraak: must be one of nb, nn, en, se"),
        ({"spraak": "NB"}, "spraak: must be one of nb, nn, en, se"),
        ({"spraak": 1}, "spraak: must be one of nb, nn, en, se"),
        ({"spraak": "nn", "x": 1}, "Unknown field: x"),
        ({}, "spraak: must not be null"),
        ({"spraak": None}, "spraak: must not be null"),
        ("nn", "Required request body is missing or is not valid JSON"),
    ],
)
async def test_patch_errors(
    app: PortvaktApp, client: httpx.AsyncClient, citizen: Mint, seed: Seed, body: Any, message: str
) -> None:
    await seed(active(INGRID))
    before = await feed_size(app)
    response = await client.patch(PERSON, json=body, headers=bearer(citizen(scope=SPRAAK_WRITE)))
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert await feed_size(app) == before


async def test_patch_unregistered_or_deleted_is_404(
    client: httpx.AsyncClient, citizen: Mint, seed: Seed
) -> None:
    response = await client.patch(
        PERSON, json={"spraak": "nn"}, headers=bearer(citizen(UNKNOWN, scope=SPRAAK_WRITE))
    )
    assert response.status_code == 404
    assert response.json()["message"] == "Person is not registered in the contact and reservation register"
    await seed(PersonRecord(OLA, "SLETTET", "NEI"))
    deleted = await client.patch(
        PERSON, json={"spraak": "nn"}, headers=bearer(citizen(OLA, scope=SPRAAK_WRITE))
    )
    assert deleted.status_code == 404


async def test_patch_gates_in_order(client: httpx.AsyncClient, citizen: Mint) -> None:
    no_scope = await client.patch(PERSON, content=b"x", headers=bearer(citizen(scope=USER_KONTAKT)))
    assert no_scope.status_code == 403
    not_acceptable = await client.patch(
        PERSON, content=b"x", headers=bearer(citizen(scope=SPRAAK_WRITE)) | {"Accept": "text/html"}
    )
    assert not_acceptable.status_code == 406
    media = await client.patch(
        PERSON,
        content=b'{"spraak":"nn"}',
        headers=bearer(citizen(scope=SPRAAK_WRITE)) | {"Content-Type": "text/plain"},
    )
    assert media.status_code == 415


async def test_unknown_opaque_token_is_not_active(client: httpx.AsyncClient) -> None:
    response = await client.get(PERSON, headers=bearer("x" * 43))
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid bearer token: Token is not active"
