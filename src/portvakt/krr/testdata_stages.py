"""Stage `krr` (identifiers-and-testdata.md §9.4, §10.2): the KRR register of the test population.

Persons are read from the population in ordinal chunks by the main process and turned into `krr_person` rows
(and, with `--krr-feed-history`, one `krr_endring` per registered person, cause GENERATOR) in the workers,
with one random stream per chunk. The postbox providers' certificates are issued by the built-in test CA
(random, so left out of the digest). Scenario persons get exactly the records of §10.2.
"""

from __future__ import annotations

import calendar
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import orjson
from sqlalchemy import Engine, func, insert, select

from portvakt.krr.model import (
    AKTIV,
    JA,
    NEI,
    SLETTET,
    PersonRecord,
    check_invariants,
)
from portvakt.storage.engine import Backend
from portvakt.storage.tables.krr import krr_endring, krr_person, krr_sertifikat
from portvakt.storage.tables.population import persons
from portvakt.testdata.bulk import Packed, pack
from portvakt.testdata.stages import Plan, StageContext, VerifyContext, Violation
from portvakt.testdata.streams import Weighted, rng_for

CHUNK: Final = 20_000
FIRST_CHANGE_ID: Final = 200_000_001
DIGIPOST: Final = "984661185"
EBOKS: Final = "922020175"
PROVIDERS: Final = (DIGIPOST, EBOKS)
CERTIFICATE_IDS: Final = {DIGIPOST: 1, EBOKS: 2}
ELIGIBLE_AGE: Final = 15
DAY: Final = 86_400
FRESH_DAYS: Final = (1, 530)  # safely inside 18 months
STALE_DAYS: Final = (560, 1800)  # 18–60 months
AARSAK: Final = "GENERATOR"
STATUS: Final = Weighted([(AKTIV, 90.0), (SLETTET, 2.0), (None, 8.0)])
CHANNELS: Final = Weighted([("both", 78.0), ("mobile", 14.0), ("email", 6.0), ("none", 2.0)])
LANGUAGE: Final = Weighted([("nb", 84.0), ("nn", 11.0), ("en", 4.0), ("se", 1.0)])
DOMAINS: Final = ("example.com", "example.net", "example.org")
ALPHANUMERIC: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
RESERVED_SHARE: Final = 0.035
FRESH_SHARE: Final = 0.88
SHARED_EMAIL_SHARE: Final = 0.015
POSTBOX_SHARE: Final = 0.48
DIGIPOST_SHARE: Final = 0.85
LANGUAGE_SHARE: Final = 0.70
PERSON_COLUMNS: Final = (*tuple(PersonRecord.__dataclass_fields__), "updated_at")
CHANGE_COLUMNS: Final = ("endrings_id", "personidentifikator", "endret", "aarsak", "snapshot")
_FOLD: Final = str.maketrans(
    {"æ": "ae", "ø": "o", "å": "a", "ß": "ss", "ł": "l", "đ": "d", "ŋ": "n", "þ": "th"}
)


def db_time(moment: datetime | None, backend: Backend) -> str | None:
    """A UTC timestamp as each backend's bulk load takes it (SQLite: SQLAlchemy's own storage format)."""
    if moment is None:
        return None
    value = moment.astimezone(UTC)
    if backend == "sqlite":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def ascii_fold(text: str) -> str:
    """Lower case ASCII for e-mail local parts: æ→ae, ø→o, å→a, accents dropped, only [a-z0-9-]."""
    lowered = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "-"))


def reference(as_of: date) -> datetime:
    """`A` of the scenarios and the freshness draws: noon UTC of the as-of date."""
    return datetime.combine(as_of, time(12, 0), tzinfo=UTC)


def months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    return moment.replace(
        year=year, month=month + 1, day=min(moment.day, calendar.monthrange(year, month + 1)[1])
    )


# -- generation in the workers -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcePerson:
    ordinal: int
    national_id: str
    first_name: str
    last_name: str
    birth_date: date
    date_of_death: date | None


