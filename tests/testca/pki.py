"""A small certificate factory for the chain tests: roots, intermediates, leaves and CRLs."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@cache
def rsa_key(bits: int = 2048, slot: int = 0) -> rsa.RSAPrivateKey:
    """Keys are reused across tests (by size and slot) to keep the suite fast."""
    return rsa.generate_private_key(65537, bits)


@dataclass(frozen=True)
class Issuer:
    certificate: x509.Certificate
    key: PrivateKey


def name(common_name: str, *extra: x509.NameAttribute[str]) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            *extra,
        ]
    )


def seid1(orgno: str, common_name: str = "Eksempel AS") -> x509.Name:
    return name(common_name, x509.NameAttribute(NameOID.SERIAL_NUMBER, orgno))


def seid2(orgno: str, common_name: str = "Eksempel AS") -> x509.Name:
    return name(common_name, x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{orgno}"))


def _key_usage(*, digital_signature: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _crl_point(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]
    )


_serials = iter(range(1000, 10**9))


def certificate(
    subject: x509.Name,
    key: PrivateKey,
    issuer: Issuer | None,
    *,
    now: datetime,
    not_before: timedelta = timedelta(days=-1),
    not_after: timedelta = timedelta(days=365),
    ca: bool | None = False,
    key_usage: x509.KeyUsage | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    """issuer None → self-signed. ca None → no basicConstraints at all."""
    signer_key = key if issuer is None else issuer.key
    issuer_name = subject if issuer is None else issuer.certificate.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(next(_serials))
        .not_valid_before(now + not_before)
        .not_valid_after(now + not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False
        )
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    if crl_url is not None:
        builder = builder.add_extension(_crl_point(crl_url), critical=False)
    return builder.sign(signer_key, hashes.SHA256())


def root(common_name: str, now: datetime, *, slot: int = 1, **kwargs: object) -> Issuer:
    key = rsa_key(2048, slot)
    return Issuer(
        certificate(
            name(common_name),
            key,
            None,
            now=now,
            ca=True,
            key_usage=_key_usage(cert_sign=True),
            **kwargs,  # type: ignore[arg-type]
        ),
        key,
    )


def intermediate(
    common_name: str, issuer: Issuer, now: datetime, *, slot: int = 2, **kwargs: object
) -> Issuer:
    key = rsa_key(2048, slot)
    options: dict[str, object] = {"ca": True, "key_usage": _key_usage(cert_sign=True), **kwargs}
    return Issuer(certificate(name(common_name), key, issuer, now=now, **options), key)  # type: ignore[arg-type]


def leaf(
    issuer: Issuer,
    now: datetime,
    *,
    subject: x509.Name | None = None,
    key: PrivateKey | None = None,
    **kwargs: object,
) -> x509.Certificate:
    options: dict[str, object] = {"key_usage": _key_usage(digital_signature=True), **kwargs}
    return certificate(
        subject or seid1("310000019"),
        key or rsa_key(2048, 3),
        issuer,
        now=now,
        **options,  # type: ignore[arg-type]
    )


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def ca_usage() -> x509.KeyUsage:
    return _key_usage(cert_sign=True)


def usage(*, digital_signature: bool) -> x509.KeyUsage:
    return _key_usage(digital_signature=digital_signature)


def x5c(*certificates: x509.Certificate) -> list[str]:
    return [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in certificates]


def crl(
    issuer: Issuer,
    revoked: Sequence[int],
    *,
    this_update: datetime,
    next_update: datetime,
    signer: PrivateKey | None = None,
) -> bytes:
    builder = x509.CertificateRevocationListBuilder().issuer_name(issuer.certificate.subject)
    builder = builder.last_update(this_update).next_update(next_update)
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(this_update).build()
        )
    return builder.sign(signer or issuer.key, hashes.SHA256()).public_bytes(Encoding.DER)
