"""Stage `altinn` (identifiers-and-testdata.md §9.5, §10.3): service owners and their test API keys, apps,
direct delegations, the Maskinporten delegation schemes and the scenario delegation, and the party-UUID index.

API keys are derived from the seed (`seeded_api_keys`), so `portvakt altinn api-key testdata-file` can
write them to `<data dir>/testdata-apikeys.json` at any time; only their hashes are in the database.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import orjson
from sqlalchemy import Column, Connection, Engine, Table, func, insert, select, text

from portvakt.altinn.apikeys import NewKey, new_key
from portvakt.altinn.mp_delegations import seeded_schemes
from portvakt.altinn.party import PartyKind, org_party_id, party_uuid, person_party_id
from portvakt.altinn.policy import END_EVENT, TASK, Policy, Resource, default_policy, role_policy
from portvakt.altinn.rights import KEY_ROLES
from portvakt.storage.engine import Backend
from portvakt.storage.tables.altinn import (
    altinn_api_keys,
    altinn_apps,
    altinn_delegations,
    altinn_mp_delegations,
    altinn_mp_schemes,
    altinn_party_uuids,
    altinn_service_owners,
)
from portvakt.storage.tables.population import entities, er_roles, persons
from portvakt.testdata.persons import PersonPool, unpack_pool_entry
from portvakt.testdata.scenario_data import SCENARIO_NATIONAL_IDS, SCENARIO_ORGNRS
from portvakt.testdata.stages import StageContext, VerifyContext, Violation
from portvakt.testdata.streams import rng_for

STREAM: Final = "altinn"
UUID_PAGE: Final = 50_000
RULE_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:portvakt:altinn:testdata-rule")


@dataclass(frozen=True)
class Owner:
    code: str
    name: str
    orgnr: str
    scenario: bool = False


TTD: Final = Owner("ttd", "TESTDEPARTEMENTET", "399900018", scenario=True)
DIGDIR: Final = Owner("digdir", "DIGITALISERINGSDIREKTORATET", "991825827")
BRG: Final = Owner("brg", "REGISTERENHETEN I BRØNNØYSUND", "974760673")
OWNERS: Final = (TTD, DIGDIR, BRG)
APP_NAMES: Final = ("soknad-om-tilskudd", "klage", "innsyn", "melding", "registrering", "rapportering")
APP_TITLES: Final = {
    "soknad-om-tilskudd": "Søknad om tilskudd",
    "klage": "Klage",
    "innsyn": "Innsyn",
    "melding": "Melding",
    "registrering": "Registrering",
    "rapportering": "Rapportering",
}

# §10.3
S02: Final = "399900026"
S30: Final = "399900336"
S31: Final = "399900344"
P03: Final = "23916011989"
P11: Final = "11907837388"
SCENARIO_RULE_READ: Final = "a9e683be-86ac-4935-99e2-62ed6f411018"
SCENARIO_RULE_WRITE: Final = "e5d3ea01-1f08-47d1-9475-13d9aa1f95b1"
TASK_1: Final = Resource(TASK, "Task_1")


@dataclass(frozen=True)
class AppSpec:
    org: str
    name: str
    title: str
    policy: Policy


def scenario_apps() -> list[AppSpec]:
    """The three `ttd` apps of §10.3, in registration order."""
    return [
        AppSpec(
            "ttd",
            "access-control-app",
            "Access control app",
            role_policy("ttd", "access-control-app", ("dagl", "regna"), TASK_1, ("write",)),
        ),
        AppSpec(
            "ttd",
            "app-issue",
            "App issue",
            role_policy("ttd", "app-issue", ("priv",), TASK_1, ("instantiate", "read", "write")),
        ),
        AppSpec(
            "ttd",
            "app-insight",
            "App insight",
            role_policy(
                "ttd", "app-insight", ("dagl", "lede", "a0236"), Resource(END_EVENT, "EndEvent_1"), ("read",)
            ),
        ),
    ]


def generated_apps(seed: int) -> list[AppSpec]:
    """`digdir` and `brg`: 3 apps each from the name list, default policy (§9.5)."""
    specs = []
    for owner in (DIGDIR, BRG):
        rng = rng_for(seed, STREAM, f"apps:{owner.code}")
        for name in sorted(rng.sample(APP_NAMES, 3), key=APP_NAMES.index):
            specs.append(AppSpec(owner.code, name, APP_TITLES[name], default_policy(owner.code, name)))
    return specs


def seeded_api_keys(seed: int, owners: Sequence[Owner] = OWNERS) -> dict[str, NewKey]:
    """One key per owner, derived from the seed (test data only; §9.5)."""
    keys = {}
    for owner in owners:
        rng = rng_for(seed, STREAM, f"apikey:{owner.code}")
        key_id = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
        keys[owner.code] = new_key(key_id, rng.randbytes(32))
    return keys


def rule_guid(seed: int, label: str) -> str:
    return str(uuid.uuid5(RULE_NAMESPACE, f"{seed}|{label}"))


def db_time(moment: datetime, backend: Backend) -> str:
    utc = moment.astimezone(UTC)
    if backend == "sqlite":
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    return utc.isoformat()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


DELEGATION_COLUMNS: Final = (
    "rule_guid",
    "offered_by",
    "covered_by",
    "app_org",
    "app_name",
    "resource_id",
    "resource_value",
    "action",
    "delegated_by",
    "is_delegatable",
    "created",
    "revoked_at",
)


def _adult(pool: PersonPool, rng: random.Random, avoid: set[str]) -> str | None:
    for _ in range(20):
        national_id = unpack_pool_entry(pool.entries[rng.randrange(len(pool.entries))])[0]
        if national_id not in avoid and national_id not in SCENARIO_NATIONAL_IDS:
            return national_id
    return None


def _key_role_entities(connection: Connection) -> list[tuple[str, str]]:
    """(entity, key-role holder) for every generated entity with a person holding a current key role."""
    rows = connection.execute(
        select(er_roles.c.entity_orgnr, func.min(er_roles.c.holder_national_id))
        .where(
            er_roles.c.role_code.in_(sorted(KEY_ROLES)),
            er_roles.c.holder_national_id.is_not(None),
            er_roles.c.resigned.is_(False),
        )
        .group_by(er_roles.c.entity_orgnr)
        .order_by(er_roles.c.entity_orgnr)
    )
    return [(row[0], row[1]) for row in rows if row[0] not in SCENARIO_ORGNRS]


def generated_delegations(
    plan_seed: int, pairs: Sequence[tuple[str, str]], pool: PersonPool, apps: Sequence[AppSpec], created: str
) -> list[tuple[Any, ...]]:
    """§9.5: 1 % of entities with a key-role holder delegate 1–3 rules to another adult; 0.05 % of adults
    delegate `read` on one app to another adult."""
    rows: list[tuple[Any, ...]] = []
    if not apps or not len(pool.entries):
        return rows
    rng = rng_for(plan_seed, STREAM, "entity-delegations")
    chosen = rng.sample(range(len(pairs)), round(len(pairs) * 0.01)) if pairs else []
    for index in sorted(chosen):
        orgnr, holder = pairs[index]
        to = _adult(pool, rng, {holder})
        if to is None:
            continue
        used: set[tuple[str, str]] = set()
        for _ in range(rng.randint(1, 3)):
            app = apps[rng.randrange(len(apps))]
            if (app.org, app.name) in used:
                continue
            used.add((app.org, app.name))
            actions = ["read", "write"] if rng.random() < 0.5 else ["read"]
            for action in actions:
                guid = rule_guid(plan_seed, f"{orgnr}|{to}|{app.org}/{app.name}|{action}")
                rows.append(
                    (guid, orgnr, to, app.org, app.name, TASK, "Task_1", action, holder, False, created, None)
                )
    rng = rng_for(plan_seed, STREAM, "person-delegations")
    count = round(len(pool.entries) * 0.0005)
    offered: set[str] = set()
    for _ in range(count):
        source = _adult(pool, rng, offered)
        if source is None:
            continue
        target = _adult(pool, rng, {source})
        if target is None:
            continue
        offered.add(source)
        app = apps[rng.randrange(len(apps))]
        guid = rule_guid(plan_seed, f"{source}|{target}|{app.org}/{app.name}|read")
        rows.append(
            (guid, source, target, app.org, app.name, TASK, "Task_1", "read", source, False, created, None)
        )
    return rows


def scenario_delegations(created: str) -> list[tuple[Any, ...]]:
    return [
        (guid, S02, P11, "ttd", "app-issue", TASK, "Task_1", action, P03, True, created, None)
        for guid, action in ((SCENARIO_RULE_READ, "read"), (SCENARIO_RULE_WRITE, "write"))
    ]


def _ensure_schemes(engine: Engine) -> None:
    """The seeded schemes (§2.5) are platform data, not population data: inserted when missing, never
    replaced (the Altinn bootstrap inserts the same rows at start)."""
    with engine.begin() as connection:
        existing = set(connection.execute(select(altinn_mp_schemes.c.id)).scalars())
        for scheme in seeded_schemes():
            if scheme.id not in existing:
                connection.execute(
                    insert(altinn_mp_schemes).values(
                        id=scheme.id,
                        resourceid=scheme.resourceid,
                        title=scheme.title,
                        scopes=orjson.dumps(list(scheme.scopes)).decode(),
                    )
                )


def _advance_sequences(engine: Engine) -> None:
    """Rows were loaded with explicit ids: on PostgreSQL the identity sequences must move past them, so that
    apps and delegations created later (CLI, API) get fresh ids."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in ("altinn_apps", "altinn_mp_delegations"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # fixed names
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            )


