"""The ownership graph of the generated entities (identifiers-and-testdata.md §9.1), made in the workers.

Chunks of `CHUNK_ENTITIES` entity positions; one `ownership` random stream per chunk. Entity owners are
always entities with a smaller ordinal, so the graph is acyclic. Besides the table rows, a chunk returns
its edges in a compact form (`ChunkGraph`) from which the main process builds the whole graph (`Graph`)
that the derivation stage (`portvakt.rrh.testdata_stages`) hands to its workers.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Final

from portvakt.rrh.scenarios import FIRST_GENERATED_FOREIGN_ID
from portvakt.testdata.bulk import Packed, pack
from portvakt.testdata.model import CLASS_HOLDING, FIRST_GENERATED_ENTITY, FORM_BY_INDEX
from portvakt.testdata.persons import unpack_pool_entry
from portvakt.testdata.stages import Plan
from portvakt.testdata.streams import Weighted, rng_for, stream_seed

if TYPE_CHECKING:
    from faker import Faker

# Owner kinds in the compact graph.
K_POOL_PERSON, K_ROLE_PERSON, K_ENTITY, K_PUBLIC, K_FOREIGN_PERSON, K_FOREIGN_ENTITY, K_FOREIGN_PUBLIC = (
    range(7)
)
TABLE_KIND: Final = {
    K_POOL_PERSON: "person",
    K_ROLE_PERSON: "person",
    K_ENTITY: "entity",
    K_PUBLIC: "entity",
    K_FOREIGN_PERSON: "foreign_person",
    K_FOREIGN_ENTITY: "foreign_entity",
    K_FOREIGN_PUBLIC: "foreign_public",
}

OWNED_FORMS: Final = frozenset({"AS", "ASA", "SE", "BA"})
PARTNERSHIP_FORMS: Final = frozenset({"ANS", "DA", "KS", "PRE"})
PUBLIC_FORMS: Final = frozenset({"KOMM", "FYLK", "STAT", "KF", "IKS", "SF"})
OWNER_FORMS: Final = frozenset({"AS", "ASA"})
PARTNER_ROLES: Final = ("DTSO", "DTPR", "KOMP")

OWNER_COUNTS: Final = ((1, 45.0), (2, 30.0), (3, 12.0), *((n, 13.0 / 7) for n in range(4, 11)))
OWNER_TYPES: Final = (
    ("person", 68.0),
    ("entity", 24.0),
    ("foreign_person", 3.0),
    ("foreign_entity", 3.0),
    ("public", 2.0),
)
OPAQUE_SHARE: Final = 0.40
PUBLIC_CONTROLLED_SHARE: Final = 0.015
FOREIGN_STATE_SHARE: Final = 0.001
MULTI_OWNER_AS_SHARE: Final = 0.55  # the owner-count table: P(≥ 2 owners)
DUAL_CLASS_SHARE: Final = 0.03  # of all AS; A/B shares only mean something with ≥ 2 owners
DUAL_CLASS_BONUS: Final = 2_000
# An entity owner is a holding AS (when one exists) with this probability, drawn among the last
# HOLDING_WINDOW holdings before the owned entity: every holding is then eligible for the same stretch of
# later AS, so its stake count is ≈ Poisson(3) — mostly the "1–5 later AS" of §9.1.
HOLDING_OWNER_SHARE: Final = 0.55
HOLDING_WINDOW: Final = 200
NUF_UNKNOWN_OWNERS: Final = 0.30
EXEMPT_SHARE: Final = 0.002
FOREIGN_ID_SPAN: Final = 100_000  # foreign ids per chunk

NATIONALITIES: Final = (
    ("SWE", 25.0),
    ("DNK", 15.0),
    ("DEU", 12.0),
    ("GBR", 10.0),
    ("USA", 10.0),
    ("NLD", 6.0),
    ("FIN", 6.0),
    ("POL", 5.0),
    ("ESP", 4.0),
    ("FRA", 4.0),
    ("CHE", 3.0),
)
LOCALES: Final = {
    "SWE": ("sv_SE", "AB"),
    "DNK": ("da_DK", "ApS"),
    "DEU": ("de_DE", "GmbH"),
    "GBR": ("en_GB", "Ltd"),
    "USA": ("en_US", "Inc."),
    "NLD": ("nl_NL", "B.V."),
    "FIN": ("fi_FI", "Oy"),
    "POL": ("pl_PL", "Sp. z o.o."),
    "ESP": ("es_ES", "S.L."),
    "FRA": ("fr_FR", "SAS"),
    "CHE": ("de_CH", "AG"),
}
COUNTRY_INDEX: Final = {code: i for i, (code, _) in enumerate(NATIONALITIES)}
# The country's usual shape of a company number: "9" = a digit, other characters literal.
REGISTRATION_SHAPES: Final = {
    "SWE": "559999-9999",
    "DNK": "99999999",
    "DEU": "HRB 999999",
    "GBR": "99999999",
    "USA": "99-9999999",
    "NLD": "99999999",
    "FIN": "9999999-9",
    "POL": "0000999999",
    "ESP": "B99999999",
    "FRA": "999999999",
    "CHE": "CHE-999.999.999",
}

EDGE_COLUMNS: Final = (
    "entity_orgnr",
    "owner_order",
    "owner_kind",
    "owner_national_id",
    "owner_orgnr",
    "owner_foreign_person_id",
    "owner_foreign_entity_id",
    "owner_country",
    "capital_hundredths",
    "voting_hundredths",
)
FOREIGN_OWNER_COLUMNS: Final = ("foreign_entity_id", *EDGE_COLUMNS[1:])
FOREIGN_PERSON_COLUMNS: Final = ("id", "full_name", "birth_date", "country", "exempt")
FOREIGN_ENTITY_COLUMNS: Final = ("id", "name", "country", "registration_number", "address", "opaque")


@dataclass(frozen=True)
class ForeignPersonFacts:
    full_name: str
    birth_date: date
    country: str
    exempt: bool


@dataclass(frozen=True)
class ForeignEntityFacts:
    name: str
    country: str
    registration_number: str
    address: str
    holdings: tuple[tuple[int, int, int, int], ...]  # (kind, owner id, capital, votes)


@dataclass
class ChunkGraph:
    """Edges of one chunk: for each position with owners, its holdings (kind, owner id, capital, votes)."""

    positions: array[int] = field(default_factory=lambda: array("q"))
    counts: array[int] = field(default_factory=lambda: array("i"))
    kinds: bytearray = field(default_factory=bytearray)
    owners: array[int] = field(default_factory=lambda: array("q"))
    capital: array[int] = field(default_factory=lambda: array("i"))
    votes: array[int] = field(default_factory=lambda: array("i"))


@dataclass(frozen=True)
class OwnershipWorld:
    plan: Plan
    forms: bytes
    classes: bytes
    orgnrs: array[int]
    pool: array[int]
    owner_positions: array[int]  # AS/ASA, ascending
    holding_positions: array[int]  # holding AS, ascending
    public_positions: array[int]  # KOMM, FYLK, STAT, KF, IKS, SF, ascending


@dataclass(frozen=True)
class Partner:
    role: str
    national_id: str | None
    position: int | None  # an entity partner's position among the generated entities


@dataclass(frozen=True)
class OwnershipTask:
    chunk: int
    start: int
    end: int
    listed: frozenset[int]  # positions of listed ASA in the chunk
    partners: dict[int, tuple[Partner, ...]]  # position → its partners (ANS, DA, KS)


@dataclass(frozen=True)
class OwnershipChunk:
    packed: tuple[Packed, ...]
    graph: ChunkGraph
    foreign_persons: dict[int, ForeignPersonFacts]
    foreign_entities: dict[int, ForeignEntityFacts]


_WORLD: OwnershipWorld | None = None


def init_worker(world: OwnershipWorld) -> None:
    global _WORLD  # noqa: PLW0603 — per-process worker state, set once by the pool initializer
    _WORLD = world


@cache
def _weighted_counts() -> Weighted[int]:
    return Weighted(OWNER_COUNTS)


@cache
def _weighted_types() -> Weighted[str]:
    return Weighted(OWNER_TYPES)


@cache
def _weighted_nationality() -> Weighted[str]:
    return Weighted(NATIONALITIES)


@cache
def _faker(locale: str) -> Faker:
    from faker import Faker

    return Faker(locale)


def dirichlet_split(rng: random.Random, parts: int, total: int = 10_000) -> list[int]:
    """Dirichlet(1) shares of `total` hundredths, each ≥ 1, summing exactly to `total` (largest remainder)."""
    if parts == 1:
        return [total]
    weights = [-math.log(1.0 - rng.random()) for _ in range(parts)]
    return proportional(weights, total)


def proportional(weights: Sequence[float], total: int) -> list[int]:
    """`total` split in proportion to `weights`, each part ≥ 1 when total allows, exact sum."""
    parts = len(weights)
    minimum = 1 if total >= parts else 0
    spare = total - minimum * parts
    weight_sum = sum(weights) or 1.0
    exact = [spare * w / weight_sum for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(parts), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: spare - sum(shares)]:
        shares[i] += 1
    return [share + minimum for share in shares]


def dual_class_votes(rng: random.Random, capital: Sequence[int]) -> list[int]:
    """A/B shares (§9.1): one owner gets +20 points of the votes, the others are reduced proportionally."""
    favoured = int(rng.random() * len(capital))
    special = min(10_000, capital[favoured] + DUAL_CLASS_BONUS)
    others = [c for i, c in enumerate(capital) if i != favoured]
    rest = proportional([float(c) for c in others], 10_000 - special) if others else []
    votes = []
    for i in range(len(capital)):
        votes.append(special if i == favoured else rest.pop(0))
    return votes


def _shape(rng: random.Random, shape: str) -> str:
    return "".join(str(int(rng.random() * 10)) if c == "9" else c for c in shape)


class _ChunkBuilder:
    def __init__(self, world: OwnershipWorld, task: OwnershipTask) -> None:
        self.world = world
        self.task = task
        plan = world.plan
        self.rng = rng_for(plan.seed, "ownership", task.chunk)
        self.graph = ChunkGraph()
        self.edge_rows: list[tuple[object, ...]] = []
        self.foreign_owner_rows: list[tuple[object, ...]] = []
        self.foreign_person_rows: list[tuple[object, ...]] = []
        self.foreign_entity_rows: list[tuple[object, ...]] = []
        self.foreign_persons: dict[int, ForeignPersonFacts] = {}
        self.foreign_entities: dict[int, ForeignEntityFacts] = {}
        self.next_foreign = FIRST_GENERATED_FOREIGN_ID + task.chunk * FOREIGN_ID_SPAN
        self.seeded: set[str] = set()

    # -- owners ---------------------------------------------------------------------------------------

    def _fake(self, country: str) -> Faker:
        locale = LOCALES[country][0]
        fake = _faker(locale)
        if locale not in self.seeded:
            fake.seed_instance(
                stream_seed(self.world.plan.seed, "ownership", f"faker:{self.task.chunk}:{locale}")
            )
            self.seeded.add(locale)
        return fake

    def _foreign_id(self) -> int:
        self.next_foreign += 1
        return self.next_foreign

    def foreign_person(self) -> int:
        rng = self.rng
        country = _weighted_nationality().pick(rng)
        fake = self._fake(country)
        name = f"{fake.first_name()} {fake.last_name()}".upper()
        as_of = self.world.plan.as_of
        born = as_of - timedelta(days=int(25 * 365.25 + rng.random() * 55 * 365.25))
        exempt = rng.random() < EXEMPT_SHARE
        identifier = self._foreign_id()
        self.foreign_persons[identifier] = ForeignPersonFacts(name, born, country, exempt)
        self.foreign_person_rows.append((identifier, name, born, country, exempt))
        return identifier

    def foreign_entity(self, opaque_share: float) -> int:
        rng = self.rng
        country = _weighted_nationality().pick(rng)
        fake = self._fake(country)
        suffix = LOCALES[country][1]
        base = fake.last_name().upper()
        name = f"{base} {suffix.upper() if country != 'POL' else suffix}"
        number = _shape(rng, REGISTRATION_SHAPES[country])
        address = ", ".join(line.strip() for line in fake.address().splitlines() if line.strip())
        opaque = rng.random() < opaque_share
        identifier = self._foreign_id()
        holdings: tuple[tuple[int, int, int, int], ...] = ()
        if not opaque:
            owners = [self.foreign_person() for _ in range(1 + int(rng.random() * 3))]
            shares = dirichlet_split(rng, len(owners))
            holdings = tuple((K_FOREIGN_PERSON, o, s, s) for o, s in zip(owners, shares, strict=True))
            for order, (_, owner, capital, votes) in enumerate(holdings, start=1):
                self.foreign_owner_rows.append(
                    (identifier, order, "foreign_person", None, None, owner, None, None, capital, votes)
                )
        self.foreign_entities[identifier] = ForeignEntityFacts(name, country, number, address, holdings)
        self.foreign_entity_rows.append((identifier, name, country, number, address, opaque))
        return identifier

    def pool_person(self) -> int:
        pool = self.world.pool
        return pool[int(self.rng.random() * len(pool))]

    def _below(self, positions: array[int], position: int) -> int | None:
        limit = bisect_left(positions, position)
        if limit == 0:
            return None
        return positions[int(self.rng.random() * limit)]

    def entity_owner(self, position: int) -> int | None:
        world = self.world
        if self.rng.random() < HOLDING_OWNER_SHARE:
            holdings = world.holding_positions
            limit = bisect_left(holdings, position)
            if limit > 0:
                low = max(0, limit - HOLDING_WINDOW)
                return holdings[low + int(self.rng.random() * (limit - low))]
        return self._below(world.owner_positions, position)

    def slot(self, position: int, taken: set[tuple[int, int]]) -> tuple[int, int]:
        """One owner of the §9.1 owner-type table (a person when no entity of the kind exists yet)."""
        for _ in range(4):
            kind = _weighted_types().pick(self.rng)
            owner: tuple[int, int] | None = None
            if kind == "entity":
                found = self.entity_owner(position)
                owner = None if found is None else (K_ENTITY, found)
            elif kind == "public":
                found = self._below(self.world.public_positions, position)
                owner = None if found is None else (K_PUBLIC, found)
            elif kind == "foreign_person":
                owner = (K_FOREIGN_PERSON, self.foreign_person())
            elif kind == "foreign_entity":
                owner = (K_FOREIGN_ENTITY, self.foreign_entity(OPAQUE_SHARE))
            if owner is None:
                owner = (K_POOL_PERSON, self.pool_person())
            if owner not in taken:
                taken.add(owner)
                return owner
        owner = (K_POOL_PERSON, self.pool_person())
        taken.add(owner)
        return owner

    # -- per entity -------------------------------------------------------------------------------------

    def company(self, position: int, form: str) -> list[tuple[int, int, int, int]]:
        rng = self.rng
        if self.world.classes[position] == CLASS_HOLDING:
            owners = [(K_POOL_PERSON, self.pool_person()) for _ in range(1 + int(rng.random() * 2))]
            if len(owners) == 2 and owners[0] == owners[1]:
                owners.pop()
            return self._split(owners, dual=False)
        draw = rng.random()
        if form == "AS" and draw < PUBLIC_CONTROLLED_SHARE + FOREIGN_STATE_SHARE:
            big = 8_000 + int(rng.random() * 2_001)
            if draw < PUBLIC_CONTROLLED_SHARE:
                public = self._below(self.world.public_positions, position)
                head = (K_PUBLIC, public) if public is not None else (K_POOL_PERSON, self.pool_person())
            else:
                head = (K_FOREIGN_PUBLIC, COUNTRY_INDEX[_weighted_nationality().pick(rng)])
            holdings = [(head[0], head[1], big, big)]
            if big < 10_000:
                holdings.append((K_POOL_PERSON, self.pool_person(), 10_000 - big, 10_000 - big))
            return holdings
        taken: set[tuple[int, int]] = set()
        owners = [self.slot(position, taken) for _ in range(_weighted_counts().pick(rng))]
        dual = form == "AS" and len(owners) > 1 and rng.random() < DUAL_CLASS_SHARE / MULTI_OWNER_AS_SHARE
        return self._split(owners, dual=dual)

    def _split(self, owners: list[tuple[int, int]], *, dual: bool) -> list[tuple[int, int, int, int]]:
        capital = dirichlet_split(self.rng, len(owners))
        votes = dual_class_votes(self.rng, capital) if dual else capital
        return [(k, o, c, v) for (k, o), c, v in zip(owners, capital, votes, strict=True)]

    def partnership(self, position: int, form: str) -> list[tuple[int, int, int, int]]:
        rng = self.rng
        partners = self.task.partners.get(position, ())
        owners: list[tuple[int, int]] = []
        for partner in partners:
            if form == "KS" and partner.role != "KOMP":
                continue
            if partner.national_id is not None:
                owner = (K_ROLE_PERSON, int(partner.national_id))
            elif partner.position is not None and 0 <= partner.position < position:
                is_public = FORM_BY_INDEX[self.world.forms[partner.position]] in PUBLIC_FORMS
                owner = (K_PUBLIC if is_public else K_ENTITY, partner.position)
            else:
                continue
            if owner not in owners:
                owners.append(owner)
        if form == "KS":
            limited = [(K_POOL_PERSON, self.pool_person()) for _ in range(1 + int(rng.random() * 4))]
            head = [(k, o, 100, 100) for k, o in owners[:1]]
            rest = 10_000 - sum(c for _, _, c, _ in head)
            shares = proportional([-math.log(1.0 - rng.random()) for _ in limited], rest)
            return head + [(k, o, s, s) for (k, o), s in zip(limited, shares, strict=True)]
        if form == "PRE":
            owners = [(K_POOL_PERSON, self.pool_person()) for _ in range(2 + int(rng.random() * 3))]
        if not owners:
            return []
        if form == "ANS":
            shares = proportional([1.0] * len(owners), 10_000)
        else:
            shares = dirichlet_split(rng, len(owners))
        return [(k, o, s, s) for (k, o), s in zip(owners, shares, strict=True)]

    def nuf(self) -> list[tuple[int, int, int, int]]:
        return [(K_FOREIGN_ENTITY, self.foreign_entity(NUF_UNKNOWN_OWNERS), 10_000, 10_000)]

    def add(self, position: int, holdings: list[tuple[int, int, int, int]]) -> None:
        if not holdings:
            return
        graph = self.graph
        graph.positions.append(position)
        graph.counts.append(len(holdings))
        orgnr = str(self.world.orgnrs[position])
        for order, (kind, owner, capital, votes) in enumerate(holdings, start=1):
            graph.kinds.append(kind)
            graph.owners.append(owner)
            graph.capital.append(capital)
            graph.votes.append(votes)
            self.edge_rows.append((orgnr, order, *owner_columns(self.world, kind, owner), capital, votes))


def owner_columns(world: OwnershipWorld, kind: int, owner: int) -> tuple[object, ...]:
    """(owner_kind, national id, orgnr, foreign person id, foreign entity id, country) of a compact owner."""
    table_kind = TABLE_KIND[kind]
    if kind == K_POOL_PERSON:
        return (table_kind, unpack_pool_entry(owner)[0], None, None, None, None)
    if kind == K_ROLE_PERSON:
        return (table_kind, f"{owner:011d}", None, None, None, None)
    if kind in (K_ENTITY, K_PUBLIC):
        return (table_kind, None, str(world.orgnrs[owner]), None, None, None)
    if kind == K_FOREIGN_PERSON:
        return (table_kind, None, None, owner, None, None)
    if kind == K_FOREIGN_ENTITY:
        return (table_kind, None, None, None, owner, None)
    return (table_kind, None, None, None, None, NATIONALITIES[owner][0])


def generate_chunk(task: OwnershipTask) -> OwnershipChunk:
    world = _WORLD
    assert world is not None, "init_worker() first"
    builder = _ChunkBuilder(world, task)
    for position in range(task.start, task.end):
        form = FORM_BY_INDEX[world.forms[position]]
        if form in OWNED_FORMS and position not in task.listed:
            builder.add(position, builder.company(position, form))
        elif form in PARTNERSHIP_FORMS:
            builder.add(position, builder.partnership(position, form))
        elif form == "NUF":
            builder.add(position, builder.nuf())
    plan = world.plan

    def packed(table: str, columns: Sequence[str], rows: list[tuple[object, ...]]) -> Packed:
        return pack(table, columns, rows, backend=plan.backend, batch_size=plan.batch_size)

    tables = (
        packed("foreign_persons", FOREIGN_PERSON_COLUMNS, builder.foreign_person_rows),
        packed("foreign_entities", FOREIGN_ENTITY_COLUMNS, builder.foreign_entity_rows),
        packed("foreign_entity_owners", FOREIGN_OWNER_COLUMNS, builder.foreign_owner_rows),
        packed("ownership_edges", EDGE_COLUMNS, builder.edge_rows),
    )
    return OwnershipChunk(tables, builder.graph, builder.foreign_persons, builder.foreign_entities)


@dataclass(frozen=True)
class Graph:
    """The whole compact graph: holdings of position p are edges offsets[p] … offsets[p + 1] − 1."""

    offsets: array[int]
    kinds: bytes
    owners: array[int]
    capital: array[int]
    votes: array[int]


class GraphBuilder:
    """Collects the chunks' edges in position order."""

    def __init__(self, entities: int) -> None:
        self.counts = array("i", bytes(4 * entities))
        self.kinds = bytearray()
        self.owners = array("q")
        self.capital = array("i")
        self.votes = array("i")
        self.chunks_added = 0

    def add(self, chunk: ChunkGraph) -> None:
        self.chunks_added += 1
        for position, count in zip(chunk.positions, chunk.counts, strict=True):
            self.counts[position] = count
        self.kinds.extend(chunk.kinds)
        self.owners.extend(chunk.owners)
        self.capital.extend(chunk.capital)
        self.votes.extend(chunk.votes)

    def build(self) -> Graph:
        offsets = array("q", [0])
        total = 0
        for count in self.counts:
            total += count
            offsets.append(total)
        return Graph(offsets, bytes(self.kinds), self.owners, self.capital, self.votes)


def generated_position(ordinal: int) -> int:
    return ordinal - FIRST_GENERATED_ENTITY
