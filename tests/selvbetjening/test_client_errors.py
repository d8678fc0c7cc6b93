"""One row per error branch of `POST/PUT /clients` (§4.4–§4.6), the key checks of §4.7 and the secret
rule; every refusal leaves the stored state as it was."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import ClientSettings, ScopeSettings
from tests.selvbetjening.conftest import ALL_SCOPES, CONSUMER, PROVIDER, UNREGISTERED, World, error_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

MP = {"client_name": "Oppslag", "integration_type": "maskinporten", "description": "Henter data"}
IDP = {"client_name": "Innlogging", "integration_type": "idporten", "redirect_uris": ["https://a.no/cb"]}
KEY = generate_rsa_key()
PUBLIC = dict(KEY.public_jwk)


@dataclass(frozen=True)
class Fixtures:
    world: World
    keyed: str  # maskinporten client of CONSUMER
    secret: str  # idporten client_secret_basic client of CONSUMER
    taken_kid: str  # a kid registered on another client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fx(shared_world: World) -> Fixtures:
    admin = shared_world.admin
    await admin.create_scope("test", "gammel", ScopeSettings(description="Gammel"), orgno=PROVIDER)
    await admin.deactivate_scope("test:gammel")
    keyed = await admin.create_client(ClientSettings(**MP), orgno=CONSUMER)  # type: ignore[arg-type]
    secret = await admin.create_client(
        ClientSettings(**{**IDP, "redirect_uris": tuple(IDP["redirect_uris"])}),  # type: ignore[arg-type]
        orgno=CONSUMER,
    )
    other = await admin.create_client(ClientSettings(**MP), orgno=PROVIDER, generate_key=True)  # type: ignore[arg-type]
    assert other.generated_key is not None
    return Fixtures(shared_world, keyed.client.client_id, secret.client.client_id, other.generated_key.kid)


async def refused(fx: Fixtures, method: str, path: str, **kwargs: Any) -> tuple[int, str, str]:
    world = fx.world
    token = await world.token(CONSUMER, ALL_SCOPES)
    before = await world.snapshot()
    response = await world.call(method, path.format(keyed=fx.keyed, secret=fx.secret), token, **kwargs)
    assert await world.snapshot() == before
    return error_body(response)


META = "invalid_client_metadata"


@pytest.mark.parametrize(
    ("body", "error", "description"),
    [
        pytest.param(
            ["not", "an", "object"], "invalid_request", "Request body must be a JSON object", id="not-object"
        ),
        pytest.param({**MP, "client_name": 5}, META, "Invalid value for client_name", id="ill-typed-name"),
        pytest.param({**MP, "scopes": "a b"}, META, "Invalid value for scopes", id="ill-typed-scopes"),
        pytest.param(
            {**MP, "access_token_lifetime": True},
            META,
            "Invalid value for access_token_lifetime",
            id="bool-as-int",
        ),
        pytest.param(
            {**MP, "client_orgno": "123"}, META, "Unknown organisation: 123", id="client-orgno-invalid"
        ),
        pytest.param(
            {**MP, "client_orgno": UNREGISTERED},
            META,
            f"Unknown organisation: {UNREGISTERED}",
            id="client-orgno-unknown",
        ),
        pytest.param(
            {"client_name": "x"}, META, "integration_type is required", id="integration-type-missing"
        ),
        pytest.param(
            {**MP, "integration_type": "saml"},
            META,
            "Unsupported integration_type: saml",
            id="integration-type-unsupported",
        ),
        pytest.param(
            {**MP, "application_type": "native"},
            META,
            "application_type 'native' is not allowed for integration_type 'maskinporten'",
            id="matrix-application-type",
        ),
        pytest.param(
            {**MP, "token_endpoint_auth_method": "client_secret_basic"},
            META,
            "token_endpoint_auth_method 'client_secret_basic' is not allowed "
            "for integration_type 'maskinporten'",
            id="no-secret-for-maskinporten",
        ),
        pytest.param(
            {**IDP, "application_type": "browser", "token_endpoint_auth_method": "client_secret_post"},
            META,
            "token_endpoint_auth_method 'client_secret_post' is not allowed for integration_type 'idporten'",
            id="browser-needs-none",
        ),
        pytest.param(
            {**IDP, "grant_types": ["authorization_code", "implicit"]},
            META,
            "grant_types 'implicit' is not allowed for integration_type 'idporten'",
            id="implicit",
        ),
        pytest.param(
            {**MP, "grant_types": ["client_credentials"]},
            META,
            "grant_types 'client_credentials' is not allowed for integration_type 'maskinporten'",
            id="client-credentials",
        ),
        pytest.param({**MP, "client_name": " "}, META, "client_name is required", id="name-missing"),
        pytest.param(
            {**MP, "client_name": "n" * 256}, META, "client_name is out of range", id="name-too-long"
        ),
        pytest.param({**MP, "description": None}, META, "description is required", id="description-missing"),
        pytest.param(
            {**IDP, "redirect_uris": ["http://evil.example/cb"]},
            META,
            "Invalid redirect_uri: http://evil.example/cb",
            id="redirect-http",
        ),
        pytest.param(
            {**IDP, "redirect_uris": ["https://a.no/cb#frag"]},
            META,
            "Invalid redirect_uri: https://a.no/cb#frag",
            id="redirect-fragment",
        ),
        pytest.param({**IDP, "redirect_uris": []}, META, "redirect_uris is required", id="redirect-required"),
        pytest.param(
            {**IDP, "frontchannel_logout_uri": "https://other.no/logout"},
            META,
            "Invalid frontchannel_logout_uri: https://other.no/logout",
            id="logout-host",
        ),
        pytest.param(
            {**IDP, "client_uri": "http://a.no"},
            META,
            "Invalid client_uri: http://a.no",
            id="client-uri-https",
        ),
        pytest.param(
            {**MP, "access_token_lifetime": 7201},
            META,
            "access_token_lifetime is out of range",
            id="lifetime-range",
        ),
        pytest.param(
            {**IDP, "access_token_lifetime": 600, "refresh_token_lifetime": 600},
            META,
            "access_token_lifetime must be less than refresh_token_lifetime",
            id="access-vs-refresh",
        ),
        pytest.param(
            {**IDP, "refresh_token_lifetime": 9000},
            META,
            "refresh_token_lifetime must not exceed authorization_lifetime",
            id="refresh-vs-authorization",
        ),
        pytest.param(
            {**MP, "scopes": ["test:finnes-ikke"]},
            META,
            "Scope 'test:finnes-ikke' does not exist",
            id="scope-unknown",
        ),
        pytest.param(
            {**MP, "scopes": ["test:gammel"]},
            META,
            "Scope 'test:gammel' is deactivated",
            id="scope-deactivated",
        ),
        pytest.param(
            {**IDP, "scopes": ["openid", "test:api/les"]},
            META,
            "Scope 'test:api/les' is not allowed for integration_type 'idporten'",
            id="scope-type",
        ),
        pytest.param(
            {**MP, "scopes": ["test:api/les"]},
            META,
            f"Scope 'test:api/les' is not shared with organisation {CONSUMER} in this environment. "
            "Contact the API provider.",
            id="scope-not-shared",
        ),
        pytest.param(
            {"integration_type": "saml", "client_orgno": "123"},
            META,
            "Unknown organisation: 123",
            id="order-client-orgno-first",
        ),
        pytest.param(
            {"integration_type": "maskinporten", "application_type": "native", "client_name": ""},
            META,
            "application_type 'native' is not allowed for integration_type 'maskinporten'",
            id="order-matrix-before-name",
        ),
        pytest.param(
            {**IDP, "client_name": "", "redirect_uris": ["ftp://x"]},
            META,
            "client_name is required",
            id="order-name-before-uris",
        ),
        pytest.param(
            {**IDP, "redirect_uris": ["ftp://x"], "access_token_lifetime": 99999, "scopes": ["nope"]},
            META,
            "Invalid redirect_uri: ftp://x",
            id="order-uris-before-lifetimes",
        ),
        pytest.param(
            {**MP, "access_token_lifetime": 99999, "scopes": ["nope"]},
            META,
            "access_token_lifetime is out of range",
            id="order-lifetimes-before-scopes",
        ),
    ],
)
async def test_create_client_refusals(fx: Fixtures, body: Any, error: str, description: str) -> None:
    assert await refused(fx, "POST", "/clients", json=body) == (400, error, description)


async def test_a_body_that_is_not_json_is_400(fx: Fixtures) -> None:
    result = await refused(
        fx, "POST", "/clients", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert result == (400, "invalid_request", "Request body must be a JSON object")


async def test_a_body_of_another_media_type_is_415(fx: Fixtures) -> None:
    result = await refused(fx, "POST", "/clients", data={"client_name": "x"})
    assert result == (415, "invalid_request", "Content-Type must be application/json")


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        pytest.param(
            "PUT",
            "/clients/{keyed}",
            {**MP, "integration_type": "krr"},
            (400, META, "integration_type cannot be changed"),
            id="integration-type-change",
        ),
        pytest.param(
            "PUT",
            "/clients/{keyed}",
            {**MP, "scopes": ["test:gammel"]},
            (400, META, "Scope 'test:gammel' is deactivated"),
            id="put-checks-added-scopes",
        ),
        pytest.param("PUT", "/clients/nope", MP, (404, "not_found", "Client not found"), id="put-unknown"),
        pytest.param(
            "POST",
            "/clients/{keyed}/secret",
            None,
            (400, META, "Client does not use a client secret"),
            id="secret-for-keyed-client",
        ),
        pytest.param(
            "POST",
            "/clients/{secret}/jwks",
            {"keys": [PUBLIC]},
            (400, META, "Client does not use private_key_jwt"),
            id="keys-for-secret-client",
        ),
        pytest.param(
            "DELETE",
            "/clients/{secret}/jwks",
            None,
            (400, META, "Client does not use private_key_jwt"),
            id="delete-keys-for-secret-client",
        ),
        pytest.param(
            "GET",
            "/clients/nope/jwks",
            None,
            (404, "not_found", "Client not found"),
            id="keys-unknown-client",
        ),
    ],
)
async def test_update_secret_and_key_refusals(
    fx: Fixtures, method: str, path: str, body: Any, expected: tuple[int, str, str]
) -> None:
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    assert await refused(fx, method, path, **kwargs) == expected


def _without(member: str) -> dict[str, Any]:
    return {name: value for name, value in PUBLIC.items() if name != member}


def _short_key() -> dict[str, Any]:
    return {**PUBLIC, "n": base64.urlsafe_b64encode(b"\x01" * 128).rstrip(b"=").decode()}


def _x5c_of_another_key() -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(other.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(other, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {**PUBLIC, "x5c": [base64.b64encode(der).decode()]}


@pytest.mark.parametrize(
    ("body", "description"),
    [
        pytest.param({"keys": []}, "keys must contain between 1 and 5 keys", id="empty"),
        pytest.param({}, "keys must contain between 1 and 5 keys", id="missing"),
        pytest.param({"keys": [PUBLIC] * 6}, "keys must contain between 1 and 5 keys", id="too-many"),
        pytest.param({"keys": "x"}, "Invalid value for keys", id="not-a-list"),
        pytest.param({"keys": [{**PUBLIC, "kty": "EC"}]}, "Key 0: kty must be RSA", id="kty"),
        pytest.param({"keys": [_without("kid")]}, "Key 0: missing kid", id="missing-kid"),
        pytest.param({"keys": [_without("alg")]}, "Key 0: missing alg", id="missing-alg"),
        pytest.param({"keys": [_without("use")]}, "Key 0: missing use", id="missing-use"),
        pytest.param({"keys": [_without("n")]}, "Key 0: missing n", id="missing-n"),
        pytest.param({"keys": [_without("e")]}, "Key 0: missing e", id="missing-e"),
        pytest.param({"keys": [{**PUBLIC, "use": "enc"}]}, "Key 0: use must be sig", id="use"),
        pytest.param(
            {"keys": [{**PUBLIC, "alg": "HS256"}]}, "Key 0: alg must be RS256, RS384 or RS512", id="alg"
        ),
        pytest.param(
            {"keys": [{**PUBLIC, "kid": "a b"}]}, "Key 0: kid must match ^[A-Za-z0-9._-]{1,255}$", id="kid"
        ),
        pytest.param({"keys": [_short_key()]}, "Key 0: RSA modulus must be at least 2048 bits", id="modulus"),
        pytest.param(
            {"keys": [{**PUBLIC, "d": "AQAB"}]}, "Key 0: private key members are not allowed", id="private"
        ),
        pytest.param({"keys": [_x5c_of_another_key()]}, "Key 0: x5c does not match the key", id="x5c"),
        pytest.param({"keys": [PUBLIC, PUBLIC]}, f"Duplicate kid: {KEY.kid}", id="duplicate"),
        pytest.param(
            {"keys": [{**PUBLIC, "kid": "TAKEN"}]},
            "kid 'TAKEN' is already in use by another client",
            id="kid-taken",
        ),
    ],
)
async def test_key_set_refusals(fx: Fixtures, body: dict[str, Any], description: str) -> None:
    if body.get("keys") and isinstance(body["keys"], list) and body["keys"][0].get("kid") == "TAKEN":
        body = {"keys": [{**PUBLIC, "kid": fx.taken_kid}]}
        description = description.replace("TAKEN", fx.taken_kid)
    assert await refused(fx, "PUT", "/clients/{keyed}/jwks", json=body) == (400, META, description)
