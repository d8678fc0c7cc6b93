"""A fake issuer for validator tests: RSA keys, tokens signed with PyJWT, metadata/JWKS/introspection over
an httpx MockTransport that counts requests."""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

MP_ISSUER = "https://maskinporten.test/"
IDP_ISSUER = "https://idporten.test"
CONSUMER = "974760673"
SUPPLIER = "991825827"
PID = "01819012365"


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """One 2048-bit key per name for the whole run (key generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url_uint(numbers.n), "e": "AQAB"}


def org(orgno: str) -> dict[str, str]:
    return {"authority": "iso6523-actorid-upis", "ID": f"0192:{orgno}"}


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str | None, alg: str = "RS256") -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def b64url_json(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@dataclass
class FakeIssuer:
    """Serves `{I}.well-known/…`, the JWKS and (ID-porten) introspection; counts every request by path."""

    issuer: str
    kids: list[str] = field(default_factory=lambda: ["k1"])
    fail: bool = False
    introspection: Callable[[httpx.Request], httpx.Response] | None = None
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "maskinporten" if self.issuer.endswith("/") else "idporten"

    @property
    def base(self) -> str:
        return self.issuer.rstrip("/")

    @property
    def metadata_path(self) -> str:
        if self.kind == "maskinporten":
            return self.base + "/.well-known/oauth-authorization-server"
        return self.base + "/.well-known/openid-configuration"

    @property
    def jwks_uri(self) -> str:
        return self.base + ("/jwk" if self.kind == "maskinporten" else "/jwks.json")

    @property
    def introspection_endpoint(self) -> str:
        return self.base + "/token/introspect"

    def key(self, kid: str) -> rsa.RSAPrivateKey:
        return rsa_key(f"{self.issuer}#{kid}")

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.key(kid), kid) for kid in self.kids]}

    def claims(self, now: int, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": "0f2d7c1e-client",
            "scope": "test:read test:write",
            "consumer": org(CONSUMER),
            "iat": now,
            "exp": now + 600,
            "jti": secrets.token_urlsafe(32),
        }
        if self.kind == "idporten":
            del claims["consumer"]
            claims |= {
                "sub": "pairwise-sub",
                "pid": PID,
                "acr": "idporten-loa-high",
                "scope": "openid krr:user",
            }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, now: int, kid: str = "k1", **overrides: Any) -> str:
        return sign(self.claims(now, **overrides), self.key(kid), kid)

    def handle(self, request: httpx.Request) -> httpx.Response | None:
        url = str(request.url)
        if not url.startswith(self.base + "/"):
            return None
        self.hits[request.url.path] += 1
        self.requests.append(request)
        if self.fail:
            return httpx.Response(503)
        if url == self.metadata_path:
            document = {"issuer": self.issuer, "jwks_uri": self.jwks_uri}
            if self.kind == "idporten":
                document["introspection_endpoint"] = self.introspection_endpoint
            return httpx.Response(200, json=document)
        if url == self.jwks_uri:
            return httpx.Response(200, json=self.jwks())
        if url == self.introspection_endpoint and self.introspection is not None:
            return self.introspection(request)
        return httpx.Response(404)

    def jwks_fetches(self) -> int:
        return self.hits[httpx.URL(self.jwks_uri).path]


def transport(*issuers: FakeIssuer) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        for issuer in issuers:
            response = issuer.handle(request)
            if response is not None:
                return response
        return httpx.Response(404)

    return httpx.MockTransport(handler)


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
