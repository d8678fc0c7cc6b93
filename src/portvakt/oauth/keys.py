"""Issuer signing keys (maskinporten.md §12.3): RSA 2048, RFC 7638 `kid`, public JWK, life-cycle states.

Pure: every decision is a function of the stored timestamps and `now`, so any number of processes
reach the same answer without talking to each other.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537
ALG = "RS256"
SKEW = timedelta(seconds=10)  # maskinporten.md §1.4: added to the token lifetime before removal


class KeyState(StrEnum):
    PENDING = "pending"  # publish_at in the future: not yet in the JWKS
    NEXT = "next"  # published, not yet signing
    ACTIVE = "active"  # the key with the latest activate_at ≤ now: signs
    RETIRED = "retired"  # superseded: published until remove_at
    REMOVED = "removed"


PUBLISHED = frozenset({KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRED})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_uint(value: int) -> str:
    """RFC 7518 §2 Base64urlUInt."""
    return b64url(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)


def private_key_to_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_der(der: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signing key is not an RSA key")
    return key


def rsa_public_members(key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace."""
    kty = jwk.get("kty")
    if kty == "RSA":
        required: dict[str, Any] = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    elif kty == "EC":
        required = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    else:
        raise ValueError(f"unsupported key type {kty!r}")
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def rsa_kid(key: rsa.RSAPublicKey) -> str:
    return jwk_thumbprint({"kty": "RSA", **rsa_public_members(key)})


def public_jwk(key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    """The JWKS entry of maskinporten.md §12.2: public members only."""
    members = rsa_public_members(key)
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": ALG, "n": members["n"], "e": members["e"]}


@dataclass(frozen=True)
class KeyTimes:
    """The life-cycle facts of one stored key."""

    generation: int
    kid: str
    publish_at: datetime
    activate_at: datetime
    retire_at: datetime | None = None
    remove_at: datetime | None = None


def _is_removed(key: KeyTimes, now: datetime) -> bool:
    return key.remove_at is not None and key.remove_at <= now


def _is_retired(key: KeyTimes, now: datetime) -> bool:
    return key.retire_at is not None and key.retire_at <= now


def active_key(keys: Sequence[KeyTimes], now: datetime) -> KeyTimes | None:
    """The key with the latest `activate_at ≤ now` that is neither retired nor removed."""
    candidates = [
        key
        for key in keys
        if key.activate_at <= now and not _is_removed(key, now) and not _is_retired(key, now)
    ]
    return max(candidates, key=lambda key: (key.activate_at, key.generation), default=None)


def key_state(key: KeyTimes, keys: Sequence[KeyTimes], now: datetime) -> KeyState:
    if _is_removed(key, now):
        return KeyState.REMOVED
    if now < key.publish_at:
        return KeyState.PENDING
    if now < key.activate_at:
        return KeyState.NEXT
    active = active_key(keys, now)
    if active is not None and active.generation == key.generation:
        return KeyState.ACTIVE
    return KeyState.RETIRED


def key_states(keys: Sequence[KeyTimes], now: datetime) -> dict[int, KeyState]:
    """State of every key, by generation."""
    return {key.generation: key_state(key, keys, now) for key in keys}


@dataclass(frozen=True)
class NewKey:
    generation: int
    publish_at: datetime
    activate_at: datetime


@dataclass(frozen=True)
class Retirement:
    generation: int
    retire_at: datetime
    remove_at: datetime


def next_generation(keys: Sequence[KeyTimes]) -> int:
    return max((key.generation for key in keys), default=0) + 1


def removal_time(retire_at: datetime, max_token_lifetime: timedelta) -> datetime:
    """A retired key stays published until every token it signed has expired (+ skew)."""
    return retire_at + max_token_lifetime + SKEW


def plan_new_key(
    keys: Sequence[KeyTimes], now: datetime, rotation: timedelta, prepublish: timedelta
) -> NewKey | None:
    """The key to create now, if any: a first key (active at once) or the scheduled successor."""
    active = active_key(keys, now)
    waiting = [key for key in keys if key.activate_at > now and not _is_removed(key, now)]
    if active is None:
        if waiting:
            return None
        return NewKey(next_generation(keys), publish_at=now, activate_at=now)
    if waiting or now < active.activate_at + rotation:
        return None
    return NewKey(next_generation(keys), publish_at=now, activate_at=now + prepublish)


def plan_retirements(
    keys: Sequence[KeyTimes], now: datetime, max_token_lifetime: timedelta
) -> list[Retirement]:
    """Superseded keys without `retire_at`: retired when their successor activated (§12.3)."""
    activated = sorted(
        (key for key in keys if key.activate_at <= now and not _is_removed(key, now)),
        key=lambda key: (key.activate_at, key.generation),
    )
    retirements: list[Retirement] = []
    for key, successor in itertools.pairwise(activated):
        if key.retire_at is None:
            retire_at = successor.activate_at
            retirements.append(
                Retirement(key.generation, retire_at, removal_time(retire_at, max_token_lifetime))
            )
    return retirements
