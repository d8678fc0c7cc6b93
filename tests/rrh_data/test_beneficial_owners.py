"""§9.2 derivation on hand-built graphs: one row per outcome and rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from portvakt.rrh.beneficial_owners import (
    AGREEMENT,
    APPOINT_BOARD,
    DIRECT,
    FOREIGN_PUBLIC_STATUS,
    FOUNDATION_POSITIONS,
    HAS_NO_OWNERS,
    HAS_OWNERS,
    INDIRECT,
    INTERVAL_1,
    INTERVAL_2,
    INTERVAL_3,
    NONE_KNOWN,
    NORWEGIAN_PUBLIC,
    OTHER_CONTROL,
    OTHER_CONTROL_TEXTS,
    OWNERSHIP,
    SOME_UNKNOWN,
    STI_BOARD_AND_OTHERS,
    STI_BOARD_ONLY,
    STI_BOARD_OTHERS_UNKNOWN,
    VOTES,
    Derivation,
    EntityProfile,
    Holding,
    Node,
    derive,
    interval,
)

E = Node("entity", "E")
P1, P2, P3 = Node("person", "P1"), Node("person", "P2"), Node("person", "P3")
F1 = Node("foreign_person", "1")
H, H2, H3, H4, H5 = (Node("entity", f"H{n}") for n in range(1, 6))
KOMM = Node("public", "KOMM")
STATE = Node("foreign_public", "SWE")
OPAQUE = Node("foreign_entity", "9")
SWEDISH = Node("foreign_entity", "10")

Edges = dict[Node, Sequence[tuple[Node, int, int]]]


class Graph:
    def __init__(self, edges: Edges) -> None:
        self.edges = edges

    def holdings(self, entity: Node) -> Sequence[Holding]:
        return [Holding(owner, capital, votes) for owner, capital, votes in self.edges.get(entity, ())]


def pct(owner: Node, capital: float, votes: float | None = None) -> tuple[Node, int, int]:
    share = round(capital * 100)
    return owner, share, share if votes is None else round(votes * 100)


def chances(values: Iterable[float]) -> object:
    iterator = iter(values)
    return lambda: next(iterator, 0.99)


def run(edges: Edges, form: str = "AS", draws: Iterable[float] = (), **profile: object) -> Derivation:
    chance = chances(draws)
    return derive(
        Graph(edges),
        EntityProfile(E, form, **profile),  # type: ignore[arg-type]
        chance,  # type: ignore[arg-type]
        lambda: [P3],
    )


def summary(
    derivation: Derivation,
) -> list[tuple[str, list[tuple[str, str | None, tuple[str, ...], tuple[str, ...]]]]]:
    return [
        (
            owner.person.key,
            [(p.type, p.interval, p.basis, tuple(n.key for n in p.intermediates)) for p in owner.positions],
        )
        for owner in derivation.owners
    ]


CASES = [
    pytest.param(
        {E: [pct(P1, 30), pct(P2, 70)]},
        HAS_OWNERS,
        [("P1", [(OWNERSHIP, INTERVAL_1, (DIRECT,), ())]), ("P2", [(OWNERSHIP, INTERVAL_2, (DIRECT,), ())])],
        id="direct_over_25",
    ),
    pytest.param(
        {E: [pct(P1, 25), pct(P2, 75)]},
        HAS_OWNERS,
        [("P2", [(OWNERSHIP, INTERVAL_3, (DIRECT,), ())])],
        id="exactly_25_is_not_over",
    ),
    pytest.param(
        {E: [pct(H, 100)], H: [pct(P1, 60), pct(P2, 40)]},
        HAS_OWNERS,
        [("P1", [(OWNERSHIP, INTERVAL_3, (INDIRECT,), ("H1",))])],
        id="indirect_via_controlled_holding",
    ),
    pytest.param(
        {E: [pct(P1, 10), pct(H, 20), pct(P2, 70)], H: [pct(P1, 51)]},
        HAS_OWNERS,
        [
            ("P1", [(OWNERSHIP, INTERVAL_1, (DIRECT, INDIRECT), ("H1",))]),
            ("P2", [(OWNERSHIP, INTERVAL_2, (DIRECT,), ())]),
        ],
        id="direct_and_indirect_add_up",
    ),
    pytest.param(
        {E: [pct(H, 100)], H: [pct(P1, 50), pct(P2, 50)]},
        NONE_KNOWN,
        [],
        id="nobody_controls_the_holding_unknown",
    ),
    pytest.param(
        {E: [pct(OPAQUE, 40), pct(P1, 60)]},
        SOME_UNKNOWN,
        [("P1", [(OWNERSHIP, INTERVAL_2, (DIRECT,), ())])],
        id="unknown_over_25_with_persons",
    ),
    pytest.param({E: [pct(OPAQUE, 26), pct(H, 74)]}, NONE_KNOWN, [], id="unknown_over_25_without_persons"),
    pytest.param(
        {E: [pct(OPAQUE, 25), pct(P1, 75)]},
        HAS_OWNERS,
        [("P1", [(OWNERSHIP, INTERVAL_3, (DIRECT,), ())])],
        id="unknown_exactly_25_is_not_over",
    ),
    pytest.param({E: [pct(KOMM, 80), pct(P1, 20)]}, NORWEGIAN_PUBLIC, [], id="public_over_75"),
    pytest.param(
        {E: [pct(H, 80), pct(P1, 20)], H: [pct(KOMM, 60), pct(P2, 40)]},
        NORWEGIAN_PUBLIC,
        [],
        id="public_through_a_controlled_entity",
    ),
    pytest.param({E: [pct(KOMM, 75), pct(P1, 25)]}, HAS_NO_OWNERS, [], id="public_exactly_75_is_not_over"),
    pytest.param({E: [pct(STATE, 90), pct(P1, 10)]}, FOREIGN_PUBLIC_STATUS, [], id="foreign_public_over_75"),
    pytest.param(
        {E: [pct(P1, 40, 60), pct(P2, 60, 40)]},
        HAS_OWNERS,
        [
            ("P1", [(OWNERSHIP, INTERVAL_1, (DIRECT,), ()), (VOTES, INTERVAL_2, (DIRECT,), ())]),
            ("P2", [(OWNERSHIP, INTERVAL_2, (DIRECT,), ()), (VOTES, INTERVAL_1, (DIRECT,), ())]),
        ],
        id="a_b_shares_voting_position",
    ),
    pytest.param(
        {E: [pct(P1, 20, 30), pct(P2, 80, 70)]},
        HAS_OWNERS,
        [
            ("P1", [(VOTES, INTERVAL_1, (DIRECT,), ())]),
            ("P2", [(OWNERSHIP, INTERVAL_3, (DIRECT,), ()), (VOTES, INTERVAL_2, (DIRECT,), ())]),
        ],
        id="a_b_shares_votes_only",
    ),
    pytest.param(
        {E: [pct(H, 100)], H: [pct(H2, 100)], H2: [pct(H3, 100)], H3: [pct(H4, 100)], H4: [pct(P1, 100)]},
        HAS_OWNERS,
        [("P1", [(OWNERSHIP, INTERVAL_3, (INDIRECT,), ("H1", "H2", "H3", "H4"))])],
        id="depth_4_is_followed",
    ),
    pytest.param(
        {
            E: [pct(H, 100)],
            H: [pct(H2, 100)],
            H2: [pct(H3, 100)],
            H3: [pct(H4, 100)],
            H4: [pct(H5, 100)],
            H5: [pct(P1, 100)],
        },
        NONE_KNOWN,
        [],
        id="depth_5_is_beyond_the_limit",
    ),
    pytest.param(
        {E: [pct(SWEDISH, 100)], SWEDISH: [pct(H, 80), pct(F1, 20)], H: [pct(P1, 100)]},
        HAS_OWNERS,
        [("P1", [(OWNERSHIP, INTERVAL_3, (INDIRECT,), ("10", "H1"))])],
        id="intermediates_nearest_first_foreign_included",
    ),
    pytest.param({E: [pct(P1, 10), pct(P2, 10)]}, HAS_NO_OWNERS, [], id="nobody_over_25"),
]


@pytest.mark.parametrize(("edges", "status", "owners"), CASES)
def test_ownership_outcomes(edges: Edges, status: str, owners: list[object]) -> None:
    derivation = run(edges)
    assert derivation.status == status
    assert summary(derivation) == owners


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        pytest.param(2_500, None, id="25_none"),
        pytest.param(2_501, INTERVAL_1, id="25.01_interval1"),
        pytest.param(4_999, INTERVAL_1, id="49.99_interval1"),
        pytest.param(5_000, INTERVAL_2, id="50_interval2"),
        pytest.param(7_499, INTERVAL_2, id="74.99_interval2"),
        pytest.param(7_500, INTERVAL_3, id="75_interval3"),
        pytest.param(10_000, INTERVAL_3, id="100_interval3"),
    ],
)
def test_interval_boundaries(share: int, expected: str | None) -> None:
    assert interval(share) == expected


@pytest.mark.parametrize(
    ("capital", "draw", "found"),
    [
        pytest.param(22, 0.01, True, id="agreement_drawn"),
        pytest.param(22, 0.5, False, id="agreement_not_drawn"),
        pytest.param(20, 0.01, True, id="agreement_at_20"),
        pytest.param(19.99, 0.01, False, id="below_20_never"),
    ],
)
def test_shareholder_agreement_between_20_and_25(capital: float, draw: float, found: bool) -> None:
    derivation = run({E: [pct(P1, capital), pct(P2, 100 - capital)]}, draws=[draw])
    owners = dict(summary(derivation))
    assert ("P1" in owners) is found
    if found:
        assert owners["P1"] == [(APPOINT_BOARD, None, (AGREEMENT,), ())]


def test_listed_asa_reports_only_the_market() -> None:
    derivation = run({E: [pct(P1, 100)]}, form="ASA", market="markedstype.euronextOslo")
    assert derivation == Derivation(None, market="markedstype.euronextOslo")


def test_nuf_with_a_foreign_register_reports_only_the_register() -> None:
    derivation = run({E: [pct(SWEDISH, 100)], SWEDISH: [pct(F1, 100)]}, form="NUF", foreign_register=True)
    assert derivation == Derivation(None, foreign_register=True)


def test_nuf_without_a_foreign_register_is_derived() -> None:
    derivation = run({E: [pct(SWEDISH, 100)], SWEDISH: [pct(F1, 100)]}, form="NUF")
    assert summary(derivation) == [("1", [(OWNERSHIP, INTERVAL_3, (INDIRECT,), ("10",))])]


@pytest.mark.parametrize(
    ("draws", "status", "with_persons"),
    [
        pytest.param([0.5], STI_BOARD_ONLY, False, id="board_only_80"),
        pytest.param([0.9, 0.1, 0.9], STI_BOARD_AND_OTHERS, True, id="board_and_others_15"),
        pytest.param([0.97, 0.6, 0.1, 0.4], STI_BOARD_OTHERS_UNKNOWN, True, id="others_and_unknown_5"),
    ],
)
def test_foundation_variants(draws: list[float], status: str, with_persons: bool) -> None:
    derivation = run({}, form="STI", draws=draws)
    assert derivation.status == status
    assert bool(derivation.owners) is with_persons
    for owner in derivation.owners:
        assert 1 <= len(owner.positions) <= 2
        assert all(p.type in FOUNDATION_POSITIONS and not p.basis for p in owner.positions)


@pytest.mark.parametrize("form", ["SA", "BBL", "BRL", "GFS", "PK", "EOFG", "FLI"])
def test_chair_with_other_control_in_5_percent(form: str) -> None:
    assert run({}, form=form, draws=[0.94], chair=P1) == Derivation(HAS_NO_OWNERS)
    derivation = run({}, form=form, draws=[0.96, 0.0], chair=P1)
    assert derivation.status == HAS_OWNERS
    (owner,) = derivation.owners
    assert owner.person == P1
    assert [(p.type, p.description, p.basis) for p in owner.positions] == [
        (OTHER_CONTROL, OTHER_CONTROL_TEXTS[0], ())
    ]


def test_public_outranks_the_no_owner_forms() -> None:
    assert run({E: [pct(STATE, 100)]}, form="BRL", draws=[0.99]).status == FOREIGN_PUBLIC_STATUS
