"""Tokens (krr.md §2.1), errors (§10), content negotiation and signed responses (§9), headers (§14)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from portvakt.app import PortvaktApp
from portvakt.krr.signing import thumbprint
from tests.krr.conftest import FEED, INGRID, PERSON, V1, V2, Mint, active, bearer

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.db]

Seed = Callable[..., Any]
BODY = {"personidentifikatorer": [INGRID]}
ERROR_URI = 'error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"'


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
async def test_missing_token(client: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post(V1, json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()
    assert error["message"] == "Full authentication is required to access this resource"
    assert error["error"] == "Unauthorized"


async def test_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient, token: Mint) -> None:
    response = await client.post(V1, json=BODY, headers={"Authorization": f"bEaReR {token()}"})
    assert response.status_code == 200


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64url(payload))
    claims["scope"] = (
        "krr:global/kontaktinformasjon.read krr:global/digitalpost.read krr:global/hentendring.read"
    )
    return f"{header}.{_b64url(json.dumps(claims).encode())}.{signature}"


def _alg_none(token: str) -> str:
    _header, payload, _signature = token.split(".")
    header = _b64url(b'{"alg":"none","kid":"x"}')
    return f"{header}.{payload}."


@pytest.mark.parametrize(
    ("make", "description"),
    [
        (lambda mint: "not-a-jwt.at.all", "Token is malformed"),
        (lambda mint: "abc.def", "Token is malformed"),
        (lambda mint: _alg_none(mint()), "Token is malformed"),
        (lambda mint: _tampered(mint()), "Token signature is invalid"),
        (lambda mint: mint(lifetime=-60), "Token has expired"),
        (lambda mint: mint(iat_offset=60), "Token is not yet valid"),
        (lambda mint: mint(issuer="https://evil.example/"), "Token issuer is not accepted for this endpoint"),
        (lambda mint: mint(consumer="123456789"), "Token is malformed"),
    ],
)
async def test_invalid_tokens(
    client: httpx.AsyncClient, token: Mint, make: Callable[[Mint], str], description: str
) -> None:
    response = await client.post(V1, json=BODY, headers=bearer(make(token)))
    assert response.status_code == 401
    assert response.json()["message"] == f"Invalid bearer token: {description}"
    assert response.headers["www-authenticate"] == (
        f'Bearer error="invalid_token", error_description="{description}", {ERROR_URI}'
    )


async def test_expiry_leeway_of_ten_seconds(client: httpx.AsyncClient, token: Mint) -> None:
    assert (await client.post(V1, json=BODY, headers=bearer(token(lifetime=-9)))).status_code == 200
    assert (await client.post(V1, json=BODY, headers=bearer(token(iat_offset=9)))).status_code == 200


async def test_aud_and_pid_are_not_checked_on_personer(client: httpx.AsyncClient, token: Mint) -> None:
    response = await client.post(
        V1, json=BODY, headers=bearer(token(aud="https://other.example", pid="12345678901"))
    )
    assert response.status_code == 200


async def test_unknown_path_and_method(client: httpx.AsyncClient) -> None:
    missing = await client.get("/krr/rest/v2/printSertifikat")
    assert missing.status_code == 404
    assert missing.json()["message"] == "No endpoint GET /krr/rest/v2/printSertifikat"
    assert missing.json()["path"] == "/krr/rest/v2/printSertifikat"
    wrong = await client.get(V2)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert wrong.json()["message"] == "Request method 'GET' is not supported"
    assert wrong.json()["error"] == "Method Not Allowed"
    delete = await client.delete(PERSON)
    assert delete.status_code == 405
    assert set(delete.headers["allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}


async def test_response_headers(client: httpx.AsyncClient, token: Mint) -> None:
    for response in (
        await client.post(V1, json=BODY, headers=bearer(token())),
        await client.post(V1, json=BODY),
    ):
        assert response.headers["cache-control"] == "no-cache, no-store, max-age=0, must-revalidate"
        assert response.headers["pragma"] == "no-cache"
        assert response.headers["expires"] == "0"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-xss-protection"] == "0"
        assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json; charset=utf-8", "application/json"),
        ("application/jose", "application/jose"),
        ("application/jose;q=0.5, application/json;q=0.9", "application/json"),
        ("application/jose, application/json", "application/jose"),
        ("application/json;q=0, application/jose;q=0.1", "application/jose"),
        ("text/html, application/jose;q=0.2", "application/jose"),
    ],
)
async def test_negotiation(client: httpx.AsyncClient, token: Mint, accept: str, expected: str) -> None:
    response = await client.post(V1, json=BODY, headers=bearer(token()) | {"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == expected


@pytest.mark.parametrize("accept", ["text/html", "application/xml, text/plain", "application/json;q=0"])
async def test_not_acceptable(client: httpx.AsyncClient, token: Mint, accept: str) -> None:
    response = await client.post(V1, json=BODY, headers=bearer(token()) | {"Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/json"
    assert response.json()["message"] == (
        "No acceptable representation. Supported media types: application/json, application/jose"
    )


async def test_signed_response(app: PortvaktApp, client: httpx.AsyncClient, token: Mint, seed: Seed) -> None:
    await seed(active(INGRID, both=True))
    plain = await client.post(V1, json=BODY, headers=bearer(token()))
    signed = await client.post(V1, json=BODY, headers=bearer(token()) | {"Accept": "application/jose"})
    assert signed.status_code == 200
    encoded_header, encoded_payload, encoded_signature = signed.text.split(".")
    assert "=" not in signed.text
    header = json.loads(_unb64url(encoded_header))
    assert list(header) == ["alg", "kid", "x5c"]
    assert header["alg"] == "RS256"
    chain = [x509.load_der_x509_certificate(base64.b64decode(item, validate=True)) for item in header["x5c"]]
    leaf, root = chain
    key = leaf.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 3072
    assert header["kid"] == thumbprint(key)
    key.verify(
        _unb64url(encoded_signature),
        f"{encoded_header}.{encoded_payload}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert _unb64url(encoded_payload) == plain.content  # byte-identical to the JSON response
    assert leaf.issuer == root.subject
    ca = app.platform.components["maskinporten.testca"]
    assert root == await ca.certificate()
    subject = {attribute.oid: attribute.value for attribute in leaf.subject}
    assert subject[NameOID.COMMON_NAME] == "KRR signering"
    assert subject[NameOID.ORGANIZATION_NAME] == "PORTVAKT KRR"
    assert subject[NameOID.ORGANIZATION_IDENTIFIER] == "NTRNO-310000019"
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_encipherment
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days >= 3 * 365


async def test_errors_are_never_signed(client: httpx.AsyncClient, token: Mint) -> None:
    response = await client.post(
        V1, json={"personidentifikatorer": []}, headers=bearer(token()) | {"Accept": "application/jose"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"


async def test_feed_and_person_sign_too(client: httpx.AsyncClient, token: Mint, citizen: Mint) -> None:
    feed = await client.post(
        FEED,
        json={"fraEndringsId": 0},
        headers=bearer(token("krr:global/hentendring.read")) | {"Accept": "application/jose"},
    )
    assert feed.headers["content-type"] == "application/jose"
    person = await client.get(PERSON, headers=bearer(citizen()) | {"Accept": "application/jose"})
    assert person.headers["content-type"] == "application/jose"
    assert json.loads(_unb64url(person.text.split(".")[1]))["personidentifikator"] == INGRID
