"""Signing material (krr.md §9): prod needs the PEM files; files are checked against each other."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from portvakt.domain.errors import EnvironmentRefusal, ValidationError
from portvakt.krr.signing import SigningMaterial, load_from_files, thumbprint
from portvakt.settings import Settings


def _certificate(
    key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey, name: str, issuer: str
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(issuer_key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def material() -> tuple[rsa.RSAPrivateKey, list[x509.Certificate]]:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _certificate(root_key, root_key, "Root", "Root")
    return key, [_certificate(key, root_key, "KRR signering", "Root"), root]


def _write(tmp_path: Path, key: rsa.RSAPrivateKey, chain: list[x509.Certificate]) -> tuple[Path, Path]:
    key_file, chain_file = tmp_path / "key.pem", tmp_path / "chain.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    return key_file, chain_file


def test_prod_refuses_without_files() -> None:
    settings = Settings(env="prod", _env_file=None)
    with pytest.raises(EnvironmentRefusal, match="PORTVAKT_KRR_SIGNING_KEY_FILE"):
        load_from_files(settings)


def test_files_sign_verifiably(
    tmp_path: Path, material: tuple[rsa.RSAPrivateKey, list[x509.Certificate]]
) -> None:
    key, chain = material
    key_file, chain_file = _write(tmp_path, key, chain)
    loaded = load_from_files(
        Settings(krr_signing_key_file=key_file, krr_signing_cert_chain_file=chain_file, _env_file=None)
    )
    signed = loaded.sign(b'{"personer":[]}').decode()
    header, payload, signature = signed.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    assert decoded["kid"] == thumbprint(key.public_key())
    assert len(decoded["x5c"]) == 2
    key.public_key().verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{header}.{payload}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_chain_must_belong_to_the_key(material: tuple[rsa.RSAPrivateKey, list[x509.Certificate]]) -> None:
    key, chain = material
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValidationError, match="does not belong"):
        SigningMaterial.of(other, tuple(chain))
    with pytest.raises(ValidationError, match="empty"):
        SigningMaterial.of(key, ())
