"""One evaluator, three views (altinn.md §4–§6): for every scenario person as subject and every scenario
entity (plus the subject itself and another person) as reportee, apprights, the PDP and authorizedparties
agree, for the scenario owner `ttd` and the generated owner `digdir`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from portvakt.altinn import authorized_parties, pdp, store
from portvakt.altinn.apprights import app_rights_for
from portvakt.altinn.facts import Facts
from portvakt.altinn.policy import APP_WIDE, END_EVENT
from portvakt.app import PortvaktApp
from portvakt.testdata.scenario_data import SCENARIO_ENTITIES, SCENARIO_PERSONS
from tests.altinn.conftest import AUTHORIZE, P11, S01, S02, Mint, bearer

pytestmark = [pytest.mark.db, pytest.mark.slow]

PERSONS = [person.national_id for person in SCENARIO_PERSONS]
ENTITIES = [entity.orgnr for entity in SCENARIO_ENTITIES]
OTHER_PERSON = PERSONS[0]
OWNERS = ("ttd", "digdir")  # brg's apps are default-policy apps like digdir's
ALL_FLAGS = dict(authorized_parties.FLAGS)


def _flatten(parties: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for party in parties:
        found[party["organizationNumber"] or party["personId"]] = party
        found |= _flatten(party["subunits"])
    return found


def _reference(
    index: int, subject: str, party: str, org: str, app: str, resource: tuple[str, str] | None, action: str
) -> dict[str, Any]:
    party_kind = (
        "urn:altinn:organization:identifier-no" if len(party) == 9 else "urn:altinn:person:identifier-no"
    )
    attributes = [
        {"AttributeId": "urn:altinn:org", "Value": org},
        {"AttributeId": "urn:altinn:app", "Value": app},
        {"AttributeId": party_kind, "Value": party},
    ]
    if resource is not None:
        attributes.append({"AttributeId": resource[0], "Value": resource[1]})
    return {
        "subject": {
            "Id": f"s{index}",
            "Attribute": [{"AttributeId": "urn:altinn:person:identifier-no", "Value": subject}],
        },
        "action": {"Id": f"a{index}", "Attribute": [{"AttributeId": pdp.ACTION_ID, "Value": action}]},
        "resource": {"Id": f"r{index}", "Attribute": attributes},
    }


async def test_three_views_agree_for_every_scenario_party(world: PortvaktApp) -> None:
    engine = world.platform.database.engine
    checked_rights = 0
    async with engine.connect() as connection:
        for code in OWNERS:
            owner = await store.service_owner(connection, code)
            assert owner is not None
            apps = await store.owner_apps(connection, code)
            questions = [
                (app, rule.resource, action)
                for app in apps
                for rule in app.policy.rules
                for action in rule.actions
                if rule.resource is not None
            ]
            for subject in PERSONS:
                lookup = authorized_parties.Lookup(authorized_parties.PERSON_ID, subject)
                listed = _flatten(
                    await authorized_parties.authorized_parties(connection, code, lookup, ALL_FLAGS)
                )
                references: list[dict[str, Any]] = []
                expected: list[str] = []
                for reportee in [*ENTITIES, subject, PERSONS[1] if subject == OTHER_PERSON else OTHER_PERSON]:
                    result = await app_rights_for(
                        connection, owner, {"subject": subject, "reportee": reportee}, "test"
                    )
                    granted = {(r.app_id, r.resource_id, r.resource_value, r.action) for r in result.rights}
                    checked_rights += len(granted)
                    with_rights = sorted({f"app_{r.app_id.replace('/', '_')}" for r in result.rights})
                    if with_rights:
                        assert reportee in listed, (code, subject, reportee)
                    if reportee in listed and not listed[reportee]["onlyHierarchyElementWithNoAccess"]:
                        assert listed[reportee]["authorizedResources"] == with_rights, (
                            code,
                            subject,
                            reportee,
                        )
                    for app, resource, action in questions:
                        assert resource is not None
                        permitted = (app.app_id, resource.id, resource.value, action) in granted or (
                            app.app_id,
                            APP_WIDE,
                            app.name,
                            action,
                        ) in granted
                        references.append(
                            _reference(
                                len(references),
                                subject,
                                reportee,
                                app.org,
                                app.name,
                                (resource.id, resource.value),
                                action,
                            )
                        )
                        expected.append("Permit" if permitted else "NotApplicable")
                for start in range(0, len(references), 1000):
                    chunk = references[start : start + 1000]
                    body = {
                        "Request": {
                            "AccessSubject": [reference["subject"] for reference in chunk],
                            "Action": [reference["action"] for reference in chunk],
                            "Resource": [reference["resource"] for reference in chunk],
                            "MultiRequests": {
                                "RequestReference": [
                                    {
                                        "ReferenceId": [
                                            r["subject"]["Id"],
                                            r["action"]["Id"],
                                            r["resource"]["Id"],
                                        ]
                                    }
                                    for r in chunk
                                ]
                            },
                        }
                    }
                    answer = await pdp.authorize(Facts(connection), body, 1000)
                    decisions = [result["Decision"] for result in answer["Response"]]
                    assert decisions == expected[start : start + 1000], (code, subject)
    assert checked_rights > 50  # the scenario gives rights through roles, accountants and delegations


async def test_views_agree_over_http_for_the_seed_example(
    world_client: httpx.AsyncClient, world_token: Mint
) -> None:
    body = {
        "Request": {
            "AccessSubject": [
                {"Attribute": [{"AttributeId": "urn:altinn:person:identifier-no", "Value": P11}]}
            ],
            "Action": [{"Attribute": [{"AttributeId": pdp.ACTION_ID, "Value": "read"}]}],
            "Resource": [
                {
                    "Attribute": [
                        {"AttributeId": "urn:altinn:resource", "Value": "app_ttd_app-insight"},
                        {"AttributeId": END_EVENT, "Value": "EndEvent_1"},
                        {"AttributeId": "urn:altinn:organization:identifier-no", "Value": S02},
                    ]
                }
            ],
        }
    }
    response = await world_client.post(
        AUTHORIZE, json=body, headers=bearer(world_token("altinn:authorization/authorize", consumer=S01))
    )
    assert response.status_code == 200
    assert response.json()["Response"][0]["Decision"] == "Permit"
