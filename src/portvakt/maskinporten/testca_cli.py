"""CLI: the built-in test CA and its test enterprise certificates (maskinporten.md §6.3). Test only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from portvakt.commandline import EXIT_USAGE, JsonOption, cli_errors, emit_json, fail, stdout
from portvakt.domain.clock import SystemClock
from portvakt.domain.identifiers import is_valid_orgnr
from portvakt.oauth.sealing import SealingError
from portvakt.oauth.x509_chain import fingerprint
from portvakt.settings import Settings, SettingsError, load_settings
from portvakt.storage.engine import Database
from portvakt.storage.testca import PROD_REFUSAL, BuiltinCaStore

testca_app = typer.Typer(help="The built-in test CA (maskinporten.md §6.3).", no_args_is_help=True)
testcert_app = typer.Typer(
    help="Test enterprise certificates issued by the built-in test CA (§6.3).", no_args_is_help=True
)

T = TypeVar("T")
MAX_DAYS = 3650  # the test CA lives 10 years
KEY_SIZES = (2048, 3072, 4096)


class Reason(StrEnum):
    KEY_COMPROMISE = "keyCompromise"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"


def _test_settings() -> Settings:
    """Settings, refusing the prod environment before anything touches the database (§1.3)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(f"portvakt: {exc}", EXIT_USAGE)
    if settings.is_prod:
        fail(PROD_REFUSAL, EXIT_USAGE)
    return settings


def _run(settings: Settings, action: Callable[[BuiltinCaStore], Awaitable[T]]) -> T:
    """Run one store action on a migrated database (migrating it first if needed: test only)."""
    from portvakt.storage.migrate import is_current, upgrade

    if not is_current(settings.database_url):
        upgrade(settings.database_url)

    async def run() -> T:
        database = Database.connect(settings.database_url)
        try:
            return await action(BuiltinCaStore(database, settings, SystemClock()))
        finally:
            await database.dispose()

    with cli_errors():
        try:
            return asyncio.run(run())
        except SealingError as exc:
            fail(f"portvakt: the test CA's private key: {exc}")


def _say(text: str) -> None:
    stdout.print(text, markup=False, highlight=False)


@testca_app.command("init")
def init(json_output: bool = JsonOption) -> None:
    """Create the test CA if it does not exist yet (the first start does the same)."""
    settings = _test_settings()
    ca = _run(settings, lambda store: store.ensure())
    document = {
        "subject": ca.certificate.subject.rfc4514_string(),
        "serial": format(ca.certificate.serial_number, "x"),
        "sha256": fingerprint(ca.certificate),
        "not_after": ca.certificate.not_valid_after_utc.isoformat(),
        "crl": f"{settings.maskinporten_issuer}testca/crl",
    }
    if json_output:
        emit_json(document)
        return
    _say(f"Test CA {document['subject']}")
    _say(f"  sha256     {document['sha256']}")
    _say(f"  not after  {document['not_after']}")
    _say(f"  CRL        {document['crl']}")


@testca_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="File to write the CA certificate (PEM) to.")],
    json_output: bool = JsonOption,
) -> None:
    """Write the test CA certificate (PEM), e.g. for an API provider's trust store."""
    settings = _test_settings()
    ca = _run(settings, lambda store: store.ensure())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(ca.certificate_pem)
    if json_output:
        emit_json({"subject": ca.certificate.subject.rfc4514_string(), "file": str(out)})
    else:
        _say(f"Wrote {out} ({ca.certificate.subject.rfc4514_string()})")


