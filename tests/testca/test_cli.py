"""`portvakt testca` / `portvakt testcert` (maskinporten.md §6.3, §1.5): files, output, exit codes."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key, pkcs12
from typer.testing import CliRunner, Result

from portvakt.cli import app
from portvakt.domain.clock import SystemClock
from portvakt.maskinporten.certificates import PlatformCertificateValidator
from portvakt.maskinporten.ports import ValidatedCertificate
from portvakt.oauth.x509_chain import UntrustedCertificate
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.testca import BuiltinCaStore

ORGNO = "310000019"
REFUSAL = "Test certificates cannot be issued in the prod environment"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTVAKT_ENV", "test")
    monkeypatch.delenv("PORTVAKT_KEY_ENCRYPTION_KEY", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, list(args))


def validate(database_url: str, x5c: list[str]) -> ValidatedCertificate:
    async def go() -> ValidatedCertificate:
        settings = Settings(database_url=database_url, _env_file=None)
        database = Database.connect(database_url)
        try:
            store = BuiltinCaStore(database, settings, SystemClock())
            return await PlatformCertificateValidator(settings, SystemClock(), store).validate(x5c)
        finally:
            await database.dispose()

    return asyncio.run(go())


def test_issue_writes_the_files_and_prints_serial_and_x5c(
    cli: CliRunner, tmp_path: Path, database_url: str
) -> None:
    out = tmp_path / "certs"
    result = run(
        cli, "testcert", "issue", "--orgno", ORGNO, "--name", "Eksempel AS", "--seid", "2",
        "--days", "30", "--p12-password", "hemmelig", "--out-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    serial = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("serial:"))
    x5c = json.loads(lines[-1])
    certificate = x509.load_pem_x509_certificate((out / f"{ORGNO}.cert.pem").read_bytes())
    assert format(certificate.serial_number, "x") == serial
    assert x5c == [base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()]
    chain = x509.load_pem_x509_certificates((out / f"{ORGNO}.chain.pem").read_bytes())
    assert chain[0] == certificate
    assert chain[1].subject.rfc4514_string().startswith("CN=portvakt TEST CA ")
    assert len(chain) == 2
    key = load_pem_private_key((out / f"{ORGNO}.key.pem").read_bytes(), None)
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
    assert (out / f"{ORGNO}.key.pem").stat().st_mode & 0o077 == 0
    p12_key, p12_certificate, p12_extra = pkcs12.load_key_and_certificates(
        (out / f"{ORGNO}.p12").read_bytes(), b"hemmelig"
    )
    assert p12_certificate == certificate
    assert p12_extra == [chain[1]]
    assert p12_key is not None
    validated = validate(database_url, x5c)
    assert validated.orgno == ORGNO
    assert validated.subject.startswith("organizationIdentifier=NTRNO-310000019,")


def test_issue_json_and_orgnr_alias(cli: CliRunner, tmp_path: Path) -> None:
    result = run(
        cli, "testcert", "issue", "--orgnr", ORGNO, "--name", "Eksempel AS", "--out-dir", "x", "--json"
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) >= {"serial", "files", "x5c"}
    assert document["files"] == {
        "key": f"x/{ORGNO}.key.pem",
        "cert": f"x/{ORGNO}.cert.pem",
        "chain": f"x/{ORGNO}.chain.pem",
        "p12": f"x/{ORGNO}.p12",
    }
    assert all((tmp_path / path).is_file() for path in document["files"].values())
    _key, certificate, _ = pkcs12.load_key_and_certificates(
        (tmp_path / document["files"]["p12"]).read_bytes(), None
    )
    assert certificate is not None
    assert format(certificate.serial_number, "x") == document["serial"]
    assert "SERIALNUMBER=310000019" in document["subject"]


def test_revoke_and_list(cli: CliRunner, database_url: str) -> None:
    issued = json.loads(
        run(cli, "testcert", "issue", "--orgno", ORGNO, "--name", "A AS", "--out-dir", "a", "--json").stdout
    )
    kept = json.loads(
        run(cli, "testcert", "issue", "--orgno", ORGNO, "--name", "B AS", "--out-dir", "b", "--json").stdout
    )
    result = run(cli, "testcert", "revoke", "--serial", issued["serial"].upper(), "--reason", "keyCompromise")
    assert result.exit_code == 0, result.stderr
    assert f"Revoked {issued['serial']}" in result.stdout
    listed = json.loads(run(cli, "testcert", "list", "--json").stdout)["certificates"]
    statuses = {entry["serial"]: (entry["status"], entry["revocation_reason"]) for entry in listed}
    assert statuses == {issued["serial"]: ("revoked", "keyCompromise"), kept["serial"]: ("valid", None)}
    table = run(cli, "testcert", "list")
    assert table.exit_code == 0
    assert issued["serial"] in table.stdout
    assert "revoked" in table.stdout
    again = run(cli, "testcert", "revoke", "--serial", issued["serial"])
    assert again.exit_code == 1
    assert "already revoked" in again.stderr
    with pytest.raises(UntrustedCertificate, match="revoked"):
        validate(database_url, issued["x5c"])


def issue(*options: str) -> list[str]:
    return ["testcert", "issue", "--name", "X", "--out-dir", "o", *options]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(["testcert", "revoke", "--serial", "abcdef"], 1, id="revoke-unknown-serial"),
        pytest.param(["testcert", "revoke", "--serial", "zz"], 1, id="revoke-not-hex"),
        pytest.param(
            ["testcert", "revoke", "--serial", "ab", "--reason", "boredom"], 2, id="revoke-bad-reason"
        ),
        pytest.param(issue("--orgno", "310000018"), 2, id="bad-check-digit"),
        pytest.param(issue("--orgno", "31000001"), 2, id="orgno-8-digits"),
        pytest.param(issue("--orgno", ORGNO, "--seid", "3"), 2, id="seid-3"),
        pytest.param(issue("--orgno", ORGNO, "--key-size", "1024"), 2, id="key-size-1024"),
        pytest.param(issue("--orgno", ORGNO, "--days", "0"), 2, id="days-0"),
        pytest.param(issue("--orgno", ORGNO, "--days", "99999999"), 2, id="days-too-many"),
        pytest.param(issue(), 2, id="orgno-missing"),
    ],
)
def test_errors_and_exit_codes(cli: CliRunner, tmp_path: Path, args: list[str], code: int) -> None:
    result = run(cli, *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert not (tmp_path / "o").exists()


def test_init_and_export(cli: CliRunner, tmp_path: Path) -> None:
    init = run(cli, "testca", "init", "--json")
    assert init.exit_code == 0, init.stderr
    document = json.loads(init.stdout)
    assert document["subject"].startswith("CN=portvakt TEST CA ")
    export = run(cli, "testca", "export", "--out", "ca.pem")
    assert export.exit_code == 0, export.stderr
    certificate = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    assert certificate.subject.rfc4514_string() == document["subject"]
    assert run(cli, "testca", "init", "--json").stdout == init.stdout  # created once


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["testca", "init"], id="testca-init"),
        pytest.param(["testca", "export", "--out", "ca.pem"], id="testca-export"),
        pytest.param(
            ["testcert", "issue", "--orgno", ORGNO, "--name", "X", "--out-dir", "o"], id="testcert-issue"
        ),
        pytest.param(["testcert", "revoke", "--serial", "ab"], id="testcert-revoke"),
        pytest.param(["testcert", "list", "--json"], id="testcert-list"),
    ],
)
def test_prod_refuses(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("PORTVAKT_ENV", "prod")
    result = run(cli, *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == REFUSAL
    assert result.stdout == ""
    assert not (tmp_path / "o").exists()
    assert not (tmp_path / "ca.pem").exists()


def test_ca_key_is_sealed_under_the_kek(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    kek = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
    monkeypatch.setenv("PORTVAKT_KEY_ENCRYPTION_KEY", kek)
    assert run(cli, "testca", "init").exit_code == 0
    assert run(cli, "testcert", "issue", "--orgno", ORGNO, "--name", "X", "--out-dir", "o").exit_code == 0
    monkeypatch.delenv("PORTVAKT_KEY_ENCRYPTION_KEY")
    result = run(cli, "testcert", "issue", "--orgno", ORGNO, "--name", "X", "--out-dir", "p")
    assert result.exit_code == 1
    assert "PORTVAKT_KEY_ENCRYPTION_KEY is required" in result.stderr
