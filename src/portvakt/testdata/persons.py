"""Stage `persons` (§8.1): the sized population, one chunk per (birth year, kind)."""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import func, select

from portvakt.domain.identifiers import InvalidNationalId, individual_number_ranges, make_national_id
from portvakt.domain.identifiers import parse_national_id as parse_id
from portvakt.storage.tables.population import municipalities, persons
from portvakt.testdata.bulk import Packed, pack
from portvakt.testdata.model import (
    AGE_BANDS,
    DEATH_PROBABILITY,
    DNR_CITIZENSHIP,
    DNR_RESIDENT_ABROAD,
    DNUMBER_AGES,
    DNUMBER_SHARE,
    EMIGRATED_SHARE,
    FIRST_GENERATED_PERSON,
    FNR_CITIZENSHIP,
    MALE_SHARE,
    MIDDLE_NAME_SHARE,
    ROLE_POOL_AGES,
    SECOND_CITIZENSHIPS,
)
from portvakt.testdata.reference import municipalities as municipality_list
from portvakt.testdata.reference import municipality_sampler, name_lists
from portvakt.testdata.scenario_data import SCENARIO_NATIONAL_IDS
from portvakt.testdata.stages import Plan, StageContext, VerifyContext, Violation
from portvakt.testdata.streams import Weighted, largest_remainder, rng_for

PERSON_COLUMNS = (
    "ordinal",
    "national_id",
    "kind",
    "synthetic",
    "first_name",
    "middle_name",
    "last_name",
    "birth_date",
    "gender",
    "citizenships",
    "residence_country",
    "street_address",
    "postal_code",
    "postal_place",
    "municipality_number",
    "date_of_death",
)
KINDS = ("dnr", "fnr")  # ordinal order within a birth date: (birth date, kind, individual number)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def band_interval(as_of: date, lowest: int, highest: int) -> tuple[date, date]:
    """Birth dates of the persons whose age at `as_of` is in [lowest, highest]."""
    return years_before(as_of, highest + 1) + timedelta(days=1), years_before(as_of, lowest)


Segment = tuple[date, date, int]  # (first birth date, last birth date, persons)


@dataclass(frozen=True)
class YearTask:
    year: int
    ordinal_start: int
    segments: tuple[tuple[str, tuple[Segment, ...]], ...]  # per kind

    @property
    def count(self) -> int:
        return sum(n for _, segments in self.segments for _, _, n in segments)


def plan_years(total: int, as_of: date) -> list[YearTask]:
    """Counts per (birth year, kind), fixed by §8.1 with largest-remainder rounding."""
    band_counts = largest_remainder(total, [share for _, _, share in AGE_BANDS])
    sub_bands: list[tuple[int, int, int]] = []
    for (low, high, _), count in zip(AGE_BANDS, band_counts, strict=True):
        if low <= DNUMBER_AGES[1] < high:
            parts = [(low, DNUMBER_AGES[1]), (DNUMBER_AGES[1] + 1, high)]
            days = [
                (band_interval(as_of, a, b)[1] - band_interval(as_of, a, b)[0]).days + 1 for a, b in parts
            ]
            for (a, b), n in zip(parts, largest_remainder(count, days), strict=True):
                sub_bands.append((a, b, n))
        else:
            sub_bands.append((low, high, count))
    eligible = [i for i, (a, b, _) in enumerate(sub_bands) if a >= DNUMBER_AGES[0] and b <= DNUMBER_AGES[1]]
    dnr_total = min(round(total * DNUMBER_SHARE), sum(sub_bands[i][2] for i in eligible))
    dnr_split = largest_remainder(dnr_total, [sub_bands[i][2] for i in eligible])
    dnr = dict(zip(eligible, dnr_split, strict=True))

    per_year: dict[int, dict[str, list[Segment]]] = {}
    for index, (low, high, count) in enumerate(sub_bands):
        first, last = band_interval(as_of, low, high)
        years = list(range(first.year, last.year + 1))
        spans = [(max(first, date(y, 1, 1)), min(last, date(y, 12, 31))) for y in years]
        days = [(b - a).days + 1 for a, b in spans]
        for kind, n in (("dnr", dnr.get(index, 0)), ("fnr", count - dnr.get(index, 0))):
            for year, span, part in zip(years, spans, largest_remainder(n, days), strict=True):
                if part:
                    per_year.setdefault(year, {}).setdefault(kind, []).append((span[0], span[1], part))
    tasks: list[YearTask] = []
    ordinal = FIRST_GENERATED_PERSON
    for year in sorted(per_year):
        segments = tuple((kind, tuple(per_year[year][kind])) for kind in KINDS if kind in per_year[year])
        task = YearTask(year, ordinal, segments)
        tasks.append(task)
        ordinal += task.count
    return tasks


