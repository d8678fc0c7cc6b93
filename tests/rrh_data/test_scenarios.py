"""The stored RRH documents of the §10 scenarios, exactly as specified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.rrh import rrh_entities, rrh_registrations
from portvakt.testdata.scenario_data import SCENARIO_ENTITIES
from tests.rrh_data.conftest import AS_OF

ORGNR = {e.key: e.orgnr for e in SCENARIO_ENTITIES}
S = "reellerettighetshaverestatus."
P = "posisjonstype."
I1, I2, I3 = (f"stoerrelsesintervall.intervall{n}" for n in (1, 2, 3))
D, IND, AGR = "grunnlagstype.direkte", "grunnlagstype.indirekte", "grunnlagstype.enighetEllerAvtale"


@pytest.fixture
def stored(population_url: str) -> dict[str, list[dict[str, Any]]]:
    engine = null_pool_sync_engine(population_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(rrh_registrations).order_by(rrh_registrations.c.orgnr, rrh_registrations.c.version)
        ).all()
    engine.dispose()
    documents: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        document = orjson.loads(row.document)
        document["_current"] = row.is_current
        documents.setdefault(row.orgnr, []).append(document)
    return documents


def who(entry: dict[str, Any]) -> str:
    person = entry.get("folkeregistrertPerson")
    return str(person["foedselsEllerDNummer"] if person else entry["utenlandskPerson"]["fulltNavn"])


def between(position: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        item["norskVirksomhet"]["organisasjonsnummer"]
        if "norskVirksomhet" in item
        else item["utenlandskVirksomhet"]["navn"]
        for item in position["mellomliggendeVirksomheter"]
    )


def content(document: dict[str, Any]) -> tuple[str | None, list[tuple[str, bool, list[tuple[Any, ...]]]]]:
    owners = [
        (
            who(entry),
            entry["erUnntattFraInnsyn"],
            [
                (
                    p["posisjonstype"].removeprefix(P),
                    p.get("stoerrelsesintervall"),
                    tuple(p["grunnlagstyper"]),
                    between(p),
                )
                for p in entry["posisjoner"]
            ],
        )
        for entry in document["reelleRettighetshavere"]
    ]
    status = document.get("reelleRettighetshaverestatus")
    return (None if status is None else status.removeprefix(S)), owners


P01, P02, P03, P04, P05 = "12837541245", "07878223351", "23916011989", "30819034547", "15851261165"
P06, P07, P13, P14, P16 = "44828830128", "02883112981", "17868633026", "09929940250", "14886819081"
P12, P17, P18, P19 = "05849221916", "03905707743", "26849445552", "08818028890"
S26 = ORGNR["S26"]

EXPECTED: dict[str, tuple[str | None, list[tuple[str, bool, list[tuple[Any, ...]]]]]] = {
    "S02": ("ingenReelleRettighetshavereKanIdentifiseres", []),
    "S03": ("norskOffentligVirksomhetEierEllerKontrollererRegistreringspliktigVirksomhet", []),
    "S04": ("utenlandskOffentligVirksomhetEierEllerKontrollererRegistreringspliktigVirksomhet", []),
    "S05": (
        "harReelleRettighetshavere",
        [
            (P01, False, [("eierskap", I1, (IND,), (S26,))]),
            (P02, False, [("eierskap", I1, (D,), ()), ("kontrollOverStemmerettigheter", I2, (D,), ())]),
            ("ANNA SVENSSON", False, [("eierskap", I1, (D,), ())]),
            ("MARÍA GARCÍA LÓPEZ", False, [("rettTilAaUtpekeEllerAvsetteStyre", None, (AGR,), ())]),
            (P06, False, [("kontrollPaaAnnenMaate", None, (), ())]),
        ],
    ),
    "S06": (
        "harReelleRettighetshavere",
        [
            (P03, False, [("eierskap", I2, (D,), ()), ("kontrollOverStemmerettigheter", I2, (D,), ())]),
            (P04, False, [("eierskap", I1, (D,), ()), ("kontrollOverStemmerettigheter", I1, (D,), ())]),
        ],
    ),
    "S07": ("noenReelleRettighetshavereKanIdentifiseres", [(P02, False, [("eierskap", I2, (D,), ())])]),
    "S08": (
        "noenReelleRettighetshavereKanIdentifiseres",
        [(P13, False, [("eierskap", I1, (D,), ())]), ("LUCAS MÜLLER", True, [("eierskap", I1, (D,), ())])],
    ),
    "S09": (
        "harReelleRettighetshavere",
        [(P14, False, [("eierskap", I2, (D,), ())]), ("MADS JENSEN", False, [("eierskap", I2, (D,), ())])],
    ),
    "S10": (
        "harReelleRettighetshavere",
        [("SOPHIE DUBOIS", True, [("eierskap", I2, (D,), ())]), (P16, False, [("eierskap", I1, (D,), ())])],
    ),
    "S11": ("noenReelleRettighetshavereKanIdentifiseres", [(P17, False, [("eierskap", I3, (D,), ())])]),
    "S12": (None, []),
    "S13": (
        "harReelleRettighetshavere",
        [("ERIK LINDQVIST", False, [("eierskap", I3, (IND,), ("SKOGSBOLAGET AB",))])],
    ),
    "S14": (None, []),
    "S15": (None, []),
    "S16": (
        "harReelleRettighetshavere",
        [
            (P19, False, [("eierskap", I2, (D,), ())]),
            (P18, False, [("rettTilAaUtpekeEllerAvsetteStyre", None, (AGR,), ())]),
        ],
    ),
    "S17": (
        "harReelleRettighetshavere",
        [(P01, False, [("eierskap", I3, (IND,), ("NORDIC PENSION HOLDING AB", S26))])],
    ),
    "S18": ("harKunStyreOgDagligLederSomReelleRettighetshavere", []),
    "S19": (
        "harStyreOgDagligLederOgAndrePosisjonerSomReelleRettighetshavere",
        [(P13, False, [("avgittGrunnkapital", None, (), ()), ("destinatar", None, (), ())])],
    ),
    "S20": ("harReelleRettighetshavere", [(P05, True, [("eierskap", I3, (D,), ())])]),
    "S25": ("harIkkeReelleRettighetshavere", []),
    "S26": ("harReelleRettighetshavere", [(P01, False, [("eierskap", I3, (D,), ())])]),
    "S27": ("harReelleRettighetshavere", [(P12, False, [("eierskap", I3, (D,), ())])]),
    "S28": ("harReelleRettighetshavere", [(P16, False, [("eierskap", I3, (D,), ())])]),
    "S30": ("harReelleRettighetshavere", [(P02, False, [("eierskap", I3, (D,), ())])]),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_single_reported_registration(key: str, stored: dict[str, list[dict[str, Any]]]) -> None:
    (document,) = stored[ORGNR[key]]
    assert document["_current"] is True
    assert document["registreringsstatus"] == "registreringsstatus.rettighetsinformasjonErRegistrert"
    assert content(document) == EXPECTED[key]


def test_s05_matches_the_spec_example(stored: dict[str, list[dict[str, Any]]]) -> None:
    """rrh.md §5 JSON example (codes only; ids and timestamps are free)."""
    (document,) = stored[ORGNR["S05"]]
    first = document["reelleRettighetshavere"][0]
    for key in ("foerstRegistrert", "endret"):
        first.pop(key)
    assert first == {
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
        "posisjoner": [
            {
                "posisjonstype": "posisjonstype.eierskap",
                "stoerrelsesintervall": "stoerrelsesintervall.intervall1",
                "grunnlagstyper": ["grunnlagstype.indirekte"],
                "mellomliggendeVirksomheter": [{"norskVirksomhet": {"organisasjonsnummer": "399900271"}}],
            }
        ],
    }
    assert list(document) == [
        "registreringsid",
        "registreringsstatus",
        "registrert",
        "reelleRettighetshaverestatus",
        "reelleRettighetshavere",
        "_current",
    ]
    p06 = document["reelleRettighetshavere"][4]
    assert p06["folkeregistrertPerson"]["bostedsland"] == "POL"
    assert p06["posisjoner"][0]["beskrivelseAvPosisjonenKontrollPaaAnnenMaate"] == (
        "Har avgjørende innflytelse gjennom en låneavtale med selskapet."
    )


def test_s12_reports_the_lithuanian_register(stored: dict[str, list[dict[str, Any]]]) -> None:
    (document,) = stored[ORGNR["S12"]]
    assert "reelleRettighetshaverestatus" not in document
    assert document["utenlandskRegister"] == {
        "registertype": "registertype.registerOverReelleRettighetshavereILitauen",
        "land": "LTU",
        "internettadresse": "https://www.registrucentras.lt/",
    }


@pytest.mark.parametrize(
    ("key", "market", "name"),
    [
        pytest.param("S14", "markedstype.euronextOslo", "Euronext Oslo", id="S14"),
        pytest.param("S15", "markedstype.euronextExpandOslo", "Euronext Expand Oslo", id="S15"),
    ],
)
def test_listed_scenarios_report_their_market(
    key: str, market: str, name: str, stored: dict[str, list[dict[str, Any]]]
) -> None:
    (document,) = stored[ORGNR[key]]
    assert "reelleRettighetshaverestatus" not in document
    assert document["reelleRettighetshavere"] == []
    assert document["regulertMarked"] == {
        "markedstype": market,
        "navn": name,
        "land": "NOR",
        "internettadresse": "https://www.euronext.com/nb/markets/oslo",
    }


def test_s21_is_not_reported(stored: dict[str, list[dict[str, Any]]]) -> None:
    (document,) = stored[ORGNR["S21"]]
    assert document["registreringsstatus"] == "registreringsstatus.rettighetsinformasjonErIkkeMeldt"
    assert document["registrert"] == "2025-03-21T00:00:00.000Z"
    assert document["reelleRettighetshavere"] == []
    assert "reelleRettighetshaverestatus" not in document


def _stamp(days_before: int) -> str:
    return (datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC) - timedelta(days=days_before)).strftime(
        "%Y-%m-%dT10:00:00.000Z"
    )


def test_s23_history_with_p07_dying(stored: dict[str, list[dict[str, Any]]]) -> None:
    versions = stored[ORGNR["S23"]]
    assert [v["registrert"] for v in versions] == [_stamp(400), _stamp(200), _stamp(30)]
    assert [v["_current"] for v in versions] == [False, False, True]
    assert [content(v) for v in versions] == [
        ("harReelleRettighetshavere", [(P07, False, [("eierskap", I3, (D,), ())])]),
        (
            "harReelleRettighetshavere",
            [(P07, False, [("eierskap", I2, (D,), ())]), (P02, False, [("eierskap", I2, (D,), ())])],
        ),
        ("harReelleRettighetshavere", [(P02, False, [("eierskap", I3, (D,), ())])]),
    ]
    p02 = versions[2]["reelleRettighetshavere"][0]
    assert (p02["foerstRegistrert"], p02["endret"]) == (_stamp(200), _stamp(30))


def test_s24_reported_then_deleted(stored: dict[str, list[dict[str, Any]]], population_url: str) -> None:
    reported, deleted = stored[ORGNR["S24"]]
    assert reported["registrert"] == _stamp(300)
    assert content(reported) == ("harReelleRettighetshavere", [(P04, False, [("eierskap", I3, (D,), ())])])
    assert deleted["registreringsstatus"] == "registreringsstatus.rettighetsinformasjonErSlettet"
    assert deleted["registrert"] == _stamp(59)
    assert deleted["_current"] is True
    engine = null_pool_sync_engine(population_url)
    with engine.connect() as connection:
        row = connection.execute(select(rrh_entities).where(rrh_entities.c.orgnr == ORGNR["S24"])).one()
    engine.dispose()
    assert row.deleted_at.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z") == _stamp(59)


@pytest.mark.parametrize("key", ["S01", "S22", "S29", "S31"])
def test_not_registrable_scenarios_have_no_rrh_data(
    key: str, stored: dict[str, list[dict[str, Any]]]
) -> None:
    assert ORGNR[key] not in stored