@testcert_app.command("issue")
def issue(
    *,
    orgno: Annotated[str, typer.Option("--orgno", "--orgnr", help="Organisation number (9 digits).")],
    name: Annotated[str, typer.Option("--name", help="Organisation name (O and CN).")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Directory for the key, certificates and .p12.")],
    seid: Annotated[int, typer.Option("--seid", help="Subject profile: 1 (SERIALNUMBER) or 2 (NTRNO-).")] = 1,
    days: Annotated[int, typer.Option("--days", help="Validity in days.")] = 1095,
    key_size: Annotated[int, typer.Option("--key-size", help="RSA key size in bits.")] = 2048,
    p12_password: Annotated[str, typer.Option("--p12-password", help="Password of the .p12 file.")] = "",
    json_output: bool = JsonOption,
) -> None:
    """Issue a "virksomhetssertifikat"-like test certificate: <orgno>.key.pem, .cert.pem, .chain.pem, .p12."""
    settings = _test_settings()
    if not is_valid_orgnr(orgno):
        fail(f"Invalid organisation number {orgno!r}: 9 digits with a valid check digit", EXIT_USAGE)
    if seid not in (1, 2):
        fail(f"Invalid --seid {seid}: 1 or 2", EXIT_USAGE)
    if not 1 <= days <= MAX_DAYS:
        fail(f"Invalid --days {days}: 1 to {MAX_DAYS}", EXIT_USAGE)
    if key_size not in KEY_SIZES:
        fail(f"Invalid --key-size {key_size}: one of {', '.join(map(str, KEY_SIZES))}", EXIT_USAGE)
    issued = _run(
        settings, lambda store: store.issue(orgno=orgno, name=name, seid=seid, days=days, key_size=key_size)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "key": out_dir / f"{orgno}.key.pem",
        "cert": out_dir / f"{orgno}.cert.pem",
        "chain": out_dir / f"{orgno}.chain.pem",
        "p12": out_dir / f"{orgno}.p12",
    }
    files["key"].touch(mode=0o600)
    files["key"].chmod(0o600)
    files["key"].write_bytes(issued.key_pem())
    files["cert"].write_bytes(issued.cert_pem())
    files["chain"].write_bytes(issued.chain_pem())
    files["p12"].write_bytes(issued.pkcs12(p12_password))
    files["p12"].chmod(0o600)
    x5c = issued.x5c()
    if json_output:
        emit_json(
            {
                "serial": issued.record.serial_hex,
                "subject": issued.record.subject,
                "not_after": issued.record.not_after.isoformat(),
                "files": {kind: str(path) for kind, path in files.items()},
                "x5c": x5c,
            }
        )
        return
    _say(f"Issued {issued.record.subject}")
    _say(f"serial: {issued.record.serial_hex}")
    for path in files.values():
        _say(f"wrote:  {path}")
    _say("x5c:")
    _say(json.dumps(x5c))


@testcert_app.command("revoke")
def revoke(
    serial: Annotated[str, typer.Option("--serial", help="Serial number (hex) as printed by issue/list.")],
    reason: Annotated[Reason | None, typer.Option("--reason", help="Revocation reason.")] = None,
    json_output: bool = JsonOption,
) -> None:
    """Revoke a test certificate at once; the CRL is regenerated."""
    settings = _test_settings()
    reason_text = reason.value if reason is not None else None
    record = _run(settings, lambda store: store.revoke(serial, reason_text))
    assert record.revoked_at is not None
    if json_output:
        emit_json(
            {
                "serial": record.serial_hex,
                "revoked_at": record.revoked_at.isoformat(),
                "reason": record.revocation_reason,
            }
        )
    else:
        _say(f"Revoked {record.serial_hex} ({record.subject}), reason {record.revocation_reason}")


@testcert_app.command("list")
def list_certificates(json_output: bool = JsonOption) -> None:
    """List the certificates issued by the test CA."""
    settings = _test_settings()
    records = _run(settings, lambda store: store.issued())
    now = SystemClock().now()
    if json_output:
        emit_json({"certificates": [record.as_json(now) for record in records]})
        return
    if not records:
        _say("No test certificates issued.")
        return
    for record in records:
        _say(
            f"{record.serial_hex}  {record.orgno}  SEID {record.seid}  {record.status(now):<8} "
            f"{record.not_after.date().isoformat()}  {record.subject}"
        )