# -- worker side -------------------------------------------------------------------------------------

_PLAN: Plan | None = None


def init_worker(plan: Plan) -> None:
    global _PLAN  # noqa: PLW0603 — per-process worker state, set once by the pool initializer
    _PLAN = plan


@cache
def _candidates(year: int) -> tuple[int, ...]:
    return tuple(n for r in individual_number_ranges(year) for n in r)


@cache
def _fnr_citizenship() -> Weighted[str]:
    return Weighted(FNR_CITIZENSHIP)


@cache
def _dnr_citizenship() -> Weighted[str]:
    return Weighted(DNR_CITIZENSHIP)


def death_probability(age: int) -> float:
    probability = 0.0
    for lowest, value in DEATH_PROBABILITY:
        if age >= lowest:
            probability = value
    return probability


def pack_pool_entry(national_id: str, male: bool, first: int, middle: int | None, last: int) -> int:
    """≈ 8 bytes per person (§7): number, gender and name indexes in one 63-bit integer."""
    middle_code = 0 if middle is None else middle + 1
    return int(national_id) | (int(male) << 37) | (first << 38) | (middle_code << 45) | (last << 52)


def unpack_pool_entry(value: int) -> tuple[str, bool, int, int | None, int]:
    middle_code = (value >> 45) & 0x7F
    return (
        f"{value & ((1 << 37) - 1):011d}",
        bool((value >> 37) & 1),
        (value >> 38) & 0x7F,
        None if middle_code == 0 else middle_code - 1,
        (value >> 52) & 0x7F,
    )


def pool_entry_name(value: int) -> tuple[str, str | None, str]:
    _, male, first, middle, last = unpack_pool_entry(value)
    names = name_lists()
    firsts = names.male if male else names.female
    return firsts[first], None if middle is None else firsts[middle], names.last[last]


@dataclass(frozen=True)
class PersonsChunk:
    packed: Packed
    pool: bytes  # array('q') of packed entries: living persons aged 20–85
    pool_ages: bytes


def _numbered(
    plan: Plan, year: int, kind: str, segments: tuple[Segment, ...]
) -> list[tuple[date, int, bool]]:
    rng = rng_for(plan.seed, "persons", f"{year}:{kind}")
    dates: list[date] = []
    for first, last, count in segments:
        span = (last - first).days + 1
        dates.extend(first + timedelta(days=int(rng.random() * span)) for _ in range(count))
    dates.sort()
    candidates = _candidates(year)
    result: list[tuple[date, int, bool]] = []
    index = 0
    while index < len(dates):
        day = dates[index]
        end = index
        while end < len(dates) and dates[end] == day:
            end += 1
        permutation = _Permutation(rng, candidates)
        cursors = {True: 0, False: 0}
        for _ in range(end - index):
            male = rng.random() < MALE_SHARE
            number = _take(plan, day, kind, permutation, cursors, male=male)
            if number is None:  # this gender's numbers are used up for the day: the other gender's
                male = not male
                number = _take(plan, day, kind, permutation, cursors, male=male)
            if number is None:
                raise RuntimeError(f"no individual numbers left for {day} ({kind})")
            result.append((day, number, male))
        index = end
    result.sort(key=lambda item: (item[0], item[1]))
    return result


