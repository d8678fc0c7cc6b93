"""`portvakt rrh …` (rrh.md §14): show, import (validated, replacing), totalbestand, legal bases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from portvakt.cli import app
from tests.rrh.builders import REGISTERED, orgnr
from tests.rrh.conftest import Entities

pytestmark = pytest.mark.db


class Rrh:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, ["rrh", *args])

    def ok(self, *args: str) -> Any:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)


@pytest.fixture
def rrh(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rrh:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(tmp_path / "data"))
    return Rrh()


def test_show_renders_like_the_api(rrh: Rrh, cast: type[Entities]) -> None:
    current = rrh.ok("show", cast.reported, "--lang", "eng")
    assert [item["erGjeldendeRegistrering"] for item in current["registreringer"]] == [True]
    assert current["registreringer"][0]["registreringsstatus"]["kodenavn"] == (
        "Beneficial ownership information is registered"
    )
    history = rrh.ok("show", cast.reported, "--history")
    assert len(history["registreringer"]) == 3
    refused = rrh("show", cast.sole_proprietorship)
    assert refused.exit_code == 1
    assert "ikke registreringspliktig" in refused.stderr
    assert rrh("show", "123456789").exit_code == 1


def virksomhet(number: str, **changes: Any) -> dict[str, Any]:
    owner = {
        "folkeregistrertPerson": {
            "foedselsEllerDNummer": "12837541245",
            "foedselsdato": "1975-03-12",
            "foedselsaar": "1975",
            "navn": {"fornavn": "KARI", "etternavn": "NORDMANN"},
            "erDoed": False,
            "bostedsland": "NOR",
            "statsborgerskap": ["NOR"],
        },
        "erUnntattFraInnsyn": False,
        "foerstRegistrert": "2025-02-11T13:11:28.956Z",
        "endret": "2025-02-11T13:11:28.956Z",
        "posisjoner": [
            {
                "posisjonstype": "posisjonstype.eierskap",
                "stoerrelsesintervall": "stoerrelsesintervall.intervall3",
                "grunnlagstyper": ["grunnlagstype.direkte"],
                "mellomliggendeVirksomheter": [],
            }
        ],
    }
    registration: dict[str, Any] = {
        "registreringsid": "6a1f6a3e-8c1b-5d9e-9a57-0f3c2d1b7e11",
        "registreringsstatus": REGISTERED,
        "registrert": "2025-02-11T13:11:28.956Z",
        "erGjeldendeRegistrering": True,
        "reelleRettighetshaverestatus": "reellerettighetshaverestatus.harReelleRettighetshavere",
        "reelleRettighetshavere": [owner],
    }
    registration.update(changes.pop("registration", {}))
    document = {
        "organisasjonsnummer": number,
        "foerstRegistrertIRegisterOverReelleRettighetshavere": "2024-10-03T08:01:12.000Z",
        "registreringer": [registration],
    }
    document.update(changes)
    return document


def test_import_replaces_the_entitys_registrations(
    rrh: Rrh, cast: type[Entities], tmp_path: Path, database_url: str
) -> None:
    file = tmp_path / "import.jsonl"
    file.write_text(
        json.dumps(virksomhet(cast.reported))
        + "\n\n"
        + json.dumps(
            virksomhet(
                cast.unreported, registration={"registreringsid": "7a1f6a3e-8c1b-5d9e-9a57-0f3c2d1b7e11"}
            )
        )
        + "\n"
    )
    assert rrh.ok("import", str(file), "--json") == {"entities": 2, "registrations": 2}
    shown = rrh.ok("show", cast.reported, "--history")
    [registration] = shown["registreringer"]
    assert registration["registreringsid"] == "6a1f6a3e-8c1b-5d9e-9a57-0f3c2d1b7e11"
    owner = registration["reelleRettighetshavere"][0]
    assert owner["posisjoner"][0]["stoerrelsesintervall"]["kodenavn"] == "75% - 100%"
    from portvakt.storage.engine import null_pool_sync_engine
    from portvakt.storage.tables.rrh import rrh_registrations

    engine = null_pool_sync_engine(database_url)
    with engine.connect() as connection:
        document = connection.execute(
            select(rrh_registrations.c.document).where(rrh_registrations.c.orgnr == cast.reported)
        ).scalar_one()
    engine.dispose()
    assert "erGjeldendeRegistrering" not in document
    assert document.startswith(
        '{"registreringsid":"6a1f6a3e-8c1b-5d9e-9a57-0f3c2d1b7e11","registreringsstatus":'
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"organisasjonsnummer": "123456789"}, "not a valid organisation number", id="orgnr"),
        pytest.param(
            {"organisasjonsnummer": Entities.sole_proprietorship}, "not a registrable entity", id="enk"
        ),
        pytest.param({"ukjent": 1}, "unknown key", id="unknown-key"),
        pytest.param(
            {"registration": {"registreringsstatus": "registreringsstatus.x"}},
            "not a registreringsstatus",
            id="bad-code",
        ),
        pytest.param(
            {"registration": {"registrert": "2025-02-11T13:11:28Z"}}, "milliseconds", id="timestamp"
        ),
        pytest.param({"registration": {"registreringsid": "nope"}}, "UUID", id="uuid"),
        pytest.param(
            {"registration": {"registreringsstatus": "registreringsstatus.rettighetsinformasjonErIkkeMeldt"}},
            "only a reported registration",
            id="not-reported-with-owners",
        ),
        pytest.param(
            {"registration": {"regulertMarked": {"markedstype": "markedstype.euronextOslo"}}},
            "only ASA",
            id="market-for-as",
        ),
    ],
)
def test_import_rejects_rule_breaks_and_changes_nothing(
    rrh: Rrh, cast: type[Entities], tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text(
        json.dumps(virksomhet(cast.unreported))
        + "\n"
        + json.dumps(virksomhet(cast.reported, **changes))
        + "\n"
    )
    result = rrh("import", str(file))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "line 2" in result.stderr
    assert len(rrh.ok("show", cast.unreported)["registreringer"]) == 1
    assert rrh.ok("show", cast.unreported)["registreringer"][0]["registreringsstatus"]["kode"].endswith(
        "ErIkkeMeldt"
    )


@pytest.mark.parametrize(
    ("position", "message"),
    [
        pytest.param({"grunnlagstyper": []}, "not allowed for eierskap", id="ownership-needs-ground"),
        pytest.param(
            {"grunnlagstyper": ["grunnlagstype.enighetEllerAvtale"]},
            "not allowed for eierskap",
            id="ownership-agreement",
        ),
        pytest.param({"stoerrelsesintervall": None}, "stoerrelsesintervall", id="interval-required"),
        pytest.param(
            {"mellomliggendeVirksomheter": [{"norskVirksomhet": {"organisasjonsnummer": "399900271"}}]},
            "only with grunnlagstype indirekte",
            id="intermediate-needs-indirect",
        ),
        pytest.param(
            {"posisjonstype": "posisjonstype.destinatar", "stoerrelsesintervall": None, "grunnlagstyper": []},
            "not allowed for organisation form AS",
            id="sti-position-for-as",
        ),
    ],
)
def test_import_enforces_the_position_rules(
    rrh: Rrh, cast: type[Entities], tmp_path: Path, position: dict[str, Any], message: str
) -> None:
    document = virksomhet(cast.reported)
    target = document["registreringer"][0]["reelleRettighetshavere"][0]["posisjoner"][0]
    for key, value in position.items():
        if value is None:
            target.pop(key)
        else:
            target[key] = value
    file = tmp_path / "positions.jsonl"
    file.write_text(json.dumps(document) + "\n")
    result = rrh("import", str(file))
    assert result.exit_code == 1, result.stdout
    assert message in result.stderr


def test_totalbestand_build_and_status(rrh: Rrh, cast: type[Entities], tmp_path: Path) -> None:
    assert rrh.ok("totalbestand", "status", "--json") == {"current": None, "builds": []}
    built = rrh.ok("totalbestand", "build", "--json")
    assert built["entity_count"] == 3
    assert len(built["etag"]) == 32
    status = rrh.ok("totalbestand", "status", "--json")
    assert status["current"]["build_id"] == built["build_id"]
    assert status["current"]["file"] == built["file"]
    assert (tmp_path / "data" / "rrh" / "totalbestand" / built["file"]).is_file()
    assert [(row["status"], row["trigger"], row["entity_count"]) for row in status["builds"]] == [
        ("complete", "cli", 3)
    ]
    plain = rrh("totalbestand", "build")
    assert plain.exit_code == 0
    assert "3 entities" in plain.stdout


def test_legal_basis_set_and_list(rrh: Rrh, database_url: str, tmp_path: Path) -> None:
    import asyncio

    from portvakt.domain.clock import FixedClock
    from portvakt.registry.repository import registry_service
    from portvakt.registry.service import Actor
    from portvakt.rrh.registry_bootstrap import ensure_rrh_registry
    from portvakt.settings import Settings
    from portvakt.storage.engine import Database

    consumer = orgnr(31000003)

    async def grant() -> None:
        settings = Settings(database_url=database_url, data_dir=tmp_path / "data", _env_file=None)
        database = Database.connect(database_url)
        try:
            await ensure_rrh_registry(settings, database, FixedClock())
            admin = registry_service(settings, database, FixedClock(), Actor.cli())
            await admin.grant_access("brreg:reelle/offentlig", consumer)
        finally:
            await database.dispose()

    asyncio.run(grant())
    assert [row["consumer_orgno"] for row in rrh.ok("legal-basis", "list", "--missing", "--json")] == [
        consumer
    ]
    wrong = rrh("legal-basis", "set", consumer, "brreg:reelle/offentlig", "hvitvl-4-1-a")
    assert wrong.exit_code == 1
    assert "does not apply to scope" in wrong.stderr
    unknown = rrh("legal-basis", "set", consumer, "brreg:reelle/offentlig", "rrhf-9")
    assert unknown.exit_code == 1
    recorded = rrh.ok("legal-basis", "set", consumer, "brreg:reelle/offentlig", "rrhf-3-11-1-c", "--json")
    assert (recorded["code"], recorded["recorded_by"]) == ("rrhf-3-11-1-c", "cli")
    assert rrh.ok("legal-basis", "list", "--missing", "--json") == []
    [row] = rrh.ok("legal-basis", "list", "--json")
    assert (row["consumer_orgno"], row["scope"], row["code"]) == (
        consumer,
        "brreg:reelle/offentlig",
        "rrhf-3-11-1-c",
    )
