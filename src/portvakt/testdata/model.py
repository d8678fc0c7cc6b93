"""The numbers of identifiers-and-testdata.md §5 and §8, as data."""

from __future__ import annotations

from datetime import date
from typing import Final

SIZES: Final = {"demo": (2_000, 300), "full": (5_500_000, 1_100_000)}
FULL_ENTITIES: Final = 1_100_000

AS_OF_WINDOW: Final = (date(2025, 11, 5), date(2030, 5, 14))
ID_STYLES: Final = ("tenor", "plus40", "ordinary")

# Entities: base numbers 31000000–39989999 (§5); 39990000–39999999 is the scenario block.
ORGNR_BASE_START: Final = 31_000_000
ORGNR_BASE_SPAN: Final = 8_990_000

CHUNK_ENTITIES: Final = 10_000  # ordinals per entity/role chunk: fixed, independent of --workers

# §8.1 age bands: (lowest age, highest age, share %)
AGE_BANDS: Final = (
    (0, 5, 6.4),
    (6, 15, 11.6),
    (16, 19, 5.0),
    (20, 29, 13.2),
    (30, 39, 13.8),
    (40, 49, 13.0),
    (50, 59, 13.4),
    (60, 69, 11.0),
    (70, 79, 8.5),
    (80, 89, 3.4),
    (90, 105, 0.7),
)
DNUMBER_SHARE: Final = 0.06
DNUMBER_AGES: Final = (20, 64)
MALE_SHARE: Final = 0.505
MIDDLE_NAME_SHARE: Final = 0.25

# Deaths: 0.6 % overall, rising with age; (age from, probability). Achieved ≈ 0.61 % with the §8.1 bands.
DEATH_PROBABILITY: Final = ((0, 0.0005), (40, 0.002), (60, 0.006), (70, 0.015), (80, 0.06), (90, 0.2))
EMIGRATED_SHARE: Final = 0.01

FNR_CITIZENSHIP: Final = (
    ("NOR", 88.0),
    ("NOR+", 2.0),
    ("POL", 3.0),
    ("UKR", 1.0),
    ("LTU", 1.2),
    ("SWE", 0.9),
    ("SYR", 0.8),
    ("SOM", 0.5),
    ("DEU", 0.5),
    ("ERI", 0.4),
    ("DNK", 0.4),
    ("PHL", 0.3),
    *((code, 0.8 / 6) for code in ("FIN", "NLD", "FRA", "ESP", "ITA", "ROU")),
    *((code, 0.2 / 3) for code in ("USA", "GBR", "IND")),
)
SECOND_CITIZENSHIPS: Final = ("SWE", "DNK", "DEU", "POL", "GBR", "USA", "FIN", "LTU", "UKR", "ESP")
DNR_CITIZENSHIP: Final = (
    ("POL", 30.0),
    ("LTU", 14.0),
    ("SWE", 12.0),
    ("UKR", 8.0),
    ("DEU", 7.0),
    ("ROU", 6.0),
    ("LVA", 5.0),
    ("DNK", 4.0),
    ("GBR", 4.0),
    ("ESP", 3.0),
    *((code, 7.0 / 6) for code in ("FIN", "NLD", "FRA", "ITA", "EST", "BGR")),
)
DNR_RESIDENT_ABROAD: Final = 0.70

# §8.1 municipality weights: county → (county name, weight, {kommunenummer: weight}).
COUNTY_WEIGHTS: Final[dict[str, tuple[str, float, dict[str, float]]]] = {
    "03": ("Oslo", 718, {"0301": 718}),
    "31": ("Østfold", 310, {"3107": 85, "3105": 58, "3103": 51, "3118": 46, "3101": 32}),
    "32": (
        "Akershus",
        725,
        {"3201": 131, "3203": 97, "3205": 93, "3207": 63, "3222": 48, "3209": 43},
    ),
    "33": ("Buskerud", 270, {"3301": 104, "3305": 31, "3303": 28, "3312": 28}),
    "34": ("Innlandet", 375, {"3411": 35, "3403": 32, "3407": 31, "3405": 29}),
    "39": ("Vestfold", 256, {"3907": 66, "3905": 58, "3909": 48, "3901": 28, "3911": 27}),
    "40": ("Telemark", 177, {"4003": 56, "4001": 37}),
    "42": ("Agder", 320, {"4204": 116, "4203": 46, "4202": 24}),
    "11": ("Rogaland", 500, {"1103": 149, "1108": 83, "1149": 43, "1106": 38, "1124": 28}),
    "46": ("Vestland", 650, {"4601": 291, "4626": 39, "4627": 30, "4631": 30, "4624": 26}),
    "15": ("Møre og Romsdal", 270, {"1508": 58, "1506": 33, "1505": 24}),
    "50": ("Trøndelag", 480, {"5001": 215, "5035": 25, "5006": 24, "5059": 19}),
    "18": ("Nordland", 243, {"1804": 53, "1833": 26, "1806": 22}),
    "55": ("Troms", 169, {"5501": 78, "5503": 25}),
    "56": ("Finnmark", 75, {"5601": 21, "5603": 11, "5605": 10}),
}

