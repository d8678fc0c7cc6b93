"""A fake Maskinporten token endpoint (maskinporten.md §4, §9.1, §12.1) on an httpx MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from tests.resource_server.fakes import form_of

ISSUER = "https://maskinporten.test/"
TOKEN_ENDPOINT = "https://maskinporten.test/token"


@dataclass
class FakeTokenEndpoint:
    expires_in: int = 120
    reply: Callable[[httpx.Request], httpx.Response] | None = None
    metadata_issuer: str = ISSUER
    token_requests: list[httpx.Request] = field(default_factory=list)
    metadata_requests: int = 0

    def forms(self) -> list[dict[str, str]]:
        return [form_of(r) for r in self.token_requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == ISSUER + ".well-known/oauth-authorization-server":
            self.metadata_requests += 1
            return httpx.Response(
                200,
                json={
                    "issuer": self.metadata_issuer,
                    "token_endpoint": TOKEN_ENDPOINT,
                    "jwks_uri": ISSUER + "jwk",
                },
            )
        if str(request.url) == TOKEN_ENDPOINT and request.method == "POST":
            self.token_requests.append(request)
            if self.reply is not None:
                return self.reply(request)
            body: dict[str, Any] = {
                "access_token": f"token-{len(self.token_requests)}",
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": jwt.decode(form_of(request)["assertion"], options={"verify_signature": False})[
                    "scope"
                ],
            }
            return httpx.Response(200, json=body, headers={"Cache-Control": "no-store"})
        return httpx.Response(404)
