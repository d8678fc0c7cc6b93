"""Code lists (rrh.md §6) and country names (§7) in Bokmål, Nynorsk and English, from packaged data.

`data/countries.json` holds ISO 3166-1 alpha-3 codes with the CLDR territory names of the `nb`, `nn` and `en`
locales (first letter upper-case) and the special `XUK`; `data/codes.json` the code lists of §6.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from portvakt.domain.errors import PortvaktError

Language = Literal["nob", "nno", "eng"]
LANGUAGES: tuple[Language, ...] = ("nob", "nno", "eng")
DEFAULT_LANGUAGE: Language = "nob"


class UnknownCode(PortvaktError):
    """A stored document holds a code that no list knows (rendered as a 500, logged)."""

    status_code = 500
    code = "unknown_code"


def _load(name: str) -> Any:
    return json.loads(resources.files("portvakt.rrh").joinpath("data", name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CodeLists:
    """Rendered `Kode` and `Land` objects per language; the objects are shared, never mutated."""

    kode: dict[Language, dict[str, dict[str, str]]]
    land: dict[Language, dict[str, dict[str, str]]]

    def code(self, code: str, language: Language) -> dict[str, str]:
        try:
            return self.kode[language][code]
        except KeyError:
            raise UnknownCode("Unknown code", detail=f"code {code!r}") from None

    def country(self, code: str, language: Language) -> dict[str, str]:
        try:
            return self.land[language][code]
        except KeyError:
            raise UnknownCode("Unknown country", detail=f"country {code!r}") from None

    def is_code(self, code: str, prefix: str) -> bool:
        return code.startswith(prefix) and code in self.kode[DEFAULT_LANGUAGE]

    def is_country(self, code: str) -> bool:
        return code in self.land[DEFAULT_LANGUAGE]


@cache
def code_lists() -> CodeLists:
    countries: dict[str, dict[str, str]] = _load("countries.json")
    document = _load("codes.json")
    names: dict[str, dict[str, str]] = dict(document["codes"])
    register = document["registertype"]
    for suffix, alpha3 in register["countries"].items():
        names[register["prefix"] + suffix] = {
            language: register[language].format(country=countries[alpha3][language]) for language in LANGUAGES
        }
    kode = {
        language: {code: {"kode": code, "kodenavn": texts[language]} for code, texts in names.items()}
        for language in LANGUAGES
    }
    land = {
        language: {code: {"landkode": code, "navn": texts[language]} for code, texts in countries.items()}
        for language in LANGUAGES
    }
    return CodeLists(kode=kode, land=land)


def language_of(accept_language: str | None) -> Language:
    """rrh.md §3: the first language range (before `,`/`;`, trimmed, any case); anything else → Bokmål."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    for language in LANGUAGES:
        if first == language:
            return language
    return DEFAULT_LANGUAGE
