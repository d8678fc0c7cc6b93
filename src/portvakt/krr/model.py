"""The register model (krr.md §3), the Person wire format (§4), the 18-month rule and timestamps (§5).

Pure: no web framework, no SQL. The renderers build the §4 objects as dicts in exactly the key order of
the spec; the route serialises them with orjson.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from portvakt.domain.errors import ValidationError

OSLO: Final = ZoneInfo("Europe/Oslo")
AKTIV: Final = "AKTIV"
SLETTET: Final = "SLETTET"
IKKE_REGISTRERT: Final = "IKKE_REGISTRERT"
JA: Final = "JA"
NEI: Final = "NEI"
KAN_VARSLES: Final = "KAN_VARSLES"
KAN_IKKE_VARSLES: Final = "KAN_IKKE_VARSLES"
LANGUAGES: Final = ("nb", "nn", "en", "se")
FRESHNESS_MONTHS: Final = 18

# -- scopes → field groups (§2.3) ----------------------------------------------------------------------

KONTAKT_SCOPES: Final = frozenset(
    {
        "krr:global/kontaktinformasjon.read",
        "krr:global/kontaktinfo.read",
        "krr:user/kontaktinformasjon.read",
    }
)
POST_SCOPES: Final = frozenset(
    {"krr:global/digitalpost.read", "krr:global/postkasse.read", "krr:user/digitalpost.read"}
)
PERSONER_SCOPES: Final = frozenset(
    {
        "krr:global/kontaktinformasjon.read",
        "krr:global/digitalpost.read",
        "krr:global/kontaktinfo.read",
        "krr:global/postkasse.read",
    }
)
FEED_SCOPE: Final = "krr:global/hentendring.read"
USER_READ_SCOPES: Final = frozenset({"krr:user/kontaktinformasjon.read", "krr:user/digitalpost.read"})
SPRAAK_WRITE_SCOPE: Final = "krr:user/spraak.write"


@dataclass(frozen=True, slots=True)
class FieldGroups:
    """BASE is always granted; KONTAKT and POST by scope (§2.3)."""

    kontakt: bool
    post: bool

    @classmethod
    def of(cls, scopes: frozenset[str]) -> FieldGroups:
        return cls(kontakt=not scopes.isdisjoint(KONTAKT_SCOPES), post=not scopes.isdisjoint(POST_SCOPES))


# -- timestamps (§5.2) ---------------------------------------------------------------------------------

_INPUT_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$"
)


def utc(moment: datetime) -> datetime:
    """Stored values are UTC; SQLite hands them back naive."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_SHIFT: Final = {hours: timedelta(hours=hours) for hours in range(-12, 15)}
_SUFFIX: Final = {hours: f"+{hours:02d}" if hours >= 0 else f"-{-hours:02d}" for hours in _SHIFT}
_MINUTE_SECOND: Final = tuple(f":{minute:02d}:{second:02d}" for minute in range(60) for second in range(60))
_HOUR_TEXT: dict[int, tuple[str, str]] = {}


def naive_utc(moment: datetime) -> datetime:
    """UTC without tzinfo: the hot path's representation (SQLite hands stored values back like this)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _hour_text(moment: datetime, key: int) -> tuple[str, str]:
    """`yyyy-MM-dd'T'HH` in Europe/Oslo and the offset suffix for the UTC hour of a naive UTC moment;
    Europe/Oslo's transitions fall on whole UTC hours, so both hold for the whole hour."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    offset = hour.replace(tzinfo=UTC).astimezone(OSLO).utcoffset()
    hours = int(offset.total_seconds()) // 3600 if offset is not None else 0
    text = ((hour + _SHIFT[hours]).isoformat(timespec="seconds")[:13], _SUFFIX[hours])
    _HOUR_TEXT[key] = text
    return text


