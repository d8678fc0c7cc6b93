"""The README's promise: from a fresh database, `portvakt serve` prints how to get a token, and the
token obtained with the CLI and with the example script validates with independent code (PyJWT's
PyJWKClient against {I}jwk) and with portvakt.resource_server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from portvakt.resource_server import TokenValidator
from tests.e2e.serving import portvakt_env, run_cli, serve

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_newcomer_gets_a_token_with_the_cli_and_the_example_script(tmp_path: Path) -> None:
    env = {
        "PORTVAKT_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "PORTVAKT_DATA_DIR": str(tmp_path / "d"),
    }
    with serve(env, tmp_path) as server:
        env["PORTVAKT_PUBLIC_BASE"] = server.base
        issuer = f"{server.base}/maskinporten/"
        printed = re.search(
            r"portvakt (token --client-id (\S+) --key (\S+) --scope (\S+) --decode)", server.output()
        )
        assert printed is not None, server.output()
        client_id, key_file, scope = printed.group(2), printed.group(3), printed.group(4)

        result = run_cli([*printed.group(1).split(), "--json"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        response = document.get("response", document)
        assert response["token_type"] == "Bearer"
        assert response["scope"] == scope
        token = response["access_token"]

        signing_key = jwt.PyJWKClient(f"{issuer}jwk").get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, signing_key.key, algorithms=["RS256"], issuer=issuer, options={"verify_aud": False}
        )
        assert claims["client_id"] == client_id
        assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": "0192:399999995"}

        with TokenValidator(issuer) as validator:
            validated = validator.validate(token, required_scopes=(scope,))
        assert validated.consumer_orgno == "399999995"

        example = subprocess.run(
            [
                sys.executable,
                str(REPO / "examples" / "consumer.py"),
                client_id,
                str(tmp_path / key_file),
                scope,
            ],
            env=portvakt_env({"MASKINPORTEN_ISSUER": issuer}),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert example.returncode == 0, example.stderr
        assert f"got a token for {scope}" in example.stdout
