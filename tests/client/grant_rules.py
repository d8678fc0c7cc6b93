"""An independent reading of maskinporten.md §5 for tests: header and claim rules, signature via PyJWT."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

ALLOWED_CLAIMS = {"aud", "iss", "iat", "exp", "jti", "scope", "nbf", "sub", "resource", "pid", "consumer_org"}
REQUIRED_CLAIMS = {"aud", "iss", "iat", "exp", "scope"}


def _orgno_ok(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 9 or not value.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(value, (3, 2, 7, 6, 5, 4, 3, 2), strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(value[8])


def _absolute(uri: object) -> bool:
    if not isinstance(uri, str):
        return False
    parts = urlsplit(uri)
    return bool(parts.scheme and parts.netloc and not parts.fragment)


def check_grant(
    assertion: str, issuer: str, client_id: str, key_for_kid: Callable[[str], rsa.RSAPublicKey]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Raises AssertionError on any §5 violation; returns (header, claims)."""
    assert assertion.count(".") == 2
    header = jwt.get_unverified_header(assertion)
    assert header.get("alg") in {"RS256", "RS384", "RS512"}
    assert "crit" not in header
    if "kid" in header:
        key = key_for_kid(header["kid"])
    else:
        x5c = header.get("x5c")
        assert isinstance(x5c, list)
        assert x5c
        leaf = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
        leaf_key = leaf.public_key()
        assert isinstance(leaf_key, rsa.RSAPublicKey)
        key = leaf_key
    claims = jwt.decode(
        assertion,
        key,
        algorithms=[header["alg"]],
        options={"verify_signature": True, "verify_aud": False, "verify_exp": False, "verify_iat": False},
    )
    assert set(claims) <= ALLOWED_CLAIMS, set(claims) - ALLOWED_CLAIMS
    assert set(claims) >= REQUIRED_CLAIMS
    assert claims["aud"] == issuer
    assert claims["iss"] == client_id
    assert isinstance(claims["iat"], int)
    assert isinstance(claims["exp"], int)
    assert claims["iat"] <= claims["exp"] <= claims["iat"] + 120
    assert isinstance(claims["scope"], str)
    assert claims["scope"].split()
    if "jti" in claims:
        assert isinstance(claims["jti"], str)
        assert 1 <= len(claims["jti"]) <= 255
    if "sub" in claims:
        assert claims["sub"] == claims["iss"]
    if "resource" in claims:
        resource = claims["resource"]
        values = resource if isinstance(resource, list) else [resource]
        assert values
        assert len(values) <= 10
        assert all(_absolute(v) for v in values)
    if "consumer_org" in claims:
        assert _orgno_ok(claims["consumer_org"])
    if "pid" in claims:
        assert isinstance(claims["pid"], str)
        assert len(claims["pid"]) == 11
    json.dumps(claims)
    return header, claims
