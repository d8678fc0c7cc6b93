"""A client's signing key: RSA private key plus `kid` or an `x5c` chain, and RFC 7515 compact signing."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

SigningAlg = Literal["RS256", "RS384", "RS512"]
SIGNING_ALGS: tuple[SigningAlg, ...] = ("RS256", "RS384", "RS512")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


class KeyConfigError(ValueError):
    """A key file or key configuration that cannot be used (missing kid, not RSA, unreadable)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_from_b64url(text: object) -> int:
    if not isinstance(text, str):
        raise KeyConfigError("JWK member is not a string")
    return int.from_bytes(b64url_decode(text), "big")


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key identified by `kid` (registered key) or by an `x5c` chain (business certificate)."""

    private_key: rsa.RSAPrivateKey
    kid: str | None = None
    x5c: tuple[str, ...] = ()
    alg: SigningAlg = "RS256"

    def __post_init__(self) -> None:
        if self.alg not in SIGNING_ALGS:
            raise KeyConfigError(f"Unsupported algorithm {self.alg}; use one of {', '.join(SIGNING_ALGS)}")
        if self.kid is None and not self.x5c:
            raise KeyConfigError("The key needs a kid (registered key) or an x5c certificate chain")
        if self.kid is not None and self.x5c:
            raise KeyConfigError("Give either a kid or an x5c certificate chain, not both")

    # -- loaders ------------------------------------------------------------------------------

    @classmethod
    def from_jwk(
        cls, jwk: Mapping[str, Any], *, kid: str | None = None, alg: SigningAlg = "RS256"
    ) -> SigningKey:
        """A private RSA JWK (RFC 7518 §6.3.2); `kid` from the JWK unless given."""
        private = _private_key_from_jwk(jwk)
        jwk_kid = jwk.get("kid")
        chosen = kid if kid is not None else jwk_kid if isinstance(jwk_kid, str) else None
        if chosen is None:
            raise KeyConfigError("The JWK has no kid; give one")
        return cls(private, kid=chosen, alg=alg)

    @classmethod
    def from_pem(
        cls,
        pem: bytes,
        *,
        kid: str | None = None,
        chain_pem: bytes | None = None,
        alg: SigningAlg = "RS256",
        password: bytes | None = None,
    ) -> SigningKey:
        """A PEM private key with a `kid`, or with a certificate chain (leaf first) for `x5c`."""
        try:
            key = serialization.load_pem_private_key(pem, password=password)
        except (ValueError, TypeError) as exc:
            raise KeyConfigError(f"Not a readable PEM private key: {exc}") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyConfigError("The key is not an RSA key")
        if kid is not None and chain_pem is not None:
            raise KeyConfigError("Give either a kid or a certificate chain, not both")
        x5c = _checked_chain(key, chain_pem) if chain_pem is not None else ()
        return cls(key, kid=kid, x5c=x5c, alg=alg)

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        kid: str | None = None,
        chain_path: Path | None = None,
        alg: SigningAlg = "RS256",
    ) -> SigningKey:
        """A JWK file (JSON) or a PEM file; PEM needs `kid` or `chain_path`."""
        data = path.read_bytes()
        if data.lstrip().startswith(b"{"):
            try:
                jwk = json.loads(data)
            except ValueError as exc:
                raise KeyConfigError(f"{path} is not valid JSON") from exc
            if not isinstance(jwk, dict):
                raise KeyConfigError(f"{path} is not a JWK object")
            if chain_path is not None:
                if kid is not None:
                    raise KeyConfigError("Give either a kid or a certificate chain, not both")
                private = _private_key_from_jwk(jwk)
                return cls(private, x5c=_checked_chain(private, chain_path.read_bytes()), alg=alg)
            return cls.from_jwk(jwk, kid=kid, alg=alg)
        chain_pem = chain_path.read_bytes() if chain_path is not None else None
        return cls.from_pem(data, kid=kid, chain_pem=chain_pem, alg=alg)

    # -- use -----------------------------------------------------------------------------------

    def header(self) -> dict[str, Any]:
        """The JWS header: `alg` plus `kid`, or `alg` plus `x5c`."""
        if self.kid is not None:
            return {"alg": self.alg, "kid": self.kid}
        return {"alg": self.alg, "x5c": list(self.x5c)}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Compact JWS (RFC 7515 §7.1) over the claims with this key's header."""
        header = b64url(json.dumps(self.header(), separators=(",", ":")).encode())
        payload = b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = self.private_key.sign(signing_input, padding.PKCS1v15(), _HASHES[self.alg]())
        return f"{header}.{payload}.{b64url(signature)}"

    def public_jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        jwk = {
            "kty": "RSA",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            "alg": self.alg,
            "use": "sig",
        }
        if self.kid is not None:
            jwk["kid"] = self.kid
        return jwk


def _private_key_from_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPrivateKey:
    if jwk.get("kty") != "RSA" or "d" not in jwk:
        raise KeyConfigError("The JWK is not an RSA private key")
    try:
        public = rsa.RSAPublicNumbers(_int_from_b64url(jwk["e"]), _int_from_b64url(jwk["n"]))
        return rsa.RSAPrivateNumbers(
            p=_int_from_b64url(jwk["p"]),
            q=_int_from_b64url(jwk["q"]),
            d=_int_from_b64url(jwk["d"]),
            dmp1=_int_from_b64url(jwk["dp"]),
            dmq1=_int_from_b64url(jwk["dq"]),
            iqmp=_int_from_b64url(jwk["qi"]),
            public_numbers=public,
        ).private_key()
    except (KeyError, ValueError) as exc:
        raise KeyConfigError(f"The JWK is not a usable RSA private key: {exc}") from exc


def _checked_chain(key: rsa.RSAPrivateKey, chain_pem: bytes) -> tuple[str, ...]:
    x5c = x5c_from_pem_chain(chain_pem)
    if not x5c:
        raise KeyConfigError("The certificate chain is empty")
    leaf_key = x509.load_der_x509_certificate(base64.b64decode(x5c[0])).public_key()
    if not isinstance(leaf_key, rsa.RSAPublicKey) or (
        leaf_key.public_numbers() != key.public_key().public_numbers()
    ):
        raise KeyConfigError("The first certificate of the chain does not belong to the key")
    return x5c


def x5c_from_pem_chain(chain_pem: bytes) -> tuple[str, ...]:
    """PEM certificates (leaf first) → `x5c` values: standard base64 of DER (RFC 7515 §4.1.6)."""
    try:
        certificates = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise KeyConfigError(f"Not a readable PEM certificate chain: {exc}") from exc
    return tuple(base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii") for cert in certificates)


def chain_to_pem(certificates: Sequence[x509.Certificate]) -> bytes:
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certificates)