class _Permutation:
    """A seeded permutation of the century's individual numbers, drawn lazily (Fisher–Yates prefix)."""

    def __init__(self, rng: random.Random, candidates: tuple[int, ...]) -> None:
        self._rng = rng
        self._items = list(candidates)
        self._drawn = 0

    def __getitem__(self, position: int) -> int | None:
        items = self._items
        while self._drawn <= position:
            if self._drawn >= len(items):
                return None
            i = self._drawn
            j = i + int(self._rng.random() * (len(items) - i))
            items[i], items[j] = items[j], items[i]
            self._drawn += 1
        return items[position]


def _take(
    plan: Plan, day: date, kind: str, permutation: _Permutation, cursors: dict[bool, int], *, male: bool
) -> int | None:
    """The next unused number of this gender's parity in the date's permutation that gives a valid number."""
    position = cursors[male]
    parity = 1 if male else 0
    while True:
        number = permutation[position]
        if number is None:
            cursors[male] = position
            return None
        position += 1
        if number % 2 != parity:
            continue
        national_id = make_national_id(day, number, dnumber=kind == "dnr", synthetic=plan.synthetic)  # type: ignore[arg-type]
        if national_id is None or national_id in SCENARIO_NATIONAL_IDS:
            continue
        cursors[male] = position
        return number


def generate_year(task: YearTask) -> PersonsChunk:
    plan = _PLAN
    assert plan is not None, "init_worker() first"
    names = name_lists()
    sampler = municipality_sampler()
    rows: list[tuple[object, ...]] = []
    pool = array("q")
    pool_ages = bytearray()
    keyed: list[tuple[tuple[date, str, int], tuple[object, ...], int | None, int]] = []
    for kind, segments in task.segments:
        chunk = f"{task.year}:{kind}"
        rng = rng_for(plan.seed, "persons", f"{chunk}:attributes")
        name_rng = rng_for(plan.seed, "names", chunk)
        address_rng = rng_for(plan.seed, "addresses", chunk)
        for day, number, male in _numbered(plan, task.year, kind, segments):
            national_id = make_national_id(day, number, dnumber=kind == "dnr", synthetic=plan.synthetic)  # type: ignore[arg-type]
            assert national_id is not None
            firsts = names.male if male else names.female
            first = int(name_rng.random() * len(firsts))
            middle: int | None = None
            if name_rng.random() < MIDDLE_NAME_SHARE:
                middle = int(name_rng.random() * (len(firsts) - 1))
                middle += middle >= first
            last = int(name_rng.random() * len(names.last))
            if kind == "fnr":
                citizenship = _fnr_citizenship().pick(rng)
                if citizenship == "NOR+":
                    citizenships = ["NOR", rng.choice(SECOND_CITIZENSHIPS)]
                else:
                    citizenships = [citizenship]
                residence = "NOR"
                if rng.random() < EMIGRATED_SHARE:
                    foreign = [c for c in citizenships if c != "NOR"]
                    residence = foreign[0] if foreign else "SWE"
            else:
                citizenships = [_dnr_citizenship().pick(rng)]
                residence = citizenships[0] if rng.random() < DNR_RESIDENT_ABROAD else "NOR"
            age = age_on(day, plan.as_of)
            death: date | None = None
            if rng.random() < death_probability(age):
                earliest = max(day, plan.as_of - timedelta(days=3 * 365))
                death = earliest + timedelta(days=int(rng.random() * max((plan.as_of - earliest).days, 1)))
            street = postal_code = place = municipality = None
            if residence == "NOR":
                where = sampler.pick(address_rng)
                street = (
                    f"{names.last[int(address_rng.random() * len(names.last))]}"
                    f"{names.street_suffixes[int(address_rng.random() * len(names.street_suffixes))]}"
                    f" {1 + int(address_rng.random() * 150)}"
                )
                postal_code = f"{int(address_rng.random() * 10000):04d}"
                place, municipality = where.name, where.number
            row: tuple[object, ...] = (
                0,
                national_id,
                kind,
                plan.synthetic,
                firsts[first],
                None if middle is None else firsts[middle],
                names.last[last],
                day.isoformat(),
                "M" if male else "F",
                ",".join(citizenships),
                residence,
                street,
                postal_code,
                place,
                municipality,
                None if death is None else death.isoformat(),
            )
            entry = None
            if death is None and ROLE_POOL_AGES[0] <= age <= ROLE_POOL_AGES[1]:
                entry = pack_pool_entry(national_id, male, first, middle, last)
            keyed.append(((day, kind, number), row, entry, age))
    keyed.sort(key=lambda item: item[0])
    for offset, (_, row, entry, age) in enumerate(keyed):
        rows.append((task.ordinal_start + offset, *row[1:]))
        if entry is not None:
            pool.append(entry)
            pool_ages.append(age)
    packed = pack(
        "persons", PERSON_COLUMNS, rows, backend=plan.backend, batch_size=plan.batch_size, plain=True
    )
    return PersonsChunk(packed, pool.tobytes(), bytes(pool_ages))


