"""Property and differential tests for portvakt.domain.identifiers (identifiers-and-testdata.md §1–§3).

The oracle `broken_rules` below is a line-by-line transcription of §1–§2, written independently of the module;
python-stdnum is the external reference where it implements the same rule.
"""

from __future__ import annotations

from datetime import date

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.no import fodselsnummer, orgnr

from portvakt.domain.identifiers import (
    InvalidNationalId,
    individual_number_ranges,
    is_valid_national_id,
    is_valid_orgnr,
    make_national_id,
    national_id_check_digits,
    orgnr_check_digit,
    parse_national_id,
    parse_orgnr,
)

ORDER = (
    "format",
    "fh_number",
    "month",
    "century",
    "date",
    "check_digit_1",
    "check_digit_2",
    "synthetic_in_prod",
)
W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2, 1)  # the check digit itself has weight 1: Σ ≡ 0 (mod 11)

eleven_digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
environments = st.sampled_from(["test", "prod"])


def broken_rules(v: str, env: str) -> set[str]:
    """Every §1–§2 rule the number breaks (the date only where it can be judged)."""
    if not (len(v) == 11 and v.isascii() and v.isdigit()):
        return {"format"}
    d = [int(c) for c in v]
    broken: set[str] = set()
    if d[0] >= 8:
        broken.add("fh_number")
    shift = {0: 0, 1: 0, 4: 40, 5: 40, 8: 80, 9: 80}.get(d[2])
    if shift is None:
        broken.add("month")
    yy, iii = int(v[4:6]), int(v[6:9])
    century: int | None
    if 500 <= iii <= 749 and yy >= 54:
        century = 1800
    elif iii <= 499 or (iii >= 900 and yy >= 40):
        century = 1900
    elif iii >= 500 and yy <= 39:
        century = 2000
    else:
        century = None
        broken.add("century")
    if d[0] < 8 and shift is not None:
        day = int(v[0:2]) - (40 if d[0] >= 4 else 0)
        month = int(v[2:4]) - shift
        # 2000 is a leap year: a day/month invalid then is invalid in every year.
        for year in {2000, (century or 2000) + yy}:
            try:
                date(year, month, day)
            except ValueError:
                broken.add("date")
    if (sum(w * x for w, x in zip(W1, d, strict=False)) + d[9]) % 11 > 3:
        broken.add("check_digit_1")
    if (11 - sum(w * x for w, x in zip(W2, d, strict=False)) % 11) % 11 != d[10]:
        broken.add("check_digit_2")
    if env == "prod" and shift:
        broken.add("synthetic_in_prod")
    return broken


def reason_of(value: str, env: str) -> str | None:
    try:
        parse_national_id(value, env=env)
    except InvalidNationalId as error:
        return error.reason
    return None


@st.composite
def near_valid_national_ids(draw: st.DrawFn) -> str:
    """11-digit strings with plausible fields, so that the deep rules (century, date, K1, K2) are reached."""
    day = draw(st.integers(0, 79))
    month = draw(st.integers(0, 99))
    yy = draw(st.integers(0, 99))
    iii = draw(st.integers(0, 999))
    first9 = f"{day:02d}{month:02d}{yy:02d}{iii:03d}"
    k1 = (11 - sum(w * int(c) for w, c in zip(W1, first9, strict=True)) % 11) % 11
    k1 = draw(st.sampled_from([k1 % 10, (k1 + 1) % 10, draw(st.integers(0, 9))]))
    first10 = first9 + str(k1)
    k2 = (11 - sum(w * int(c) for w, c in zip(W2, first10, strict=True)) % 11) % 11
    k2 = draw(st.sampled_from([k2 % 10, draw(st.integers(0, 9))]))
    return f"{first10}{k2}"


any_national_id_like = st.one_of(eleven_digits, near_valid_national_ids())


@st.composite
def generation_inputs(draw: st.DrawFn) -> tuple[date, int]:
    birth_date = draw(st.dates(min_value=date(1854, 1, 1), max_value=date(2039, 12, 31)))
    ranges = individual_number_ranges(birth_date.year)
    individual = draw(st.sampled_from(ranges).flatmap(st.sampled_from))
    return birth_date, individual


# --------------------------------------------------------------------------------------------------
# Validation order (§11.1) over arbitrary input


@settings(max_examples=400)
@given(value=any_national_id_like, env=environments)
def test_reason_is_the_first_broken_rule(value: str, env: str) -> None:
    broken = broken_rules(value, env)
    expected = min(broken, key=ORDER.index) if broken else None
    assert reason_of(value, env) == expected
    assert is_valid_national_id(value, env=env) is (expected is None)


# --------------------------------------------------------------------------------------------------
# Generation round trip


@settings(max_examples=300)
@given(
    inputs=generation_inputs(),
    dnumber=st.booleans(),
    synthetic=st.sampled_from(["tenor", "plus40", None]),
)
def test_generated_numbers_parse_back(inputs: tuple[date, int], dnumber: bool, synthetic: str | None) -> None:
    birth_date, individual = inputs
    made = make_national_id(birth_date, individual, dnumber=dnumber, synthetic=synthetic)  # type: ignore[arg-type]
    first9_checks = national_id_check_digits(
        f"{birth_date.day + 40 * dnumber:02d}"
        f"{birth_date.month + {'tenor': 80, 'plus40': 40, None: 0}[synthetic]:02d}"
        f"{birth_date.year % 100:02d}{individual:03d}"
    )
    assert (made is None) is (first9_checks is None)
    assume(made is not None)
    assert made is not None
    parsed = parse_national_id(made, env="test")
    assert parsed.value == made
    assert parsed.birth_date == birth_date
    assert parsed.kind == ("dnr" if dnumber else "fnr")
    assert parsed.synthetic == synthetic
    assert parsed.k1_remainder == 0
    assert parsed.gender == ("male" if individual % 2 else "female")
    assert int(made[6:9]) == individual