class AltinnStage:
    name = "altinn"
    order = 70
    tables = (
        altinn_service_owners,
        altinn_api_keys,
        altinn_apps,
        altinn_delegations,
        altinn_mp_delegations,
        altinn_party_uuids,
    )

    def run(self, context: StageContext) -> None:
        plan = context.plan
        backend = plan.backend
        writer = context.writer
        size = plan.batch_size
        created = db_time(_midnight(plan.as_of) - timedelta(days=30), backend)
        owners = [owner for owner in OWNERS if plan.scenarios or not owner.scenario]
        writer.write_rows(
            "altinn_service_owners",
            ("code", "name", "orgnr", "active", "created"),
            [(owner.code, owner.name, owner.orgnr, True, created) for owner in owners],
            size,
        )
        keys = seeded_api_keys(plan.seed, owners)
        writer.write_rows(
            "altinn_api_keys",
            ("key_id", "owner_code", "sha256", "label", "created", "last_used_at", "revoked_at"),
            [(key.key_id, code, key.sha256, "testdata", created, None, None) for code, key in keys.items()],
            size,
        )
        apps = (scenario_apps() if plan.scenarios else []) + generated_apps(plan.seed)
        writer.write_rows(
            "altinn_apps",
            ("id", "org", "app", "title", "policy", "min_auth_level", "created"),
            [
                (number, app.org, app.name, app.title, app.policy.to_json(), 3, created)
                for number, app in enumerate(apps, start=1)
            ],
            size,
        )
        schemes = seeded_schemes()
        _ensure_schemes(context.engine)
        delegation_rows = scenario_delegations(created) if plan.scenarios else []
        pool: PersonPool | None = context.artifacts.get("person_pool")
        if pool is not None:
            with context.engine.connect() as connection:
                pairs = _key_role_entities(connection)
            generated = [app for app in apps if app.org != TTD.code]
            delegation_rows += generated_delegations(plan.seed, pairs, pool, generated, created)
        writer.write_rows("altinn_delegations", DELEGATION_COLUMNS, delegation_rows, size)
        if plan.scenarios:
            krr = next(s for s in schemes if s.resourceid == "krr-paa-vegne-av")
            writer.write_rows(
                "altinn_mp_delegations",
                (
                    "id",
                    "consumer_orgno",
                    "supplier_orgno",
                    "scheme_id",
                    "created",
                    "created_by",
                    "revoked_at",
                ),
                [
                    (
                        1,
                        S31,
                        S30,
                        krr.id,
                        db_time(_midnight(plan.as_of) - timedelta(days=10), backend),
                        "testdata",
                        None,
                    )
                ],
                size,
            )
        _advance_sequences(context.engine)
        self._party_uuids(context)

    def _party_uuids(self, context: StageContext) -> None:
        """Keyset pages in short read transactions, so a SQLite reader never blocks the writer's commits."""
        plan = context.plan
        total = plan.persons + plan.entities
        columns = ("party_uuid", "party_id")
        with context.progress.stage(self.name, total) as advance:
            sources: tuple[tuple[Table, Column[str], PartyKind, Callable[[int], int]], ...] = (
                (persons, persons.c.national_id, "person", person_party_id),
                (entities, entities.c.orgnr, "org", org_party_id),
            )
            for table, column, kind, party_id in sources:
                last = 0
                while True:
                    with context.engine.connect() as connection:
                        page = connection.execute(
                            select(table.c.ordinal, column)
                            .where(table.c.ordinal > last)
                            .order_by(table.c.ordinal)
                            .limit(UUID_PAGE)
                        ).all()
                    if not page:
                        break
                    last = page[-1][0]
                    rows = [(party_uuid(kind, identifier), party_id(ordinal)) for ordinal, identifier in page]
                    advance(context.writer.write_rows("altinn_party_uuids", columns, rows, plan.batch_size))

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        connection = check.connection
        if check.scenarios:
            names = [
                row.app
                for row in connection.execute(
                    select(altinn_apps.c.app).where(altinn_apps.c.org == TTD.code).order_by(altinn_apps.c.id)
                )
            ]
            if names != [app.name for app in scenario_apps()]:
                yield Violation("altinn_scenario_apps", "the ttd apps differ from §10.3", tuple(names))
        person_count = connection.execute(select(func.count()).select_from(persons)).scalar_one()
        entity_count = connection.execute(select(func.count()).select_from(entities)).scalar_one()
        uuid_count = connection.execute(select(func.count()).select_from(altinn_party_uuids)).scalar_one()
        if uuid_count != person_count + entity_count:
            yield Violation(
                "altinn_party_uuids", f"{uuid_count} party UUIDs for {person_count + entity_count} parties"
            )
        dangling = connection.execute(
            select(func.count())
            .select_from(altinn_delegations)
            .where(
                altinn_delegations.c.covered_by.not_in(select(persons.c.national_id)),
                altinn_delegations.c.covered_by.not_in(select(entities.c.orgnr)),
            )
        ).scalar_one()
        if dangling:
            yield Violation("altinn_delegations", f"{dangling} delegations to unknown parties")


STAGES = (AltinnStage(),)
