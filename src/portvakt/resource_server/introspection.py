"""ID-porten token introspection (RFC 7662; idporten.md §7.2): the request and the reading of the answer."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from portvakt.client.keys import SigningKey
from portvakt.resource_server.errors import InvalidToken

AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class ClientCredentials:
    """The introspecting client (needs scope `idporten:token.introspection`): a secret or a signing key."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    signing_key: SigningKey | None = field(default=None, repr=False)
    method: AuthMethod | None = None

    def __post_init__(self) -> None:
        if (self.client_secret is None) == (self.signing_key is None):
            raise ValueError("Give exactly one of client_secret and signing_key")
        if self.method is None:
            default: AuthMethod = "client_secret_basic" if self.client_secret else "private_key_jwt"
            object.__setattr__(self, "method", default)
        if (self.method == "private_key_jwt") != (self.signing_key is not None):
            raise ValueError(f"{self.method} does not fit the credentials given")


@dataclass(frozen=True)
class IntrospectionRequest:
    headers: dict[str, str]
    form: dict[str, str]


def build_request(credentials: ClientCredentials, issuer: str, token: str, now: int) -> IntrospectionRequest:
    """Form `token` + `token_type_hint`, with the client's authentication (idporten.md §6.1)."""
    form = {"token": token, "token_type_hint": "access_token"}
    headers: dict[str, str] = {}
    if credentials.method == "client_secret_basic" and credentials.client_secret is not None:
        pair = f"{quote(credentials.client_id, safe='')}:{quote(credentials.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    elif credentials.method == "client_secret_post" and credentials.client_secret is not None:
        form |= {"client_id": credentials.client_id, "client_secret": credentials.client_secret}
    elif credentials.signing_key is not None:
        assertion = credentials.signing_key.sign(
            {
                "iss": credentials.client_id,
                "sub": credentials.client_id,
                "aud": issuer,
                "iat": now,
                "exp": now + 60,
                "jti": secrets.token_urlsafe(32),
            }
        )
        form |= {
            "client_id": credentials.client_id,
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        }
    return IntrospectionRequest(headers, form)


def active_claims(status: int, answer: object, issuer: str) -> Mapping[str, Any]:
    """An active answer from this issuer → its claims; anything else → InvalidToken."""
    if status != 200 or not isinstance(answer, Mapping):
        raise InvalidToken(f"Token introspection failed (HTTP {status})")
    if answer.get("active") is not True:
        raise InvalidToken("The token is not active")
    if answer.get("iss") != issuer:
        raise InvalidToken("The token's issuer is not accepted")
    return answer
