"""`GET /rrh/api/virksomheter/{organisasjonsnummer}` (rrh.md §1–§9, acceptance tests §15.1–§15.7)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.rrh.conftest import LOOKUP, OFFENTLIG, RAPPORTERINGSPLIKTIG, Entities, Mint

pytestmark = pytest.mark.db

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_KEYS = ["type", "status", "error", "message", "path", "timestamp"]


def assert_error(
    response: httpx.Response, status: int, kind: str, error: str, message: str
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body: dict[str, Any] = response.json()
    assert list(body) == ERROR_KEYS
    assert (body["type"], body["status"], body["error"], body["message"]) == (kind, status, error, message)
    assert body["path"] == response.request.url.path
    assert TIMESTAMP.match(body["timestamp"])
    return body


FORBIDDEN = ("Ugyldig token", "Forbidden", "Du har ikke tilgang til dette APIet")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda mint: None, id="no-token"),
        pytest.param(lambda mint: "Basic dXNlcjpwYXNz", id="other-scheme"),
        pytest.param(lambda mint: "Bearer not.a.jwt", id="malformed"),
        pytest.param(lambda mint: f"Bearer {mint(lifetime=-60)}", id="expired"),
        pytest.param(lambda mint: f"Bearer {mint('krr:global/kontaktinformasjon.read')}", id="no-rrh-scope"),
        pytest.param(lambda mint: f"Bearer {mint('brreg:reelle/media')}", id="phase-2-scope-only"),
        pytest.param(lambda mint: f"Bearer {mint(issuer='https://other.example/')}", id="wrong-issuer"),
        pytest.param(lambda mint: f"Bearer {mint()[:-4]}AAAA", id="bad-signature"),
    ],
)
async def test_every_token_problem_is_403_never_401(
    client: httpx.AsyncClient, token: Mint, cast: type[Entities], authorization: Any
) -> None:
    value = authorization(token)
    headers = {} if value is None else {"Authorization": value}
    response = await client.get(LOOKUP + cast.reported, headers=headers)
    assert_error(response, 403, *FORBIDDEN)
    assert "www-authenticate" not in response.headers
    totalbestand = await client.get("/rrh/api/virksomheter/json", headers=headers)
    assert_error(totalbestand, 403, *FORBIDDEN)


@pytest.mark.parametrize(
    ("value", "status", "kind", "error", "message"),
    [
        pytest.param(
            "974760",
            400,
            "Ugyldig respons",
            "Bad Request",
            "Organisasjonsnummer må være et nummer med nøyaktig ni siffer",
            id="not-nine-digits",
        ),
        pytest.param(
            "97476067a",
            400,
            "Ugyldig respons",
            "Bad Request",
            "Organisasjonsnummer må være et nummer med nøyaktig ni siffer",
            id="not-digits",
        ),
        pytest.param(
            "123456789",
            400,
            "Ugyldig respons",
            "Bad Request",
            "Organisasjonsnummeret er ikke gyldig (feil kontrollsiffer)",
            id="check-digit",
        ),
        pytest.param(
            Entities.sole_proprietorship,
            404,
            "Ikke funnet",
            "Not Found",
            "Virksomheten er ikke registreringspliktig i register over reelle rettighetshavere",
            id="not-registrable-form",
        ),
        pytest.param(
            Entities.unknown,
            404,
            "Ikke funnet",
            "Not Found",
            "Virksomheten er ikke registreringspliktig i register over reelle rettighetshavere",
            id="unknown-in-er",
        ),
    ],
)
async def test_organisation_number_errors(
    client: httpx.AsyncClient,
    bearer: dict[str, str],
    cast: type[Entities],
    value: str,
    status: int,
    kind: str,
    error: str,
    message: str,
) -> None:
    assert_error(await client.get(LOOKUP + value, headers=bearer), status, kind, error, message)


async def test_unknown_path_and_method(client: httpx.AsyncClient, bearer: dict[str, str]) -> None:
    assert_error(
        await client.get("/rrh/api/finnes-ikke", headers=bearer),
        404,
        "Ikke funnet",
        "Not Found",
        "Ressursen finnes ikke",
    )
    refused = await client.post(LOOKUP + Entities.reported, headers=bearer)
    assert_error(
        refused,
        405,
        "Metode ikke tillatt",
        "Method Not Allowed",
        "HTTP-metoden POST støttes ikke for denne ressursen",
    )
    assert "GET" in refused.headers["allow"]


async def test_method_is_checked_before_the_token(client: httpx.AsyncClient) -> None:
    response = await client.delete(LOOKUP + Entities.reported)
    assert response.status_code == 405


async def test_unreported_entity_has_one_not_reported_registration(
    client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    response = await client.get(LOOKUP + cast.unreported, headers=bearer)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "organisasjonsnummer",
        "foerstRegistrertIRegisterOverReelleRettighetshavere",
        "registreringer",
    ]
    [registration] = body["registreringer"]
    assert list(registration) == [
        "registreringsid",
        "registreringsstatus",
        "registrert",
        "erGjeldendeRegistrering",
        "reelleRettighetshavere",
    ]
    assert registration["registreringsstatus"] == {
        "kode": "registreringsstatus.rettighetsinformasjonErIkkeMeldt",
        "kodenavn": "Rettighetsinformasjon er ikke meldt",
    }
    assert registration["erGjeldendeRegistrering"] is True
    assert registration["reelleRettighetshavere"] == []
    assert body["foerstRegistrertIRegisterOverReelleRettighetshavere"] == "2024-10-03T08:01:12.000Z"


@pytest.mark.parametrize(
    ("accept", "status", "content_type"),
    [
        pytest.param(None, 200, "application/json;charset=UTF-8", id="absent"),
        pytest.param("*/*", 200, "application/json;charset=UTF-8", id="any"),
        pytest.param("application/*", 200, "application/json;charset=UTF-8", id="application-any"),
        pytest.param("application/json", 200, "application/json;charset=UTF-8", id="json"),
        pytest.param(
            "application/vnd.brreg.reelle.virksomheter.v1+json;charset=UTF-8",
            200,
            "application/vnd.brreg.reelle.virksomheter.v1+json;charset=UTF-8",
            id="vendor-v1",
        ),
        pytest.param(
            "application/json;q=0.5, application/vnd.brreg.reelle.virksomheter.v1+json",
            200,
            "application/vnd.brreg.reelle.virksomheter.v1+json;charset=UTF-8",
            id="highest-q-wins",
        ),
        pytest.param(
            "application/json, application/vnd.brreg.reelle.virksomheter.v1+json",
            200,
            "application/json;charset=UTF-8",
            id="equal-q-first-listed",
        ),
        pytest.param("application/vnd.brreg.reelle.virksomheter.v2+json", 406, None, id="vendor-v2"),
        pytest.param("text/html", 406, None, id="other-type"),
    ],
)
async def test_content_negotiation(
    client: httpx.AsyncClient,
    bearer: dict[str, str],
    cast: type[Entities],
    accept: str | None,
    status: int,
    content_type: str | None,
) -> None:
    headers = dict(bearer)
    if accept is not None:
        headers["Accept"] = accept
    response = await client.get(LOOKUP + cast.reported, headers=headers)
    if status == 406:
        assert_error(
            response,
            406,
            "Ikke akseptert",
            "Not Acceptable",
            f"Medietypen i Accept-headeren støttes ikke: {accept}",
        )
        return
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.json()["organisasjonsnummer"] == cast.reported


async def test_406_comes_before_400(client: httpx.AsyncClient, bearer: dict[str, str]) -> None:
    response = await client.get(LOOKUP + "974760", headers={**bearer, "Accept": "text/html"})
    assert response.status_code == 406


def _first_owner(body: dict[str, Any]) -> dict[str, Any]:
    owner: dict[str, Any] = body["registreringer"][0]["reelleRettighetshavere"][0]
    return owner


@pytest.mark.parametrize(
    ("language", "status_name", "country", "interval"),
    [
        pytest.param(
            None, "Rettighetsinformasjon er registrert", "Norge", "25,01% - 49,99%", id="default-nob"
        ),
        pytest.param("nob", "Rettighetsinformasjon er registrert", "Norge", "25,01% - 49,99%", id="nob"),
        pytest.param("nno", "Rettsinformasjon er registrert", "Noreg", "25,01% - 49,99%", id="nno"),
        pytest.param(
            "ENG, nob;q=0.5",
            "Beneficial ownership information is registered",
            "Norway",
            "25.01% - 49.99%",
            id="eng",
        ),
        pytest.param(
            "de", "Rettighetsinformasjon er registrert", "Norge", "25,01% - 49,99%", id="other-is-nob"
        ),
    ],
)
async def test_accept_language_selects_names(
    client: httpx.AsyncClient,
    bearer: dict[str, str],
    cast: type[Entities],
    language: str | None,
    status_name: str,
    country: str,
    interval: str,
) -> None:
    headers = dict(bearer)
    if language is not None:
        headers["Accept-Language"] = language
    body = (await client.get(LOOKUP + cast.reported, headers=headers)).json()
    current = body["registreringer"][0]
    assert current["registreringsstatus"]["kodenavn"] == status_name
    person = _first_owner(body)["folkeregistrertPerson"]
    assert person["bostedsland"] == {"landkode": "NOR", "navn": country}
    assert _first_owner(body)["posisjoner"][0]["stoerrelsesintervall"]["kodenavn"] == interval


async def test_history_current_first_then_newest_first(
    client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    body = (await client.get(LOOKUP + cast.reported, headers=bearer)).json()
    registrations = body["registreringer"]
    assert [item["registrert"] for item in registrations] == [
        "2025-02-11T13:11:28.956Z",
        "2024-11-01T10:00:00.250Z",
        "2024-10-03T08:01:12.000Z",
    ]
    assert [item["erGjeldendeRegistrering"] for item in registrations] == [True, False, False]
    earlier = registrations[1]
    assert (
        earlier["reelleRettighetshaverestatus"]["kode"]
        == "reellerettighetshaverestatus.harReelleRettighetshavere"
    )
    assert [
        owner["folkeregistrertPerson"]["navn"]["fornavn"] for owner in earlier["reelleRettighetshavere"]
    ] == ["KARI"]


async def test_rendering_follows_the_model(
    client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    body = (await client.get(LOOKUP + cast.reported, headers=bearer)).json()
    current = body["registreringer"][0]
    assert list(current) == [
        "registreringsid",
        "registreringsstatus",
        "registrert",
        "erGjeldendeRegistrering",
        "reelleRettighetshaverestatus",
        "reelleRettighetshavere",
    ]
    ola = current["reelleRettighetshavere"][2]
    assert list(ola) == [
        "folkeregistrertPerson",
        "erUnntattFraInnsyn",
        "foerstRegistrert",
        "endret",
        "posisjoner",
    ]
    assert ola["folkeregistrertPerson"]["statsborgerskap"] == [
        {"landkode": "SWE", "navn": "Sverige"},
        {"landkode": "NOR", "navn": "Norge"},
    ]
    assert ola["posisjoner"] == [
        {
            "posisjonstype": {"kode": "posisjonstype.eierskap", "kodenavn": "Eierskap"},
            "stoerrelsesintervall": {
                "kode": "stoerrelsesintervall.intervall1",
                "kodenavn": "25,01% - 49,99%",
            },
            "grunnlagstyper": [{"kode": "grunnlagstype.indirekte", "kodenavn": "Indirekte"}],
            "mellomliggendeVirksomheter": [{"norskVirksomhet": {"organisasjonsnummer": "399900271"}}],
        }
    ]
    assert "null" not in (await client.get(LOOKUP + cast.reported, headers=bearer)).text


async def test_deleted_entity_keeps_its_data(
    client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    body = (await client.get(LOOKUP + cast.deleted, headers=bearer)).json()
    assert body["slettetIRegisterOverReelleRettighetshavere"] == "2025-03-01T09:00:00.000Z"
    current, earlier = body["registreringer"]
    assert current["registreringsstatus"]["kode"] == "registreringsstatus.rettighetsinformasjonErSlettet"
    assert current["reelleRettighetshavere"] == []
    assert "reelleRettighetshaverestatus" not in current
    assert (
        earlier["reelleRettighetshavere"][0]["folkeregistrertPerson"]["foedselsEllerDNummer"] == "12837541245"
    )


@pytest.mark.parametrize("scope", [OFFENTLIG, RAPPORTERINGSPLIKTIG, f"{RAPPORTERINGSPLIKTIG} {OFFENTLIG}"])
async def test_phase_1_scopes_see_the_minor_unscreened(
    client: httpx.AsyncClient, token: Mint, cast: type[Entities], scope: str
) -> None:
    response = await client.get(LOOKUP + cast.reported, headers={"Authorization": f"Bearer {token(scope)}"})
    assert response.status_code == 200
    minor = response.json()["registreringer"][0]["reelleRettighetshavere"][1]
    assert minor["erUnntattFraInnsyn"] is True
    assert minor["folkeregistrertPerson"]["foedselsEllerDNummer"] == "01011050093"
    assert minor["folkeregistrertPerson"]["navn"] == {"fornavn": "LILLE", "etternavn": "NORDMANN"}


async def test_delegated_token_is_accepted(
    client: httpx.AsyncClient, token: Mint, cast: type[Entities]
) -> None:
    headers = {"Authorization": f"Bearer {token(supplier='310000027')}"}
    assert (await client.get(LOOKUP + cast.reported, headers=headers)).status_code == 200
