"""The fixed test scenarios of identifiers-and-testdata.md §10.1–§10.2 (their entity-register part)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final


@dataclass(frozen=True)
class ScenarioPerson:
    key: str
    national_id: str
    first_name: str
    middle_name: str | None
    last_name: str
    birth_date: date
    citizenship: str = "NOR"
    residence: str = "NOR"
    died_days_before: int | None = None  # date of death = as-of − this many days


@dataclass(frozen=True)
class ScenarioEntity:
    key: str
    orgnr: str
    name: str
    form: str
    nace: str | None = None
    under_stat: bool = False
    business_register: bool = False
    listed_market: str | None = None
    foreign_register: tuple[str, str] | None = None
    deleted_days_before: int | None = None


SCENARIO_PERSONS: Final = (
    ScenarioPerson("P01", "12837541245", "KARI", None, "NORDMANN", date(1975, 3, 12)),
    ScenarioPerson("P02", "07878223351", "OLA", None, "HAUGEN", date(1982, 7, 7)),
    ScenarioPerson("P03", "23916011989", "PER", "OLAV", "LARSEN", date(1960, 11, 23)),
    ScenarioPerson("P04", "30819034547", "JONAS", None, "BAKKE", date(1990, 1, 30)),
    ScenarioPerson("P05", "15851261165", "EMIL", None, "BERG", date(2012, 5, 15)),
    ScenarioPerson("P06", "44828830128", "TOMASZ", None, "KOWALSKI", date(1988, 2, 4), "POL", "POL"),
    ScenarioPerson("P07", "02883112981", "ARNE", None, "JOHANSEN", date(1931, 8, 2), died_days_before=100),
    ScenarioPerson("P08", "19899544857", "ÁILE", "ČÁHCE", "ŊUVTTI-ŠŽÆØÅ", date(1995, 9, 19)),
    ScenarioPerson("P09", "01817005140", "BO", None, "ØY", date(1970, 1, 1)),
    ScenarioPerson(
        "P10",
        "28828526482",
        "ANNE-MARIE",
        "KRISTINE ELISABETH",
        "SKJELBRED-FJELLHEIM-VESTERÅLEN",
        date(1985, 2, 28),
    ),
    ScenarioPerson("P11", "11907837388", "KNUT", "OLAV", "BERGE", date(1978, 10, 11)),
    ScenarioPerson("P12", "05849221916", "SANDER", None, "LIE", date(1992, 4, 5)),
    ScenarioPerson("P13", "17868633026", "INGRID", None, "MOEN", date(1986, 6, 17)),
    ScenarioPerson("P14", "09929940250", "NORA", None, "DAHL", date(1999, 12, 9)),
    ScenarioPerson("P15", "21830152072", "SARA", None, "AAS", date(2001, 3, 21)),
    ScenarioPerson("P16", "14886819081", "LINE", None, "STRAND", date(1968, 8, 14)),
    ScenarioPerson("P17", "03905707743", "ODD", None, "NILSEN", date(1957, 10, 3)),
    ScenarioPerson("P18", "26849445552", "ERIK", None, "MYHRE", date(1994, 4, 26)),
    ScenarioPerson("P19", "08818028890", "HEGE", None, "LUND", date(1980, 1, 8)),
    ScenarioPerson("P20", "31857314002", "TONE", None, "VIK", date(1973, 5, 31)),
)
SCENARIO_NATIONAL_IDS: Final = frozenset(p.national_id for p in SCENARIO_PERSONS)

SCENARIO_ENTITIES: Final = (
    ScenarioEntity("S01", "399900018", "TESTDEPARTEMENTET", "ORGL", under_stat=True),
    ScenarioEntity("S02", "399900026", "SYNTETISK UIDENTIFISERBAR AS", "AS", business_register=True),
    ScenarioEntity("S03", "399900034", "KOMMUNALT EID DRIFT AS", "AS", business_register=True),
    ScenarioEntity("S04", "399900042", "UTENLANDSK STATSEID BORETTSLAG", "BRL", business_register=True),
    ScenarioEntity("S05", "399900050", "ALLE POSISJONER AS", "AS", business_register=True),
    ScenarioEntity("S06", "399900069", "STEMMESTERK EIERSKAP AS", "AS", business_register=True),
    ScenarioEntity("S07", "399900077", "DELVIS KJENT EIER AS", "AS", business_register=True),
    ScenarioEntity("S08", "399900085", "SKJERMET UTENLANDSK EIER AS", "AS", business_register=True),
    ScenarioEntity("S09", "399900093", "NORSK OG DANSK EIER AS", "AS", business_register=True),
    ScenarioEntity("S10", "399900107", "SKJERMET VOKSEN AS", "AS", business_register=True),
    ScenarioEntity("S11", "399900115", "HELEID PARTNERSKAP DA", "DA", business_register=True),
    ScenarioEntity(
        "S12",
        "399900123",
        "LITAUISK FILIAL NUF",
        "NUF",
        business_register=True,
        foreign_register=("LTU", "https://www.registrucentras.lt/"),
    ),
    ScenarioEntity("S13", "399900131", "SVENSK FILIAL NUF", "NUF", business_register=True),
    ScenarioEntity(
        "S14", "399900158", "BØRSNOTERT TEST ASA", "ASA", business_register=True, listed_market="euronextOslo"
    ),
    ScenarioEntity(
        "S15",
        "399900166",
        "KYSTSPAREBANKEN",
        "SPA",
        business_register=True,
        listed_market="euronextExpandOslo",
    ),
    ScenarioEntity("S16", "399900174", "STYREAVTALE DA", "DA", business_register=True),
    ScenarioEntity("S17", "399900182", "PENSJONSKASSE MED MELLOMLEDD", "PK", business_register=True),
    ScenarioEntity("S18", "399900190", "STIFTELSEN KUN STYRET", "STI", business_register=True),
    ScenarioEntity("S19", "399900204", "STIFTELSEN MED DESTINATAR", "STI", business_register=True),
    ScenarioEntity("S20", "399900212", "MINDREÅRIG EIER AS", "AS", business_register=True),
    ScenarioEntity("S21", "399900220", "IKKE MELDT AS", "AS", business_register=True),
    ScenarioEntity("S22", "399900239", "HEGE LUND SNEKKERI", "ENK"),
    ScenarioEntity("S23", "399900247", "HISTORIKK AS", "AS", business_register=True),
    ScenarioEntity("S24", "399900255", "SLETTET AS", "AS", business_register=True, deleted_days_before=60),
    ScenarioEntity("S25", "399900263", "IDEELL FORENING", "FLI", business_register=True),
    ScenarioEntity("S26", "399900271", "HOLDING NORDMANN AS", "AS", business_register=True),
    ScenarioEntity("S27", "399900298", "REGNSKAP TEST AS", "AS", nace="69.201", business_register=True),
    ScenarioEntity("S28", "399900301", "REVISJON TEST AS", "AS", nace="69.202", business_register=True),
    ScenarioEntity("S29", "399900328", "SYNTETISK KOMMUNALT FORETAK KF", "KF", business_register=True),
    ScenarioEntity("S30", "399900336", "LEVERANDØR TEST AS", "AS", business_register=True),
    ScenarioEntity("S31", "399900344", "ETAT FOR TESTING", "ORGL", under_stat=True),
)
SCENARIO_ORGNRS: Final = frozenset(e.orgnr for e in SCENARIO_ENTITIES)

# (entity, role code, person holder key or entity holder key), in role order per entity.
SCENARIO_ROLES: Final = (
    ("S02", "DAGL", "P11"),
    ("S02", "LEDE", "P03"),
    ("S02", "REGN", "S27"),
    ("S02", "REVI", "S28"),
    ("S11", "DTPR", "P17"),
    ("S11", "DTPR", "P10"),
    ("S18", "LEDE", "P03"),
    ("S18", "MEDL", "P04"),
    ("S18", "MEDL", "P10"),
    ("S18", "DAGL", "P16"),
    ("S19", "LEDE", "P14"),
    ("S19", "MEDL", "P20"),
    ("S19", "DAGL", "P12"),
    ("S20", "LEDE", "P01"),
    ("S21", "LEDE", "P04"),
    ("S22", "INNH", "P19"),
    ("S26", "DAGL", "P01"),
    ("S26", "LEDE", "P01"),
    ("S27", "DAGL", "P12"),
    ("S27", "LEDE", "P12"),
    ("S28", "DAGL", "P16"),
    ("S28", "LEDE", "P16"),
    ("S30", "DAGL", "P02"),
)
SCENARIO_REGISTRATION_DATE: Final = date(2020, 1, 1)
