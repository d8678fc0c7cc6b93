"""Which ER entities the register of beneficial owners covers (rrh.md §4): one rule, generator and import."""

from __future__ import annotations

from typing import Final

ALWAYS_REGISTRABLE: Final = frozenset(
    {"AS", "ANS", "DA", "BA", "PRE", "EOFG", "KS", "SA", "BBL", "BRL", "PK", "GFS", "ASA", "SE", "SPA"}
)
REGISTRABLE_IF_IN_BUSINESS_REGISTER: Final = frozenset({"NUF", "STI", "FLI"})
MAY_REPORT_MARKET: Final = frozenset({"ASA", "SE", "SPA"})
MAY_REPORT_FOREIGN_REGISTER: Final = frozenset({"NUF"})

# rrh.md §6.4–6.7: the EEA countries with a `registertype.registerOverReelleRettighetshavereI<Land>` code.
REGISTER_COUNTRY_SUFFIX: Final = {
    "BEL": "Belgia",
    "BGR": "Bulgaria",
    "DNK": "Danmark",
    "EST": "Estland",
    "FIN": "Finland",
    "FRA": "Frankrike",
    "GRC": "Hellas",
    "IRL": "Irland",
    "ISL": "Island",
    "ITA": "Italia",
    "HRV": "Kroatia",
    "CYP": "Kypros",
    "LVA": "Latvia",
    "LIE": "Liechtenstein",
    "LTU": "Litauen",
    "LUX": "Luxembourg",
    "MLT": "Malta",
    "NLD": "Nederland",
    "POL": "Polen",
    "PRT": "Portugal",
    "ROU": "Romania",
    "SVK": "Slovakia",
    "SVN": "Slovenia",
    "ESP": "Spania",
    "SWE": "Sverige",
    "CZE": "Tsjekkia",
    "DEU": "Tyskland",
    "HUN": "Ungarn",
    "AUT": "Oesterrike",
}


def is_registrable(organisation_form: str, registered_in_business_register: bool) -> bool:
    """rrh.md §4: the form is listed and, for NUF, STI and FLI, the entity is in Foretaksregisteret."""
    if organisation_form in ALWAYS_REGISTRABLE:
        return True
    return organisation_form in REGISTRABLE_IF_IN_BUSINESS_REGISTER and registered_in_business_register


def register_type_code(country: str) -> str | None:
    """The `registertype.` code of an EEA country's register of beneficial owners; None outside the EEA."""
    suffix = REGISTER_COUNTRY_SUFFIX.get(country)
    return None if suffix is None else f"registertype.registerOverReelleRettighetshavereI{suffix}"