@dataclass(frozen=True)
class KrrTask:
    chunk: int
    people: tuple[SourcePerson, ...]


@dataclass(frozen=True)
class KrrChunk:
    packed: Packed | None
    changes: tuple[tuple[str, str, str | None, str], ...]  # (pid, endret, snapshot) in ordinal order
    counts: dict[str, int]


_PLAN: Plan | None = None


def init_worker(plan: Plan) -> None:
    global _PLAN  # noqa: PLW0603  # one plan per worker process
    _PLAN = plan


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _moment(rng: random.Random, now: datetime, low_days: int, high_days: int) -> datetime:
    return now - timedelta(seconds=rng.randint(low_days * DAY, high_days * DAY))


def _channel(rng: random.Random, now: datetime) -> tuple[datetime, datetime]:
    """(_oppdatert, _sist_verifisert): 88 % with the latest within 18 months, 12 % 18–60 months old."""
    low, high = FRESH_DAYS if rng.random() < FRESH_SHARE else STALE_DAYS
    verified = _moment(rng, now, low, high)
    updated = verified if rng.random() < 0.5 else verified - timedelta(seconds=rng.randint(0, 400 * DAY))
    return updated, verified


def _email(rng: random.Random, person: SourcePerson) -> str:
    first = ascii_fold(person.first_name) or "x"
    last = ascii_fold(person.last_name) or "x"
    number = str(rng.randint(1, 999)) if rng.random() < 0.6 else ""
    return f"{first}.{last}{number}@{DOMAINS[rng.randrange(len(DOMAINS))]}"


def _mobile(rng: random.Random) -> str:
    return f"+47{rng.choice('49')}{rng.randrange(10_000_000):07d}"


def generated_record(
    rng: random.Random, person: SourcePerson, now: datetime, as_of: date
) -> PersonRecord | None:
    """One person's register record per §9.4, or None (not registered)."""
    if _age(person.birth_date, as_of) < ELIGIBLE_AGE:
        return None
    status = SLETTET if person.date_of_death is not None else STATUS.pick(rng)
    if status is None:
        return None
    registered = _moment(rng, now, 30, 3650)
    if status == SLETTET:
        return PersonRecord(person.national_id, SLETTET, NEI, reservasjon_oppdatert=registered)
    reserved = rng.random() < RESERVED_SHARE
    record = PersonRecord(
        person.national_id,
        AKTIV,
        JA if reserved else NEI,
        reservasjonstidspunkt=registered if reserved else None,
        reservasjon_oppdatert=registered,
    )
    channels = CHANNELS.pick(rng)
    if channels in ("both", "email"):
        updated, verified = _channel(rng, now)
        record = record.changed(
            epostadresse=_email(rng, person),
            epostadresse_oppdatert=updated,
            epostadresse_sist_verifisert=verified,
        )
    if channels in ("both", "mobile"):
        updated, verified = _channel(rng, now)
        record = record.changed(
            mobiltelefonnummer=_mobile(rng),
            mobiltelefonnummer_oppdatert=updated,
            mobiltelefonnummer_sist_verifisert=verified,
        )
    if not reserved and rng.random() < POSTBOX_SHARE:
        if rng.random() < DIGIPOST_SHARE:
            code = "".join(rng.choice(ALPHANUMERIC) for _ in range(4))
            address = f"{ascii_fold(person.first_name) or 'x'}.{ascii_fold(person.last_name) or 'x'}#{code}"
            provider = DIGIPOST
        else:
            address = f"{rng.randrange(10**12):012d}"
            provider = EBOKS
        record = record.changed(
            postkasseadresse=address,
            postkasseleverandoeradresse=provider,
            sertifikat_id=CERTIFICATE_IDS[provider],
        )
    if rng.random() < LANGUAGE_SHARE:
        record = record.changed(spraak=LANGUAGE.pick(rng), spraak_oppdatert=_moment(rng, now, 1, 1800))
    return record


