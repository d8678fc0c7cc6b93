"""`portvakt token` (maskinporten.md §1.5): output, --decode, --json and exit codes."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner, Result

import portvakt.client.cli as token_cli
from portvakt.cli import app
from portvakt.client import MaskinportenClient
from tests.client.certs import business_certificate
from tests.client.fakes import ISSUER, FakeTokenEndpoint
from tests.client.grant_rules import check_grant
from tests.resource_server.fakes import rsa_key

KEY = rsa_key("cli-key")
ACCESS_TOKEN = jwt.encode(
    {"iss": ISSUER, "scope": "a:b"}, rsa_key("issuer"), algorithm="RS256", headers={"kid": "ik"}
)


def pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined,no-any-return]
        Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> FakeTokenEndpoint:
    fake = FakeTokenEndpoint()
    monkeypatch.setattr(
        token_cli, "MaskinportenClient", partial(MaskinportenClient, transport=httpx.MockTransport(fake))
    )
    return fake


@pytest.fixture
def jwk_file(tmp_path: Path) -> Path:
    path = tmp_path / "client.jwk.json"
    path.write_text(json.dumps(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY)) | {"kid": "cli-kid"}))
    return path


@pytest.fixture
def pem_file(tmp_path: Path) -> Path:
    path = tmp_path / "client.key.pem"
    path.write_bytes(pem(KEY))
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["token", "--client-id", "cli-client", *args])


def test_prints_the_token_response(endpoint: FakeTokenEndpoint, jwk_file: Path) -> None:
    result = run("--key", str(jwk_file), "--scope", "a:b", "--scope", "c:d", "--issuer", ISSUER)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "access_token": "token-1",
        "token_type": "Bearer",
        "expires_in": 120,
        "scope": "a:b c:d",
    }
    header, claims = check_grant(
        endpoint.forms()[0]["assertion"], ISSUER, "cli-client", lambda kid: KEY.public_key()
    )
    assert header == {"alg": "RS256", "kid": "cli-kid"}
    assert claims["scope"] == "a:b c:d"


def test_options_reach_the_grant(endpoint: FakeTokenEndpoint, pem_file: Path) -> None:
    result = run(
        "--key",
        str(pem_file),
        "--kid",
        "pem-kid",
        "--scope",
        "a:b",
        "--resource",
        "https://a.test/",
        "--resource",
        "https://b.test/",
        "--consumer-org",
        "991825827",
        "--pid",
        "01819012365",
        "--issuer",
        ISSUER,
        "--json",
    )
    assert result.exit_code == 0, result.output
    header, claims = check_grant(
        endpoint.forms()[0]["assertion"], ISSUER, "cli-client", lambda kid: KEY.public_key()
    )
    assert header["kid"] == "pem-kid"
    assert claims["resource"] == ["https://a.test/", "https://b.test/"]
    assert claims["consumer_org"] == "991825827"
    assert claims["pid"] == "01819012365"


def test_x5c(endpoint: FakeTokenEndpoint, tmp_path: Path) -> None:
    cert = business_certificate()
    key_path, chain_path = tmp_path / "org.key.pem", tmp_path / "org.chain.pem"
    key_path.write_bytes(pem(cert.key))
    chain_path.write_bytes(cert.leaf.public_bytes(Encoding.PEM) + cert.ca.public_bytes(Encoding.PEM))
    result = run("--key", str(key_path), "--x5c", str(chain_path), "--scope", "a:b", "--issuer", ISSUER)
    assert result.exit_code == 0, result.output
    header, _ = check_grant(
        endpoint.forms()[0]["assertion"], ISSUER, "cli-client", lambda kid: KEY.public_key()
    )
    assert set(header) == {"alg", "x5c"}
    assert len(header["x5c"]) == 2


def jwt_reply(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 600, "scope": "a:b"}
    )


def test_decode_json(endpoint: FakeTokenEndpoint, jwk_file: Path) -> None:
    endpoint.reply = jwt_reply
    result = run("--key", str(jwk_file), "--scope", "a:b", "--issuer", ISSUER, "--decode", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["access_token"] == ACCESS_TOKEN
    assert document["decoded_access_token"] == {
        "verified": False,
        "header": {"alg": "RS256", "kid": "ik", "typ": "JWT"},
        "claims": {"iss": ISSUER, "scope": "a:b"},
    }


def test_decode_text(endpoint: FakeTokenEndpoint, jwk_file: Path) -> None:
    endpoint.reply = jwt_reply
    result = run("--key", str(jwk_file), "--scope", "a:b", "--issuer", ISSUER, "--decode")
    assert result.exit_code == 0, result.output
    response_text, decoded_text = result.stdout.split("Decoded access token (NOT verified):")
    assert json.loads(response_text)["expires_in"] == 600
    assert json.loads(decoded_text)["claims"] == {"iss": ISSUER, "scope": "a:b"}


def test_default_issuer_from_settings(
    endpoint: FakeTokenEndpoint, jwk_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTVAKT_MASKINPORTEN_BASE_URL", ISSUER.rstrip("/"))
    result = run("--key", str(jwk_file), "--scope", "a:b")
    assert result.exit_code == 0, result.output
    assert endpoint.metadata_requests == 1


def test_server_error_exit_1(endpoint: FakeTokenEndpoint, jwk_file: Path) -> None:
    endpoint.reply = lambda request: httpx.Response(
        400,
        json={
            "error": "invalid_grant",
            "error_description": "Invalid assertion. Client authentication failed. "
            "Unknown key identifier (kid) for client (trace_id: 0af7651916cd43dd8448eb211c80319c)",
        },
    )
    result = run("--key", str(jwk_file), "--scope", "a:b", "--issuer", ISSUER)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "invalid_grant: Invalid assertion. Client authentication failed. "
        "Unknown key identifier (kid) for client "
        "(trace_id: 0af7651916cd43dd8448eb211c80319c)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--key", "/nonexistent/key.pem", "--kid", "k"], "no such file", id="missing-key-file"),
        pytest.param(["--key", "{pem}"], "kid", id="pem-without-kid-or-x5c"),
        pytest.param(
            ["--key", "{pem}", "--x5c", "/nonexistent/chain.pem"], "no such file", id="missing-chain"
        ),
        pytest.param(["--key", "{jwk}", "--alg", "HS256"], "--alg", id="bad-alg"),
        pytest.param(["--key", "{garbage}", "--kid", "k"], "PEM", id="not-a-key"),
    ],
)
def test_usage_errors_exit_2(
    endpoint: FakeTokenEndpoint, jwk_file: Path, pem_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    paths = {"pem": str(pem_file), "jwk": str(jwk_file), "garbage": str(garbage)}
    result = run(*[a.format(**paths) for a in args], "--scope", "a:b", "--issuer", ISSUER)
    assert result.exit_code == 2
    assert message in result.stderr
    assert endpoint.token_requests == []
