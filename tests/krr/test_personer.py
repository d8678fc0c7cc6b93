"""Bulk lookup `POST /rest/v1|v2/personer` (krr.md §4, §6; acceptance tests §15.1–§15.5)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from portvakt.domain.clock import FixedClock
from portvakt.krr.model import PersonRecord
from tests.krr.conftest import (
    DIGITALPOST,
    HENTENDRING,
    INGRID,
    KONTAKT,
    KONTAKTINFO,
    NOW,
    OLA,
    POSTKASSE,
    UNKNOWN,
    V1,
    V2,
    Mint,
    active,
    ago,
    bearer,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.db]

Seed = Callable[..., Any]


async def post(client: httpx.AsyncClient, path: str, token: str, body: Any, **headers: str) -> httpx.Response:
    return await client.post(path, json=body, headers=bearer(token) | headers)


async def test_v1_deduplicates_keeps_order_and_reports_unknown_ids(
    client: httpx.AsyncClient, token: Mint, seed: Seed
) -> None:
    await seed(active(INGRID, both=True), active(OLA, both=True))
    body = {"personidentifikatorer": [OLA, UNKNOWN, INGRID, OLA], "ignored": 1}
    response = await post(client, V1, token(), body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    persons = response.json()["personer"]
    assert [p["personidentifikator"] for p in persons] == [OLA, UNKNOWN, INGRID]
    assert persons[1] == {
        "personidentifikator": UNKNOWN,
        "status": "IKKE_REGISTRERT",
        "varslingsstatus": "KAN_IKKE_VARSLES",
    }
    assert persons[0]["status"] == "AKTIV"
    assert persons[0]["varslingsstatus"] == "KAN_VARSLES"


async def test_full_person_wire_format_in_key_order(
    client: httpx.AsyncClient, token: Mint, seed: Seed, service: Any
) -> None:
    from portvakt.krr import store

    async with service.writing() as connection:
        certificate_id = await store.add_certificate(connection, "984661185", b"\x30\x03\x02\x01\x01")
    await seed(
        active(
            INGRID,
            both=True,
            reservasjon_oppdatert=ago(400),
            postkasseadresse="ingrid.moen#7KQ2",
            postkasseleverandoeradresse="984661185",
            sertifikat_id=certificate_id,
            spraak="nb",
            spraak_oppdatert=ago(200),
        )
    )
    response = await post(client, V2, token(), {"personidentifikatorer": [INGRID]})
    assert response.status_code == 200
    (person,) = response.json()["personer"]
    assert list(person) == [
        "personidentifikator",
        "reservasjon",
        "reservasjon_oppdatert",
        "status",
        "varslingsstatus",
        "kontaktinformasjon",
        "digital_post",
        "sertifikat",
        "spraak",
        "spraak_oppdatert",
    ]
    assert person["reservasjon_oppdatert"] == "2024-12-11T12:00:00+01"
    assert list(person["kontaktinformasjon"]) == [
        "epostadresse",
        "epostadresse_oppdatert",
        "epostadresse_sist_verifisert",
        "mobiltelefonnummer",
        "mobiltelefonnummer_oppdatert",
        "mobiltelefonnummer_sist_verifisert",
    ]
    assert person["kontaktinformasjon"]["epostadresse_oppdatert"] == "2025-10-17T13:00:00+02"
    assert person["digital_post"] == {
        "postkasseadresse": "ingrid.moen#7KQ2",
        "postkasseleverandoeradresse": "984661185",
    }
    assert person["sertifikat"] == base64.b64encode(b"\x30\x03\x02\x01\x01").decode()
    assert person["spraak_oppdatert"] == "2025-06-29T13:00:00+02"
    assert b"null" not in response.content
    assert b": " not in response.content
    assert b", " not in response.content


async def test_v2_omits_unknown_by_default_and_includes_them_on_request(
    client: httpx.AsyncClient, token: Mint, seed: Seed
) -> None:
    await seed(active(INGRID, both=True), PersonRecord(OLA, "SLETTET", "NEI"))
    default = await post(client, V2, token(), {"personidentifikatorer": [UNKNOWN, INGRID, OLA]})
    assert [p["personidentifikator"] for p in default.json()["personer"]] == [INGRID, OLA]
    assert default.json()["personer"][1] == {
        "personidentifikator": OLA,
        "reservasjon": "NEI",
        "status": "SLETTET",
        "varslingsstatus": "KAN_IKKE_VARSLES",
    }
    included = await post(
        client, V2, token(), {"personidentifikatorer": [UNKNOWN, INGRID], "inkluderIkkeRegistrerte": True}
    )
    assert [p["status"] for p in included.json()["personer"]] == ["IKKE_REGISTRERT", "AKTIV"]
    explicit_false = await post(
        client, V2, token(), {"personidentifikatorer": [UNKNOWN], "inkluderIkkeRegistrerte": False}
    )
    assert explicit_false.json() == {"personer": []}


async def test_wrong_check_digits_are_not_validated(client: httpx.AsyncClient, token: Mint) -> None:
    response = await post(client, V1, token(), {"personidentifikatorer": ["12345678901"]})
    assert response.status_code == 200
    assert response.json()["personer"][0]["status"] == "IKKE_REGISTRERT"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "personidentifikatorer: must be an array of 1 to 1000 strings"),
        (
            {"personidentifikatorer": "17868633026"},
            "personidentifikatorer: must be an array of 1 to 1000 strings",
        ),
        ({"personidentifikatorer": []}, "personidentifikatorer: size must be between 1 and 1000"),
        (
            {"personidentifikatorer": [f"{i:011d}" for i in range(1001)]},
            "personidentifikatorer: size must be between 1 and 1000",
        ),
        (
            {"personidentifikatorer": [INGRID, OLA, UNKNOWN, "1234567890a"]},
            "personidentifikatorer[3]: must be a string of exactly 11 digits",
        ),
        (
            {"personidentifikatorer": [17868633026]},
            "personidentifikatorer[0]: must be a string of exactly 11 digits",
        ),
        (
            {"personidentifikatorer": [" 17868633026"]},
            "personidentifikatorer[0]: must be a string of exactly 11 digits",
        ),
        (
            {"personidentifikatorer": ["١٧٨٦٨٦٣٣٠٢٦"]},
            "personidentifikatorer[0]: must be a string of exactly 11 digits",
        ),
        (
            {"personidentifikatorer": [INGRID], "inkluderIkkeRegistrerte": "true"},
            "inkluderIkkeRegistrerte: must be a boolean",
        ),
        ([INGRID], "Required request body is missing or is not valid JSON"),
    ],
)
async def test_body_errors_v2(client: httpx.AsyncClient, token: Mint, body: Any, message: str) -> None:
    response = await post(client, V2, token(), body)
    assert response.status_code == 400
    error = response.json()
    assert list(error) == ["timestamp", "status", "error", "message", "path"]
    assert error["status"] == 400
    assert error["error"] == "Bad Request"
    assert error["message"] == message
    assert error["path"] == "/krr/rest/v2/personer"
    assert error["timestamp"] == "2026-01-15T11:00:00.000+00:00"


async def test_v1_ignores_inkluder_ikke_registrerte(client: httpx.AsyncClient, token: Mint) -> None:
    body = {"personidentifikatorer": [UNKNOWN], "inkluderIkkeRegistrerte": "not a boolean"}
    response = await post(client, V1, token(), body)
    assert response.status_code == 200
    assert response.json()["personer"][0]["status"] == "IKKE_REGISTRERT"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Required request body is missing or is not valid JSON"),
        (b"{not json", "Required request body is missing or is not valid JSON"),
        (b"[1,2]", "Required request body is missing or is not valid JSON"),
        (b'{"personidentifikatorer":["' + b"1" * 1_048_600 + b'"]}', "Request body exceeds 1048576 bytes"),
    ],
)
async def test_raw_body_errors(client: httpx.AsyncClient, token: Mint, content: bytes, message: str) -> None:
    response = await client.post(
        V1, content=content, headers=bearer(token()) | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == message


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_content_type_must_be_json(
    client: httpx.AsyncClient, token: Mint, content_type: str | None
) -> None:
    headers = bearer(token())
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await client.post(V1, content=b'{"personidentifikatorer":["17868633026"]}', headers=headers)
    assert response.status_code == 415
    assert response.json()["message"] == (
        f"Content-Type '{content_type or ''}' is not supported. Supported: application/json"
    )


async def test_charset_parameter_is_accepted(client: httpx.AsyncClient, token: Mint) -> None:
    response = await client.post(
        V1,
        content=b'{"personidentifikatorer":["17868633026"]}',
        headers=bearer(token()) | {"Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200


async def test_scope_filtering(client: httpx.AsyncClient, token: Mint, seed: Seed) -> None:
    await seed(
        active(
            INGRID,
            both=True,
            postkasseadresse="ingrid.moen#7KQ2",
            postkasseleverandoeradresse="984661185",
            spraak="nn",
            spraak_oppdatert=ago(10),
        )
    )
    body = {"personidentifikatorer": [INGRID]}
    kontakt = (await post(client, V1, token(KONTAKT), body)).json()["personer"][0]
    assert "kontaktinformasjon" in kontakt
    assert "spraak" in kontakt
    assert "varslingsstatus" in kontakt
    assert "digital_post" not in kontakt
    assert "sertifikat" not in kontakt
    post_only = (await post(client, V1, token(DIGITALPOST), body)).json()["personer"][0]
    assert "digital_post" in post_only
    assert not {"kontaktinformasjon", "varslingsstatus", "spraak", "spraak_oppdatert"} & set(post_only)
    delegated = (
        await post(client, V1, token(f"{KONTAKTINFO} {POSTKASSE}", supplier="310000027"), body)
    ).json()
    assert {"kontaktinformasjon", "digital_post"} <= set(delegated["personer"][0])
    forbidden = await post(client, V1, token(HENTENDRING), body)
    assert forbidden.status_code == 403
    assert forbidden.json()["message"] == "Access Denied"
    assert forbidden.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", error_description="The request requires higher privileges than '
        'provided by the access token.", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"'
    )
    old_name = await post(client, V1, token("global/kontaktinformasjon.read"), body)
    assert old_name.status_code == 403


async def test_unregistered_without_kontakt_has_no_varslingsstatus(
    client: httpx.AsyncClient, token: Mint
) -> None:
    response = await post(client, V1, token(DIGITALPOST), {"personidentifikatorer": [UNKNOWN]})
    assert response.json()["personer"] == [{"personidentifikator": UNKNOWN, "status": "IKKE_REGISTRERT"}]


async def test_eighteen_month_boundary(
    client: httpx.AsyncClient, token: Mint, seed: Seed, clock: FixedClock
) -> None:
    from datetime import UTC, datetime

    # now 2026-01-15 12:00 Oslo → cutoff 2024-07-15 12:00 Oslo (CEST) = 10:00 UTC
    at_cutoff = datetime(2024, 7, 15, 10, 0, 0, tzinfo=UTC)
    from datetime import timedelta

    expired = active(
        INGRID,
        epostadresse="a@example.com",
        epostadresse_oppdatert=at_cutoff - timedelta(days=30),
        epostadresse_sist_verifisert=at_cutoff,
    )
    fresh = active(
        OLA,
        epostadresse="b@example.com",
        epostadresse_oppdatert=at_cutoff - timedelta(days=30),
        epostadresse_sist_verifisert=at_cutoff + timedelta(seconds=1),
    )
    await seed(expired, fresh)
    persons = (await post(client, V1, token(), {"personidentifikatorer": [INGRID, OLA]})).json()["personer"]
    assert [p["varslingsstatus"] for p in persons] == ["KAN_IKKE_VARSLES", "KAN_VARSLES"]
    assert persons[0]["kontaktinformasjon"]["epostadresse"] == "a@example.com"  # never withheld
    clock.advance(-1)  # evaluated at response time: one second earlier the first is fresh again
    persons = (await post(client, V1, token(), {"personidentifikatorer": [INGRID]})).json()["personer"]
    assert persons[0]["varslingsstatus"] == "KAN_VARSLES"


async def test_month_end_clamping(
    client: httpx.AsyncClient, token: Mint, seed: Seed, clock: FixedClock
) -> None:
    from datetime import UTC, datetime

    clock.set(datetime(2026, 3, 31, 10, 0, 0, tzinfo=UTC))  # 12:00 Oslo → cutoff 2024-09-30 12:00 Oslo
    await seed(
        active(
            INGRID,
            mobiltelefonnummer="+4791234567",
            mobiltelefonnummer_oppdatert=datetime(2024, 9, 30, 10, 0, 0, tzinfo=UTC),
            mobiltelefonnummer_sist_verifisert=datetime(2024, 9, 30, 10, 0, 0, tzinfo=UTC),
        ),
        active(
            OLA,
            mobiltelefonnummer="+4791234568",
            mobiltelefonnummer_oppdatert=datetime(2024, 9, 30, 10, 0, 1, tzinfo=UTC),
            mobiltelefonnummer_sist_verifisert=datetime(2024, 9, 30, 10, 0, 1, tzinfo=UTC),
        ),
    )
    persons = (await post(client, V1, token(), {"personidentifikatorer": [INGRID, OLA]})).json()["personer"]
    assert [p["varslingsstatus"] for p in persons] == ["KAN_IKKE_VARSLES", "KAN_VARSLES"]


async def test_per_channel_freshness_and_reservation(
    client: httpx.AsyncClient, token: Mint, seed: Seed
) -> None:
    await seed(
        active(
            INGRID,
            epostadresse="old@example.com",
            epostadresse_oppdatert=ago(900),
            epostadresse_sist_verifisert=ago(900),
            mobiltelefonnummer="+4741234567",
            mobiltelefonnummer_oppdatert=ago(60),
            mobiltelefonnummer_sist_verifisert=ago(60),
        ),
        active(
            OLA, both=True, reservasjon="JA", reservasjonstidspunkt=ago(400), reservasjon_oppdatert=ago(400)
        ),
    )
    persons = (await post(client, V1, token(), {"personidentifikatorer": [INGRID, OLA]})).json()["personer"]
    assert persons[0]["varslingsstatus"] == "KAN_VARSLES"
    reserved = persons[1]
    assert reserved["reservasjon"] == "JA"
    assert reserved["reservasjonstidspunkt"] == "2024-12-11T12:00:00+01"
    assert reserved["varslingsstatus"] == "KAN_IKKE_VARSLES"
    assert reserved["kontaktinformasjon"]["epostadresse"] == f"p{OLA}@example.com"


async def test_active_without_channels(client: httpx.AsyncClient, token: Mint, seed: Seed) -> None:
    await seed(active(INGRID))
    (person,) = (await post(client, V1, token(), {"personidentifikatorer": [INGRID]})).json()["personer"]
    assert person == {
        "personidentifikator": INGRID,
        "reservasjon": "NEI",
        "status": "AKTIV",
        "varslingsstatus": "KAN_IKKE_VARSLES",
    }


async def test_blocked_consumer_and_supplier(client: httpx.AsyncClient, token: Mint, service: Any) -> None:
    from portvakt.krr import store

    body = {"personidentifikatorer": [INGRID]}
    async with service.database.engine.begin() as connection:
        await store.block(connection, "310000027", NOW)
    assert (await post(client, V1, token(), body)).status_code == 200
    supplier = await post(client, V1, token(supplier="310000027"), body)
    assert supplier.status_code == 403
    consumer = await post(client, V1, token(consumer="310000027"), body)
    assert consumer.status_code == 403
    assert consumer.json()["message"] == "Access Denied"


async def test_certificate_only_with_post_scope(client: httpx.AsyncClient, token: Mint, seed: Seed) -> None:
    await seed(active(INGRID))
    response = await post(client, V1, token(DIGITALPOST), {"personidentifikatorer": [INGRID]})
    assert "sertifikat" not in response.json()["personer"][0]
