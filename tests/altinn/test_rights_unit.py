"""The evaluator without a database (altinn.md §3, §4 order, §5 matching) and policies/API keys (§2)."""

from __future__ import annotations

import pytest

from portvakt.altinn.apikeys import key_id_of, key_matches, new_key
from portvakt.altinn.policy import END_EVENT, TASK, InvalidPolicy, Resource, default_policy, load_policy
from portvakt.altinn.rights import (
    App,
    Codes,
    Delegation,
    PartyRoles,
    Question,
    Source,
    Unit,
    app_rights,
    effective_codes,
    permits,
)

S = "11907837388"
P = "399900026"
FIRM = "399900298"
MAIN = "399900018"


def org(*units: Unit) -> PartyRoles:
    return PartyRoles(units[0].orgnr, is_person=False, units=units)


@pytest.mark.parametrize(
    ("holdings", "party", "expected_er", "expected_derived", "priv"),
    [
        pytest.param({}, PartyRoles(S, is_person=True), set(), set(), True, id="row1-self"),
        pytest.param({}, PartyRoles("01019012480", is_person=True), set(), set(), False, id="other-person"),
        pytest.param({P: frozenset({"MEDL"})}, org(Unit(P)), {"MEDL"}, set(), False, id="row2-not-key"),
        pytest.param(
            {P: frozenset({"DAGL"})},
            org(Unit(P)),
            {"DAGL"},
            {"HADM", "ADMAI", "UTINN", "REGNA", "LOPER", "SISKD", "SIGNE", "APIADM"},
            False,
            id="row3-key",
        ),
        pytest.param(
            {P: frozenset({"BOBE"})},
            org(Unit(P)),
            {"BOBE"},
            {"HADM", "ADMAI", "UTINN", "REGNA", "LOPER", "SISKD", "SIGNE", "APIADM", "BOBEL", "BOBES"},
            False,
            id="row3-estate",
        ),
        pytest.param(
            {FIRM: frozenset({"DAGL"})},
            org(Unit(P, accountants=frozenset({FIRM}))),
            set(),
            {"A0212", "A0236", "A0237"},
            False,
            id="row4-accountant",
        ),
        pytest.param(
            {FIRM: frozenset({"MEDL"})},
            org(Unit(P, accountants=frozenset({FIRM}))),
            set(),
            set(),
            False,
            id="row4-no-key",
        ),
        pytest.param(
            {FIRM: frozenset({"LEDE"})},
            org(Unit(P, auditors=frozenset({FIRM}))),
            set(),
            {"A0238", "A0239"},
            False,
            id="row5-auditor",
        ),
        pytest.param(
            {MAIN: frozenset({"DAGL"})},
            org(Unit(P), Unit(MAIN)),
            {"DAGL"},
            {"HADM", "ADMAI", "UTINN", "REGNA", "LOPER", "SISKD", "SIGNE", "APIADM"},
            False,
            id="row6-sub-unit",
        ),
    ],
)
def test_effective_codes(
    holdings: dict[str, frozenset[str]],
    party: PartyRoles,
    expected_er: set[str],
    expected_derived: set[str],
    priv: bool,
) -> None:
    codes = effective_codes(S, holdings, party)
    assert codes.er == expected_er
    assert codes.derived == expected_derived
    assert codes.priv is priv


def app(position: int, name: str) -> App:
    return App(position, "ttd", name, name, default_policy("ttd", name), 3)


def test_apprights_order_and_collapse() -> None:
    apps = [app(0, "b"), app(1, "a")]
    delegation = Delegation("guid-1", P, S, "ttd", "b", Resource(TASK, "Task_1"), "read", False)
    rights = app_rights(apps, Codes(er=frozenset({"DAGL"}), derived=frozenset({"HADM"})), [delegation])
    keys = [(r.app_id, r.source, r.resource_id, r.action) for r in rights]
    assert keys[:6] == [
        ("ttd/b", Source.ROLE, END_EVENT, "read"),
        ("ttd/b", Source.ROLE, TASK, "delete"),
        ("ttd/b", Source.ROLE, TASK, "instantiate"),
        ("ttd/b", Source.ROLE, TASK, "read"),
        ("ttd/b", Source.ROLE, TASK, "write"),
        ("ttd/b", Source.DELEGATION, TASK, "read"),
    ]
    assert keys[6][0] == "ttd/a"
    assert all(r.is_delegatable for r in rights if r.source is Source.ROLE)
    assert [r.is_delegatable for r in rights if r.source is Source.DELEGATION] == [False]
    assert app_rights(apps, Codes(er=frozenset({"MEDL"})), []) == []


def test_pdp_matching() -> None:
    policy_app = app(0, "x")
    dagl = Codes(er=frozenset({"DAGL"}))
    task = Resource(TASK, "Task_1")
    assert permits(Question(policy_app, "Read", task, dagl, None, ()))
    assert not permits(Question(policy_app, "read", Resource(TASK, "Task_2"), dagl, None, ()))
    assert not permits(Question(policy_app, "read", None, dagl, None, ()))  # a task rule needs the task
    assert permits(Question(policy_app, "complete", None, Codes(), "ttd", ()))  # R3: whole app
    assert not permits(Question(policy_app, "complete", None, Codes(), "digdir", ()))
    wide = Delegation("g", P, S, "ttd", "x", None, "sign", True)
    assert permits(Question(policy_app, "sign", task, Codes(), None, (wide,)))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("nope", id="not-json"),
        pytest.param('{"rules":[]}', id="empty"),
        pytest.param('{"rules":[{"subjects":[],"resource":null,"actions":["read"]}]}', id="no-subjects"),
        pytest.param(
            '{"rules":[{"subjects":[{"id":"urn:x","value":"a"}],"resource":null,"actions":["read"]}]}',
            id="subject-id",
        ),
        pytest.param(
            '{"rules":[{"subjects":[{"id":"urn:altinn:org","value":"a"}],"resource":{"id":"urn:x","value":"v"},"actions":["read"]}]}',
            id="resource-id",
        ),
        pytest.param(
            '{"rules":[{"subjects":[{"id":"urn:altinn:org","value":"a"}],"resource":null,"actions":["Read!"]}]}',
            id="action",
        ),
    ],
)
def test_invalid_policies(text: str) -> None:
    with pytest.raises(InvalidPolicy):
        load_policy(text)


def test_default_policy_round_trip() -> None:
    policy = default_policy("ttd", "app")
    assert load_policy(policy.to_json()) == policy
    assert [rule.rule_id for rule in policy.rules] == [
        f"urn:altinn:resource:app_ttd_app:ruleid:{n}" for n in (1, 2, 3)
    ]


def test_api_keys() -> None:
    key = new_key()
    assert key_id_of(key.key) == key.key_id
    assert len(key.key) == len("pvak_") + 8 + 1 + 43
    assert key_matches(key.key, key.sha256)
    assert not key_matches(key.key + "x", key.sha256)
    assert key_id_of("pvak_short_x") is None