# §8.2 organisation forms of the sized remainder: (code, share %, RRH-registrable)
ENTITY_FORMS: Final = (
    ("ENK", 36.0),
    ("AS", 35.0),
    ("SUB", 10.0),  # BEDR or AAFY, decided by the parent
    ("FLI", 7.0),
    ("ESEK", 3.0),
    ("BRL", 1.3),
    ("NUF", 1.3),
    ("ANS", 1.2),
    ("SAM", 1.0),
    ("ORGL", 1.0),
    ("DA", 0.9),
    ("KBO", 0.7),
    ("STI", 0.6),
    ("SA", 0.4),
    ("KS", 0.2),
    ("ANNA", 0.2),
    ("BA", 0.05),
    ("KF", 0.04),
    ("PRE", 0.03),
    ("ASA", 0.02),
    ("IKS", 0.02),
    ("SPA", 0.01),
    ("PK", 0.01),
    ("BBL", 0.01),
    ("GFS", 0.005),
    ("SF", 0.003),
    ("SE", 0.002),
    ("STAT", 0.002),
    ("EOFG", 0.001),
)
RRH_REGISTRABLE: Final = frozenset(
    {"AS", "ASA", "BRL", "NUF", "ANS", "DA", "SA", "KS", "BA", "PRE", "SPA", "PK", "BBL", "GFS", "SE", "EOFG"}
)
# Sub-unit parents: (form, weight); AAFY under the non-business parents.
SUB_UNIT_PARENTS: Final = (
    ("AS", 60.0),
    ("FLI", 12.0),
    ("STI", 5.0),
    ("ORGL", 10.0),
    ("KOMM", 8.0),
    ("SA", 5.0),
)
NON_BUSINESS_PARENTS: Final = frozenset({"ORGL", "KOMM", "FYLK", "STAT"})
ORGL_PARENTS: Final = ("STAT", "KOMM", "FYLK")

# Probability of registrert_i_foretaksregisteret per form (§8.2; forms not listed: never).
BUSINESS_REGISTER: Final = {
    "AS": 1.0,
    "ASA": 1.0,
    "NUF": 1.0,
    "ANS": 1.0,
    "DA": 1.0,
    "KS": 1.0,
    "SA": 1.0,
    "BA": 1.0,
    "PRE": 1.0,
    "SPA": 1.0,
    "PK": 1.0,
    "BBL": 1.0,
    "BRL": 1.0,
    "GFS": 1.0,
    "SE": 1.0,
    "EOFG": 1.0,
    "KF": 1.0,
    "IKS": 1.0,
    "SF": 1.0,
    "ENK": 0.35,
    "STI": 0.15,
    "FLI": 0.05,
}

