"""Stored registration format (rrh.md §5, §8; testdata §9.3) and the generator's helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from portvakt.domain.identifiers import make_national_id, parse_national_id
from portvakt.rrh.beneficial_owners import DIRECT, INTERVAL_2, OWNERSHIP, BeneficialOwner, Node, Position
from portvakt.rrh.registrable import is_registrable, register_type_code
from portvakt.rrh.registrations import (
    REGISTRATION_NAMESPACE,
    Content,
    ForeignEntityRecord,
    PersonRecord,
    Version,
    format_timestamp,
    registration_id,
    stored_rows,
)
from portvakt.rrh.testdata_stages import birth_date_of, earlier_content
from portvakt.testdata.streams import rng_for


@pytest.mark.parametrize(
    ("form", "in_register", "expected"),
    [
        pytest.param("AS", False, True, id="AS_always"),
        pytest.param("SPA", False, True, id="SPA_always"),
        pytest.param("NUF", True, True, id="NUF_in_foretaksregisteret"),
        pytest.param("NUF", False, False, id="NUF_outside"),
        pytest.param("STI", False, False, id="STI_outside"),
        pytest.param("FLI", True, True, id="FLI_in_foretaksregisteret"),
        pytest.param("ENK", True, False, id="ENK_never"),
        pytest.param("KF", True, False, id="KF_never"),
    ],
)
def test_registrable_forms(form: str, in_register: bool, expected: bool) -> None:
    assert is_registrable(form, in_register) is expected


def test_register_type_codes_cover_the_eea_only() -> None:
    assert register_type_code("LTU") == "registertype.registerOverReelleRettighetshavereILitauen"
    assert register_type_code("AUT") == "registertype.registerOverReelleRettighetshavereIOesterrike"
    assert register_type_code("GBR") is None


def test_registration_id_is_uuid5_of_orgnr_and_version() -> None:
    assert registration_id("399900050", 2) == str(uuid.uuid5(REGISTRATION_NAMESPACE, "399900050:2"))
    assert uuid.UUID(registration_id("399900050", 1)).version == 5


def test_timestamps_have_milliseconds_and_z() -> None:
    assert (
        format_timestamp(datetime(2024, 10, 8, 13, 11, 28, 956_789, tzinfo=UTC)) == "2024-10-08T13:11:28.956Z"
    )


@pytest.mark.parametrize("style", ["tenor", "plus40", None])
@pytest.mark.parametrize("dnumber", [False, True])
@pytest.mark.parametrize("born", [date(1905, 2, 28), date(1975, 3, 12), date(2012, 12, 31)])
def test_birth_date_from_the_number(style: str | None, dnumber: bool, born: date) -> None:
    number = next(
        n
        for individual in range(1000)
        if (n := make_national_id(born, individual, dnumber=dnumber, synthetic=style)) is not None  # type: ignore[arg-type]
    )
    assert birth_date_of(number) == parse_national_id(number, env="test").birth_date == born


class _Directory:
    def person(self, node: Node) -> PersonRecord:
        return PersonRecord(
            date(1975, 3, 12),
            "NOR",
            ("NOR", "SWE"),
            False,
            national_id=node.key,
            first_name="KARI",
            last_name="ØY",
        )

    def foreign_entity(self, node: Node) -> ForeignEntityRecord:
        return ForeignEntityRecord("1", "X AB", "Gata 1", "SWE")


def test_owner_first_registered_and_changed_follow_the_versions() -> None:
    kari = Node("person", "12837541245")
    owner = BeneficialOwner(kari, (Position(OWNERSHIP, INTERVAL_2, (DIRECT,)),))
    first = Content("reported", "reellerettighetshaverestatus.harReelleRettighetshavere", (owner,))
    changed = earlier_content(first, rng_for(1, "rrh", "t"))
    times = [
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 6, 1, tzinfo=UTC),
        datetime(2025, 9, 1, tzinfo=UTC),
    ]
    rows = stored_rows(
        "399900050",
        [Version(times[0], changed), Version(times[1], first), Version(times[2], first)],
        _Directory(),
    )
    assert [r.is_current for r in rows] == [False, False, True]
    last = rows[2].document
    assert '"foerstRegistrert":"2025-01-01T00:00:00.000Z","endret":"2025-06-01T00:00:00.000Z"' in last
    assert '"statsborgerskap":["NOR","SWE"]' in last
    assert '"etternavn":"ØY"' in last  # UTF-8, not escaped
    assert last.startswith(
        '{"registreringsid":"' + registration_id("399900050", 3) + '","registreringsstatus"'
    )
