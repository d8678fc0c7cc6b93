"""The built-in test CA in the database (maskinporten.md §1.3, §6.3): creation, issuance, revocation, CRL.

One CA per installation, shared by every process through the database. Creation is race-safe: the
primary key decides which process's CA wins, the others re-read it. The private key is sealed at rest
under PORTVAKT_KEY_ENCRYPTION_KEY, bound to its row and certificate.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.domain.clock import Clock
from portvakt.domain.errors import Conflict, EnvironmentRefusal, NotFound, ValidationError
from portvakt.oauth.sealing import seal, unseal
from portvakt.oauth.x509_chain import TEST_CA_CN_PREFIX, fingerprint, serial_hex, subject_text
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.platform import platform_facts
from portvakt.storage.tables.testca import testca_authority, testca_certificates

AUTHORITY = "default"
INSTALLATION_ID = "installation_id"
CA_KEY_BITS = 3072
CA_VALIDITY = timedelta(days=3652)
CRL_LIFETIME = timedelta(hours=24)
CRL_REFRESH_BEFORE = timedelta(hours=12)
BACKDATE = timedelta(minutes=5)
POLICY_OID = x509.ObjectIdentifier("2.16.578.1.1.1.1.100")
PROD_REFUSAL = "Test certificates cannot be issued in the prod environment"
REASONS: dict[str, x509.ReasonFlags] = {
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
}
UNSPECIFIED = "unspecified"


def utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timestamptz columns; every value we store is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def normalise_serial(value: str) -> str:
    """`5A:3B`, `0x5a3b`, `005A3B` → `5a3b` (the stored form: lowercase hex, no leading zeros)."""
    text = value.strip().lower().replace(":", "").replace(" ", "")
    text = text.removeprefix("0x")
    if not text or any(char not in "0123456789abcdef" for char in text):
        raise ValidationError(f"Invalid certificate serial {value!r}: hexadecimal expected")
    return text.lstrip("0") or "0"


@dataclass(frozen=True)
class BuiltinCa:
    installation_id: str
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class IssuedCertificate:
    """A row of the issued-certificates table."""

    serial_hex: str
    orgno: str
    seid: int
    subject: str
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    certificate_pem: str
    issued_at: datetime

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def status(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        if now > self.not_after:
            return "expired"
        return "valid"

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "serial": self.serial_hex,
            "orgno": self.orgno,
            "seid": self.seid,
            "subject": self.subject,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "status": self.status(now),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revocation_reason": self.revocation_reason,
        }

    @classmethod
    def from_row(cls, row: Any) -> IssuedCertificate:
        return cls(
            serial_hex=row.serial_hex,
            orgno=row.orgno,
            seid=row.seid,
            subject=row.subject,
            not_before=utc(row.not_before),
            not_after=utc(row.not_after),
            revoked_at=utc(row.revoked_at) if row.revoked_at is not None else None,
            revocation_reason=row.revocation_reason,
            certificate_pem=row.certificate_pem,
            issued_at=utc(row.issued_at),
        )


@dataclass(frozen=True)
class NewCertificate:
    """A freshly issued test enterprise certificate with its key (never stored) and the CA."""

    record: IssuedCertificate
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)
    ca_certificate: x509.Certificate = field(repr=False)

    def x5c(self) -> list[str]:
        """The JWT header value: standard base64 DER, leaf only (the CA is the trust anchor)."""
        return [base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()]

    def key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        return self.cert_pem() + self.ca_certificate.public_bytes(serialization.Encoding.PEM)

    def pkcs12(self, password: str) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption()
        )
        return pkcs12.serialize_key_and_certificates(
            self.record.orgno.encode(), self.private_key, self.certificate, [self.ca_certificate], encryption
        )


def ca_subject(installation_id: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "portvakt"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{TEST_CA_CN_PREFIX} {installation_id}"),
        ]
    )


def enterprise_subject(orgno: str, name: str, seid: int) -> x509.Name:
    """§6.3 subject: `C, O, CN` then SERIALNUMBER=<orgno> (SEID 1) or organizationIdentifier (SEID 2)."""
    identifier = (
        x509.NameAttribute(NameOID.SERIAL_NUMBER, orgno)
        if seid == 1
        else x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{orgno}")
    )
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            identifier,
        ]
    )


def _serial_number() -> int:
    return secrets.randbits(127) | (1 << 126)


def build_ca_certificate(key: rsa.RSAPrivateKey, installation_id: str, now: datetime) -> x509.Certificate:
    subject = ca_subject(installation_id)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def build_enterprise_certificate(
    ca: BuiltinCa,
    key: rsa.RSAPublicKey,
    *,
    orgno: str,
    name: str,
    seid: int,
    days: int,
    crl_url: str,
    now: datetime,
) -> x509.Certificate:
    """A "virksomhetssertifikat"-like certificate with exactly the §6.3 fields."""
    return (
        x509.CertificateBuilder()
        .subject_name(enterprise_subject(orgno, name, seid))
        .issuer_name(ca.certificate.subject)
        .public_key(key)
        .serial_number(_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(POLICY_OID, None)]), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )


def build_crl(
    ca: BuiltinCa, revoked: Sequence[IssuedCertificate], number: int, now: datetime
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + CRL_LIFETIME)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False
        )
    )
    for record in revoked:
        assert record.revoked_at is not None
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(record.serial_hex, 16))
            .revocation_date(record.revoked_at)
        )
        reason = REASONS.get(record.revocation_reason or "")
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.private_key, hashes.SHA256())


class BuiltinCaStore:
    """The test CA and its certificates in the shared database."""

    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    @property
    def crl_url(self) -> str:
        return f"{self.settings.maskinporten_issuer}testca/crl"

    def refuse_in_prod(self) -> None:
        if self.settings.is_prod:
            raise EnvironmentRefusal(PROD_REFUSAL)

    def _aad(self, certificate: x509.Certificate) -> bytes:
        return f"testca_authority/{AUTHORITY}/{fingerprint(certificate)}".encode()

    # -- the CA ---------------------------------------------------------------------------------

    async def installation_id(self) -> str:
        """The installation's random id in `platform_facts`, created by whichever process comes first."""
        stored = await self._fact(INSTALLATION_ID)
        if stored is not None:
            return stored
        try:
            async with self.database.engine.begin() as connection:
                await connection.execute(
                    insert(platform_facts).values(
                        name=INSTALLATION_ID, value=secrets.token_hex(8), created_at=self.clock.now()
                    )
                )
        except IntegrityError:
            pass  # another process created it first
        stored = await self._fact(INSTALLATION_ID)
        assert stored is not None
        return stored

    async def _fact(self, name: str) -> str | None:
        async with self.database.engine.connect() as connection:
            value: str | None = (
                await connection.execute(select(platform_facts.c.value).where(platform_facts.c.name == name))
            ).scalar_one_or_none()
        return value

    async def certificate(self) -> x509.Certificate | None:
        async with self.database.engine.connect() as connection:
            pem: str | None = (
                await connection.execute(
                    select(testca_authority.c.certificate_pem).where(testca_authority.c.name == AUTHORITY)
                )
            ).scalar_one_or_none()
        return x509.load_pem_x509_certificate(pem.encode()) if pem is not None else None

    async def load(self) -> BuiltinCa | None:
        async with self.database.engine.connect() as connection:
            return await self._load(connection)

    async def _load(self, connection: AsyncConnection, *, for_update: bool = False) -> BuiltinCa | None:
        query = select(testca_authority).where(testca_authority.c.name == AUTHORITY)
        if for_update:
            query = query.with_for_update()
        row = (await connection.execute(query)).one_or_none()
        if row is None:
            return None
        certificate = x509.load_pem_x509_certificate(row.certificate_pem.encode())
        key_pem = unseal(
            row.private_key_sealed, self.settings.key_encryption_key_bytes, aad=self._aad(certificate)
        )
        key = serialization.load_pem_private_key(key_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return BuiltinCa(installation_id=row.installation_id, certificate=certificate, private_key=key)

    async def ensure(self) -> BuiltinCa:
        """The CA, created on first use (test only). Concurrent callers all get the same one."""
        self.refuse_in_prod()
        existing = await self.load()
        if existing is not None:
            return existing
        installation_id = await self.installation_id()
        key = await asyncio.to_thread(rsa.generate_private_key, 65537, CA_KEY_BITS)
        now = self.clock.now()
        ca = BuiltinCa(installation_id, build_ca_certificate(key, installation_id, now), key)
        crl = build_crl(ca, (), 1, now)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            async with self.database.engine.begin() as connection:
                await connection.execute(
                    insert(testca_authority).values(
                        name=AUTHORITY,
                        installation_id=installation_id,
                        subject=subject_text(ca.certificate.subject),
                        certificate_pem=ca.certificate_pem.decode(),
                        private_key_sealed=seal(
                            key_pem, self.settings.key_encryption_key_bytes, aad=self._aad(ca.certificate)
                        ),
                        not_before=ca.certificate.not_valid_before_utc,
                        not_after=ca.certificate.not_valid_after_utc,
                        crl_der=crl.public_bytes(serialization.Encoding.DER),
                        crl_number=1,
                        crl_this_update=now,
                        crl_next_update=now + CRL_LIFETIME,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # another process created the CA first: use theirs
        created = await self.load()
        assert created is not None
        return created

    # -- certificates ---------------------------------------------------------------------------

    async def issue(
        self, *, orgno: str, name: str, seid: int = 1, days: int = 1095, key_size: int = 2048
    ) -> NewCertificate:
        self.refuse_in_prod()
        if seid not in (1, 2):
            raise ValidationError(f"Invalid SEID version {seid}: 1 or 2")
        if days < 1:
            raise ValidationError("Invalid validity: --days must be at least 1")
        if key_size < 2048:
            raise ValidationError("Invalid key size: at least 2048 bits")
        if not name.strip():
            raise ValidationError("Invalid organisation name: must not be empty")
        ca = await self.ensure()
        key = await asyncio.to_thread(rsa.generate_private_key, 65537, key_size)
        now = self.clock.now()
        certificate = build_enterprise_certificate(
            ca, key.public_key(), orgno=orgno, name=name, seid=seid, days=days, crl_url=self.crl_url, now=now
        )
        record = IssuedCertificate(
            serial_hex=serial_hex(certificate),
            orgno=orgno,
            seid=seid,
            subject=subject_text(certificate.subject),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            revoked_at=None,
            revocation_reason=None,
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
            issued_at=now,
        )
        async with self.database.engine.begin() as connection:
            await connection.execute(
                insert(testca_certificates).values(
                    serial_hex=record.serial_hex,
                    authority=AUTHORITY,
                    orgno=record.orgno,
                    seid=record.seid,
                    subject=record.subject,
                    not_before=record.not_before,
                    not_after=record.not_after,
                    certificate_pem=record.certificate_pem,
                    issued_at=record.issued_at,
                )
            )
        return NewCertificate(record, certificate, key, ca.certificate)

    async def get(self, serial: str) -> IssuedCertificate | None:
        async with self.database.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(testca_certificates).where(
                        testca_certificates.c.serial_hex == normalise_serial(serial)
                    )
                )
            ).one_or_none()
        return IssuedCertificate.from_row(row) if row is not None else None

    async def issued(self) -> list[IssuedCertificate]:
        async with self.database.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(testca_certificates).order_by(
                        testca_certificates.c.issued_at, testca_certificates.c.serial_hex
                    )
                )
            ).all()
        return [IssuedCertificate.from_row(row) for row in rows]

    async def revoke(self, serial: str, reason: str | None = None) -> IssuedCertificate:
        """Revoke at once and regenerate the CRL in the same transaction."""
        self.refuse_in_prod()
        if reason is not None and reason not in REASONS:
            raise ValidationError(f"Invalid revocation reason {reason!r}: one of {', '.join(REASONS)}")
        wanted = normalise_serial(serial)
        now = self.clock.now()
        async with self.database.engine.begin() as connection:
            ca = await self._load(connection, for_update=True)
            if ca is None:
                raise NotFound(f"Unknown certificate serial {wanted}")
            result = await connection.execute(
                update(testca_certificates)
                .where(testca_certificates.c.serial_hex == wanted, testca_certificates.c.revoked_at.is_(None))
                .values(revoked_at=now, revocation_reason=reason or UNSPECIFIED)
            )
            if result.rowcount == 0:
                exists = (
                    await connection.execute(
                        select(testca_certificates.c.serial_hex).where(
                            testca_certificates.c.serial_hex == wanted
                        )
                    )
                ).one_or_none()
                if exists is None:
                    raise NotFound(f"Unknown certificate serial {wanted}")
                raise Conflict(f"Certificate {wanted} is already revoked")
            await self._regenerate_crl(connection, ca, now)
            row = (
                await connection.execute(
                    select(testca_certificates).where(testca_certificates.c.serial_hex == wanted)
                )
            ).one()
        return IssuedCertificate.from_row(row)

    # -- the CRL --------------------------------------------------------------------------------

    async def _regenerate_crl(self, connection: AsyncConnection, ca: BuiltinCa, now: datetime) -> bytes:
        number = (
            await connection.execute(
                select(testca_authority.c.crl_number).where(testca_authority.c.name == AUTHORITY)
            )
        ).scalar_one() + 1
        rows = (
            await connection.execute(
                select(testca_certificates)
                .where(testca_certificates.c.revoked_at.is_not(None))
                .order_by(testca_certificates.c.revoked_at)
            )
        ).all()
        crl = build_crl(ca, [IssuedCertificate.from_row(row) for row in rows], number, now)
        der = crl.public_bytes(serialization.Encoding.DER)
        await connection.execute(
            update(testca_authority)
            .where(testca_authority.c.name == AUTHORITY)
            .values(crl_der=der, crl_number=number, crl_this_update=now, crl_next_update=now + CRL_LIFETIME)
        )
        return der

    async def crl(self) -> bytes | None:
        """The current CRL (DER); re-signed when less than CRL_REFRESH_BEFORE of its lifetime is left."""
        now = self.clock.now()
        async with self.database.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(testca_authority.c.crl_der, testca_authority.c.crl_next_update).where(
                        testca_authority.c.name == AUTHORITY
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        if now + CRL_REFRESH_BEFORE < utc(row.crl_next_update):
            return bytes(row.crl_der)
        async with self.database.engine.begin() as connection:
            ca = await self._load(connection, for_update=True)
            assert ca is not None
            return await self._regenerate_crl(connection, ca, now)