def format_timestamp(moment: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss±HH` in Europe/Oslo (whole-hour offsets, so lossless to the second)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    key = moment.toordinal() * 24 + moment.hour
    head, suffix = _HOUR_TEXT.get(key) or _hour_text(moment, key)
    return head + _MINUTE_SECOND[moment.minute * 60 + moment.second] + suffix


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 with optional fraction and offset `Z`, `±HH`, `±HHMM` or `±HH:MM`; no offset → error."""
    match = _INPUT_TIMESTAMP.match(text)
    if match is None:
        raise ValidationError(f"Invalid timestamp {text!r}: ISO 8601 with an offset expected")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone == "Z":
        offset = timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        offset = timedelta(minutes=minutes if zone[0] == "+" else -minutes)
    try:
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError as exc:
        raise ValidationError(f"Invalid timestamp {text!r}: {exc}") from None
    return (naive - offset).replace(tzinfo=UTC)


# -- the 18-month rule (§5.1) --------------------------------------------------------------------------


def cutoff(now: datetime) -> datetime:
    """Now in Europe/Oslo minus 18 calendar months, the day clamped to the month's end, same local time."""
    local = utc(now).astimezone(OSLO)
    months = local.year * 12 + (local.month - 1) - FRESHNESS_MONTHS
    year, month = divmod(months, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day, tzinfo=OSLO).astimezone(UTC)


# -- the register record (§3) --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One `krr_person` row; timestamps are aware UTC datetimes (or None)."""

    personidentifikator: str
    status: str
    reservasjon: str
    reservasjonstidspunkt: datetime | None = None
    reservasjon_oppdatert: datetime | None = None
    epostadresse: str | None = None
    epostadresse_oppdatert: datetime | None = None
    epostadresse_sist_verifisert: datetime | None = None
    mobiltelefonnummer: str | None = None
    mobiltelefonnummer_oppdatert: datetime | None = None
    mobiltelefonnummer_sist_verifisert: datetime | None = None
    spraak: str | None = None
    spraak_oppdatert: datetime | None = None
    postkasseadresse: str | None = None
    postkasseleverandoeradresse: str | None = None
    sertifikat_id: int | None = None

    def changed(self, **values: Any) -> PersonRecord:
        return replace(self, **values)

    def as_row(self) -> dict[str, Any]:
        """Column values with aware UTC timestamps (a naive value would be read in the session's zone)."""
        return {
            name: utc(value) if isinstance(value := getattr(self, name), datetime) else value
            for name in RECORD_FIELDS
        }

    def snapshot(self, *, epost_duplisert: bool, mobil_duplisert: bool) -> dict[str, Any]:
        """The feed snapshot (§8): the row with ISO UTC timestamps, plus the two duplicate flags."""
        document: dict[str, Any] = {}
        for name in RECORD_FIELDS:
            value = getattr(self, name)
            document[name] = utc(value).isoformat() if isinstance(value, datetime) else value
        document["epostadresse_duplisert"] = epost_duplisert
        document["mobiltelefonnummer_duplisert"] = mobil_duplisert
        return document

    @classmethod
    def from_snapshot(cls, document: Mapping[str, Any]) -> tuple[PersonRecord, bool, bool]:
        values: dict[str, Any] = {}
        for name in RECORD_FIELDS:
            value = document.get(name)
            if name in TIMESTAMP_FIELDS and value is not None:
                value = datetime.fromisoformat(value)
            values[name] = value
        return (
            cls(**values),
            bool(document.get("epostadresse_duplisert")),
            bool(document.get("mobiltelefonnummer_duplisert")),
        )

    @classmethod
    def from_row(cls, row: Any) -> PersonRecord:
        """From a `krr_person` row (column order of RECORD_FIELDS); timestamps kept as naive UTC."""
        values = list(row[: len(RECORD_FIELDS)])
        for index in TIMESTAMP_INDEXES:
            value = values[index]
            if value is not None and value.tzinfo is not None:
                values[index] = value.astimezone(UTC).replace(tzinfo=None)
        return cls(*values)


RECORD_FIELDS: Final = tuple(f.name for f in fields(PersonRecord))
TIMESTAMP_FIELDS: Final = frozenset(
    {
        "reservasjonstidspunkt",
        "reservasjon_oppdatert",
        "epostadresse_oppdatert",
        "epostadresse_sist_verifisert",
        "mobiltelefonnummer_oppdatert",
        "mobiltelefonnummer_sist_verifisert",
        "spraak_oppdatert",
    }
)


TIMESTAMP_INDEXES: Final = tuple(i for i, name in enumerate(RECORD_FIELDS) if name in TIMESTAMP_FIELDS)


# -- validation of the invariants (§3) -----------------------------------------------------------------

_MOBILE = re.compile(r"^\+?[- _0-9]+$")


def normalise_mobile(value: str) -> str:
    """`^\\+?[- _0-9]+$`, 8–20 characters; Norwegian numbers → `+47` + 8 digits starting with 4 or 9."""
    if not 8 <= len(value) <= 20 or not _MOBILE.match(value):
        raise ValidationError("mobiltelefonnummer: must match ^\\+?[- _0-9]+$ with 8 to 20 characters")
    digits = re.sub(r"[- _]", "", value)
    national = None
    if digits.startswith("+47"):
        national = digits[3:]
    elif digits.startswith("0047"):
        national = digits[4:]
    elif not digits.startswith("+") and len(digits) == 8:
        national = digits
    if national is None:
        if len(digits.lstrip("+")) < 8:
            raise ValidationError("mobiltelefonnummer: too few digits")
        return digits
    if len(national) != 8 or national[0] not in "49":
        raise ValidationError(
            "mobiltelefonnummer: a Norwegian mobile number has 8 digits starting with 4 or 9"
        )
    return "+47" + national


def validate_email(value: str) -> str:
    if not 3 <= len(value) <= 254 or value.count("@") != 1:
        raise ValidationError("epostadresse: must have 3 to 254 characters and exactly one @")
    local, domain = value.split("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith(".") or " " in value:
        raise ValidationError("epostadresse: needs a local part and a domain with a dot")
    return value


def check_invariants(record: PersonRecord) -> None:  # one branch per §3 rule
    """Every rule of §3; raises ValidationError with the first violated rule."""
    r = record
    if len(r.personidentifikator) != 11 or not r.personidentifikator.isdigit():
        raise ValidationError("personidentifikator: must be 11 digits")
    if r.status not in (AKTIV, SLETTET):
        raise ValidationError("status: must be AKTIV or SLETTET")
    if r.reservasjon not in (JA, NEI):
        raise ValidationError("reservasjon: must be JA or NEI")
    if (r.reservasjon == JA) != (r.reservasjonstidspunkt is not None):
        raise ValidationError("reservasjonstidspunkt: set exactly when reservasjon is JA")
    if r.status == SLETTET and any(
        getattr(r, name) is not None
        for name in (
            "epostadresse",
            "mobiltelefonnummer",
            "spraak",
            "postkasseadresse",
            "postkasseleverandoeradresse",
            "sertifikat_id",
        )
    ):
        raise ValidationError("status SLETTET: contact, language, postbox and certificate must be empty")
    for channel in ("epostadresse", "mobiltelefonnummer"):
        value = getattr(r, channel)
        updated = getattr(r, f"{channel}_oppdatert")
        verified = getattr(r, f"{channel}_sist_verifisert")
        if value is None:
            if updated is not None or verified is not None:
                raise ValidationError(f"{channel}: dates without a value")
            continue
        if updated is None or verified is None:
            raise ValidationError(f"{channel}: _oppdatert and _sist_verifisert must be set")
        if naive_utc(verified) < naive_utc(updated):
            raise ValidationError(f"{channel}: _sist_verifisert must not be before _oppdatert")
    if r.epostadresse is not None:
        validate_email(r.epostadresse)
    if r.mobiltelefonnummer is not None and normalise_mobile(r.mobiltelefonnummer) != r.mobiltelefonnummer:
        raise ValidationError("mobiltelefonnummer: must be stored normalised")
    if (r.postkasseadresse is None) != (r.postkasseleverandoeradresse is None):
        raise ValidationError("postkasse: address and provider must both be set or both be empty")
    if r.sertifikat_id is not None and r.postkasseadresse is None:
        raise ValidationError("sertifikat: only with a postbox")
    if r.postkasseleverandoeradresse is not None and (
        len(r.postkasseleverandoeradresse) != 9 or not r.postkasseleverandoeradresse.isdigit()
    ):
        raise ValidationError("postkasseleverandoeradresse: must be a 9-digit organisation number")
    if r.spraak is not None and r.spraak not in LANGUAGES:
        raise ValidationError("spraak: must be one of nb, nn, en, se")
    if (r.spraak is None) != (r.spraak_oppdatert is None):
        raise ValidationError("spraak_oppdatert: set exactly when spraak is set")


# -- rendering (§4) ------------------------------------------------------------------------------------


def _fresh(value: str | None, updated: datetime | None, verified: datetime | None, limit: datetime) -> bool:
    """`limit` is naive UTC; so are stored values (aware ones are normalised)."""
    if value is None:
        return False
    for moment in (verified, updated):
        if moment is not None and (
            moment > limit if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None) > limit
        ):
            return True
    return False


def varslingsstatus(record: PersonRecord | None, limit: datetime) -> str:
    """§5.1: KAN_VARSLES iff AKTIV, not reserved and a fresh channel (strictly after the cutoff)."""
    if record is None or record.status != AKTIV or record.reservasjon != NEI:
        return KAN_IKKE_VARSLES
    if limit.tzinfo is not None:
        limit = limit.astimezone(UTC).replace(tzinfo=None)
    fresh = _fresh(
        record.epostadresse, record.epostadresse_oppdatert, record.epostadresse_sist_verifisert, limit
    ) or _fresh(
        record.mobiltelefonnummer,
        record.mobiltelefonnummer_oppdatert,
        record.mobiltelefonnummer_sist_verifisert,
        limit,
    )
    return KAN_VARSLES if fresh else KAN_IKKE_VARSLES


def unregistered(personidentifikator: str, groups: FieldGroups) -> dict[str, Any]:
    person: dict[str, Any] = {"personidentifikator": personidentifikator, "status": IKKE_REGISTRERT}
    if groups.kontakt:
        person["varslingsstatus"] = KAN_IKKE_VARSLES
    return person


@dataclass(frozen=True, slots=True)
class Duplicates:
    """The change feed's `*_duplisert` flags (§8); absent outside the feed."""

    epost: bool
    mobil: bool


def render(  # one branch per §4 key
    record: PersonRecord,
    groups: FieldGroups,
    limit: datetime,
    certificates: Mapping[int, str],
    *,
    duplicates: Duplicates | None = None,
    with_spraak: bool = False,
) -> dict[str, Any]:
    """The §4 Person object, keys in spec order, absent keys omitted. `with_spraak`: PATCH (§7.2)."""
    person: dict[str, Any] = {"personidentifikator": record.personidentifikator}
    person["reservasjon"] = record.reservasjon
    if record.reservasjon == JA and record.reservasjonstidspunkt is not None:
        person["reservasjonstidspunkt"] = format_timestamp(record.reservasjonstidspunkt)
    if record.reservasjon_oppdatert is not None:
        person["reservasjon_oppdatert"] = format_timestamp(record.reservasjon_oppdatert)
    person["status"] = record.status
    active = record.status == AKTIV
    if groups.kontakt:
        person["varslingsstatus"] = varslingsstatus(record, limit)
        if active and (record.epostadresse is not None or record.mobiltelefonnummer is not None):
            contact: dict[str, Any] = {}
            if record.epostadresse is not None:
                contact["epostadresse"] = record.epostadresse
                if record.epostadresse_oppdatert is not None:
                    contact["epostadresse_oppdatert"] = format_timestamp(record.epostadresse_oppdatert)
                if record.epostadresse_sist_verifisert is not None:
                    contact["epostadresse_sist_verifisert"] = format_timestamp(
                        record.epostadresse_sist_verifisert
                    )
                if duplicates is not None:
                    contact["epostadresse_duplisert"] = JA if duplicates.epost else NEI
            if record.mobiltelefonnummer is not None:
                contact["mobiltelefonnummer"] = record.mobiltelefonnummer
                if record.mobiltelefonnummer_oppdatert is not None:
                    contact["mobiltelefonnummer_oppdatert"] = format_timestamp(
                        record.mobiltelefonnummer_oppdatert
                    )
                if record.mobiltelefonnummer_sist_verifisert is not None:
                    contact["mobiltelefonnummer_sist_verifisert"] = format_timestamp(
                        record.mobiltelefonnummer_sist_verifisert
                    )
                if duplicates is not None:
                    contact["mobiltelefonnummer_duplisert"] = JA if duplicates.mobil else NEI
            person["kontaktinformasjon"] = contact
    if groups.post and active:
        if record.postkasseadresse is not None and record.postkasseleverandoeradresse is not None:
            person["digital_post"] = {
                "postkasseadresse": record.postkasseadresse,
                "postkasseleverandoeradresse": record.postkasseleverandoeradresse,
            }
        if record.sertifikat_id is not None and record.sertifikat_id in certificates:
            person["sertifikat"] = certificates[record.sertifikat_id]
    if (groups.kontakt or with_spraak) and active and record.spraak is not None:
        person["spraak"] = record.spraak
        if record.spraak_oppdatert is not None:
            person["spraak_oppdatert"] = format_timestamp(record.spraak_oppdatert)
    return person
