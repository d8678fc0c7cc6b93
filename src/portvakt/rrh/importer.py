"""`portvakt rrh import` (rrh.md §14): one `Virksomhet` per line with codes only, validated against the §5
rules, replacing the entity's registrations; stored as canonical documents in §5 key order (rrh_contract)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from portvakt.domain.errors import ValidationError
from portvakt.domain.identifiers import is_valid_orgnr
from portvakt.rrh.codelists import CodeLists, code_lists
from portvakt.rrh.store import MAY_REPORT_FOREIGN_REGISTER, MAY_REPORT_MARKET, is_registrable
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.rrh import rrh_entities, rrh_registrations

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# §5 key order per object.
VIRKSOMHET_KEYS = (
    "organisasjonsnummer",
    "foerstRegistrertIRegisterOverReelleRettighetshavere",
    "slettetIRegisterOverReelleRettighetshavere",
    "registreringer",
)
REGISTRERING_KEYS = (
    "registreringsid",
    "registreringsstatus",
    "registrert",
    "reelleRettighetshaverestatus",
    "regulertMarked",
    "utenlandskRegister",
    "reelleRettighetshavere",
)
EIER_KEYS = (
    "folkeregistrertPerson",
    "utenlandskPerson",
    "erUnntattFraInnsyn",
    "foerstRegistrert",
    "endret",
    "posisjoner",
)
FOLKEREGISTRERT_KEYS = (
    "foedselsEllerDNummer",
    "foedselsdato",
    "foedselsaar",
    "navn",
    "erDoed",
    "bostedsland",
    "statsborgerskap",
)
UTENLANDSK_KEYS = ("foedselsdato", "foedselsaar", "fulltNavn", "bostedsland", "statsborgerskap")
NAVN_KEYS = ("fornavn", "mellomnavn", "etternavn")
POSISJON_KEYS = (
    "posisjonstype",
    "stoerrelsesintervall",
    "beskrivelseAvPosisjonenKontrollPaaAnnenMaate",
    "grunnlagstyper",
    "mellomliggendeVirksomheter",
)
MARKED_KEYS = ("markedstype", "navn", "land", "internettadresse")
REGISTER_KEYS = ("registertype", "land", "internettadresse")

STATUS_REGISTERED = "registreringsstatus.rettighetsinformasjonErRegistrert"
STATUS_DELETED = "registreringsstatus.rettighetsinformasjonErSlettet"
STATUS_NOT_REPORTED = "registreringsstatus.rettighetsinformasjonErIkkeMeldt"
STI_POSITIONS = frozenset(
    {"rettTilAaUtpekeEtFlertallAvStyre", "avgittGrunnkapital", "saerligeRettigheter", "destinatar"}
)
TRUST_POSITIONS = frozenset(
    {"oppretter", "forvalter", "beskytter", "begunstigede", "kontrollOverTrustenPaaAnnenMaate"}
)
# posisjonstype → (allowed grunnlagstyper, minimum count, size interval required)
GROUND_RULES: dict[str, tuple[frozenset[str], int, bool]] = {
    "eierskap": (frozenset({"direkte", "indirekte"}), 1, True),
    "kontrollOverStemmerettigheter": (frozenset({"direkte", "indirekte", "enighetEllerAvtale"}), 1, True),
    "rettTilAaUtpekeEllerAvsetteStyre": (frozenset({"enighetEllerAvtale"}), 1, False),
}
FREE_TEXT_POSITIONS = frozenset({"kontrollPaaAnnenMaate", "kontrollOverTrustenPaaAnnenMaate"})


class InvalidImport(ValidationError):
    """A line of an import file breaks a §5 rule; the message names the line and the rule."""


@dataclass(frozen=True)
class ImportReport:
    entities: int
    registrations: int


def _ordered(document: dict[str, Any], keys: Sequence[str], where: str) -> dict[str, Any]:
    unknown = set(document) - set(keys)
    if unknown:
        raise InvalidImport(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    return {key: document[key] for key in keys if key in document}


class _Checker:
    def __init__(self, lists: CodeLists, form: str) -> None:
        self.lists = lists
        self.form = form

    def code(self, value: object, prefix: str, where: str) -> str:
        if not isinstance(value, str) or not self.lists.is_code(value, prefix):
            raise InvalidImport(f"{where}: not a {prefix[:-1]} code: {value!r}")
        return value

    def country(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not self.lists.is_country(value):
            raise InvalidImport(f"{where}: not an ISO 3166-1 alpha-3 code: {value!r}")
        return value

    @staticmethod
    def timestamp(value: object, where: str) -> str:
        if not isinstance(value, str) or not _TIMESTAMP.match(value):
            raise InvalidImport(f"{where}: timestamp must be UTC with milliseconds and Z")
        return value

    @staticmethod
    def string(value: object, where: str, *, pattern: str | None = None, max_length: int = 2000) -> str:
        if not isinstance(value, str) or not value or len(value) > max_length:
            raise InvalidImport(f"{where}: must be a non-empty string")
        if pattern is not None and not re.match(pattern, value):
            raise InvalidImport(f"{where}: invalid value {value!r}")
        return value

    def countries(self, value: object, where: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise InvalidImport(f"{where}: at least one country")
        return [self.country(item, where) for item in value]

    def person(self, value: object, where: str, *, foreign: bool) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InvalidImport(f"{where}: must be an object")
        person = _ordered(value, UTENLANDSK_KEYS if foreign else FOLKEREGISTRERT_KEYS, where)
        if not foreign:
            self.string(
                person.get("foedselsEllerDNummer"), f"{where}.foedselsEllerDNummer", pattern=r"^\d{11}$"
            )
            navn = person.get("navn")
            if not isinstance(navn, dict):
                raise InvalidImport(f"{where}.navn: must be an object")
            person["navn"] = _ordered(navn, NAVN_KEYS, f"{where}.navn")
            for key in ("fornavn", "etternavn"):
                self.string(person["navn"].get(key), f"{where}.navn.{key}", max_length=200)
            if not isinstance(person.get("erDoed"), bool):
                raise InvalidImport(f"{where}.erDoed: must be a boolean")
        else:
            self.string(person.get("fulltNavn"), f"{where}.fulltNavn", max_length=400)
        self.string(person.get("foedselsdato"), f"{where}.foedselsdato", pattern=_DATE.pattern)
        self.string(person.get("foedselsaar"), f"{where}.foedselsaar", pattern=r"^\d{4}$")
        person["bostedsland"] = self.country(person.get("bostedsland"), f"{where}.bostedsland")
        person["statsborgerskap"] = self.countries(person.get("statsborgerskap"), f"{where}.statsborgerskap")
        return person

    def position(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InvalidImport(f"{where}: must be an object")
        position = _ordered(value, POSISJON_KEYS, where)
        kind = self.code(position.get("posisjonstype"), "posisjonstype.", f"{where}.posisjonstype")
        suffix = kind.split(".", 1)[1]
        if (suffix in STI_POSITIONS) != (self.form == "STI") and suffix not in TRUST_POSITIONS:
            raise InvalidImport(
                f"{where}: position {suffix} is not allowed for organisation form {self.form}"
            )
        grounds = position.get("grunnlagstyper", [])
        if not isinstance(grounds, list):
            raise InvalidImport(f"{where}.grunnlagstyper: must be an array")
        grounds = [self.code(item, "grunnlagstype.", f"{where}.grunnlagstyper") for item in grounds]
        ground_suffixes = {item.split(".", 1)[1] for item in grounds}
        allowed, minimum, sized = GROUND_RULES.get(suffix, (frozenset(), 0, False))
        if len(grounds) < minimum or not ground_suffixes <= allowed:
            raise InvalidImport(f"{where}.grunnlagstyper: not allowed for {suffix}")
        if suffix == "rettTilAaUtpekeEllerAvsetteStyre" and ground_suffixes != {"enighetEllerAvtale"}:
            raise InvalidImport(f"{where}.grunnlagstyper: {suffix} requires exactly enighetEllerAvtale")
        position["grunnlagstyper"] = grounds
        if sized:
            position["stoerrelsesintervall"] = self.code(
                position.get("stoerrelsesintervall"), "stoerrelsesintervall.", f"{where}.stoerrelsesintervall"
            )
        elif "stoerrelsesintervall" in position:
            raise InvalidImport(
                f"{where}.stoerrelsesintervall: only for eierskap and kontrollOverStemmerettigheter"
            )
        text_key = "beskrivelseAvPosisjonenKontrollPaaAnnenMaate"
        if suffix in FREE_TEXT_POSITIONS:
            self.string(position.get(text_key), f"{where}.{text_key}")
        elif text_key in position:
            raise InvalidImport(f"{where}.{text_key}: only for control by other means")
        between = position.get("mellomliggendeVirksomheter", [])
        if not isinstance(between, list) or (between and "indirekte" not in ground_suffixes):
            raise InvalidImport(f"{where}.mellomliggendeVirksomheter: only with grunnlagstype indirekte")
        position["mellomliggendeVirksomheter"] = [
            self.intermediate(item, f"{where}.mellomliggendeVirksomheter") for item in between
        ]
        return position

    def intermediate(self, value: object, where: str) -> dict[str, Any]:
        if isinstance(value, dict) and set(value) == {"norskVirksomhet"}:
            inner = value["norskVirksomhet"]
            if not isinstance(inner, dict) or not is_valid_orgnr(str(inner.get("organisasjonsnummer"))):
                raise InvalidImport(f"{where}: invalid norskVirksomhet")
            return {"norskVirksomhet": {"organisasjonsnummer": inner["organisasjonsnummer"]}}
        if isinstance(value, dict) and set(value) == {"utenlandskVirksomhet"}:
            inner = value["utenlandskVirksomhet"]
            if not isinstance(inner, dict):
                raise InvalidImport(f"{where}: invalid utenlandskVirksomhet")
            inner = _ordered(inner, ("registreringsnummerIHjemlandet", "navn", "adresse"), where)
            for key in ("registreringsnummerIHjemlandet", "navn"):
                self.string(inner.get(key), f"{where}.{key}", max_length=300)
            address = inner.get("adresse")
            if not isinstance(address, dict):
                raise InvalidImport(f"{where}.adresse: must be an object")
            address = _ordered(address, ("friAdressetekst", "land"), f"{where}.adresse")
            self.string(address.get("friAdressetekst"), f"{where}.adresse.friAdressetekst", max_length=300)
            address["land"] = self.country(address.get("land"), f"{where}.adresse.land")
            inner["adresse"] = address
            return {"utenlandskVirksomhet": inner}
        raise InvalidImport(f"{where}: norskVirksomhet or utenlandskVirksomhet")

    def owner(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InvalidImport(f"{where}: must be an object")
        owner = _ordered(value, EIER_KEYS, where)
        kinds = [key for key in ("folkeregistrertPerson", "utenlandskPerson") if key in owner]
        if len(kinds) != 1:
            raise InvalidImport(f"{where}: exactly one of folkeregistrertPerson and utenlandskPerson")
        owner[kinds[0]] = self.person(
            owner[kinds[0]], f"{where}.{kinds[0]}", foreign=kinds[0] == "utenlandskPerson"
        )
        if not isinstance(owner.get("erUnntattFraInnsyn"), bool):
            raise InvalidImport(f"{where}.erUnntattFraInnsyn: must be a boolean")
        self.timestamp(owner.get("foerstRegistrert"), f"{where}.foerstRegistrert")
        self.timestamp(owner.get("endret"), f"{where}.endret")
        positions = owner.get("posisjoner")
        if not isinstance(positions, list) or not positions:
            raise InvalidImport(f"{where}.posisjoner: at least one position")
        owner["posisjoner"] = [
            self.position(item, f"{where}.posisjoner[{i}]") for i, item in enumerate(positions)
        ]
        return owner

    def registration(self, value: object, where: str) -> tuple[dict[str, Any], bool]:
        if not isinstance(value, dict):
            raise InvalidImport(f"{where}: must be an object")
        current = value.get("erGjeldendeRegistrering")
        if current is not None and not isinstance(current, bool):
            raise InvalidImport(f"{where}.erGjeldendeRegistrering: must be a boolean")
        document = _ordered(
            {key: item for key, item in value.items() if key != "erGjeldendeRegistrering"},
            REGISTRERING_KEYS,
            where,
        )
        try:
            document["registreringsid"] = str(uuid.UUID(str(document.get("registreringsid"))))
        except ValueError:
            raise InvalidImport(f"{where}.registreringsid: must be a UUID") from None
        status = self.code(
            document.get("registreringsstatus"), "registreringsstatus.", f"{where}.registreringsstatus"
        )
        self.timestamp(document.get("registrert"), f"{where}.registrert")
        owners = document.get("reelleRettighetshavere", [])
        if not isinstance(owners, list):
            raise InvalidImport(f"{where}.reelleRettighetshavere: must be an array")
        if status != STATUS_REGISTERED and (owners or "reelleRettighetshaverestatus" in document):
            raise InvalidImport(f"{where}: only a reported registration has a status and owners")
        if "reelleRettighetshaverestatus" in document:
            self.code(
                document["reelleRettighetshaverestatus"],
                "reellerettighetshaverestatus.",
                f"{where}.reelleRettighetshaverestatus",
            )
        if "regulertMarked" in document:
            document["regulertMarked"] = self.market(document["regulertMarked"], f"{where}.regulertMarked")
        if "utenlandskRegister" in document:
            document["utenlandskRegister"] = self.register(
                document["utenlandskRegister"], f"{where}.utenlandskRegister"
            )
        document["reelleRettighetshavere"] = [
            self.owner(item, f"{where}.reelleRettighetshavere[{i}]") for i, item in enumerate(owners)
        ]
        return document, bool(current)

    def market(self, value: object, where: str) -> dict[str, Any]:
        if self.form not in MAY_REPORT_MARKET or not isinstance(value, dict):
            raise InvalidImport(f"{where}: only ASA, SE and SPA report a regulated market")
        market = _ordered(value, MARKED_KEYS, where)
        market["markedstype"] = self.code(market.get("markedstype"), "markedstype.", f"{where}.markedstype")
        market["navn"] = self.lists.code(market["markedstype"], "nob")["kodenavn"]
        market["land"] = self.country(market.get("land", "NOR"), f"{where}.land")
        market["internettadresse"] = self.string(market.get("internettadresse"), f"{where}.internettadresse")
        return market

    def register(self, value: object, where: str) -> dict[str, Any]:
        if self.form not in MAY_REPORT_FOREIGN_REGISTER or not isinstance(value, dict):
            raise InvalidImport(f"{where}: only NUF reports a foreign register")
        register = _ordered(value, REGISTER_KEYS, where)
        register["registertype"] = self.code(
            register.get("registertype"), "registertype.", f"{where}.registertype"
        )
        register["land"] = self.country(register.get("land"), f"{where}.land")
        register["internettadresse"] = self.string(
            register.get("internettadresse"), f"{where}.internettadresse"
        )
        return register


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def import_virksomhet(connection: Connection, value: object, where: str = "line 1") -> int:
    """Validate one `Virksomhet` and replace the entity's registrations; returns the number stored."""
    if not isinstance(value, dict):
        raise InvalidImport(f"{where}: must be a JSON object")
    virksomhet = _ordered(value, VIRKSOMHET_KEYS, where)
    orgnr = virksomhet.get("organisasjonsnummer")
    if not isinstance(orgnr, str) or not is_valid_orgnr(orgnr):
        raise InvalidImport(f"{where}.organisasjonsnummer: not a valid organisation number")
    row = connection.execute(
        select(entities.c.organisation_form, entities.c.registered_in_business_register).where(
            entities.c.orgnr == orgnr
        )
    ).first()
    if row is None or not is_registrable(row.organisation_form, bool(row.registered_in_business_register)):
        raise InvalidImport(f"{where}: {orgnr} is not a registrable entity in the entity register")
    checker = _Checker(code_lists(), row.organisation_form)
    first = _moment(
        checker.timestamp(virksomhet.get("foerstRegistrertIRegisterOverReelleRettighetshavere"), where)
    )
    deleted_text = virksomhet.get("slettetIRegisterOverReelleRettighetshavere")
    deleted = None if deleted_text is None else _moment(checker.timestamp(deleted_text, where))
    registrations = virksomhet.get("registreringer")
    if not isinstance(registrations, list) or not registrations:
        raise InvalidImport(f"{where}.registreringer: at least one registration")
    checked = [
        checker.registration(item, f"{where}.registreringer[{i}]") for i, item in enumerate(registrations)
    ]
    flagged = [index for index, (_, current) in enumerate(checked) if current]
    if len(flagged) > 1:
        raise InvalidImport(f"{where}: exactly one registration may have erGjeldendeRegistrering true")
    current_index = (
        flagged[0] if flagged else max(range(len(checked)), key=lambda i: checked[i][0]["registrert"])
    )
    ids = [document["registreringsid"] for document, _ in checked]
    if len(set(ids)) != len(ids):
        raise InvalidImport(f"{where}: duplicate registreringsid")
    ordered = sorted(range(len(checked)), key=lambda index: checked[index][0]["registrert"])
    connection.execute(delete(rrh_registrations).where(rrh_registrations.c.orgnr == orgnr))
    connection.execute(delete(rrh_entities).where(rrh_entities.c.orgnr == orgnr))
    connection.execute(
        insert(rrh_entities).values(orgnr=orgnr, first_registered_at=first, deleted_at=deleted)
    )
    connection.execute(
        insert(rrh_registrations),
        [
            {
                "registration_id": checked[index][0]["registreringsid"],
                "orgnr": orgnr,
                "version": version,
                "registered_at": _moment(checked[index][0]["registrert"]),
                "is_current": index == current_index,
                "document": canonical(checked[index][0]),
            }
            for version, index in enumerate(ordered, start=1)
        ],
    )
    return len(checked)


def import_lines(connection: Connection, lines: Iterable[str]) -> ImportReport:
    """Every line in the caller's transaction: one bad line rejects the whole file."""
    count = registrations = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise InvalidImport(f"line {number}: not valid JSON") from None
        registrations += import_virksomhet(connection, value, f"line {number}")
        count += 1
    return ImportReport(entities=count, registrations=registrations)