def updated_at(record: PersonRecord, fallback: datetime) -> datetime:
    moments = [
        value
        for name in PersonRecord.__dataclass_fields__
        if isinstance(value := getattr(record, name), datetime)
    ]
    return max(moments) if moments else fallback


def _share_emails(rng: random.Random, records: list[PersonRecord]) -> set[int]:
    """1.5 % of the e-mail holders take the address of another (earlier) holder; both are duplicates."""
    holders = [i for i, r in enumerate(records) if r.epostadresse is not None]
    shared: set[int] = set()
    for position, index in enumerate(holders):
        if position == 0 or rng.random() >= SHARED_EMAIL_SHARE:
            continue
        source = holders[rng.randrange(position)]
        records[index] = records[index].changed(epostadresse=records[source].epostadresse)
        shared.update((index, source))
    return shared


def _row(record: PersonRecord, backend: Backend, fallback: datetime) -> tuple[Any, ...]:
    values: list[Any] = []
    for name in PersonRecord.__dataclass_fields__:
        value = getattr(record, name)
        values.append(db_time(value, backend) if isinstance(value, datetime) else value)
    values.append(db_time(updated_at(record, fallback), backend))
    return tuple(values)


def build_rows(
    records: Sequence[PersonRecord], duplicates: set[int], plan: Plan, now: datetime
) -> tuple[Packed | None, tuple[tuple[str, str, str | None, str], ...]]:
    rows = [_row(record, plan.backend, now) for record in records]
    packed = (
        pack(krr_person.name, PERSON_COLUMNS, rows, backend=plan.backend, batch_size=plan.batch_size)
        if rows
        else None
    )
    changes: list[tuple[str, str, str | None, str]] = []
    if plan.krr_feed_history:
        for index, record in enumerate(records):
            duplicate = index in duplicates
            snapshot = record.snapshot(
                epost_duplisert=duplicate and record.epostadresse is not None, mobil_duplisert=False
            )
            changes.append(
                (
                    record.personidentifikator,
                    db_time(updated_at(record, now), plan.backend) or "",
                    None,
                    orjson.dumps(snapshot).decode("utf-8"),
                )
            )
    return packed, tuple(changes)


def generate_chunk(task: KrrTask) -> KrrChunk:
    plan = _PLAN
    assert plan is not None, "init_worker first"
    rng = rng_for(plan.seed, "krr", task.chunk)
    now = reference(plan.as_of)
    records: list[PersonRecord] = []
    for person in task.people:
        record = generated_record(rng, person, now, plan.as_of)
        if record is not None:
            records.append(record)
    duplicates = _share_emails(rng, records)
    packed, changes = build_rows(records, duplicates, plan, now)
    counts = {"registered": len(records), "shared_email": len(duplicates)}
    return KrrChunk(packed, changes, counts)


# -- the scenarios (§10.2) -----------------------------------------------------------------------------


