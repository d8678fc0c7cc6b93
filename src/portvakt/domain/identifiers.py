"""National identity numbers and organisation numbers (identifiers-and-testdata.md §1–§3, idporten.md §11).

Pure rules: no I/O. A national identity number is personal data, so no error message here ever contains one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from portvakt.domain.errors import ValidationError

__all__ = [
    "Fnr",
    "Gender",
    "InvalidNationalId",
    "InvalidOrgnr",
    "NationalId",
    "NationalIdFailure",
    "NationalIdKind",
    "Orgnr",
    "OrgnrFailure",
    "SyntheticClass",
    "has_valid_national_id_format",
    "individual_number_ranges",
    "is_valid_national_id",
    "is_valid_orgnr",
    "iso6523",
    "make_national_id",
    "national_id_check_digits",
    "orgno_from_iso6523",
    "orgnr_check_digit",
    "parse_national_id",
    "parse_orgnr",
]

NationalIdKind = Literal["fnr", "dnr"]
SyntheticClass = Literal["tenor", "plus40"]
Gender = Literal["male", "female"]
NationalIdFailure = Literal[
    "format",
    "fh_number",
    "month",
    "date",
    "century",
    "check_digit_1",
    "check_digit_2",
    "synthetic_in_prod",
]
OrgnrFailure = Literal["format", "check_digit"]

_ENVIRONMENTS: Final = ("test", "prod")
_W1: Final = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORGNR_WEIGHTS: Final = (3, 2, 7, 6, 5, 4, 3, 2)
# K1 remainders accepted since the 2032 rule; generation only ever produces 0.
_K1_REMAINDERS: Final = frozenset({0, 1, 2, 3})

_RANGE_1800: Final = (range(500, 750),)
_RANGE_1900: Final = (range(0, 500),)
_RANGE_1940: Final = (range(0, 500), range(900, 1000))
_RANGE_2000: Final = (range(500, 1000),)

ISO6523_AUTHORITY: Final = "iso6523-actorid-upis"
ISO6523_NORWAY_PREFIX: Final = "0192:"


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


# --------------------------------------------------------------------------------------------------
# National identity numbers (fødselsnummer, D-nummer)


class InvalidNationalId(ValidationError):
    """A national identity number that breaks a rule of identifiers-and-testdata.md §1–§2."""

    def __init__(self, reason: NationalIdFailure) -> None:
        super().__init__(f"Invalid national identity number ({reason})")
        self.reason: NationalIdFailure = reason


@dataclass(frozen=True, slots=True)
class NationalId:
    """A fully validated fødselsnummer or D-nummer."""

    value: str
    kind: NationalIdKind
    synthetic: SyntheticClass | None
    birth_date: date
    gender: Gender | None  # None for numbers issued under the 2032 rule (K1 remainder 1–3)
    k1_remainder: int

    def __repr__(self) -> str:
        # The number is personal data: keep it out of reprs that end up in logs and tracebacks.
        return (
            f"NationalId(kind={self.kind!r}, synthetic={self.synthetic!r}, "
            f"k1_remainder={self.k1_remainder!r}, value=<redacted>)"
        )


Fnr = NationalId


def has_valid_national_id_format(value: str) -> bool:
    """The "format" level of §2: exactly 11 ASCII digits, nothing else checked."""
    return len(value) == 11 and _is_ascii_digits(value)


def _century(individual: int, yy: int) -> int | None:
    if individual < 500:
        return 1900
    if individual < 750 and yy >= 54:
        return 1800
    if yy < 40:
        return 2000
    if individual >= 900:
        return 1900
    return None


def _check_env(env: str) -> bool:
    if env not in _ENVIRONMENTS:
        raise ValueError(f"unknown environment {env!r}: expected 'test' or 'prod'")
    return env == "prod"


def parse_national_id(value: str, *, env: str) -> NationalId:
    """Full validation plus the environment rule (§2); InvalidNationalId names the first failing rule."""
    prod = _check_env(env)
    if not has_valid_national_id_format(value):
        raise InvalidNationalId("format")
    d = [ord(c) - 48 for c in value]

    if d[0] >= 8:
        raise InvalidNationalId("fh_number")
    kind: NationalIdKind = "dnr" if d[0] >= 4 else "fnr"

    month_class = d[2]
    synthetic: SyntheticClass | None
    if month_class <= 1:
        synthetic, month_shift = None, 0
    elif month_class in (4, 5):
        synthetic, month_shift = "plus40", 40
    elif month_class >= 8:
        synthetic, month_shift = "tenor", 80
    else:
        raise InvalidNationalId("month")

    yy = d[4] * 10 + d[5]
    century = _century(d[6] * 100 + d[7] * 10 + d[8], yy)
    if century is None:
        raise InvalidNationalId("century")

    day = d[0] * 10 + d[1] - (40 if kind == "dnr" else 0)
    month = d[2] * 10 + d[3] - month_shift
    try:
        birth_date = date(century + yy, month, day)
    except ValueError:
        raise InvalidNationalId("date") from None

    k1_remainder = (sum(w * x for w, x in zip(_W1, d, strict=False)) + d[9]) % 11
    if k1_remainder not in _K1_REMAINDERS:
        raise InvalidNationalId("check_digit_1")

    k2 = (11 - sum(w * x for w, x in zip(_W2, d, strict=False)) % 11) % 11
    if k2 != d[10]:
        # k2 == 10 never equals a digit, so "10 → invalid" is covered here too.
        raise InvalidNationalId("check_digit_2")

    if prod and synthetic is not None:
        raise InvalidNationalId("synthetic_in_prod")

    gender: Gender | None = None
    if k1_remainder == 0:
        gender = "male" if d[8] % 2 else "female"
    return NationalId(
        value=value,
        kind=kind,
        synthetic=synthetic,
        birth_date=birth_date,
        gender=gender,
        k1_remainder=k1_remainder,
    )


def is_valid_national_id(value: str, *, env: str) -> bool:
    """True when parse_national_id would accept the number in this environment."""
    try:
        parse_national_id(value, env=env)
    except InvalidNationalId:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Generation helpers (test data, TestID): classic numbers only, plain integer arithmetic.


def national_id_check_digits(first9: str) -> tuple[int, int] | None:
    """Classic K1 (remainder 0) and K2 for the first nine digits; None when either would be 10."""
    if len(first9) != 9 or not _is_ascii_digits(first9):
        raise ValueError("expected nine ASCII digits")
    return _check_digits(tuple(ord(c) - 48 for c in first9))


def _check_digits(d: tuple[int, ...]) -> tuple[int, int] | None:
    k1 = (
        11
        - (3 * d[0] + 7 * d[1] + 6 * d[2] + d[3] + 8 * d[4] + 9 * d[5] + 4 * d[6] + 5 * d[7] + 2 * d[8]) % 11
    ) % 11
    if k1 == 10:
        return None
    s2 = (
        5 * d[0]
        + 4 * d[1]
        + 3 * d[2]
        + 2 * d[3]
        + 7 * d[4]
        + 6 * d[5]
        + 5 * d[6]
        + 4 * d[7]
        + 3 * d[8]
        + 2 * k1
    )
    k2 = (11 - s2 % 11) % 11
    if k2 == 10:
        return None
    return k1, k2


def individual_number_ranges(year: int) -> tuple[range, ...]:
    """The individual numbers (III) that encode this birth year's century (§1); empty outside 1854–2039."""
    if 1854 <= year <= 1899:
        return _RANGE_1800
    if 1900 <= year <= 1939:
        return _RANGE_1900
    if 1940 <= year <= 1999:
        return _RANGE_1940
    if 2000 <= year <= 2039:
        return _RANGE_2000
    return ()


