"""Compact JWS parsing and RS256 verification (RFC 7515 §7.1, RFC 7518 §3.3), RSA JWKs (RFC 7518 §6.3.1)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from portvakt.resource_server.errors import InvalidToken


def _b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2): any other character is an error."""
    if "=" in text or "+" in text or "/" in text:
        raise ValueError("not base64url")
    standard = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    return base64.b64decode(standard, validate=True)


@dataclass(frozen=True)
class CompactJWS:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def looks_like_jws(token: str) -> bool:
    return token.count(".") == 2


def parse(token: str) -> CompactJWS:
    """Three base64url parts, header and payload JSON objects → else InvalidToken."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("The token is not a compact JWS")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidToken("The token is not a compact JWS") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("The token is not a compact JWS")
    return CompactJWS(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def check_header(header: Mapping[str, Any]) -> str:
    """`alg` must be RS256 and `kid` present; returns the kid."""
    if header.get("alg") != "RS256":
        raise InvalidToken("The token's alg is not RS256")
    if "crit" in header:
        raise InvalidToken("The token's header has crit")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("The token's header has no kid")
    return kid


def verify(jws: CompactJWS, key: rsa.RSAPublicKey) -> None:
    try:
        key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise InvalidToken("The token's signature is invalid") from exc


def _b64url_int(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError("JWK member is not a string")
    return int.from_bytes(_b64url_decode(value), "big")


def rsa_keys(jwks: Mapping[str, Any]) -> dict[str, rsa.RSAPublicKey]:
    """Usable signing keys of a JWKS by kid: RSA with a kid, `use` absent or `sig`, `alg` absent or RS256."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ValueError("JWKS has no keys array")
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
            continue
        try:
            keys[kid] = rsa.RSAPublicNumbers(_b64url_int(jwk["e"]), _b64url_int(jwk["n"])).public_key()
        except (KeyError, ValueError, binascii.Error):
            continue
    return keys
