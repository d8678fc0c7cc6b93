"""End to end (KRR issue, deliverable 7): against a real `portvakt serve`, a citizen logs in through
ID-porten's TestID page with an `api_klient` client (authorization code + PKCE, driven over plain HTTP) and
reads and patches their own KRR record with the access token."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.e2e.serving import run_cli, serve

pytestmark = [pytest.mark.slow, pytest.mark.db, pytest.mark.timeout(900)]

RP_ORG = "310000035"
PID = "17868633026"  # P13, synthetic (Tenor)
REDIRECT = "https://rp.example.com/callback"
SCOPES = ("krr:user/kontaktinformasjon.read", "krr:user/digitalpost.read", "krr:user/spraak.write")
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_citizen_reads_and_patches_own_record(empty_database_url: str, tmp_path: Path) -> None:
    env = {"PORTVAKT_DATABASE_URL": empty_database_url, "PORTVAKT_DATA_DIR": str(tmp_path / "data")}
    migrated = run_cli(["migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    with serve(env, tmp_path, ("--only", "maskinporten,idporten,krr", "--no-first-run")) as server:
        full_env = {**env, "PORTVAKT_PUBLIC_BASE": server.base}

        def cli(*args: str) -> str:
            result = run_cli(list(args), full_env, tmp_path)
            assert result.returncode == 0, result.stderr
            return result.stdout

        cli("krr", "person", "set", PID, "--epost", "ingrid.moen@example.com", "--mobil", "91234567")
        cli("admin", "org", "add", RP_ORG, "--name", "TJENESTEEIER AS")
        for scope in SCOPES:
            cli("admin", "access", "grant", scope, RP_ORG)
        created = json.loads(
            cli(
                "admin", "client", "create", "--orgno", RP_ORG, "--name", "Min KRR-app",
                "--integration-type", "api_klient", "--scopes", ",".join(("openid", *SCOPES)),
                "--redirect-uri", REDIRECT, "--auth-method", "client_secret_basic", "--json",
            )
        )  # fmt: skip
        client_id, secret = created["client_id"], created["client_secret"]

        with httpx.Client(base_url=server.base, timeout=30) as browser:
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
            state = secrets.token_hex(8)
            query = {
                "client_id": client_id,
                "redirect_uri": REDIRECT,
                "response_type": "code",
                "scope": " ".join(("openid", *SCOPES)),
                "state": state,
                "nonce": secrets.token_hex(8),
                "code_challenge": challenge.decode(),
                "code_challenge_method": "S256",
            }
            response = browser.get("/idporten/authorize?" + urlencode(query))
            while response.status_code in (302, 303) and "/idporten/login" in response.headers["location"]:
                response = browser.get(response.headers["location"])
            assert response.status_code == 200, response.text
            assert "TestID" in response.text
            fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}
            response = browser.post(
                "/idporten/login/testid",
                data={"tx": fields["tx"], "csrf": fields["csrf"], "pid": PID, "action": "login"},
            )
            while response.status_code in (302, 303) and not response.headers["location"].startswith(
                REDIRECT
            ):
                response = browser.get(response.headers["location"])
            assert response.status_code in (302, 303), response.text
            answer = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
            assert answer["state"] == state
            tokens = browser.post(
                "/idporten/token",
                data={
                    "grant_type": "authorization_code",
                    "code": answer["code"],
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                },
                auth=(client_id, secret),
            )
            assert tokens.status_code == 200, tokens.text
            access_token = tokens.json()["access_token"]

        bearer = {"Authorization": f"Bearer {access_token}"}
        own = httpx.get(f"{server.base}/krr/rest/v1/person", headers=bearer)
        assert own.status_code == 200, own.text
        record = own.json()
        assert record["personidentifikator"] == PID
        assert record["status"] == "AKTIV"
        assert record["kontaktinformasjon"]["mobiltelefonnummer"] == "+4791234567"
        assert record["varslingsstatus"] == "KAN_VARSLES"

        patched = httpx.patch(f"{server.base}/krr/rest/v1/person", json={"spraak": "nn"}, headers=bearer)
        assert patched.status_code == 200, patched.text
        assert patched.json()["spraak"] == "nn"
        assert httpx.get(f"{server.base}/krr/rest/v1/person", headers=bearer).json()["spraak"] == "nn"

        changes = [json.loads(line) for line in cli("krr", "feed", "tail").splitlines()]
        assert [change["aarsak"] for change in changes] == ["CLI", "PATCH_SPRAAK"]
        audit = json.loads(cli("lookup-audit", "find", "--id", PID, "--format", "json"))
        assert [item["endpoint"] for item in audit] == [
            "GET /rest/v1/person",
            "PATCH /rest/v1/person",
            "GET /rest/v1/person",
        ]
        assert {item["client_id"] for item in audit} == {client_id}
