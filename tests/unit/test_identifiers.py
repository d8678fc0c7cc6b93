"""National identity and organisation numbers: rule tables (identifiers-and-testdata.md §1–§4, §11.1–2)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from portvakt.domain.errors import ValidationError
from portvakt.domain.identifiers import (
    Fnr,
    InvalidNationalId,
    InvalidOrgnr,
    NationalId,
    Orgnr,
    has_valid_national_id_format,
    individual_number_ranges,
    is_valid_national_id,
    is_valid_orgnr,
    iso6523,
    make_national_id,
    national_id_check_digits,
    orgno_from_iso6523,
    orgnr_check_digit,
    parse_national_id,
    parse_orgnr,
)
from portvakt.settings import Environment

# --------------------------------------------------------------------------------------------------
# §4 national identity number examples


@pytest.mark.parametrize(
    ("number", "kind", "synthetic", "birth_date", "gender", "k1_remainder"),
    [
        pytest.param("01019012480", "fnr", None, date(1990, 1, 1), "female", 0, id="fnr"),
        pytest.param("41019012393", "dnr", None, date(1990, 1, 1), "male", 0, id="dnumber"),
        pytest.param("01819012365", "fnr", "tenor", date(1990, 1, 1), "male", 0, id="tenor-month-81"),
        pytest.param("01819012373", "fnr", "tenor", date(1990, 1, 1), None, 1, id="2032-rule-remainder-1"),
        pytest.param("01019012316", "fnr", None, date(1990, 1, 1), None, 2, id="2032-rule-remainder-2"),
        pytest.param("01419012382", "fnr", "plus40", date(1990, 1, 1), "male", 0, id="plus40"),
        pytest.param("13527248013", "fnr", "plus40", date(1972, 12, 13), "female", 0, id="plus40-december"),
        pytest.param("20914695016", "fnr", "tenor", date(1946, 11, 20), "female", 0, id="tenor-1946"),
        pytest.param("10915596784", "fnr", "tenor", date(1955, 11, 10), "male", 0, id="tenor-1955"),
        pytest.param("44828830128", "dnr", "tenor", date(1988, 2, 4), "male", 0, id="dnumber-tenor"),
        pytest.param("68467038838", "dnr", "plus40", date(1970, 6, 28), "female", 0, id="dnumber-plus40"),
        pytest.param("23079421936", "fnr", None, date(1994, 7, 23), "male", 0, id="legacy-krr-test-user"),
        pytest.param("31129950016", "fnr", None, date(1899, 12, 31), "female", 0, id="19th-century"),
        pytest.param("01015460020", "fnr", None, date(1854, 1, 1), "female", 0, id="first-year-1854"),
        pytest.param("08054591242", "fnr", None, date(1945, 5, 8), "female", 0, id="1940s-individual-900"),
        pytest.param("29020051386", "fnr", None, date(2000, 2, 29), "male", 0, id="21st-century-leap-day"),
        pytest.param("31123999935", "fnr", None, date(2039, 12, 31), "male", 0, id="last-year-2039"),
        pytest.param("15851261165", "fnr", "tenor", date(2012, 5, 15), "male", 0, id="tenor-21st-century"),
    ],
)
def test_valid_national_ids_decode(
    number: str,
    kind: str,
    synthetic: str | None,
    birth_date: date,
    gender: str | None,
    k1_remainder: int,
) -> None:
    parsed = parse_national_id(number, env="test")
    assert parsed == NationalId(
        value=number,
        kind=kind,  # type: ignore[arg-type]
        synthetic=synthetic,  # type: ignore[arg-type]
        birth_date=birth_date,
        gender=gender,  # type: ignore[arg-type]
        k1_remainder=k1_remainder,
    )
    assert is_valid_national_id(number, env="test")
    assert has_valid_national_id_format(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        pytest.param("12345678910", "month", id="month-third-digit-3"),
        pytest.param("52345678910", "month", id="month-third-digit-3-dnumber"),
        pytest.param("01019012470", "check_digit_1", id="check_digit_1"),
        pytest.param("01019012481", "check_digit_2", id="check_digit_2"),
        pytest.param("81019012480", "fh_number", id="fh_number-8"),
        pytest.param("91019012480", "fh_number", id="fh_number-9"),
        pytest.param("01619012480", "month", id="month-third-digit-6"),
        pytest.param("01019075080", "century", id="century-individual-750-yy-90"),
        pytest.param("01019080080", "century", id="century-individual-800-yy-90"),
        pytest.param("29020010027", "date", id="date-29-feb-1900"),
        pytest.param("72019010091", "date", id="date-dnumber-day-32"),
        pytest.param("00019012480", "date", id="date-day-0"),
    ],
)
def test_invalid_national_ids(number: str, reason: str) -> None:
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id(number, env="test")
    assert caught.value.reason == reason
    assert str(caught.value) == f"Invalid national identity number ({reason})"
    assert not is_valid_national_id(number, env="test")


# --------------------------------------------------------------------------------------------------
# §11.1 validation order: each number breaks (at least) the two named rules; the earlier one is reported.


@pytest.mark.parametrize(
    ("number", "env", "reason"),
    [
        pytest.param("8101901248", "test", "format", id="format-before-fh_number"),
        pytest.param("81019012480", "test", "fh_number", id="fh_number-before-check_digit_2"),
        pytest.param("91019012480", "test", "fh_number", id="fh_number-before-check_digit_1"),
        pytest.param("81319012480", "test", "fh_number", id="fh_number-before-month"),
        pytest.param("81819012365", "prod", "fh_number", id="fh_number-before-synthetic_in_prod"),
        pytest.param("01719080080", "test", "month", id="month-before-century"),
        pytest.param("01319012480", "test", "month", id="month-before-check_digit_1"),
        pytest.param("32019080080", "test", "century", id="century-before-date"),
        pytest.param("01019080080", "test", "century", id="century-before-check_digit_1"),
        pytest.param("29029012480", "test", "date", id="date-before-check_digit_1"),
        pytest.param("30029012480", "test", "date", id="date-before-check_digit_2"),
        pytest.param("01019012470", "test", "check_digit_1", id="check_digit_1-before-check_digit_2"),
        pytest.param("01819012366", "prod", "check_digit_2", id="check_digit_2-before-synthetic_in_prod"),
    ],
)
def test_validation_order(number: str, env: str, reason: str) -> None:
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id(number, env=env)
    assert caught.value.reason == reason


# --------------------------------------------------------------------------------------------------
# §11.2 the environment rule


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("01819012365", id="tenor"),
        pytest.param("01419012382", id="plus40"),
        pytest.param("44828830128", id="dnumber-tenor"),
        pytest.param("68467038838", id="dnumber-plus40"),
        pytest.param("01819012373", id="tenor-2032-rule"),
    ],
)
def test_prod_refuses_synthetic_numbers(number: str) -> None:
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id(number, env="prod")
    assert caught.value.reason == "synthetic_in_prod"
    assert not is_valid_national_id(number, env=Environment.PROD)
    assert is_valid_national_id(number, env=Environment.TEST)


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("01019012480", id="fnr"),
        pytest.param("41019012393", id="dnumber"),
        pytest.param("01019012316", id="2032-rule"),
    ],
)
def test_prod_accepts_real_numbers(number: str) -> None:
    assert parse_national_id(number, env=Environment.PROD).synthetic is None
    assert is_valid_national_id(number, env="prod")


def test_unknown_environment_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown environment"):
        parse_national_id("01019012480", env="production")


# --------------------------------------------------------------------------------------------------
# Format level and bad inputs


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0101901248", id="ten-digits"),
        pytest.param("010190124800", id="twelve-digits"),
        pytest.param("0101901248A", id="letter"),
        pytest.param("010190 12480", id="inner-space"),
        pytest.param(" 01019012480", id="leading-space"),
        pytest.param("01019012480\n", id="trailing-newline"),
        pytest.param("010190-12480", id="dash"),
        pytest.param("+1019012480", id="sign"),
        pytest.param("٠١٠١٩٠١٢٤٨٠", id="arabic-indic-digits"),
        pytest.param("０１０１９０１２４８０", id="fullwidth-digits"),
        pytest.param("0101901248¹", id="superscript-digit"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_inputs_fail_format(value: str) -> None:
    assert not has_valid_national_id_format(value)
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id(value, env="test")
    assert caught.value.reason == "format"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("12345678910", id="bad-month"),
        pytest.param("81019012480", id="fh-number"),
        pytest.param("01019012481", id="bad-check-digit"),
        pytest.param("00000000000", id="zeros"),
    ],
)
def test_format_level_checks_only_eleven_ascii_digits(value: str) -> None:
    assert has_valid_national_id_format(value)


def test_errors_never_contain_the_number() -> None:
    number = "01019012481"
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id(number, env="test")
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.code == "invalid_request"
    assert error.status_code == 400
    for text in (str(error), repr(error), error.message, repr(error.args), str(error.detail)):
        assert number not in text


def test_repr_hides_the_number() -> None:
    parsed = parse_national_id("01019012480", env="test")
    assert "01019012480" not in repr(parsed)
    assert parsed.value == "01019012480"


def test_national_id_is_frozen_and_fnr_is_an_alias() -> None:
    parsed = parse_national_id("01019012480", env="test")
    assert Fnr is NationalId
    with pytest.raises(AttributeError):
        parsed.value = "41019012393"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------
# Generation helpers


@pytest.mark.parametrize(
    ("year", "ranges"),
    [
        pytest.param(1853, (), id="before-1854"),
        pytest.param(1854, (range(500, 750),), id="1854"),
        pytest.param(1899, (range(500, 750),), id="1899"),
        pytest.param(1900, (range(0, 500),), id="1900"),
        pytest.param(1939, (range(0, 500),), id="1939"),
        pytest.param(1940, (range(0, 500), range(900, 1000)), id="1940-adds-900s"),
        pytest.param(1999, (range(0, 500), range(900, 1000)), id="1999"),
        pytest.param(2000, (range(500, 1000),), id="2000"),
        pytest.param(2039, (range(500, 1000),), id="2039"),
        pytest.param(2040, (), id="after-2039"),
    ],
)
def test_individual_number_ranges(year: int, ranges: tuple[range, ...]) -> None:
    assert individual_number_ranges(year) == ranges


@pytest.mark.parametrize(
    ("birth_date", "individual", "dnumber", "synthetic", "expected"),
    [
        pytest.param(date(1990, 1, 1), 124, False, None, "01019012480", id="fnr"),
        pytest.param(date(1990, 1, 1), 123, False, None, None, id="k1-would-be-10"),
        pytest.param(date(1990, 1, 1), 123, True, None, "41019012393", id="dnumber"),
        pytest.param(date(1990, 1, 1), 123, False, "tenor", "01819012365", id="tenor"),
        pytest.param(date(1990, 1, 1), 123, False, "plus40", "01419012382", id="plus40"),
        pytest.param(date(1988, 2, 4), 301, True, "tenor", "44828830128", id="dnumber-tenor"),
        pytest.param(date(1970, 6, 28), 388, True, "plus40", "68467038838", id="dnumber-plus40"),
        pytest.param(date(1990, 1, 1), 500, False, None, None, id="individual-outside-century"),
        pytest.param(date(1930, 1, 1), 950, False, None, None, id="900s-before-1940"),
        pytest.param(date(1899, 1, 1), 750, False, None, None, id="1800s-above-749"),
        pytest.param(date(2000, 1, 1), 499, False, None, None, id="2000s-below-500"),
        pytest.param(date(1853, 12, 31), 600, False, None, None, id="year-before-1854"),
        pytest.param(date(2040, 1, 1), 600, False, None, None, id="year-after-2039"),
        pytest.param(date(1990, 1, 1), -1, False, None, None, id="negative-individual"),
        pytest.param(date(2020, 1, 1), 1000, False, None, None, id="individual-above-999"),
    ],
)
def test_make_national_id(
    birth_date: date, individual: int, dnumber: bool, synthetic: str | None, expected: str | None
) -> None:
    made = make_national_id(birth_date, individual, dnumber=dnumber, synthetic=synthetic)  # type: ignore[arg-type]
    assert made == expected


def test_make_national_id_defaults_to_tenor() -> None:
    assert make_national_id(date(1990, 1, 1), 123) == "01819012365"


@pytest.mark.parametrize(
    ("first9", "expected"),
    [
        pytest.param("010190124", (8, 0), id="classic"),
        pytest.param("010190123", None, id="k1-would-be-10"),
        pytest.param("018190123", (6, 5), id="tenor"),
    ],
)
def test_national_id_check_digits(first9: str, expected: tuple[int, int] | None) -> None:
    assert national_id_check_digits(first9) == expected


@pytest.mark.parametrize(
    "first9",
    [pytest.param("01019012", id="eight-digits"), pytest.param("01019012x", id="letter")],
)
def test_national_id_check_digits_needs_nine_digits(first9: str) -> None:
    with pytest.raises(ValueError, match="nine ASCII digits"):
        national_id_check_digits(first9)


def test_k2_of_ten_is_skipped() -> None:
    # 01019012: scan individual numbers for one whose K1 is fine but K2 would be 10.
    for individual in range(500):
        first9 = f"010190{individual:03d}"
        k1 = (
            11 - sum(w * int(c) for w, c in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), first9, strict=True)) % 11
        ) % 11
        if k1 == 10:
            continue
        first10 = first9 + str(k1)
        total = sum(w * int(c) for w, c in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), first10, strict=True))
        if (11 - total % 11) % 11 == 10:
            assert national_id_check_digits(first9) is None
            assert make_national_id(date(1990, 1, 1), individual, synthetic=None) is None
            return
    pytest.fail("no individual number with K2 = 10 in 1 Jan 1990")


# --------------------------------------------------------------------------------------------------
# §10.2 scenario persons: the generator writes these fixed numbers, so they must parse as Tenor synthetic.


@pytest.mark.parametrize(
    ("number", "born"),
    [
        pytest.param("12837541245", date(1975, 3, 12), id="P01"),
        pytest.param("07878223351", date(1982, 7, 7), id="P02"),
        pytest.param("23916011989", date(1960, 11, 23), id="P03"),
        pytest.param("30819034547", date(1990, 1, 30), id="P04"),
        pytest.param("15851261165", date(2012, 5, 15), id="P05"),
        pytest.param("44828830128", date(1988, 2, 4), id="P06"),
        pytest.param("02883112981", date(1931, 8, 2), id="P07"),
        pytest.param("19899544857", date(1995, 9, 19), id="P08"),
        pytest.param("01817005140", date(1970, 1, 1), id="P09"),
        pytest.param("28828526482", date(1985, 2, 28), id="P10"),
        pytest.param("11907837388", date(1978, 10, 11), id="P11"),
        pytest.param("05849221916", date(1992, 4, 5), id="P12"),
        pytest.param("17868633026", date(1986, 6, 17), id="P13"),
        pytest.param("09929940250", date(1999, 12, 9), id="P14"),
        pytest.param("21830152072", date(2001, 3, 21), id="P15"),
        pytest.param("14886819081", date(1968, 8, 14), id="P16"),
        pytest.param("03905707743", date(1957, 10, 3), id="P17"),
        pytest.param("26849445552", date(1994, 4, 26), id="P18"),
        pytest.param("08818028890", date(1980, 1, 8), id="P19"),
        pytest.param("31857314002", date(1973, 5, 31), id="P20"),
    ],
)
def test_scenario_persons_are_tenor_synthetic(number: str, born: date) -> None:
    parsed = parse_national_id(number, env="test")
    assert (parsed.synthetic, parsed.birth_date, parsed.k1_remainder) == ("tenor", born, 0)


# --------------------------------------------------------------------------------------------------
# §3–§4 organisation numbers


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("991825827", id="digdir"),
        pytest.param("974760673", id="registerenheten"),
        pytest.param("889640782", id="documentation-example"),
        pytest.param("984661185", id="digipost"),
        pytest.param("922020175", id="e-boks"),
        pytest.param("123456785", id="brreg-worked-example"),
        pytest.param("310000019", id="default-platform-orgno"),
        pytest.param("399900018", id="scenario-block-first"),
        pytest.param("399900344", id="scenario-block-last"),
    ],
)
def test_valid_orgnr(number: str) -> None:
    parsed = parse_orgnr(number)
    assert isinstance(parsed, Orgnr)
    assert parsed == number
    assert is_valid_orgnr(number)


SCENARIO_ORGNRS = [
    "399900018",
    "399900026",
    "399900034",
    "399900042",
    "399900050",
    "399900069",
    "399900077",
    "399900085",
    "399900093",
    "399900107",
    "399900115",
    "399900123",
    "399900131",
    "399900158",
    "399900166",
    "399900174",
    "399900182",
    "399900190",
    "399900204",
    "399900212",
    "399900220",
    "399900239",
    "399900247",
    "399900255",
    "399900263",
    "399900271",
    "399900298",
    "399900301",
    "399900328",
    "399900336",
    "399900344",
]


@pytest.mark.parametrize("number", SCENARIO_ORGNRS)
def test_scenario_entities_have_valid_numbers(number: str) -> None:
    assert is_valid_orgnr(number)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("123456789", "check_digit", id="check_digit-brreg"),
        pytest.param("889640781", "check_digit", id="check_digit-doc-example"),
        pytest.param("399900019", "check_digit", id="check_digit-scenario"),
        pytest.param("100000130", "check_digit", id="check_digit-would-be-10"),
        pytest.param("12345678", "format", id="format-eight-digits"),
        pytest.param("1234567855", "format", id="format-ten-digits"),
        pytest.param("12345678A", "format", id="format-letter"),
        pytest.param("123 456 785", "format", id="format-spaces"),
        pytest.param(" 123456785", "format", id="format-leading-space"),
        pytest.param("١٢٣٤٥٦٧٨٥", "format", id="format-arabic-indic-digits"),
        pytest.param("", "format", id="format-empty"),
    ],
)
def test_invalid_orgnr(value: str, reason: str) -> None:
    with pytest.raises(InvalidOrgnr) as caught:
        parse_orgnr(value)
    assert caught.value.reason == reason
    assert str(caught.value) == f"Invalid organisation number ({reason})"
    assert isinstance(caught.value, ValidationError)
    assert not is_valid_orgnr(value)


def test_orgnr_cannot_be_built_around_the_check() -> None:
    with pytest.raises(InvalidOrgnr):
        Orgnr("123456789")


def test_orgnr_serialises_as_the_plain_digits() -> None:
    orgnr = parse_orgnr("991825827")
    assert json.dumps({"orgno": orgnr}) == '{"orgno": "991825827"}'
    assert str(orgnr) == "991825827"
    assert parse_orgnr(orgnr) is orgnr
    assert hash(orgnr) == hash("991825827")


@pytest.mark.parametrize(
    ("base8", "expected"),
    [
        pytest.param("12345678", 5, id="brreg-worked-example"),
        pytest.param("99182582", 7, id="digdir"),
        pytest.param("31000001", 9, id="platform"),
        pytest.param("10000013", None, id="would-be-10"),
        pytest.param("39990001", 8, id="scenario-block"),
    ],
)
def test_orgnr_check_digit(base8: str, expected: int | None) -> None:
    assert orgnr_check_digit(base8) == expected


@pytest.mark.parametrize(
    "base8",
    [pytest.param("1234567", id="seven-digits"), pytest.param("1234567x", id="letter")],
)
def test_orgnr_check_digit_needs_eight_digits(base8: str) -> None:
    with pytest.raises(ValueError, match="eight ASCII digits"):
        orgnr_check_digit(base8)


# --------------------------------------------------------------------------------------------------
# ISO 6523 organisation identifiers (consumer/supplier claims)


def test_iso6523() -> None:
    assert iso6523("991825827") == {"authority": "iso6523-actorid-upis", "ID": "0192:991825827"}


def test_iso6523_serialises_an_orgnr_as_plain_json() -> None:
    assert json.dumps(iso6523(parse_orgnr("310000019"))) == (
        '{"authority": "iso6523-actorid-upis", "ID": "0192:310000019"}'
    )


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param({"authority": "iso6523-actorid-upis", "ID": "0192:991825827"}, "991825827", id="valid"),
        pytest.param(
            {"authority": "iso6523-actorid-upis", "ID": "0192:123456789"}, None, id="bad-check-digit"
        ),
        pytest.param({"authority": "iso6523-actorid-upis", "ID": "0192:99182582"}, None, id="short-orgnr"),
        pytest.param({"authority": "iso6523-actorid-upis", "ID": "0192: 991825827"}, None, id="space"),
        pytest.param({"authority": "iso6523-actorid-upis", "ID": "0191:991825827"}, None, id="wrong-icd"),
        pytest.param({"authority": "iso6523-actorid-upis", "ID": "991825827"}, None, id="no-icd"),
        pytest.param(
            {"authority": "ISO6523-ACTORID-UPIS", "ID": "0192:991825827"}, None, id="authority-case"
        ),
        pytest.param({"authority": "other", "ID": "0192:991825827"}, None, id="wrong-authority"),
        pytest.param({"authority": "iso6523-actorid-upis", "ID": 991825827}, None, id="id-not-string"),
        pytest.param({"ID": "0192:991825827"}, None, id="missing-authority"),
        pytest.param({"authority": "iso6523-actorid-upis"}, None, id="missing-id"),
        pytest.param(
            {"authority": "iso6523-actorid-upis", "ID": "0192:991825827", "extra": 1}, None, id="extra-key"
        ),
        pytest.param(
            [("authority", "iso6523-actorid-upis"), ("ID", "0192:991825827")], None, id="not-a-dict"
        ),
        pytest.param("0192:991825827", None, id="bare-string"),
        pytest.param(None, None, id="none"),
    ],
)
def test_orgno_from_iso6523(obj: object, expected: str | None) -> None:
    assert orgno_from_iso6523(obj) == expected


def test_iso6523_round_trip() -> None:
    assert orgno_from_iso6523(iso6523("310000019")) == "310000019"
