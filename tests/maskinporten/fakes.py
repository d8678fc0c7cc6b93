"""In-memory adapters of the Maskinporten ports (portvakt.maskinporten.ports), for pipeline tests."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from portvakt.domain.errors import Unavailable
from portvakt.maskinporten.ports import Client, DelegationSource, Scope, ValidatedCertificate
from portvakt.oauth.replay import ReplayStoreUnavailable
from portvakt.oauth.x509_chain import InvalidCertificateEncoding, UntrustedCertificate


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str, alg: str | None = "RS256") -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    jwk: dict[str, Any] = {
        "kty": "RSA",
        "kid": kid,
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }
    if alg is not None:
        jwk["alg"] = alg
    return jwk


_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def sign_compact(header: Mapping[str, Any], claims: Any, key: rsa.RSAPrivateKey, alg: str = "RS256") -> str:
    """A compact JWS with exactly the given header and payload (which need not be a JSON object)."""
    signing_input = f"{b64url(orjson.dumps(dict(header)))}.{b64url(orjson.dumps(claims))}"
    digest = _HASHES.get(alg, hashes.SHA256)()
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), digest)
    return f"{signing_input}.{b64url(signature)}"


@dataclass
class FakeRegistry:
    clients: dict[str, Client] = field(default_factory=dict)
    scope_rows: dict[str, Scope] = field(default_factory=dict)
    approved: set[tuple[str, str]] = field(default_factory=set)  # (scope, consumer_orgno)
    sources: dict[str, DelegationSource] = field(default_factory=dict)

    async def client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    async def scopes(self, names: Sequence[str]) -> Mapping[str, Scope]:
        return {name: self.scope_rows[name] for name in names if name in self.scope_rows}

    async def has_approved_access(self, scope: str, consumer_orgno: str) -> bool:
        return (scope, consumer_orgno) in self.approved

    async def delegation_source(self, name: str) -> DelegationSource | None:
        return self.sources.get(name)


@dataclass
class FakeSigner:
    key: rsa.RSAPrivateKey
    kid: str = "issuer-key-1"

    def sign(self, claims: Mapping[str, Any]) -> str:
        return sign_compact({"kid": self.kid, "alg": "RS256"}, dict(claims), self.key)

    def public_jwks(self) -> dict[str, Any]:
        jwk = rsa_jwk(self.key, self.kid)
        jwk["use"] = "sig"
        return {"keys": [jwk]}


@dataclass
class FakeReplayStore:
    seen: dict[str, int] = field(default_factory=dict)
    down: bool = False

    async def first_use(self, key: str, expires_at: int) -> bool:
        if self.down:
            raise ReplayStoreUnavailable("fake replay store is down")
        if key in self.seen:
            return False
        self.seen[key] = expires_at
        return True


@dataclass
class FakeCertificateValidator:
    """Trusts the leaves (x5c[0]) it was given; anything else decodable is untrusted."""

    trusted: dict[str, ValidatedCertificate] = field(default_factory=dict)

    async def validate(self, x5c: Sequence[str]) -> ValidatedCertificate:
        for index, entry in enumerate(x5c):
            try:
                base64.b64decode(entry.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError) as exc:
                raise InvalidCertificateEncoding(f"x5c[{index}] is not standard base64") from exc
        certificate = self.trusted.get(x5c[0])
        if certificate is None:
            raise UntrustedCertificate("leaf not issued by a trusted CA")
        return certificate


@dataclass
class FakeDelegations:
    delegated: set[tuple[str, str, str]] = field(default_factory=set)  # (consumer, supplier, scope)
    down: bool = False
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    async def has_maskinporten_delegation(self, consumer_orgno: str, supplier_orgno: str, scope: str) -> bool:
        self.calls.append((consumer_orgno, supplier_orgno, scope))
        if self.down:
            raise Unavailable("Delegation source unavailable", detail="fake Altinn is down")
        return (consumer_orgno, supplier_orgno, scope) in self.delegated
