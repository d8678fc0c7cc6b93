"""`POST authorizedparties` (altinn.md §6, §11 acceptance 6)."""

from __future__ import annotations

import httpx
import pytest

from portvakt.altinn.party import party_uuid
from tests.altinn.conftest import P11, P12, PARTIES, S01, S02, S27, Mint, bearer

pytestmark = pytest.mark.db

SCOPE = "altinn:accessmanagement/authorizedparties.resourceowner"
PERSON = "urn:altinn:person:identifier-no"


async def post(
    client: httpx.AsyncClient, token: Mint, body: object, query: str = "", consumer: str = S01
) -> httpx.Response:
    return await client.post(PARTIES + query, json=body, headers=bearer(token(SCOPE, consumer=consumer)))


async def test_p11_for_ttd(world_client: httpx.AsyncClient, world_token: Mint) -> None:
    response = await post(world_client, world_token, {"type": PERSON, "value": P11}, "?includeRoles=true")
    assert response.status_code == 200
    parties = response.json()
    assert parties[0] == {
        "partyUuid": party_uuid("person", P11),
        "name": "KNUT OLAV BERGE",
        "organizationNumber": None,
        "personId": P11,
        "dateOfBirth": "1978-10-11",
        "partyId": parties[0]["partyId"],
        "type": "Person",
        "unitType": None,
        "isDeleted": False,
        "onlyHierarchyElementWithNoAccess": False,
        "authorizedAccessPackages": [],
        "authorizedResources": ["app_ttd_app-issue"],
        "authorizedRoles": ["PRIV"],
        "authorizedInstances": [],
        "subunits": [],
    }
    assert 50_000_000 < parties[0]["partyId"] < 60_000_000
    s02 = next(party for party in parties if party["organizationNumber"] == S02)
    assert s02["authorizedResources"] == [
        "app_ttd_access-control-app",
        "app_ttd_app-insight",
        "app_ttd_app-issue",
    ]
    assert s02["authorizedRoles"] == ["DAGL"]
    assert s02["type"] == "Organization"
    assert s02["unitType"] == "AS"
    assert s02["partyUuid"] == party_uuid("org", S02)


async def test_flags(world_client: httpx.AsyncClient, world_token: Mint) -> None:
    body = {"type": PERSON, "value": P12}
    default = (await post(world_client, world_token, body)).json()
    numbers = [party["organizationNumber"] for party in default]
    assert S27 in numbers  # DAGL of S27
    assert S02 in numbers  # S27 is the accountant (REGN) of S02
    assert all(party["authorizedRoles"] == [] for party in default)
    with_altinn2 = (
        await post(world_client, world_token, body, "?includeRoles=TRUE&includeAltinn2=true")
    ).json()
    s02 = next(party for party in with_altinn2 if party["organizationNumber"] == S02)
    assert s02["authorizedRoles"] == ["A0212", "A0236", "A0237"]
    assert s02["authorizedResources"] == ["app_ttd_app-insight"]
    no_key_roles = (await post(world_client, world_token, body, "?includePartiesViaKeyRoles=false")).json()
    assert [party["personId"] for party in no_key_roles] == [P12]
    no_resources = (await post(world_client, world_token, body, "?includeResources=false")).json()
    assert all(party["authorizedResources"] == [] for party in no_resources)
    by_uuid = (
        await post(
            world_client, world_token, {"type": "urn:altinn:party:uuid", "value": party_uuid("person", P12)}
        )
    ).json()
    assert by_uuid == default


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        pytest.param({"type": "urn:altinn:nope", "value": "x"}, "", "type", id="type"),
        pytest.param({"type": PERSON, "value": "12345678910"}, "", "value", id="bad-person"),
        pytest.param(
            {"type": "urn:altinn:organization:identifier-no", "value": "399900019"}, "", "value", id="bad-org"
        ),
        pytest.param({"type": "urn:altinn:party:uuid", "value": "nope"}, "", "value", id="bad-uuid"),
        pytest.param({"type": PERSON}, "", "value", id="no-value"),
        pytest.param({"type": PERSON, "value": P11}, "?includeRoles=yes", "includeRoles", id="bad-flag"),
    ],
)
async def test_bad_input(
    world_client: httpx.AsyncClient, world_token: Mint, body: dict[str, str], query: str, field: str
) -> None:
    response = await post(world_client, world_token, body, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


async def test_unknown_subject_and_non_owner(world_client: httpx.AsyncClient, world_token: Mint) -> None:
    unknown = await post(world_client, world_token, {"type": PERSON, "value": "01019012480"})
    assert (unknown.status_code, unknown.json()) == (200, [])
    stranger = await post(world_client, world_token, {"type": PERSON, "value": P11}, consumer=S02)
    assert stranger.status_code == 403
    assert stranger.json()["detail"] == "The organization is not a registered resource owner"
