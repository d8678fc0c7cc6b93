"""`POST authorize` — the PDP, XACML 3.0 JSON profile (altinn.md §5, §11 acceptance 5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from portvakt.altinn import store
from portvakt.app import PortvaktApp
from tests.altinn.conftest import AUTHORIZE, P03, P11, S01, S02, Mint, bearer

pytestmark = pytest.mark.db

SCOPE = "altinn:authorization/authorize"
PERSON = "urn:altinn:person:identifier-no"
ORG_NO = "urn:altinn:organization:identifier-no"
ACTION = "urn:oasis:names:tc:xacml:1.0:action:action-id"
OK = "urn:oasis:names:tc:xacml:1.0:status:ok"
MISSING = "urn:oasis:names:tc:xacml:1.0:status:missing-attribute"


def attribute(attribute_id: str, value: str, *, echo: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"AttributeId": attribute_id, "Value": value}
    if echo:
        found["IncludeInResult"] = True
    return found


def resource(identifier: str, app: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": identifier,
        "Attribute": [attribute("urn:altinn:org", "ttd"), attribute("urn:altinn:app", app), *extra],
    }


async def post(client: httpx.AsyncClient, token: Mint, body: object, scope: str = SCOPE) -> httpx.Response:
    return await client.post(AUTHORIZE, json=body, headers=bearer(token(scope, consumer=S01)))


async def test_multi_request_in_order_with_echo_and_obligation(
    world_client: httpx.AsyncClient, world_token: Mint
) -> None:
    body = {
        "Request": {
            "ReturnPolicyIdList": False,
            "AccessSubject": [{"Id": "s1", "Attribute": [attribute(PERSON, P11, echo=True)]}],
            "Action": [
                {"Id": "a1", "Attribute": [attribute(ACTION, "write")]},
                {"Id": "a2", "Attribute": [attribute(ACTION, "read")]},
            ],
            "Resource": [
                resource(
                    "r1", "access-control-app", attribute("urn:altinn:task", "Task_1"), attribute(ORG_NO, S02)
                ),
                resource(
                    "r2", "access-control-app", attribute("urn:altinn:task", "Task_1"), attribute(ORG_NO, S02)
                ),
                resource("r3", "app-issue", attribute("urn:altinn:task", "Task_1")),
            ],
            "MultiRequests": {
                "RequestReference": [
                    {"ReferenceId": ["s1", "a1", "r1"]},
                    {"ReferenceId": ["s1", "a2", "r2"]},
                    {"ReferenceId": ["s1", "a2", "r3"]},
                ]
            },
        }
    }
    response = await post(world_client, world_token, body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    results = response.json()["Response"]
    echo = [
        {
            "CategoryId": "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject",
            "Attribute": [
                {
                    "AttributeId": PERSON,
                    "Value": P11,
                    "DataType": "http://www.w3.org/2001/XMLSchema#string",
                    "IncludeInResult": True,
                }
            ],
        }
    ]
    assert results[0] == {
        "Decision": "Permit",
        "Status": {"StatusCode": {"Value": OK}},
        "Obligations": [
            {
                "id": "urn:altinn:obligation:authenticationLevel1",
                "attributeAssignment": [
                    {
                        "attributeId": "urn:altinn:obligation-assignment:1",
                        "value": "3",
                        "category": "urn:altinn:minimum-authenticationlevel",
                        "dataType": "http://www.w3.org/2001/XMLSchema#integer",
                        "issuer": None,
                    }
                ],
            }
        ],
        "Category": echo,
    }
    assert results[1] == {
        "Decision": "NotApplicable",
        "Status": {"StatusCode": {"Value": OK}},
        "Category": echo,
    }
    assert results[2] == {
        "Decision": "Indeterminate",
        "Status": {"StatusCode": {"Value": MISSING}},
        "Category": echo,
    }


def single(
    subject: list[dict[str, Any]], action: str, resource_attributes: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "Request": {
            "AccessSubject": [{"Attribute": subject}],
            "Action": [{"Attribute": [attribute(ACTION, action)]}],
            "Resource": [{"Attribute": resource_attributes}],
        }
    }


APP = [attribute("urn:altinn:org", "ttd"), attribute("urn:altinn:app", "app-issue")]
TASK = attribute("urn:altinn:task", "Task_1")


@pytest.mark.parametrize(
    ("body", "decision"),
    [
        pytest.param(
            single([attribute(PERSON, P11)], "read", [*APP, TASK, attribute(ORG_NO, S02)]),
            "Permit",
            id="delegated",
        ),
        pytest.param(
            single([attribute(PERSON, P11)], "READ", [*APP, TASK, attribute(ORG_NO, S02)]),
            "Permit",
            id="action-case",
        ),
        pytest.param(
            single([attribute(PERSON, P11)], "instantiate", [*APP, TASK, attribute(ORG_NO, S02)]),
            "NotApplicable",
            id="not-delegated",
        ),
        pytest.param(
            single(
                [attribute(PERSON, P11)],
                "read",
                [*APP, attribute("urn:altinn:task", "Task_2"), attribute(ORG_NO, S02)],
            ),
            "NotApplicable",
            id="other-task",
        ),
        pytest.param(
            single([attribute(PERSON, P11)], "instantiate", [*APP, TASK, attribute(PERSON, P11)]),
            "Permit",
            id="priv",
        ),
        pytest.param(
            single([attribute(PERSON, P03)], "instantiate", [*APP, TASK, attribute(PERSON, P11)]),
            "NotApplicable",
            id="other-person",
        ),
        pytest.param(
            single([attribute("urn:altinn:org", "ttd")], "complete", [*APP, attribute(ORG_NO, S02)]),
            "Permit",
            id="owner-rule",
        ),
        pytest.param(
            single([attribute("urn:altinn:org", "digdir")], "complete", [*APP, attribute(ORG_NO, S02)]),
            "NotApplicable",
            id="other-owner",
        ),
        pytest.param(
            single([attribute(ORG_NO, S02)], "read", [*APP, TASK, attribute(ORG_NO, S02)]),
            "NotApplicable",
            id="org-subject",
        ),
        pytest.param(
            single(
                [attribute(PERSON, P11)],
                "read",
                [attribute("urn:altinn:resource", "app_ttd_app-issue"), TASK, attribute(ORG_NO, S02)],
            ),
            "Permit",
            id="resource-id",
        ),
        pytest.param(
            single(
                [attribute(PERSON, P11)],
                "read",
                [
                    attribute("urn:altinn:org", "ttd"),
                    attribute("urn:altinn:app", "nope"),
                    TASK,
                    attribute(ORG_NO, S02),
                ],
            ),
            "NotApplicable",
            id="unknown-app",
        ),
        pytest.param(
            single([attribute(PERSON, "01019012480")], "read", [*APP, TASK, attribute(ORG_NO, S02)]),
            "NotApplicable",
            id="unknown-person",
        ),
        pytest.param(
            single([attribute(PERSON, P11)], "read", [*APP, TASK, attribute(ORG_NO, "399900360")]),
            "NotApplicable",
            id="unknown-party",
        ),
        pytest.param(
            single([], "read", [*APP, TASK, attribute(ORG_NO, S02)]), "Indeterminate", id="no-subject"
        ),
        pytest.param(
            single([attribute(PERSON, P11)], "read", [TASK, attribute(ORG_NO, S02)]),
            "Indeterminate",
            id="no-app",
        ),
    ],
)
async def test_single_decisions(
    world_client: httpx.AsyncClient, world_token: Mint, body: dict[str, Any], decision: str
) -> None:
    response = await post(world_client, world_token, body)
    assert response.status_code == 200
    assert response.json()["Response"][0]["Decision"] == decision


async def test_party_by_party_id_and_instance_id(
    world: PortvaktApp, world_client: httpx.AsyncClient, world_token: Mint
) -> None:
    async with world.platform.database.engine.connect() as connection:
        s02 = await store.organisation(connection, S02)
    assert s02 is not None
    party_id = str(s02.party_id)
    instance = f"{party_id}/3f8b4a2e-0000-4000-8000-000000000000"
    for party in (attribute("urn:altinn:partyid", party_id), attribute("urn:altinn:instance-id", instance)):
        body = single([attribute(PERSON, P11)], "read", [*APP, TASK, party])
        assert (await post(world_client, world_token, body)).json()["Response"][0]["Decision"] == "Permit"
    unknown = single([attribute(PERSON, P11)], "read", [*APP, TASK, attribute("urn:altinn:partyid", "99")])
    assert (await post(world_client, world_token, unknown)).json()["Response"][0][
        "Decision"
    ] == "NotApplicable"


async def test_structural_errors_are_400_problem_details(
    world_client: httpx.AsyncClient, world_token: Mint
) -> None:
    subject = {"Id": "s1", "Attribute": [attribute(PERSON, P11)]}
    action = {"Id": "a1", "Attribute": [attribute(ACTION, "read")]}
    res = {"Id": "r1", "Attribute": APP}
    cases: list[tuple[object, str]] = [
        ([], "Request"),
        ({"NoRequest": {}}, "Request"),
        ({"Request": {"Action": [action], "Resource": [res]}}, "Request.AccessSubject"),
        (
            {"Request": {"AccessSubject": [subject, subject], "Action": [action], "Resource": [res]}},
            "Request.AccessSubject",
        ),
        (
            {
                "Request": {
                    "AccessSubject": [subject],
                    "Action": [action],
                    "Resource": [res],
                    "MultiRequests": {"RequestReference": [{"ReferenceId": ["s1", "a1", "r9"]}]},
                }
            },
            "Request.MultiRequests.RequestReference[0]",
        ),
        (
            {
                "Request": {
                    "AccessSubject": [subject],
                    "Action": [action],
                    "Resource": [res],
                    "MultiRequests": {"RequestReference": [{"ReferenceId": ["s1", "a1"]}]},
                }
            },
            "Request.MultiRequests.RequestReference[0]",
        ),
        (
            {
                "Request": {
                    "AccessSubject": [subject, subject],
                    "Action": [action],
                    "Resource": [res],
                    "MultiRequests": {"RequestReference": [{"ReferenceId": ["s1", "a1", "r1"]}]},
                }
            },
            "Request.AccessSubject",
        ),
        (
            {
                "Request": {
                    "AccessSubject": [subject],
                    "Action": [action],
                    "Resource": [res],
                    "MultiRequests": {"RequestReference": [{"ReferenceId": ["s1", "a1", "r1"]}] * 1001},
                }
            },
            "Request.MultiRequests",
        ),
        (
            {
                "Request": {
                    "AccessSubject": [{"Attribute": [{"AttributeId": PERSON, "Value": None}]}],
                    "Action": [action],
                    "Resource": [res],
                }
            },
            "Request.AccessSubject[0].Attribute[0]",
        ),
    ]
    for body, field in cases:
        response = await post(world_client, world_token, body)
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
        problem = response.json()
        assert problem["title"] == "One or more validation errors occurred."
        assert problem["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
        assert list(problem["errors"]) == [field], body
    not_json = await world_client.post(
        AUTHORIZE,
        content=b"{nope",
        headers={**bearer(world_token(SCOPE)), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    too_big = await world_client.post(
        AUTHORIZE, content=b" " * (1024 * 1024 + 1), headers=bearer(world_token(SCOPE))
    )
    assert too_big.status_code == 400


async def test_token_rules(world_client: httpx.AsyncClient, world_token: Mint) -> None:
    body = single([attribute(PERSON, P11)], "read", [*APP, TASK, attribute(ORG_NO, S02)])
    missing = await world_client.post(AUTHORIZE, json=body)
    assert (missing.status_code, missing.headers["www-authenticate"], missing.content) == (401, "Bearer", b"")
    wrong_scope = await post(world_client, world_token, body, scope="altinn:maskinporten/delegations")
    assert wrong_scope.status_code == 403
    assert wrong_scope.headers["content-type"] == "application/problem+json; charset=utf-8"
    problem = wrong_scope.json()
    assert {key: problem[key] for key in ("type", "title", "status", "detail")} == {
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.3",
        "title": "Forbidden",
        "status": 403,
        "detail": "Missing scope altinn:authorization/authorize",
    }
    legacy = await post(world_client, world_token, body, scope="altinn:authorization:pdp")
    assert legacy.status_code == 200
    foreign = await world_client.post(
        AUTHORIZE, json=body, headers=bearer(world_token(SCOPE, issuer="http://elsewhere.example/"))
    )
    assert (foreign.status_code, foreign.headers["www-authenticate"]) == (401, 'Bearer error="invalid_token"')
