"""Client keys as JWKs: generation (RSA 2048, kid = RFC 7638 thumbprint) and the checks of
selvbetjening.md §4.7 for uploaded keys."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portvakt.oauth.keys import b64url_uint, jwk_thumbprint
from portvakt.registry.errors import InvalidClientMetadata

KEY_ALGORITHMS: frozenset[str] = frozenset({"RS256", "RS384", "RS512"})
REQUIRED_MEMBERS: tuple[str, ...] = ("kid", "alg", "use", "n", "e")
PRIVATE_MEMBERS: tuple[str, ...] = ("d", "p", "q", "dp", "dq", "qi", "oth")
PUBLIC_MEMBERS: tuple[str, ...] = ("kty", "kid", "alg", "use", "n", "e", "x5c")
KID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
MIN_MODULUS_BITS = 2048
MAX_KEYS = 5


def b64url_to_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


@dataclass(frozen=True)
class GeneratedKey:
    """A fresh key pair: the public JWK to register and the private JWK/PEM handed out once."""

    kid: str
    public_jwk: Mapping[str, Any]
    private_jwk: Mapping[str, Any] = field(repr=False)
    private_pem: bytes = field(repr=False)


def generate_rsa_key(bits: int = 2048) -> GeneratedKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    numbers = private.private_numbers()
    public = numbers.public_numbers
    n, e = b64url_uint(public.n), b64url_uint(public.e)
    kid = jwk_thumbprint({"kty": "RSA", "n": n, "e": e})
    public_jwk = {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": n, "e": e}
    private_jwk = {
        **public_jwk,
        "d": b64url_uint(numbers.d),
        "p": b64url_uint(numbers.p),
        "q": b64url_uint(numbers.q),
        "dp": b64url_uint(numbers.dmp1),
        "dq": b64url_uint(numbers.dmq1),
        "qi": b64url_uint(numbers.iqmp),
    }
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return GeneratedKey(kid=kid, public_jwk=public_jwk, private_jwk=private_jwk, private_pem=pem)


def _modulus_bits(n: object) -> int | None:
    if not isinstance(n, str):
        return None
    try:
        return b64url_to_int(n).bit_length()
    except (binascii.Error, ValueError):
        return None


def _x5c_matches(jwk: Mapping[str, Any]) -> bool:
    chain = jwk["x5c"]
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        return False
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
        key = certificate.public_key()
    except (binascii.Error, ValueError):
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    numbers = key.public_numbers()
    return numbers.n == b64url_to_int(jwk["n"]) and numbers.e == b64url_to_int(jwk["e"])


def check_key(index: int, jwk: object) -> dict[str, Any]:
    """One key's checks, in the §4.7 order; returns the public members to store."""

    def fail(reason: str) -> InvalidClientMetadata:
        return InvalidClientMetadata(f"Key {index}: {reason}")

    if not isinstance(jwk, Mapping) or jwk.get("kty") != "RSA":
        raise fail("kty must be RSA")
    for member in REQUIRED_MEMBERS:
        if member not in jwk:
            raise fail(f"missing {member}")
    if jwk["use"] != "sig":
        raise fail("use must be sig")
    if jwk["alg"] not in KEY_ALGORITHMS:
        raise fail("alg must be RS256, RS384 or RS512")
    if not isinstance(jwk["kid"], str) or not KID_PATTERN.match(jwk["kid"]):
        raise fail("kid must match ^[A-Za-z0-9._-]{1,255}$")
    bits = _modulus_bits(jwk["n"])
    if bits is None or bits < MIN_MODULUS_BITS or _modulus_bits(jwk["e"]) is None:
        raise fail(f"RSA modulus must be at least {MIN_MODULUS_BITS} bits")
    if any(member in jwk for member in PRIVATE_MEMBERS):
        raise fail("private key members are not allowed")
    if "x5c" in jwk and not _x5c_matches(jwk):
        raise fail("x5c does not match the key")
    return {member: jwk[member] for member in PUBLIC_MEMBERS if member in jwk}


def check_key_set(keys: Sequence[object]) -> list[dict[str, Any]]:
    """The set-level and per-key checks of §4.7 (global kid uniqueness is checked against storage)."""
    if not 1 <= len(keys) <= MAX_KEYS:
        raise InvalidClientMetadata(f"keys must contain between 1 and {MAX_KEYS} keys")
    checked = [check_key(index, key) for index, key in enumerate(keys)]
    seen: set[str] = set()
    for key in checked:
        if key["kid"] in seen:
            raise InvalidClientMetadata(f"Duplicate kid: {key['kid']}")
        seen.add(key["kid"])
    return checked


def write_private_file(path: Path, content: bytes) -> None:
    """Write a secret file with mode 0600 from the start (never readable by others, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def pem_path_for(jwk_path: Path) -> Path:
    """`client.jwk.json` → `client.pem` (the same key as PKCS#8 PEM, for tools that want PEM)."""
    name = jwk_path.name
    for suffix in (".json", ".jwk"):
        name = name.removesuffix(suffix)
    return jwk_path.with_name(f"{name}.pem")


def write_private_key(path: Path, key: GeneratedKey) -> Path:
    """Write the private JWK (JSON, with `kid`) and a PEM next to it, both 0600; returns the PEM path."""
    write_private_file(path, (json.dumps(dict(key.private_jwk), indent=2) + "\n").encode("utf-8"))
    pem = pem_path_for(path)
    write_private_file(pem, key.private_pem)
    return pem
