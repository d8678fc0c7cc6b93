"""The examples in `examples/` run: the API provider app and the consumer script."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import examples.api_provider
import examples.consumer
import httpx
import jwt
import pytest

from portvakt.client import MaskinportenClient
from portvakt.domain.clock import FixedClock
from portvakt.resource_server import AsyncTokenValidator
from tests.client.fakes import FakeTokenEndpoint
from tests.resource_server.fakes import CONSUMER, MP_ISSUER, FakeIssuer, rsa_key


async def test_api_provider_example(mp: FakeIssuer, clock: FixedClock) -> None:
    validator = AsyncTokenValidator(MP_ISSUER, key_provider=mp.jwks, clock=clock)
    app = examples.api_provider.create_app(validator)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        token = mp.token(clock.timestamp(), scope="example:orders.read")
        ok = await client.get("/orders", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert ok.json() == {"consumer": CONSUMER, "supplier": None, "orders": []}
        denied = await client.get(
            "/orders", headers={"Authorization": f"Bearer {mp.token(clock.timestamp())}"}
        )
        assert denied.status_code == 403
        assert denied.headers["www-authenticate"].startswith(
            'Bearer realm="example", scope="example:orders.read"'
        )
        missing = await client.get("/orders")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="example"'
    await validator.aclose()


def test_consumer_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = FakeTokenEndpoint()
    monkeypatch.setattr(examples.consumer, "ISSUER", "https://maskinporten.test/")
    monkeypatch.setattr(
        examples.consumer,
        "MaskinportenClient",
        partial(MaskinportenClient, transport=httpx.MockTransport(endpoint)),
    )
    key_file = tmp_path / "key.json"
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key("example")))
    key_file.write_text(json.dumps(jwk | {"kid": "example-kid"}))
    examples.consumer.main("example-client", str(key_file), "a:b")
    assert capsys.readouterr().out == "got a token for a:b, valid 120 s\n"
