"""End to end (KRR issue, deliverable 7): against a real `portvakt serve` on a migrated database with the
generated demo population, a Maskinporten client of integration type `krr` gets a token with
`portvakt.client` and looks up 1,000 generated persons — JSON and signed — and the lookup audit can be
queried per person."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import load_der_x509_certificate
from sqlalchemy import select

from portvakt.client.client import MaskinportenClient
from portvakt.client.keys import SigningKey
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.population import persons
from tests.e2e.serving import run_cli, serve

pytestmark = [pytest.mark.slow, pytest.mark.db, pytest.mark.timeout(900)]

CONSUMER = "310000035"
SCOPES = ("krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_krr_client_looks_up_a_thousand_generated_persons(empty_database_url: str, tmp_path: Path) -> None:
    env = {"PORTVAKT_DATABASE_URL": empty_database_url, "PORTVAKT_DATA_DIR": str(tmp_path / "data")}
    for step in (["migrate"], ["testdata", "generate", "--size", "demo", "--workers", "1", "--no-progress"]):
        prepared = run_cli(step, env, tmp_path, timeout=300)
        assert prepared.returncode == 0, prepared.stderr
    with serve(env, tmp_path, ("--only", "maskinporten,idporten,krr", "--no-first-run")) as server:
        full_env = {**env, "PORTVAKT_PUBLIC_BASE": server.base}

        def cli(*args: str) -> str:
            result = run_cli(list(args), full_env, tmp_path)
            assert result.returncode == 0, result.stderr
            return result.stdout

        cli("admin", "org", "add", CONSUMER, "--name", "ETAT FOR OPPSLAG")
        for scope in SCOPES:
            cli("admin", "access", "grant", scope, CONSUMER)
        key_file = tmp_path / "krr-client.jwk"
        created = json.loads(
            cli(
                "admin", "client", "create", "--orgno", CONSUMER, "--name", "KRR-oppslag",
                "--integration-type", "krr", "--scopes", ",".join(SCOPES),
                "--generate-key", "--key-out", str(key_file), "--json",
            )
        )  # fmt: skip
        client_id = created["client_id"]

        engine = null_pool_sync_engine(empty_database_url)
        with engine.connect() as connection:
            identifiers = [
                row.national_id
                for row in connection.execute(
                    select(persons.c.national_id).order_by(persons.c.ordinal).limit(1000)
                )
            ]
        engine.dispose()
        assert len(identifiers) == 1000

        key = SigningKey.from_file(key_file)
        with MaskinportenClient(f"{server.base}/maskinporten/", client_id, key) as client:
            token = client.get_token(list(SCOPES))
        assert set(token.scope.split()) == set(SCOPES)
        headers = {"Authorization": f"Bearer {token.access_token}"}
        body = {"personidentifikatorer": identifiers, "inkluderIkkeRegistrerte": True}
        response = httpx.post(f"{server.base}/krr/rest/v2/personer", json=body, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        found = response.json()["personer"]
        assert [p["personidentifikator"] for p in found] == identifiers
        statuses = {p["status"] for p in found}
        assert statuses <= {"AKTIV", "SLETTET", "IKKE_REGISTRERT"}
        assert sum(p["status"] == "AKTIV" for p in found) > 600
        assert any("sertifikat" in p for p in found)

        signed = httpx.post(
            f"{server.base}/krr/rest/v2/personer",
            json=body,
            headers=headers | {"Accept": "application/jose"},
            timeout=60,
        )
        assert signed.headers["content-type"] == "application/jose"
        encoded_header, encoded_payload, signature = signed.text.split(".")
        header = json.loads(_unb64url(encoded_header))
        leaf = load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        public_key = leaf.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(
            _unb64url(signature),
            f"{encoded_header}.{encoded_payload}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        assert _unb64url(encoded_payload) == response.content

        audit = json.loads(cli("lookup-audit", "find", "--id", identifiers[500], "--format", "json"))
        assert [item["endpoint"] for item in audit] == ["POST /rest/v2/personer"] * 2
        assert {item["client_id"] for item in audit} == {client_id}
        assert {item["consumer_orgno"] for item in audit} == {CONSUMER}
        assert {item["detail"]["inkluderIkkeRegistrerte"] for item in audit} == {True}
