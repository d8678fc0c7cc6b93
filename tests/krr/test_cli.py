"""`portvakt krr …` (krr.md §12): every write through the service layer, one feed change per person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from cryptography import x509
from typer.testing import CliRunner

from portvakt.cli import app

pytestmark = pytest.mark.db

INGRID = "17868633026"
OLA = "07878223351"


class Krr:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, ["krr", *args])

    def ok(self, *args: str) -> Any:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result.stdout


@pytest.fixture
def krr(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Krr:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(tmp_path / "data"))
    return Krr()


def changes(krr: Krr, start: int = 0) -> list[dict[str, Any]]:
    return [json.loads(line) for line in krr.ok("feed", "tail", "--from", str(start)).splitlines()]


def test_person_lifecycle(krr: Krr) -> None:
    assert json.loads(krr.ok("person", "show", INGRID)) == {
        "personidentifikator": INGRID,
        "status": "IKKE_REGISTRERT",
    }
    created = json.loads(
        krr.ok("person", "set", INGRID, "--epost", "ingrid.moen@example.com", "--mobil", "912 34 567")
    )
    assert created["status"] == "AKTIV"
    assert created["reservasjon"] == "NEI"
    assert created["mobiltelefonnummer"] == "+4791234567"
    assert created["epostadresse_oppdatert"] == created["epostadresse_sist_verifisert"]
    reserved = json.loads(
        krr.ok("person", "set", INGRID, "--reservasjon", "JA", "--spraak", "nn", "--bekreft")
    )
    assert reserved["reservasjon"] == "JA"
    assert "reservasjonstidspunkt" in reserved
    assert reserved["spraak"] == "nn"
    removed = json.loads(krr.ok("person", "set", INGRID, "--epost", ""))
    assert "epostadresse" not in removed
    deleted = json.loads(krr.ok("person", "delete", INGRID))
    assert deleted["status"] == "SLETTET"
    assert "mobiltelefonnummer" not in deleted
    assert "spraak" not in deleted
    log = changes(krr)
    assert [c["endrings_id"] for c in log] == [200000001, 200000002, 200000003, 200000004]
    assert {c["aarsak"] for c in log} == {"CLI"}
    assert [c["endrings_id"] for c in changes(krr, 200000003)] == [200000004]


def test_postbox_gets_the_providers_test_certificate(krr: Krr) -> None:
    first = json.loads(
        krr.ok("person", "set", INGRID, "--postkasse", "ingrid.moen#7KQ2", "--leverandoer", "984661185")
    )
    second = json.loads(krr.ok("person", "set", OLA, "--postkasse", "ola#1234", "--leverandoer", "984661185"))
    assert first["sertifikat_id"] == second["sertifikat_id"]  # one certificate per provider
    cleared = json.loads(krr.ok("person", "set", OLA, "--postkasse", ""))
    assert "postkasseadresse" not in cleared
    assert "sertifikat_id" not in cleared


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("person", "set", INGRID, "--mobil", "81234567"), 1, "Norwegian mobile number"),
        (("person", "set", INGRID, "--epost", "no-at-sign"), 1, "epostadresse"),
        (("person", "set", INGRID, "--spraak", "de"), 1, "--spraak"),
        (("person", "set", INGRID, "--reservasjon", "KANSKJE"), 1, "--reservasjon"),
        (("person", "set", INGRID, "--postkasse", "x#1"), 1, "--leverandoer"),
        (("person", "set", INGRID, "--postkasse", "x#1", "--leverandoer", "123"), 2, "organisation number"),
        (("person", "show", "123"), 2, "11 digits"),
        (("person", "delete", INGRID), 1, "not registered"),
        (("consumer", "block", "12345678"), 2, "organisation number"),
    ],
)
def test_refusals(krr: Krr, args: tuple[str, ...], code: int, text: str) -> None:
    result = krr(*args)
    assert result.exit_code == code, result.output
    assert text in result.stderr
    assert changes(krr) == []


def test_import(krr: Krr, tmp_path: Path) -> None:
    lines = [
        {
            "personidentifikator": INGRID,
            "status": "AKTIV",
            "reservasjon": "NEI",
            "epostadresse": "ingrid.moen@example.com",
            "epostadresse_oppdatert": "2023-06-10T21:00:01+02",
            "epostadresse_sist_verifisert": "2023-08-05T10:45:15.768Z",
            "mobiltelefonnummer": "+47 912 34 567",
            "mobiltelefonnummer_oppdatert": "2014-02-25T13:08:00.000+01:00",
            "mobiltelefonnummer_sist_verifisert": "2014-02-25T13:08:00.000+01:00",
        },
        {"personidentifikator": OLA, "status": "SLETTET", "reservasjon": "NEI"},
    ]
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert "2 person(s) imported" in krr.ok("import", str(good))
    shown = json.loads(krr.ok("person", "show", INGRID))
    assert shown["epostadresse_sist_verifisert"] == "2023-08-05T12:45:15+02"
    assert shown["mobiltelefonnummer"] == "+4791234567"
    assert [c["aarsak"] for c in changes(krr)] == ["IMPORT", "IMPORT"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"personidentifikator": OLA, "status": "AKTIV", "epostadresse": "x@example.com"})
        + "\n"
        + json.dumps(
            {"personidentifikator": INGRID, "status": "AKTIV", "spraak_oppdatert": "2023-06-10T21:00:01"}
        )
        + "\n",
        encoding="utf-8",
    )
    refused = krr("import", str(bad))
    assert refused.exit_code == 1
    assert "line 1" in refused.stderr
    assert len(changes(krr)) == 2  # all or nothing
    assert krr("import", str(tmp_path / "missing.jsonl")).exit_code == 2


def test_consumer_blocks(krr: Krr) -> None:
    assert "blocked" in krr.ok("consumer", "block", "310000035")
    assert "already" in krr.ok("consumer", "block", "310000035")
    listed = json.loads(krr.ok("consumer", "list", "--json"))
    assert [item["orgnr"] for item in listed] == ["310000035"]
    assert "unblocked" in krr.ok("consumer", "unblock", "310000035")
    assert "was not blocked" in krr.ok("consumer", "unblock", "310000035")
    assert json.loads(krr.ok("consumer", "list", "--json")) == []


def test_signing_show_and_renew(krr: Krr) -> None:
    shown = json.loads(krr.ok("signing", "show"))
    assert "CN=KRR signering" in shown["subject"]
    again = json.loads(krr.ok("signing", "show"))
    assert again["kid"] == shown["kid"]
    chain = x509.load_pem_x509_certificates(shown["chain_pem"].encode())
    assert len(chain) == 2
    assert chain[0].issuer == chain[1].subject
    renewed = json.loads(krr.ok("signing", "renew"))
    assert renewed["kid"] != shown["kid"]
    assert json.loads(krr.ok("signing", "show"))["kid"] == renewed["kid"]
