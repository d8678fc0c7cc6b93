"""Rendering of stored registrations into the `Virksomhet` model (rrh.md §5): codes become `Kode`/`Land`
objects in the requested language, `erGjeldendeRegistrering` is inserted after `registrert`.

Stored documents are canonical JSON in §5 key order with codes only (rrh_contract); the key order of the
output is the stored order, so nothing is re-sorted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from portvakt.rrh.codelists import CodeLists, Language

KODE_KEYS = frozenset(
    {
        "registreringsstatus",
        "reelleRettighetshaverestatus",
        "markedstype",
        "registertype",
        "posisjonstype",
        "stoerrelsesintervall",
    }
)
KODE_LIST_KEYS = frozenset({"grunnlagstyper"})
LAND_KEYS = frozenset({"bostedsland", "land"})
LAND_LIST_KEYS = frozenset({"statsborgerskap"})


def timestamp(moment: datetime) -> str:
    """§5: UTC, milliseconds, `Z`."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class StoredRegistration:
    registration_id: str
    registered_at: datetime
    is_current: bool
    document: str


@dataclass(frozen=True)
class StoredEntity:
    orgnr: str
    first_registered_at: datetime
    deleted_at: datetime | None


class Renderer:
    """Renders documents for one language."""

    def __init__(self, lists: CodeLists, language: Language) -> None:
        self.language = language
        self._kode = lists.kode[language]
        self._land = lists.land[language]
        self._lists = lists

    def _code(self, value: str) -> dict[str, str]:
        found = self._kode.get(value)
        return found if found is not None else self._lists.code(value, self.language)

    def _country(self, value: str) -> dict[str, str]:
        found = self._land.get(value)
        return found if found is not None else self._lists.country(value, self.language)

    def _value(self, key: str, value: Any) -> Any:
        if key in KODE_KEYS and isinstance(value, str):
            return self._code(value)
        if key in LAND_KEYS and isinstance(value, str):
            return self._country(value)
        if key in KODE_LIST_KEYS and isinstance(value, list):
            return [self._code(item) for item in value]
        if key in LAND_LIST_KEYS and isinstance(value, list):
            return [self._country(item) for item in value]
        if isinstance(value, dict):
            return self._object(value)
        if isinstance(value, list):
            return [self._object(item) if isinstance(item, dict) else item for item in value]
        return value

    def _object(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {key: self._value(key, value) for key, value in stored.items()}

    def registration(self, stored: StoredRegistration) -> dict[str, Any]:
        document: dict[str, Any] = orjson.loads(stored.document)
        rendered: dict[str, Any] = {}
        for key, value in document.items():
            rendered[key] = self._value(key, value)
            if key == "registrert":
                rendered["erGjeldendeRegistrering"] = stored.is_current
        if "erGjeldendeRegistrering" not in rendered:
            rendered["erGjeldendeRegistrering"] = stored.is_current
        if "reelleRettighetshavere" not in rendered:
            rendered["reelleRettighetshavere"] = []
        return self._object_market(rendered)

    @staticmethod
    def _object_market(rendered: dict[str, Any]) -> dict[str, Any]:
        """§6: `regulertMarked.navn` is the market's `kodenavn` in the response language."""
        market = rendered.get("regulertMarked")
        if isinstance(market, dict) and isinstance(market.get("markedstype"), dict):
            rendered["regulertMarked"] = {
                key: (market["markedstype"]["kodenavn"] if key == "navn" else value)
                for key, value in market.items()
            }
        return rendered

    def entity(self, entity: StoredEntity, registrations: Iterable[StoredRegistration]) -> dict[str, Any]:
        """§5 `Virksomhet`: current registration first, then the others by `registrert` descending."""
        ordered = sorted(
            registrations, key=lambda item: (not item.is_current, -item.registered_at.timestamp())
        )
        virksomhet: dict[str, Any] = {
            "organisasjonsnummer": entity.orgnr,
            "foerstRegistrertIRegisterOverReelleRettighetshavere": timestamp(entity.first_registered_at),
        }
        if entity.deleted_at is not None:
            virksomhet["slettetIRegisterOverReelleRettighetshavere"] = timestamp(entity.deleted_at)
        virksomhet["registreringer"] = [self.registration(item) for item in ordered]
        return virksomhet


def person_identifiers(virksomhet: dict[str, Any]) -> set[str]:
    """The distinct `foedselsEllerDNummer` of a rendered entity (the audit's subjects, rrh.md §11)."""
    found: set[str] = set()
    for registration in virksomhet["registreringer"]:
        for owner in registration.get("reelleRettighetshavere", ()):
            person = owner.get("folkeregistrertPerson")
            if isinstance(person, dict) and isinstance(person.get("foedselsEllerDNummer"), str):
                found.add(person["foedselsEllerDNummer"])
    return found
