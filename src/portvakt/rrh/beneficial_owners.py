"""Beneficial owners derived from the ownership graph (identifiers-and-testdata.md §9.2), a pure function.

Shares are integer hundredths of a percent (10000 = 100 %). `control` finds who controls an entity (more
than 50 % of the effective votes): one person, the Norwegian public sector or a foreign state, with the
controlled entities on the way; recursion is limited to four levels of intermediate entities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

OwnerKind = Literal["person", "foreign_person", "entity", "public", "foreign_entity", "foreign_public"]

MAX_DEPTH: Final = 4
FULL: Final = 10_000
THRESHOLD: Final = 2_500  # "more than 25 %"
CONTROL: Final = 5_000  # "more than 50 %"
AGREEMENT_LOW: Final = 2_000  # 20–25 % of the capital: a shareholder agreement with probability 5 %
AGREEMENT_SHARE: Final = 0.05
PUBLIC: Final = "public"
FOREIGN_PUBLIC: Final = "foreign_public"

STATUS_PREFIX: Final = "reellerettighetshaverestatus."
HAS_OWNERS: Final = STATUS_PREFIX + "harReelleRettighetshavere"
HAS_NO_OWNERS: Final = STATUS_PREFIX + "harIkkeReelleRettighetshavere"
SOME_UNKNOWN: Final = STATUS_PREFIX + "noenReelleRettighetshavereKanIdentifiseres"
NONE_KNOWN: Final = STATUS_PREFIX + "ingenReelleRettighetshavereKanIdentifiseres"
NORWEGIAN_PUBLIC: Final = (
    STATUS_PREFIX + "norskOffentligVirksomhetEierEllerKontrollererRegistreringspliktigVirksomhet"
)
FOREIGN_PUBLIC_STATUS: Final = (
    STATUS_PREFIX + "utenlandskOffentligVirksomhetEierEllerKontrollererRegistreringspliktigVirksomhet"
)
STI_BOARD_ONLY: Final = STATUS_PREFIX + "harKunStyreOgDagligLederSomReelleRettighetshavere"
STI_BOARD_AND_OTHERS: Final = (
    STATUS_PREFIX + "harStyreOgDagligLederOgAndrePosisjonerSomReelleRettighetshavere"
)
STI_BOARD_OTHERS_UNKNOWN: Final = (
    STATUS_PREFIX
    + "harStyreOgDagligLederOgAndrePosisjonerSomReelleRettighetshavere"
    + "OgNoenReelleRettighetshavereKanIkkeIdentifiseres"
)

OWNERSHIP: Final = "posisjonstype.eierskap"
VOTES: Final = "posisjonstype.kontrollOverStemmerettigheter"
APPOINT_BOARD: Final = "posisjonstype.rettTilAaUtpekeEllerAvsetteStyre"
OTHER_CONTROL: Final = "posisjonstype.kontrollPaaAnnenMaate"
FOUNDATION_POSITIONS: Final = (
    "posisjonstype.rettTilAaUtpekeEtFlertallAvStyre",
    "posisjonstype.avgittGrunnkapital",
    "posisjonstype.saerligeRettigheter",
    "posisjonstype.destinatar",
)
DIRECT: Final = "grunnlagstype.direkte"
INDIRECT: Final = "grunnlagstype.indirekte"
AGREEMENT: Final = "grunnlagstype.enighetEllerAvtale"
INTERVAL_1: Final = "stoerrelsesintervall.intervall1"
INTERVAL_2: Final = "stoerrelsesintervall.intervall2"
INTERVAL_3: Final = "stoerrelsesintervall.intervall3"

LISTED_FORMS: Final = frozenset({"ASA", "SE", "SPA"})
NO_OWNER_FORMS: Final = frozenset({"SA", "BBL", "BRL", "GFS", "PK", "EOFG", "FLI"})

# §9.2: texts for the chair's `kontrollPaaAnnenMaate`.
OTHER_CONTROL_TEXTS: Final = (
    "Styreleder har avgjørende innflytelse over virksomheten gjennom vedtektene.",
    "Styreleder kontrollerer virksomheten gjennom en avtale med medlemmene.",
    "Styreleder har vetorett i alle saker av betydning for virksomheten.",
    "Styreleder utpeker flertallet av styret etter vedtektene.",
    "Styreleder har avgjørende innflytelse gjennom finansieringen av virksomheten.",
    "Styreleder har dobbeltstemme og avgjør styrets vedtak.",
    "Styreleder kontrollerer virksomheten gjennom en forvaltningsavtale.",
    "Styreleder har rett til å instruere daglig leder i alle saker.",
    "Styreleder har avgjørende innflytelse gjennom eierskap til virksomhetens eiendom.",
    "Styreleder har kontroll på annen måte gjennom en aksjonæravtale i morselskapet.",
)


@dataclass(frozen=True, order=True)
class Node:
    """An owner or an owned entity: `key` is a national id, an orgnr, or a foreign person/entity id."""

    kind: OwnerKind
    key: str


@dataclass(frozen=True)
class Holding:
    owner: Node
    capital: int  # hundredths of a percent
    votes: int


class OwnershipGraph(Protocol):
    def holdings(self, entity: Node) -> Sequence[Holding]:
        """The known owners of an entity (empty for opaque foreign entities and unknown owners)."""
        ...


@dataclass(frozen=True)
class Position:
    type: str
    interval: str | None = None
    basis: tuple[str, ...] = ()
    intermediates: tuple[Node, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class BeneficialOwner:
    person: Node
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class Derivation:
    """The reported content: a status (None for market/register-only reports) and the persons."""

    status: str | None
    owners: tuple[BeneficialOwner, ...] = ()
    market: str | None = None
    foreign_register: bool = False


@dataclass(frozen=True)
class Control:
    holder: Node | str | None  # a person, PUBLIC, FOREIGN_PUBLIC, or None (nobody controls)
    path: tuple[tuple[int, Node], ...] = ()  # (distance below the entity, controlled entity)


_NOBODY: Final = Control(None)
_PERSON_KINDS: Final = ("person", "foreign_person")
_ENTITY_KINDS: Final = ("entity", "foreign_entity")


@dataclass
class Facts:
    """The per-person sums of §9.2 for one entity E, plus public/foreign_pub/unknown."""

    capital: dict[Node, int] = field(default_factory=dict)
    votes: dict[Node, int] = field(default_factory=dict)
    direct_capital: dict[Node, int] = field(default_factory=dict)
    direct_votes: dict[Node, int] = field(default_factory=dict)
    indirect_capital: dict[Node, int] = field(default_factory=dict)
    indirect_votes: dict[Node, int] = field(default_factory=dict)
    paths: dict[Node, list[tuple[int, Node]]] = field(default_factory=dict)
    order: list[Node] = field(default_factory=list)
    public: int = 0
    foreign_public: int = 0
    unknown: int = 0
    dual_class: bool = False


def interval(share: int) -> str | None:
    """(25, 50) → intervall1, [50, 75) → intervall2, [75, 100] → intervall3; None at or below 25 %."""
    if share <= THRESHOLD:
        return None
    if share < 5_000:
        return INTERVAL_1
    if share < 7_500:
        return INTERVAL_2
    return INTERVAL_3


def control(
    graph: OwnershipGraph,
    entity: Node,
    depth: int = MAX_DEPTH - 1,
    memo: dict[tuple[Node, int], Control] | None = None,
) -> Control:
    """Who holds > 50 % of the effective votes of `entity`, expanding entity owners `depth` levels deep."""
    memo = {} if memo is None else memo
    cached = memo.get((entity, depth))
    if cached is not None:
        return cached
    tally: dict[Node | str, int] = {}
    paths: dict[Node | str, list[tuple[int, Node]]] = {}
    for holding in graph.holdings(entity):
        owner = holding.owner
        holder: Node | str | None
        if owner.kind in _PERSON_KINDS:
            holder = owner
        elif owner.kind == "public":
            holder = PUBLIC
        elif owner.kind == "foreign_public":
            holder = FOREIGN_PUBLIC
        elif depth > 0:
            below = control(graph, owner, depth - 1, memo)
            holder = below.holder
            if holder is not None:
                chain = paths.setdefault(holder, [])
                chain.append((1, owner))
                chain.extend((distance + 1, node) for distance, node in below.path)
        else:
            holder = None
        if holder is not None:
            tally[holder] = tally.get(holder, 0) + holding.votes
    result = _NOBODY
    for holder, votes in tally.items():
        if votes > CONTROL:
            result = Control(holder, _nearest_first(paths.get(holder, [])))
            break
    memo[(entity, depth)] = result
    return result


def _nearest_first(path: list[tuple[int, Node]]) -> tuple[tuple[int, Node], ...]:
    seen: dict[Node, int] = {}
    for distance, node in path:
        if node not in seen or distance < seen[node]:
            seen[node] = distance
    ordered = sorted(enumerate(seen.items()), key=lambda item: (item[1][1], item[0]))
    return tuple((distance, node) for _, (node, distance) in ordered)


def facts(graph: OwnershipGraph, entity: Node) -> Facts:
    """eff_cap, eff_vote (direct and via controlled entities), public, foreign_pub and unknown of §9.2."""
    result = Facts()
    memo: dict[tuple[Node, int], Control] = {}
    for holding in graph.holdings(entity):
        if holding.capital != holding.votes:
            result.dual_class = True
        owner = holding.owner
        if owner.kind in _PERSON_KINDS:
            _add(result, owner, holding, direct=True)
        elif owner.kind == "public":
            result.public += holding.capital
        elif owner.kind == "foreign_public":
            result.foreign_public += holding.capital
        else:
            below = control(graph, owner, MAX_DEPTH - 1, memo)
            if isinstance(below.holder, Node):
                _add(result, below.holder, holding, direct=False)
                path = result.paths.setdefault(below.holder, [])
                path.append((1, owner))
                path.extend((distance + 1, node) for distance, node in below.path)
            elif below.holder == PUBLIC:
                result.public += holding.capital
            elif below.holder == FOREIGN_PUBLIC:
                result.foreign_public += holding.capital
            else:
                result.unknown += holding.capital
    return result


def _add(result: Facts, person: Node, holding: Holding, *, direct: bool) -> None:
    if person not in result.capital:
        result.order.append(person)
    result.capital[person] = result.capital.get(person, 0) + holding.capital
    result.votes[person] = result.votes.get(person, 0) + holding.votes
    capital, votes = (
        (result.direct_capital, result.direct_votes)
        if direct
        else (result.indirect_capital, result.indirect_votes)
    )
    capital[person] = capital.get(person, 0) + holding.capital
    votes[person] = votes.get(person, 0) + holding.votes


def _basis(direct: int, indirect: int) -> tuple[str, ...]:
    return tuple(code for code, share in ((DIRECT, direct), (INDIRECT, indirect)) if share > 0)


def persons_found(found: Facts, chance: Callable[[], float]) -> tuple[BeneficialOwner, ...]:
    """The persons of §9.2 with their positions; `chance()` decides the 5 % shareholder-agreement case."""
    owners: list[BeneficialOwner] = []
    for person in found.order:
        positions: list[Position] = []
        intermediates = tuple(node for _, node in _nearest_first(found.paths.get(person, [])))
        capital = found.capital[person]
        capital_interval = interval(capital)
        if capital_interval is not None:
            indirect = found.indirect_capital.get(person, 0)
            positions.append(
                Position(
                    OWNERSHIP,
                    capital_interval,
                    _basis(found.direct_capital.get(person, 0), indirect),
                    intermediates if indirect > 0 else (),
                )
            )
        votes_interval = interval(found.votes[person]) if found.dual_class else None
        if votes_interval is not None:
            indirect = found.indirect_votes.get(person, 0)
            positions.append(
                Position(
                    VOTES,
                    votes_interval,
                    _basis(found.direct_votes.get(person, 0), indirect),
                    intermediates if indirect > 0 else (),
                )
            )
        if not positions and AGREEMENT_LOW <= capital <= THRESHOLD and chance() < AGREEMENT_SHARE:
            positions.append(Position(APPOINT_BOARD, None, (AGREEMENT,)))
        if positions:
            owners.append(BeneficialOwner(person, tuple(positions)))
    return tuple(owners)


@dataclass(frozen=True)
class EntityProfile:
    """What the outcome of §9.2 depends on besides the graph."""

    node: Node
    form: str
    market: str | None = None  # markedstype code of a listed ASA/SE/SPA
    foreign_register: bool = False  # a NUF reporting an EEA register
    chair: Node | None = None  # LEDE of SA, BBL, BRL, GFS, PK, EOFG, FLI


def derive(
    graph: OwnershipGraph,
    profile: EntityProfile,
    chance: Callable[[], float],
    other_persons: Callable[[], Sequence[Node]],
) -> Derivation:
    """§9.2 outcome in priority order. `chance()` ∈ [0, 1) drives the random rows of the table;
    `other_persons()` draws the 1–2 "andre" persons of a foundation."""
    if profile.market is not None and profile.form in LISTED_FORMS:
        return Derivation(None, market=profile.market)
    if profile.foreign_register and profile.form == "NUF":
        return Derivation(None, foreign_register=True)
    found = facts(graph, profile.node)
    if found.public > 7_500:
        return Derivation(NORWEGIAN_PUBLIC)
    if found.foreign_public > 7_500:
        return Derivation(FOREIGN_PUBLIC_STATUS)
    if profile.form == "STI":
        return _foundation(chance, other_persons)
    if profile.form in NO_OWNER_FORMS:
        if chance() < 0.95 or profile.chair is None:
            return Derivation(HAS_NO_OWNERS)
        text = OTHER_CONTROL_TEXTS[int(chance() * len(OTHER_CONTROL_TEXTS))]
        position = Position(OTHER_CONTROL, description=text)
        return Derivation(HAS_OWNERS, (BeneficialOwner(profile.chair, (position,)),))
    owners = persons_found(found, chance)
    if found.unknown > THRESHOLD:
        return Derivation(SOME_UNKNOWN if owners else NONE_KNOWN, owners)
    if owners:
        return Derivation(HAS_OWNERS, owners)
    return Derivation(HAS_NO_OWNERS)


def _foundation(chance: Callable[[], float], other_persons: Callable[[], Sequence[Node]]) -> Derivation:
    draw = chance()
    if draw < 0.80:
        return Derivation(STI_BOARD_ONLY)
    status = STI_BOARD_AND_OTHERS if draw < 0.95 else STI_BOARD_OTHERS_UNKNOWN
    owners = []
    for person in other_persons():
        first = int(chance() * len(FOUNDATION_POSITIONS))
        kinds = [FOUNDATION_POSITIONS[first]]
        if chance() < 0.5:
            kinds.append(FOUNDATION_POSITIONS[(first + 1 + int(chance() * 3)) % len(FOUNDATION_POSITIONS)])
        owners.append(
            BeneficialOwner(
                person, tuple(Position(kind) for kind in sorted(kinds, key=FOUNDATION_POSITIONS.index))
            )
        )
    return Derivation(status, tuple(owners))
