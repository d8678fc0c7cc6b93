"""A test CA and a business-certificate-like leaf (SERIALNUMBER = org number) for x5c tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.resource_server.fakes import rsa_key


@dataclass(frozen=True)
class BusinessCertificate:
    key: rsa.RSAPrivateKey
    leaf: x509.Certificate
    ca: x509.Certificate


def _name(*attributes: x509.NameAttribute) -> x509.Name:
    return x509.Name(list(attributes))


@cache
def business_certificate(orgno: str = "974760673") -> BusinessCertificate:
    ca_key, key = rsa_key("test-ca"), rsa_key(f"cert-{orgno}")
    now = datetime.now(UTC)
    ca_name = _name(x509.NameAttribute(NameOID.COMMON_NAME, "portvakt TEST CA"))
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            _name(
                x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test AS"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Test AS"),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, orgno),
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .sign(ca_key, hashes.SHA256())
    )
    return BusinessCertificate(key, leaf, ca)