def scenario_records(as_of: date) -> list[PersonRecord]:
    """The KRR column of §10.2, with A = noon UTC of the as-of date."""
    from portvakt.testdata.scenario_data import SCENARIO_PERSONS

    a = reference(as_of)

    def days(n: int) -> datetime:
        return a - timedelta(days=n)

    records: list[PersonRecord] = []
    for index, person in enumerate(SCENARIO_PERSONS, start=1):
        key = person.key
        if key in ("P05", "P09"):
            continue
        pid = person.national_id
        if key in ("P07", "P17"):
            records.append(PersonRecord(pid, SLETTET, NEI, reservasjon_oppdatert=days(400)))
            continue
        email = f"{ascii_fold(person.first_name)}.{ascii_fold(person.last_name)}@example.com"
        mobile = f"+479900{index:04d}"
        record = PersonRecord(
            pid,
            AKTIV,
            NEI,
            reservasjon_oppdatert=days(400),
            epostadresse=email,
            epostadresse_oppdatert=days(90),
            epostadresse_sist_verifisert=days(90),
            mobiltelefonnummer=mobile,
            mobiltelefonnummer_oppdatert=days(90),
            mobiltelefonnummer_sist_verifisert=days(90),
        )
        if key == "P13":
            record = record.changed(
                epostadresse_oppdatert=days(200),
                epostadresse_sist_verifisert=days(30),
                mobiltelefonnummer_oppdatert=days(200),
                mobiltelefonnummer_sist_verifisert=days(30),
                postkasseadresse="ingrid.moen#7KQ2",
                postkasseleverandoeradresse=DIGIPOST,
                sertifikat_id=CERTIFICATE_IDS[DIGIPOST],
                spraak="nb",
                spraak_oppdatert=days(200),
            )
        elif key == "P14":
            record = record.changed(
                epostadresse_oppdatert=days(100),
                epostadresse_sist_verifisert=days(100),
                mobiltelefonnummer_oppdatert=days(100),
                mobiltelefonnummer_sist_verifisert=days(100),
                spraak="nn",
                spraak_oppdatert=days(100),
            )
        elif key == "P15":
            record = record.changed(
                epostadresse=None,
                epostadresse_oppdatert=None,
                epostadresse_sist_verifisert=None,
                mobiltelefonnummer_oppdatert=days(10),
                mobiltelefonnummer_sist_verifisert=days(10),
                spraak="en",
                spraak_oppdatert=days(10),
            )
        elif key == "P16":
            record = record.changed(
                mobiltelefonnummer=None,
                mobiltelefonnummer_oppdatert=None,
                mobiltelefonnummer_sist_verifisert=None,
                epostadresse_oppdatert=days(300),
                epostadresse_sist_verifisert=days(300),
                spraak="se",
                spraak_oppdatert=days(300),
            )
        elif key == "P18":
            record = record.changed(
                epostadresse_oppdatert=months_before(a, 24),
                epostadresse_sist_verifisert=months_before(a, 19),
                mobiltelefonnummer_oppdatert=months_before(a, 24),
                mobiltelefonnummer_sist_verifisert=months_before(a, 19),
            )
        elif key == "P19":
            record = record.changed(reservasjon=JA, reservasjonstidspunkt=days(400))
        elif key == "P20":
            record = record.changed(
                epostadresse_oppdatert=months_before(a, 30),
                epostadresse_sist_verifisert=months_before(a, 30),
                mobiltelefonnummer_oppdatert=days(60),
                mobiltelefonnummer_sist_verifisert=days(60),
                postkasseadresse="000000000020",
                postkasseleverandoeradresse=EBOKS,
                sertifikat_id=CERTIFICATE_IDS[EBOKS],
            )
        check_invariants(record)
        records.append(record)
    return records


# -- reading the population ----------------------------------------------------------------------------


def tasks(engine: Engine, first_ordinal: int) -> Iterator[KrrTask]:
    """Ordinal chunks of the generated persons (scenario persons are handled apart)."""
    with engine.connect() as connection:
        highest = connection.execute(select(func.max(persons.c.ordinal))).scalar_one()
    if highest is None:
        return
    for chunk, low in enumerate(range(first_ordinal, int(highest) + 1, CHUNK)):
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    persons.c.ordinal,
                    persons.c.national_id,
                    persons.c.first_name,
                    persons.c.last_name,
                    persons.c.birth_date,
                    persons.c.date_of_death,
                )
                .where(persons.c.ordinal.between(low, low + CHUNK - 1))
                .order_by(persons.c.ordinal)
            ).all()
        yield KrrTask(chunk, tuple(SourcePerson(*row) for row in rows))


