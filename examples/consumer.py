"""Get a Maskinporten token and call an API with it.

python examples/consumer.py <client_id> <key.jwk.json> <scope> [api-url]
"""

import os
import sys
from pathlib import Path

import httpx

from portvakt.client import MaskinportenClient, SigningKey

ISSUER = os.environ.get("MASKINPORTEN_ISSUER", "http://localhost:8080/maskinporten/")


def main(client_id: str, key_file: str, scope: str, api_url: str | None = None) -> None:
    key = SigningKey.from_file(Path(key_file))  # a private JWK with "kid"
    with MaskinportenClient(ISSUER, client_id, key) as client:
        token = client.get_token(scope)  # cached until 30 s before it expires
        print(f"got a token for {token.scope}, valid {token.expires_in} s")
        if api_url:
            response = httpx.get(api_url, headers={"Authorization": f"Bearer {token.access_token}"})
            print(response.status_code, response.text)


if __name__ == "__main__":
    main(*sys.argv[1:])