# -- the stage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonPool:
    """Living persons aged 20–85 of the generated population, in ordinal order (§7 cross-references)."""

    entries: array[int]
    ages: bytes


class PersonsStage:
    name = "persons"
    order = 10
    tables = (municipalities, persons)

    def run(self, context: StageContext) -> None:
        plan = context.plan
        context.writer.write_rows(
            "municipalities",
            ("kommunenummer", "name", "county_number"),
            [(m.number, m.name, m.county) for m in municipality_list()],
            plan.batch_size,
        )
        tasks = plan_years(plan.persons, plan.as_of)
        entries = array("q")
        ages = bytearray()
        with context.progress.stage(self.name, plan.persons) as advance:
            for chunk in context.map_chunks(generate_year, tasks, initializer=init_worker, initargs=(plan,)):
                advance(context.writer.write(chunk.packed))
                entries.frombytes(chunk.pool)
                ages.extend(chunk.pool_ages)
        context.artifacts["person_pool"] = PersonPool(entries, bytes(ages))

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        yield from verify_persons(check)


def verify_persons(check: VerifyContext) -> Iterator[Violation]:
    connection = check.connection
    bad: dict[str, list[str]] = {}
    statement = select(
        persons.c.ordinal,
        persons.c.national_id,
        persons.c.kind,
        persons.c.synthetic,
        persons.c.birth_date,
        persons.c.gender,
        persons.c.date_of_death,
    ).order_by(persons.c.ordinal)
    expected_synthetic = None if check.id_style == "ordinary" else check.id_style
    for row in connection.execution_options(yield_per=20_000).execute(statement):
        where = f"person ordinal {row.ordinal}"
        try:
            parsed = parse_id(row.national_id, env="test")
        except InvalidNationalId as exc:
            bad.setdefault("person_number_invalid", []).append(f"{where}: {exc.reason}")
            continue
        problems = []
        if (
            parsed.kind != row.kind
            or parsed.synthetic != row.synthetic
            or parsed.birth_date != row.birth_date
        ):
            problems.append("person_number_mismatch")
        if parsed.gender is not None and ("M" if parsed.gender == "male" else "F") != row.gender:
            problems.append("person_gender_parity")
        if row.ordinal >= FIRST_GENERATED_PERSON and (
            parsed.k1_remainder != 0 or parsed.synthetic != expected_synthetic
        ):
            problems.append("person_number_class")
        if row.date_of_death is not None and not (row.birth_date <= row.date_of_death <= check.as_of):
            problems.append("person_date_of_death")
        for problem in problems:
            bad.setdefault(problem, []).append(where)
    for rule, examples in bad.items():
        yield Violation(rule, f"{len(examples)} persons break {rule}", tuple(examples[:20]))
    generated = connection.execute(
        select(func.count()).select_from(persons).where(persons.c.ordinal >= FIRST_GENERATED_PERSON)
    ).scalar_one()
    if generated != check.persons:
        yield Violation("person_count", f"{generated} generated persons, expected {check.persons}")


STAGES = (PersonsStage(),)