def _provider_certificates(context: StageContext) -> None:
    """Issue Digipost's and e-Boks' certificates with the test CA and store them with ids 1 and 2."""
    from portvakt.krr.certificates import issue_certificates_blocking
    from portvakt.settings import load_settings

    url = context.engine.url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url, platform_orgno=context.plan.platform_orgno)
    ders = issue_certificates_blocking(url, settings, PROVIDERS)
    with context.engine.begin() as connection:
        connection.execute(
            insert(krr_sertifikat),
            [{"id": CERTIFICATE_IDS[orgnr], "orgnr": orgnr, "der": ders[orgnr]} for orgnr in PROVIDERS],
        )


class KrrStage:
    name = "krr"
    order = 60
    tables = (krr_sertifikat, krr_person, krr_endring)

    def run(self, context: StageContext) -> None:
        from portvakt.testdata.model import FIRST_GENERATED_PERSON

        plan = context.plan
        now = reference(plan.as_of)
        _provider_certificates(context)
        next_id = FIRST_CHANGE_ID
        if plan.scenarios:
            records = scenario_records(plan.as_of)
            packed, changes = build_rows(records, set(), plan, now)
            if packed is not None:
                context.writer.write(packed)
            next_id = self._write_changes(context, changes, next_id)
        registered = 0
        with context.progress.stage(self.name, plan.persons) as advance:
            for chunk in context.map_chunks(
                generate_chunk,
                tasks(context.engine, FIRST_GENERATED_PERSON),
                initializer=init_worker,
                initargs=(plan,),
            ):
                if chunk.packed is not None:
                    context.writer.write(chunk.packed)
                next_id = self._write_changes(context, chunk.changes, next_id)
                registered += chunk.counts["registered"]
                advance(CHUNK)
        context.distributions["krr_registered"] = registered

    @staticmethod
    def _write_changes(
        context: StageContext, changes: Sequence[tuple[str, str, str | None, str]], next_id: int
    ) -> int:
        if not changes:
            return next_id
        rows = [
            (next_id + offset, pid, endret, AARSAK, snapshot)
            for offset, (pid, endret, _unused, snapshot) in enumerate(changes)
        ]
        context.writer.write_rows(krr_endring.name, CHANGE_COLUMNS, rows, context.plan.batch_size)
        return next_id + len(rows)

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        yield from verify_krr(check)


def verify_krr(check: VerifyContext) -> Iterator[Violation]:
    """Every record keeps the §3 invariants; nobody under 15 is registered; the deceased are SLETTET."""
    from portvakt.domain.errors import ValidationError

    bad: dict[str, list[str]] = {}
    statement = (
        select(
            *(krr_person.c[name] for name in PersonRecord.__dataclass_fields__),
            persons.c.birth_date,
            persons.c.date_of_death,
        )
        .select_from(krr_person.outerjoin(persons, persons.c.national_id == krr_person.c.personidentifikator))
        .order_by(krr_person.c.personidentifikator)
    )
    for row in check.connection.execution_options(yield_per=20_000).execute(statement):
        record = PersonRecord.from_row(row)
        try:
            check_invariants(record)
        except ValidationError as exc:
            bad.setdefault("krr_invariant", []).append(f"{record.personidentifikator[:6]}…: {exc.message}")
        if row.birth_date is not None and _age(row.birth_date, check.as_of) < ELIGIBLE_AGE:
            bad.setdefault("krr_too_young", []).append(record.personidentifikator[:6] + "…")
        if row.date_of_death is not None and record.status != SLETTET:
            bad.setdefault("krr_deceased_active", []).append(record.personidentifikator[:6] + "…")
    ids = check.connection.execute(
        select(func.min(krr_endring.c.endrings_id), func.max(krr_endring.c.endrings_id), func.count())
    ).one()
    if ids[2] and (ids[0] != FIRST_CHANGE_ID or ids[1] - ids[0] + 1 != ids[2]):
        bad.setdefault("krr_feed_ids", []).append(f"ids {ids[0]}–{ids[1]} for {ids[2]} changes")
    for rule, examples in bad.items():
        yield Violation(rule, f"{len(examples)} KRR record(s) break {rule}", tuple(examples[:20]))


STAGES = (KrrStage(),)