def _fits_century(year: int, individual: int) -> bool:
    if 1900 <= year <= 1999:
        return 0 <= individual < 500 or (year >= 1940 and 900 <= individual < 1000)
    if 2000 <= year <= 2039:
        return 500 <= individual < 1000
    return 1854 <= year <= 1899 and 500 <= individual < 750


def make_national_id(
    birth_date: date,
    individual: int,
    *,
    dnumber: bool = False,
    synthetic: SyntheticClass | None = "tenor",
) -> str | None:
    """A classic number (K1 remainder 0) for this date and individual number, or None if it cannot exist."""
    year = birth_date.year
    if not _fits_century(year, individual):
        return None
    day = birth_date.day + 40 if dnumber else birth_date.day
    month = birth_date.month
    if synthetic == "tenor":
        month += 80
    elif synthetic == "plus40":
        month += 40
    yy = year % 100
    i1, rest = divmod(individual, 100)
    i2, i3 = divmod(rest, 10)
    checks = _check_digits((day // 10, day % 10, month // 10, month % 10, yy // 10, yy % 10, i1, i2, i3))
    if checks is None:
        return None
    return f"{day:02d}{month:02d}{yy:02d}{individual:03d}{checks[0]}{checks[1]}"


# --------------------------------------------------------------------------------------------------
# Organisation numbers (organisasjonsnummer)


class InvalidOrgnr(ValidationError):
    """An organisation number that breaks a rule of identifiers-and-testdata.md §3."""

    def __init__(self, reason: OrgnrFailure) -> None:
        super().__init__(f"Invalid organisation number ({reason})")
        self.reason: OrgnrFailure = reason


def orgnr_check_digit(base8: str) -> int | None:
    """The check digit for eight base digits; None when it would be 10 (no such number exists)."""
    if len(base8) != 8 or not _is_ascii_digits(base8):
        raise ValueError("expected eight ASCII digits")
    total = sum(w * (ord(c) - 48) for w, c in zip(_ORGNR_WEIGHTS, base8, strict=True))
    k = (11 - total % 11) % 11
    return None if k == 10 else k


class Orgnr(str):
    """Organisasjonsnummer: nine ASCII digits with a valid check digit. Serialises as the plain string."""

    __slots__ = ()

    def __new__(cls, value: str) -> Orgnr:
        if isinstance(value, Orgnr):
            return value
        if len(value) != 9 or not _is_ascii_digits(value):
            raise InvalidOrgnr("format")
        if orgnr_check_digit(value[:8]) != ord(value[8]) - 48:
            raise InvalidOrgnr("check_digit")
        return super().__new__(cls, value)


def parse_orgnr(value: str) -> Orgnr:
    """Validate an organisation number (§3); raises InvalidOrgnr with `format` or `check_digit`."""
    return Orgnr(value)


def is_valid_orgnr(value: str) -> bool:
    try:
        Orgnr(value)
    except InvalidOrgnr:
        return False
    return True


def iso6523(orgno: str) -> dict[str, str]:
    """The ISO 6523 object of `consumer`/`supplier` claims (maskinporten.md); formats, does not validate."""
    return {"authority": ISO6523_AUTHORITY, "ID": ISO6523_NORWAY_PREFIX + str(orgno)}


def orgno_from_iso6523(obj: object) -> str | None:
    """The organisation number inside an exact, well-formed ISO 6523 object with a valid number, else None."""
    if not isinstance(obj, dict) or obj.keys() != {"authority", "ID"}:
        return None
    ident = obj["ID"]
    if obj["authority"] != ISO6523_AUTHORITY or not isinstance(ident, str):
        return None
    if not ident.startswith(ISO6523_NORWAY_PREFIX):
        return None
    try:
        return Orgnr(ident[len(ISO6523_NORWAY_PREFIX) :])
    except InvalidOrgnr:
        return None
