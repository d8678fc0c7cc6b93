"""`GET apprights` — legacy Altinn 2 (altinn.md §4, §11 acceptance 1–4)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update

from portvakt.altinn.apikeys import NewKey
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.altinn import altinn_api_keys, altinn_service_owners
from tests.altinn.conftest import APPRIGHTS, DIGDIR, P11, P12, S01, S02, Mint, bearer

WRONG_ORG = "Forbidden - The authenticated organization does not own the API key"

pytestmark = pytest.mark.db

SEED_RIGHTS = [
    {
        "RuleGuid": "",
        "AltinnAppId": "ttd/access-control-app",
        "ResourceId": "urn:altinn:task",
        "ResourceValue": "Task_1",
        "Action": "write",
        "RightSourceType": "RoleTypeRight",
        "IsDelegatable": True,
    },
    {
        "RuleGuid": "a9e683be-86ac-4935-99e2-62ed6f411018",
        "AltinnAppId": "ttd/app-issue",
        "ResourceId": "urn:altinn:task",
        "ResourceValue": "Task_1",
        "Action": "read",
        "RightSourceType": "DirectlyDelegated",
        "IsDelegatable": True,
    },
    {
        "RuleGuid": "e5d3ea01-1f08-47d1-9475-13d9aa1f95b1",
        "AltinnAppId": "ttd/app-issue",
        "ResourceId": "urn:altinn:task",
        "ResourceValue": "Task_1",
        "Action": "write",
        "RightSourceType": "DirectlyDelegated",
        "IsDelegatable": True,
    },
    {
        "RuleGuid": "",
        "AltinnAppId": "ttd/app-insight",
        "ResourceId": "urn:altinn:end-event",
        "ResourceValue": "EndEvent_1",
        "Action": "read",
        "RightSourceType": "RoleTypeRight",
        "IsDelegatable": True,
    },
]


def key(keys: dict[str, NewKey], owner: str = "ttd") -> dict[str, str]:
    return {"ApiKey": keys[owner].key}


async def test_seed_003_example_is_reproduced(
    world_client: httpx.AsyncClient, keys: dict[str, NewKey]
) -> None:
    response = await world_client.get(
        APPRIGHTS + f"?ForceEIAuthentication&subject={P11}&reportee={S02}",
        headers={**key(keys), "Accept": "application/hal+json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json; charset=utf-8"
    body = response.json()
    assert list(body) == ["Subject", "Reportee", "AppRights", "_links"]
    assert body["Subject"] == {"Name": "KNUT OLAV BERGE", "Type": "Person", "SocialSecurityNumber": P11}
    assert body["Reportee"] == {
        "Name": "SYNTETISK UIDENTIFISERBAR AS",
        "Type": "Enterprise",
        "OrganizationNumber": S02,
        "OrganizationForm": "AS",
        "Status": "Active",
    }
    assert body["AppRights"] == SEED_RIGHTS
    assert [list(right) for right in body["AppRights"]] == [list(SEED_RIGHTS[0])] * 4
    assert body["_links"] == {
        "self": {
            "href": "http://localhost:8080/altinn/api/serviceowner/authorization/apprights"
            f"?subject={P11}&reportee={S02}"
        }
    }


async def test_plain_json_has_no_links_and_parameter_names_are_case_insensitive(
    world_client: httpx.AsyncClient, keys: dict[str, NewKey]
) -> None:
    response = await world_client.get(
        APPRIGHTS + f"?SUBJECT={P11}&Reportee={S02}&$top=1&$filter=x",
        headers={**key(keys), "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "_links" not in response.json()
    assert response.json()["AppRights"] == SEED_RIGHTS


async def test_other_owner_sees_only_its_apps(
    world_client: httpx.AsyncClient, keys: dict[str, NewKey]
) -> None:
    response = await world_client.get(
        APPRIGHTS + f"?subject={P11}&reportee={S02}", headers=key(keys, "digdir")
    )
    assert response.status_code == 200
    rights = response.json()["AppRights"]
    assert all(right["AltinnAppId"].startswith("digdir/") for right in rights)
    # P11 is DAGL of S02: the default policy gives dagl Task_1 and EndEvent_1 rights on every digdir app.
    assert {right["Action"] for right in rights} == {"instantiate", "read", "write", "delete"}
    assert all(right["RightSourceType"] == "RoleTypeRight" and right["IsDelegatable"] for right in rights)


async def test_accountant_gets_a0236_rights(world_client: httpx.AsyncClient, keys: dict[str, NewKey]) -> None:
    response = await world_client.get(APPRIGHTS + f"?subject={P12}&reportee={S02}", headers=key(keys))
    assert response.json()["AppRights"] == [
        {
            "RuleGuid": "",
            "AltinnAppId": "ttd/app-insight",
            "ResourceId": "urn:altinn:end-event",
            "ResourceValue": "EndEvent_1",
            "Action": "read",
            "RightSourceType": "RoleTypeRight",
            "IsDelegatable": False,
        }
    ]


async def test_person_reportee_and_priv(world_client: httpx.AsyncClient, keys: dict[str, NewKey]) -> None:
    response = await world_client.get(APPRIGHTS + f"?subject={P11}&reportee={P11}", headers=key(keys))
    body = response.json()
    assert body["Reportee"] == {"Name": "KNUT OLAV BERGE", "Type": "Person", "SocialSecurityNumber": P11}
    assert [(r["AltinnAppId"], r["Action"], r["IsDelegatable"]) for r in body["AppRights"]] == [
        ("ttd/app-issue", "instantiate", True),
        ("ttd/app-issue", "read", True),
        ("ttd/app-issue", "write", True),
    ]


@pytest.mark.parametrize(
    ("query", "headers", "status", "message"),
    [
        pytest.param(
            f"?subject={P11}&reportee={S02}", {}, 401, "Required header 'ApiKey' is missing.", id="no-key"
        ),
        pytest.param(
            f"?subject={P11}&reportee={S02}",
            {"ApiKey": " "},
            401,
            "Required header 'ApiKey' is missing.",
            id="empty-key",
        ),
        pytest.param(
            f"?subject={P11}&reportee={S02}",
            {"ApiKey": "not-a-key"},
            403,
            "Forbidden - The API key is not authorized for this operation",
            id="malformed-key",
        ),
        pytest.param(
            f"?subject={P11}&reportee={S02}",
            {"ApiKey": "pvak_abcdefgh_" + "A" * 43},
            403,
            "Forbidden - The API key is not authorized for this operation",
            id="unknown-key",
        ),
        pytest.param(f"?reportee={S02}", None, 400, "The subject parameter is required.", id="no-subject"),
        pytest.param(
            f"?subject=12345678910&reportee={S02}",
            None,
            400,
            "The subject parameter is not a valid national identity number.",
            id="invalid-subject",
        ),
        pytest.param(f"?subject={P11}", None, 400, "The reportee parameter is required.", id="no-reportee"),
        pytest.param(
            f"?subject={P11}&reportee=399900019",
            None,
            400,
            "The reportee parameter is not a valid organization number or national identity number.",
            id="invalid-reportee",
        ),
        pytest.param(
            f"?subject=01019012480&reportee={S02}", None, 404, "Subject not found.", id="unknown-subject"
        ),
        pytest.param(
            f"?subject={P11}&reportee=399900360", None, 404, "Reportee not found.", id="unknown-reportee"
        ),
    ],
)
async def test_errors(
    world_client: httpx.AsyncClient,
    keys: dict[str, NewKey],
    query: str,
    headers: dict[str, str] | None,
    status: int,
    message: str,
) -> None:
    response = await world_client.get(APPRIGHTS + query, headers=key(keys) if headers is None else headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"Message": message}


async def test_bearer_token_revoked_key_and_inactive_owner(
    client: httpx.AsyncClient, population: dict[str, NewKey], token: Mint, database_url: str
) -> None:
    query = APPRIGHTS + f"?subject={P11}&reportee={S02}"
    own = await client.get(query, headers={**key(population), **bearer(token("any:scope", consumer=S01))})
    assert own.status_code == 200
    for headers in (
        bearer(token("any:scope", consumer=DIGDIR)),
        {"Authorization": "Bearer not-a-jwt"},
    ):
        refused = await client.get(query, headers={**key(population), **headers})
        assert (refused.status_code, refused.json()) == (403, {"Message": WRONG_ORG})
    engine = null_pool_sync_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            update(altinn_api_keys)
            .where(altinn_api_keys.c.key_id == population["ttd"].key_id)
            .values(revoked_at=datetime(2025, 1, 1, tzinfo=UTC))
        )
        connection.execute(
            update(altinn_service_owners).where(altinn_service_owners.c.code == "digdir").values(active=False)
        )
        used = connection.execute(
            select(altinn_api_keys.c.last_used_at).where(altinn_api_keys.c.key_id == population["ttd"].key_id)
        ).scalar_one()
    engine.dispose()
    assert used is not None  # the successful call recorded its use
    for owner in ("ttd", "digdir"):
        response = await client.get(query, headers=key(population, owner))
        assert (response.status_code, response.json()) == (
            403,
            {"Message": "Forbidden - The API key is not authorized for this operation"},
        )
