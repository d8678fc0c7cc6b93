"""The grant the client builds (maskinporten.md §5), checked with PyJWT and an independent §5 reading."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import jwt
import pytest
from authlib.oauth2.rfc7523 import JWTBearerGrant
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc.jwk import RSAKey

from portvakt.client import GrantBuilder, KeyConfigError, SigningKey, TokenRequest
from portvakt.client.keys import SigningAlg
from tests.client.certs import business_certificate
from tests.client.grant_rules import check_grant
from tests.resource_server.fakes import rsa_key

ISSUER = "https://maskinporten.test/"
CLIENT_ID = "0f2d7c1e-client"
NOW = 1_767_225_600
KEY = rsa_key("client-key")
JTI = re.compile(r"[A-Za-z0-9_-]{43}")


def private_pem(key: object = KEY) -> bytes:
    assert hasattr(key, "private_bytes")
    return key.private_bytes(  # type: ignore[no-any-return]
        Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_jwk(kid: str | None = "my-kid") -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY))
    return jwk | ({"kid": kid} if kid else {})


def key_for(kid: str) -> object:
    assert kid == "my-kid"
    return KEY.public_key()


def test_grant_with_kid_has_exactly_the_spec_header_and_claims() -> None:
    builder = GrantBuilder(ISSUER, CLIENT_ID, SigningKey(KEY, kid="my-kid"))
    grant = builder.build(TokenRequest.of(["a:b", "c:d", "a:b"]), NOW)
    assert jwt.get_unverified_header(grant) == {"alg": "RS256", "kid": "my-kid"}
    claims = jwt.decode(
        grant,
        KEY.public_key(),
        algorithms=["RS256"],
        audience=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert set(claims) == {"aud", "iss", "iat", "exp", "jti", "scope"}
    assert claims["aud"] == ISSUER
    assert claims["iss"] == CLIENT_ID
    assert claims["iat"] == NOW
    assert claims["exp"] == NOW + 60
    assert JTI.fullmatch(claims["jti"])
    assert claims["scope"] == "a:b c:d"
    check_grant(grant, ISSUER, CLIENT_ID, key_for)  # type: ignore[arg-type]


def test_optional_claims() -> None:
    builder = GrantBuilder(ISSUER, CLIENT_ID, SigningKey(KEY, kid="my-kid"), lifetime=120)
    one = TokenRequest.of("a:b", resource="https://api.test/", consumer_org="991825827", pid="01819012365")
    _, claims = check_grant(builder.build(one, NOW), ISSUER, CLIENT_ID, key_for)  # type: ignore[arg-type]
    assert claims["resource"] == "https://api.test/"
    assert claims["consumer_org"] == "991825827"
    assert claims["pid"] == "01819012365"
    assert claims["exp"] - claims["iat"] == 120
    several = TokenRequest.of("a:b", resource=["https://a.test/", "https://b.test/", "https://a.test/"])
    _, claims = check_grant(builder.build(several, NOW), ISSUER, CLIENT_ID, key_for)  # type: ignore[arg-type]
    assert claims["resource"] == ["https://a.test/", "https://b.test/"]


def test_jti_is_fresh() -> None:
    builder = GrantBuilder(ISSUER, CLIENT_ID, SigningKey(KEY, kid="my-kid"))
    request = TokenRequest.of("a:b")
    jtis = {
        jwt.decode(builder.build(request, NOW), options={"verify_signature": False})["jti"] for _ in range(5)
    }
    assert len(jtis) == 5


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_selectable_algorithms(alg: SigningAlg) -> None:
    grant = GrantBuilder(ISSUER, CLIENT_ID, SigningKey(KEY, kid="my-kid", alg=alg)).build(
        TokenRequest.of("a"), NOW
    )
    assert jwt.get_unverified_header(grant)["alg"] == alg
    jwt.decode(grant, KEY.public_key(), algorithms=[alg], audience=ISSUER, options={"verify_exp": False})


@pytest.mark.parametrize("lifetime", [0, 121])
def test_lifetime_bounds(lifetime: int) -> None:
    with pytest.raises(ValueError, match="lifetime"):
        GrantBuilder(ISSUER, CLIENT_ID, SigningKey(KEY, kid="k"), lifetime=lifetime)


def test_x5c_grant_from_pem_and_chain() -> None:
    cert = business_certificate()
    chain = cert.leaf.public_bytes(Encoding.PEM) + cert.ca.public_bytes(Encoding.PEM)
    key = SigningKey.from_pem(private_pem(cert.key), chain_pem=chain)
    grant = GrantBuilder(ISSUER, CLIENT_ID, key).build(TokenRequest.of("a:b"), NOW)
    header, _ = check_grant(grant, ISSUER, CLIENT_ID, key_for)  # type: ignore[arg-type]
    assert set(header) == {"alg", "x5c"}
    assert header["x5c"] == [
        base64.b64encode(cert.leaf.public_bytes(Encoding.DER)).decode(),
        base64.b64encode(cert.ca.public_bytes(Encoding.DER)).decode(),
    ]


def test_key_loaders(tmp_path: Path) -> None:
    jwk_file = tmp_path / "key.json"
    jwk_file.write_text(json.dumps(private_jwk()))
    assert SigningKey.from_file(jwk_file).header() == {"alg": "RS256", "kid": "my-kid"}
    assert SigningKey.from_file(jwk_file, kid="other").kid == "other"
    pem_file = tmp_path / "key.pem"
    pem_file.write_bytes(private_pem())
    loaded = SigningKey.from_file(pem_file, kid="pem-kid", alg="RS512")
    assert loaded.header() == {"alg": "RS512", "kid": "pem-kid"}
    assert loaded.public_jwk()["n"] == private_jwk()["n"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: SigningKey.from_pem(private_pem()), "kid", id="pem-without-kid"),
        pytest.param(lambda p: SigningKey.from_jwk(private_jwk(kid=None)), "no kid", id="jwk-without-kid"),
        pytest.param(lambda p: SigningKey.from_pem(b"garbage", kid="k"), "PEM", id="not-pem"),
        pytest.param(
            lambda p: SigningKey.from_jwk({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "k"}),
            "not an RSA private",
            id="public-jwk",
        ),
        pytest.param(
            lambda p: SigningKey.from_pem(
                private_pem(), chain_pem=business_certificate().leaf.public_bytes(Encoding.PEM)
            ),
            "does not belong",
            id="chain-of-another-key",
        ),
        pytest.param(
            lambda p: SigningKey.from_pem(private_pem(), kid="k", chain_pem=b""),
            "not both",
            id="kid-and-chain",
        ),
    ],
)
def test_key_errors(tmp_path: Path, make: object, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        make(tmp_path)  # type: ignore[operator]


def test_authlib_grant_passes_the_same_rules() -> None:
    """Cross-check of our reading of §5: a grant from Authlib's RFC 7523 signer passes it too."""
    grant = JWTBearerGrant.sign(
        RSAKey.import_key(private_pem()),
        issuer=CLIENT_ID,
        audience=ISSUER,
        subject=CLIENT_ID,
        expires_in=120,
        claims={"scope": "a:b"},
        header={"alg": "RS256", "kid": "my-kid"},
    )
    text = grant.decode() if isinstance(grant, bytes) else grant
    header, claims = check_grant(text, ISSUER, CLIENT_ID, key_for)  # type: ignore[arg-type]
    assert header["kid"] == "my-kid"
    assert claims["sub"] == CLIENT_ID