@settings(max_examples=200)
@given(
    birth_date=st.dates(min_value=date(1800, 1, 1), max_value=date(2100, 12, 31)),
    individual=st.integers(-5, 1005),
)
def test_generation_respects_the_century_rule(birth_date: date, individual: int) -> None:
    fits = any(individual in r for r in individual_number_ranges(birth_date.year))
    made = make_national_id(birth_date, individual, synthetic=None)
    if not fits:
        assert made is None
    if made is not None:
        assert parse_national_id(made, env="prod").birth_date == birth_date


# --------------------------------------------------------------------------------------------------
# Single-digit errors are always detected


def test_every_weight_detects_every_single_digit_change() -> None:
    """11 is prime and no weight is 0 mod 11, so w·δ ≢ 0 (mod 11) for every change δ ∈ ±1..±9.

    This holds for the organisation number weights (3,2,7,6,5,4,3,2 and 1 for the check digit) and for
    K2 of a national identity number (5,4,3,2,7,6,5,4,3,2 and 1 for d11), which covers all 11 digits.
    """
    for weights in (ORGNR_WEIGHTS, (*W2, 1)):
        for w in weights:
            for delta in range(-9, 10):
                if delta:
                    assert (w * delta) % 11 != 0


@st.composite
def valid_orgnrs(draw: st.DrawFn) -> str:
    base8 = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    check = orgnr_check_digit(base8)
    assume(check is not None)
    return f"{base8}{check}"


@settings(max_examples=100)
@given(number=valid_orgnrs())
def test_a_single_digit_change_of_an_orgnr_is_always_detected(number: str) -> None:
    assert is_valid_orgnr(number)
    for position in range(9):
        for digit in "0123456789":
            if digit != number[position]:
                assert not is_valid_orgnr(number[:position] + digit + number[position + 1 :])


@settings(max_examples=100)
@given(
    inputs=generation_inputs(), dnumber=st.booleans(), synthetic=st.sampled_from(["tenor", "plus40", None])
)
def test_a_single_digit_change_of_a_national_id_is_always_detected(
    inputs: tuple[date, int], dnumber: bool, synthetic: str | None
) -> None:
    made = make_national_id(*inputs, dnumber=dnumber, synthetic=synthetic)  # type: ignore[arg-type]
    assume(made is not None)
    assert made is not None
    for position in range(11):
        for digit in "0123456789":
            if digit != made[position]:
                assert not is_valid_national_id(made[:position] + digit + made[position + 1 :], env="test")


@settings(max_examples=200)
@given(base8=st.text(alphabet="0123456789", min_size=8, max_size=8), last=st.sampled_from("0123456789"))
def test_orgnr_check_digit_agrees_with_parse_orgnr(base8: str, last: str) -> None:
    check = orgnr_check_digit(base8)
    assert is_valid_orgnr(base8 + last) is (check == int(last))
    if check is not None:
        assert parse_orgnr(f"{base8}{check}") == f"{base8}{check}"


# --------------------------------------------------------------------------------------------------
# Differential tests against python-stdnum


def in_shared_domain(value: str) -> bool:
    """Where stdnum.no.fodselsnummer and §1 claim the same rule.

    Excluded: Tenor months (third digit 8–9: stdnum only subtracts 40 and so rejects them by design) and
    K1 remainders 1–3 (the 2032 rule: stdnum knows only the classic K1, remainder 0). stdnum also strips
    spaces, '-' and ':' before validating, so only 11 ASCII digits are compared. Included and identical in
    both: ordinary numbers, D-numbers (day + 40), month + 40, FH numbers (refused), the century rule, real
    dates and K2. Future birth dates are excluded separately by the caller (stdnum refuses them using
    today's date; §1 has no such rule).
    """
    d = [int(c) for c in value]
    k1_remainder = (sum(w * x for w, x in zip(W1, d, strict=False)) + d[9]) % 11
    return d[2] not in (8, 9) and k1_remainder not in (1, 2, 3)


def assert_same_verdict(value: str) -> None:
    assume(in_shared_domain(value))
    ours = reason_of(value, "test") is None
    if ours:
        assume(parse_national_id(value, env="test").birth_date <= date.today())
    assert fodselsnummer.is_valid(value) is ours


@settings(max_examples=200)
@given(inputs=generation_inputs(), dnumber=st.booleans(), plus40=st.booleans())
def test_stdnum_accepts_every_generated_real_format_number(
    inputs: tuple[date, int], dnumber: bool, plus40: bool
) -> None:
    """Generated numbers without the Tenor mark (ordinary, D-number, month + 40), born by today."""
    birth_date, individual = inputs
    assume(birth_date <= date.today())
    made = make_national_id(birth_date, individual, dnumber=dnumber, synthetic="plus40" if plus40 else None)
    assume(made is not None)
    assert made is not None
    assert fodselsnummer.is_valid(made)
    assert fodselsnummer.get_birth_date(made) == birth_date


@settings(max_examples=400)
@given(value=any_national_id_like)
def test_stdnum_agrees_on_arbitrary_real_format_numbers(value: str) -> None:
    """Random and near-valid 11-digit strings restricted to the shared domain (see in_shared_domain)."""
    assert_same_verdict(value)


@settings(max_examples=300)
@given(value=st.one_of(nine_digits, valid_orgnrs()))
def test_stdnum_agrees_on_orgnr(value: str) -> None:
    """Organisation numbers have no synthetic class or variant rule: the domain is every 9-digit string."""
    assert orgnr.is_valid(value) is is_valid_orgnr(value)
