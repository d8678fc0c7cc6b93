"""Signed responses (krr.md §9): compact JWS RS256 with `kid` (RFC 7638) and the `x5c` chain.

Prod: key and chain from PEM files. Test: an RSA 3072 key and a certificate from the built-in test CA,
created at first start and kept in `krr_signing` (the key sealed like every private key at rest).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from portvakt.domain.clock import Clock
from portvakt.domain.errors import EnvironmentRefusal, ValidationError
from portvakt.oauth.sealing import seal, unseal
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.krr import krr_signing
from portvakt.storage.testca import BACKDATE, BuiltinCa, BuiltinCaStore

SIGNING_NAME = "default"
KEY_BITS = 3072
VALIDITY = timedelta(days=3 * 365)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def thumbprint(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key."""
    numbers = key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class SigningMaterial:
    """The key, its chain (leaf first, up to and including the root) and the precomputed JWS header."""

    private_key: rsa.RSAPrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...]
    kid: str
    encoded_header: bytes

    @classmethod
    def of(cls, key: rsa.RSAPrivateKey, chain: tuple[x509.Certificate, ...]) -> SigningMaterial:
        if not chain:
            raise ValidationError("KRR signing: the certificate chain is empty")
        leaf_key = chain[0].public_key()
        if not isinstance(leaf_key, rsa.RSAPublicKey) or leaf_key.public_numbers() != (
            key.public_key().public_numbers()
        ):
            raise ValidationError("KRR signing: the first certificate does not belong to the key")
        kid = thumbprint(key.public_key())
        x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain]
        header = json.dumps({"alg": "RS256", "kid": kid, "x5c": x5c}, separators=(",", ":"))
        return cls(key, chain, kid, _b64url(header.encode("ascii")).encode("ascii"))

    def sign(self, payload: bytes) -> bytes:
        """`header.payload.signature`, the payload being the exact bytes of the JSON response."""
        signing_input = self.encoded_header + b"." + base64.urlsafe_b64encode(payload).rstrip(b"=")
        signature = self.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")

    def chain_pem(self) -> str:
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in self.chain)

    def describe(self) -> dict[str, str]:
        leaf = self.chain[0]
        return {
            "kid": self.kid,
            "subject": leaf.subject.rfc4514_string(),
            "issuer": leaf.issuer.rfc4514_string(),
            "serial": format(leaf.serial_number, "x"),
            "not_before": leaf.not_valid_before_utc.isoformat(),
            "not_after": leaf.not_valid_after_utc.isoformat(),
            "chain_length": str(len(self.chain)),
        }


def signing_subject(platform_orgno: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PORTVAKT KRR"),
            x509.NameAttribute(NameOID.COMMON_NAME, "KRR signering"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{platform_orgno}"),
        ]
    )


def build_signing_certificate(
    ca: BuiltinCa, key: rsa.RSAPublicKey, platform_orgno: str, now: datetime
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(signing_subject(platform_orgno))
        .issuer_name(ca.certificate.subject)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )


def load_from_files(settings: Settings) -> SigningMaterial:
    """`PORTVAKT_KRR_SIGNING_KEY_FILE` + `PORTVAKT_KRR_SIGNING_CERT_CHAIN_FILE` (PEM, leaf first)."""
    if settings.krr_signing_key_file is None or settings.krr_signing_cert_chain_file is None:
        raise EnvironmentRefusal(
            "PORTVAKT_ENV=prod requires PORTVAKT_KRR_SIGNING_KEY_FILE and "
            "PORTVAKT_KRR_SIGNING_CERT_CHAIN_FILE"
        )
    key = serialization.load_pem_private_key(settings.krr_signing_key_file.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationError("PORTVAKT_KRR_SIGNING_KEY_FILE: an RSA private key is required")
    chain = tuple(x509.load_pem_x509_certificates(settings.krr_signing_cert_chain_file.read_bytes()))
    return SigningMaterial.of(key, chain)


class SigningStore:
    """The test environment's signing material in the database: created once, renewable."""

    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    def _aad(self, kid: str) -> bytes:
        return f"krr_signing/{SIGNING_NAME}/{kid}".encode()

    async def load(self) -> SigningMaterial | None:
        async with self.database.engine.connect() as connection:
            row = (
                await connection.execute(select(krr_signing).where(krr_signing.c.name == SIGNING_NAME))
            ).one_or_none()
        if row is None:
            return None
        key_pem = unseal(
            row.private_key_sealed, self.settings.key_encryption_key_bytes, aad=self._aad(row.kid)
        )
        key = serialization.load_pem_private_key(key_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        chain = tuple(x509.load_pem_x509_certificates(row.chain_pem.encode("ascii")))
        return SigningMaterial.of(key, chain)

    async def _create(self) -> SigningMaterial:
        ca = await BuiltinCaStore(self.database, self.settings, self.clock).ensure()
        key = await asyncio.to_thread(rsa.generate_private_key, 65537, KEY_BITS)
        orgno = self.settings.platform_orgno or ""
        certificate = build_signing_certificate(ca, key.public_key(), orgno, self.clock.now())
        return SigningMaterial.of(key, (certificate, ca.certificate))

    async def _store(self, material: SigningMaterial, *, replace: bool) -> None:
        key_pem = material.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        async with self.database.engine.begin() as connection:
            if replace:
                await connection.execute(delete(krr_signing).where(krr_signing.c.name == SIGNING_NAME))
            await connection.execute(
                insert(krr_signing).values(
                    name=SIGNING_NAME,
                    kid=material.kid,
                    private_key_sealed=seal(
                        key_pem, self.settings.key_encryption_key_bytes, aad=self._aad(material.kid)
                    ),
                    chain_pem=material.chain_pem(),
                    not_after=material.chain[0].not_valid_after_utc,
                    created_at=self.clock.now(),
                )
            )

    async def ensure(self) -> SigningMaterial:
        """The stored material, created on first use; concurrent starts all end with the same one."""
        existing = await self.load()
        if existing is not None:
            return existing
        material = await self._create()
        with contextlib.suppress(IntegrityError):  # another process stored its material first: use theirs
            await self._store(material, replace=False)
        stored = await self.load()
        assert stored is not None
        return stored

    async def renew(self) -> SigningMaterial:
        material = await self._create()
        await self._store(material, replace=True)
        return material


async def signing_material(database: Database, settings: Settings, clock: Clock) -> SigningMaterial:
    if settings.is_prod or settings.krr_signing_key_file is not None:
        return load_from_files(settings)
    return await SigningStore(database, settings, clock).ensure()