NACE_HOLDING: Final = "64.200"
NACE_ACCOUNTING: Final = "69.201"
NACE_AUDIT: Final = "69.202"
AS_NACE_SPECIAL: Final = ((NACE_HOLDING, 0.12), (NACE_ACCOUNTING, 0.02), (NACE_AUDIT, 0.003))
COMMON_NACE: Final = (
    "01.410",
    "03.111",
    "10.200",
    "41.200",
    "43.210",
    "43.220",
    "43.320",
    "43.341",
    "45.200",
    "46.900",
    "47.190",
    "47.710",
    "49.410",
    "55.101",
    "56.101",
    "62.010",
    "62.020",
    "63.110",
    "68.100",
    "68.209",
    "70.220",
    "71.129",
    "73.110",
    "74.100",
    "77.110",
    "81.210",
    "86.230",
    "90.030",
    "93.130",
    "96.020",
)
FORM_NACE: Final = {
    "KOMM": "84.110",
    "FYLK": "84.110",
    "STAT": "84.110",
    "ORGL": "84.110",
    "KF": "84.130",
    "IKS": "84.130",
    "SF": "84.130",
    "SPA": "64.190",
    "PK": "65.300",
    "GFS": "65.120",
    "BBL": "68.320",
    "BRL": "68.209",
    "ESEK": "68.209",
    "SAM": "68.209",
    "FLI": "93.120",
    "STI": "94.991",
    "KBO": "99.999",
}
TRADE_WORDS: Final = {
    "01.410": "GÅRD",
    "03.111": "FISKE",
    "10.200": "SJØMAT",
    "41.200": "BYGG",
    "43.210": "ELEKTRO",
    "43.220": "RØR",
    "43.320": "SNEKKERI",
    "43.341": "MALING",
    "45.200": "BILVERKSTED",
    "46.900": "HANDEL",
    "47.190": "BUTIKK",
    "47.710": "KLÆR",
    "49.410": "TRANSPORT",
    "55.101": "HOTELL",
    "56.101": "KAFÉ",
    "62.010": "DATA",
    "62.020": "IT",
    "63.110": "DRIFT",
    "68.100": "EIENDOM",
    "68.209": "UTLEIE",
    "70.220": "KONSULENT",
    "71.129": "TEKNIKK",
    "73.110": "REKLAME",
    "74.100": "DESIGN",
    "77.110": "BILUTLEIE",
    "81.210": "RENHOLD",
    "86.230": "TANNLEGE",
    "90.030": "KUNST",
    "93.130": "TRENING",
    "96.020": "FRISØR",
    NACE_HOLDING: "HOLDING",
    NACE_ACCOUNTING: "REGNSKAP",
    NACE_AUDIT: "REVISJON",
}
LISTED_ASA: Final = ("euronextOslo", 0.60)
LISTED_SPA: Final = ("euronextExpandOslo", 0.50)
NUF_FOREIGN_REGISTER_SHARE: Final = 0.40
FOREIGN_REGISTERS: Final = (
    ("SWE", "https://bolagsverket.se/"),
    ("DNK", "https://datacvr.virk.dk/"),
    ("DEU", "https://www.handelsregister.de/"),
    ("GBR", "https://find-and-update.company-information.service.gov.uk/"),
    ("FIN", "https://www.prh.fi/"),
    ("NLD", "https://www.kvk.nl/"),
    ("LTU", "https://www.registrucentras.lt/"),
    ("POL", "https://ekrs.ms.gov.pl/"),
)
DELETED_SHARE: Final = 0.005

# §8.3 roles
ROLE_POOL_SHARE: Final = 0.30
ROLE_POOL_AGES: Final = (20, 85)
ROLE_COUNT_EXPONENT: Final = 2.2
ROLE_COUNT_MAX: Final = 25
BOBE_POOL_SHARE: Final = 0.002
BOBE_POOL_AGES: Final = (30, 70)
RESIGNED_SHARE: Final = 0.05
HOLDER_AGE: Final = 18
FLI_MEDL_AGE: Final = 16

# Fixed entities of §5 (the platform org's number is a setting).
DIGDIR: Final = ("991825827", "DIGITALISERINGSDIREKTORATET")
BRREG: Final = ("974760673", "REGISTERENHETEN I BRØNNØYSUND")
PLATFORM_NAME: Final = "PLATTFORMOPERATØR"
FIXED_ENTITY_COUNT: Final = 3
SCENARIO_PERSON_COUNT: Final = 20
SCENARIO_ENTITY_COUNT: Final = 31
FIRST_GENERATED_PERSON: Final = SCENARIO_PERSON_COUNT + 1
FIRST_GENERATED_ENTITY: Final = FIXED_ENTITY_COUNT + SCENARIO_ENTITY_COUNT + 1

# Entity classes used as role holders (§8.3): REGN from accounting AS, REVI from audit AS, FFØR from BBL
# and real-estate AS, KOMP/DTPR from AS.
CLASS_OTHER, CLASS_AS, CLASS_HOLDING, CLASS_ACCOUNTING, CLASS_AUDIT, CLASS_REAL_ESTATE, CLASS_BBL = range(7)
FORM_INDEX: Final = {
    code: i for i, code in enumerate((*(c for c, _ in ENTITY_FORMS), "KOMM", "FYLK", "BEDR", "AAFY"))
}
FORM_BY_INDEX: Final = {i: code for code, i in FORM_INDEX.items()}
