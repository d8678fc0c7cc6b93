"""The pure register model (krr.md §3, §5): timestamps, the 18-month cutoff, invariants, normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portvakt.domain.errors import ValidationError
from portvakt.krr.model import (
    Duplicates,
    FieldGroups,
    PersonRecord,
    check_invariants,
    cutoff,
    format_timestamp,
    normalise_mobile,
    parse_timestamp,
    render,
    validate_email,
    varslingsstatus,
)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2023, 6, 10, 19, 0, 1, tzinfo=UTC), "2023-06-10T21:00:01+02"),
        (datetime(2023, 3, 14, 11, 37, 35, 999999, tzinfo=UTC), "2023-03-14T12:37:35+01"),
        (datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC), "2025-03-30T01:59:59+01"),
        (datetime(2025, 3, 30, 1, 0, 0, tzinfo=UTC), "2025-03-30T03:00:00+02"),
        (datetime(2023, 6, 10, 19, 0, 1), "2023-06-10T21:00:01+02"),  # naive = UTC (SQLite)
    ],
)
def test_format_timestamp(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2023-06-10T21:00:01+02", datetime(2023, 6, 10, 19, 0, 1, tzinfo=UTC)),
        ("2023-08-05T10:45:15.768Z", datetime(2023, 8, 5, 10, 45, 15, 768000, tzinfo=UTC)),
        ("2014-02-25T13:08:00.000+01:00", datetime(2014, 2, 25, 12, 8, tzinfo=UTC)),
        ("2014-02-25T13:08:00-0130", datetime(2014, 2, 25, 14, 38, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, moment: datetime) -> None:
    assert parse_timestamp(text) == moment


@pytest.mark.parametrize("text", ["2023-06-10T21:00:01", "2023-06-10", "2023-02-30T10:00:00Z", "yesterday"])
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 8, 31, 10, 0, tzinfo=UTC), datetime(2024, 2, 29, 11, 0, tzinfo=UTC)),
        (datetime(2026, 1, 15, 11, 0, tzinfo=UTC), datetime(2024, 7, 15, 10, 0, tzinfo=UTC)),
        (datetime(2025, 12, 31, 22, 30, tzinfo=UTC), datetime(2024, 6, 30, 21, 30, tzinfo=UTC)),
        (datetime(2026, 10, 31, 23, 0, tzinfo=UTC), datetime(2025, 4, 30, 22, 0, tzinfo=UTC)),
    ],
)
def test_cutoff_clamps_to_month_end(now: datetime, expected: datetime) -> None:
    assert cutoff(now) == expected


def test_freshness_is_strictly_after_the_cutoff() -> None:
    now = datetime(2025, 8, 31, 10, 0, tzinfo=UTC)
    limit = cutoff(now)
    at_limit = PersonRecord(
        "17868633026",
        "AKTIV",
        "NEI",
        epostadresse="a@example.com",
        epostadresse_oppdatert=limit - timedelta(days=1),
        epostadresse_sist_verifisert=limit,
    )
    assert varslingsstatus(at_limit, limit) == "KAN_IKKE_VARSLES"
    later = at_limit.changed(epostadresse_sist_verifisert=limit + timedelta(seconds=1))
    assert varslingsstatus(later, limit) == "KAN_VARSLES"
    assert varslingsstatus(None, limit) == "KAN_IKKE_VARSLES"
    assert (
        varslingsstatus(later.changed(reservasjon="JA", reservasjonstidspunkt=now), limit)
        == "KAN_IKKE_VARSLES"
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("91234567", "+4791234567"),
        ("+47 912 34 567", "+4791234567"),
        ("0047-41234567", "+4741234567"),
        ("+46701234567", "+46701234567"),
    ],
)
def test_mobile_normalisation(given: str, stored: str) -> None:
    assert normalise_mobile(given) == stored


@pytest.mark.parametrize("given", ["1234567", "+4781234567", "91234567x", "+47 912 34 567 890 123 45"])
def test_mobile_rejected(given: str) -> None:
    with pytest.raises(ValidationError):
        normalise_mobile(given)


@pytest.mark.parametrize("given", ["a@b", "ab", "a@@b.no", "@example.com", "a@example", "x" * 250 + "@b.no"])
def test_email_rejected(given: str) -> None:
    with pytest.raises(ValidationError):
        validate_email(given)


def test_email_accepted() -> None:
    assert validate_email("ingrid.moen@example.com") == "ingrid.moen@example.com"


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "record",
    [
        PersonRecord("17868633026", "SLETTET", "NEI", epostadresse="a@example.com"),
        PersonRecord("17868633026", "AKTIV", "JA"),
        PersonRecord("17868633026", "AKTIV", "NEI", reservasjonstidspunkt=NOW),
        PersonRecord("17868633026", "AKTIV", "NEI", epostadresse="a@example.com", epostadresse_oppdatert=NOW),
        PersonRecord(
            "17868633026",
            "AKTIV",
            "NEI",
            mobiltelefonnummer="+4791234567",
            mobiltelefonnummer_oppdatert=NOW,
            mobiltelefonnummer_sist_verifisert=NOW - timedelta(days=1),
        ),
        PersonRecord("17868633026", "AKTIV", "NEI", postkasseadresse="x#1"),
        PersonRecord("17868633026", "AKTIV", "NEI", sertifikat_id=1),
        PersonRecord("17868633026", "AKTIV", "NEI", spraak="de", spraak_oppdatert=NOW),
        PersonRecord("17868633026", "AKTIV", "NEI", spraak="nb"),
        PersonRecord("17868633026", "UKJENT", "NEI"),
        PersonRecord("1786863302", "AKTIV", "NEI"),
        PersonRecord(
            "17868633026",
            "AKTIV",
            "NEI",
            mobiltelefonnummer="91234567",
            mobiltelefonnummer_oppdatert=NOW,
            mobiltelefonnummer_sist_verifisert=NOW,
        ),
    ],
)
def test_invariants(record: PersonRecord) -> None:
    with pytest.raises(ValidationError):
        check_invariants(record)


def test_snapshot_round_trip_and_feed_rendering() -> None:
    record = PersonRecord(
        "17868633026",
        "AKTIV",
        "NEI",
        epostadresse="a@example.com",
        epostadresse_oppdatert=NOW,
        epostadresse_sist_verifisert=NOW,
        spraak="se",
        spraak_oppdatert=NOW,
    )
    check_invariants(record)
    again, epost, mobil = PersonRecord.from_snapshot(
        record.snapshot(epost_duplisert=True, mobil_duplisert=False)
    )
    assert (again, epost, mobil) == (record, True, False)
    rendered = render(
        again, FieldGroups(kontakt=True, post=False), cutoff(NOW), {}, duplicates=Duplicates(True, False)
    )
    assert rendered["kontaktinformasjon"]["epostadresse_duplisert"] == "JA"
    assert "mobiltelefonnummer_duplisert" not in rendered["kontaktinformasjon"]
