"""The validated token handed to an API, and the claim checks after the signature (maskinporten.md §14)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from portvakt.domain.identifiers import is_valid_orgnr
from portvakt.resource_server.errors import (
    AudienceMismatch,
    ExpiredToken,
    InsufficientScope,
    InvalidToken,
    PidMismatch,
)

ScopeMode = Literal["any", "all"]
IssuerKind = Literal["maskinporten", "idporten"]
ISO6523_AUTHORITY = "iso6523-actorid-upis"
_PID = re.compile(r"[0-9]{11}")


@dataclass(frozen=True)
class ValidatedToken:
    """What an API may decide on. Access decisions use `consumer_orgno`, never `client_id`."""

    issuer: str
    consumer_orgno: str | None  # None only for ID-porten tokens without a consumer claim
    supplier_orgno: str | None
    delegation_source: str | None
    client_id: str | None
    scopes: frozenset[str]
    pid: str | None
    aud: tuple[str, ...]
    acr: str | None
    claims: Mapping[str, Any]


def _orgno_of(claim: object, name: str) -> str:
    if not isinstance(claim, dict) or claim.get("authority") != ISO6523_AUTHORITY:
        raise InvalidToken(f"The token's {name} is not an ISO 6523 object")
    identifier = claim.get("ID")
    if not isinstance(identifier, str) or not identifier.startswith("0192:"):
        raise InvalidToken(f"The token's {name} is not an ISO 6523 object")
    orgno = identifier.removeprefix("0192:")
    if not is_valid_orgnr(orgno):
        raise InvalidToken(f"The token's {name} has an invalid organisation number")
    return orgno


def _numeric(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"The token has no numeric {name}")
    return value


def check_times(claims: Mapping[str, Any], now: int, leeway: int) -> None:
    if not _numeric(claims, "exp") > now - leeway:
        raise ExpiredToken()
    if not _numeric(claims, "iat") <= now + leeway:
        raise InvalidToken("The token is issued in the future")


def check_parties(claims: Mapping[str, Any], kind: IssuerKind) -> tuple[str | None, str | None]:
    """`consumer` (required for Maskinporten, optional for ID-porten) and `supplier`, when present."""
    consumer = claims.get("consumer")
    consumer_orgno = None if consumer is None and kind == "idporten" else _orgno_of(consumer, "consumer")
    supplier = claims.get("supplier")
    return consumer_orgno, None if supplier is None else _orgno_of(supplier, "supplier")


def audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    aud = claims.get("aud")
    if aud is None:
        return ()
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return tuple(aud)
    raise InvalidToken("The token's aud is malformed")


def check_audience(claims: Mapping[str, Any], audience: str | None) -> tuple[str, ...]:
    values = audiences(claims)
    if audience is not None and audience not in values:
        raise AudienceMismatch()
    return values


def check_scopes(claims: Mapping[str, Any], required: Collection[str], mode: ScopeMode) -> frozenset[str]:
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidToken("The token's scope is malformed")
    granted = frozenset(scope.split())
    if required:
        enough = granted.issuperset(required) if mode == "all" else not granted.isdisjoint(required)
        if not enough:
            raise InsufficientScope(required, mode)
    return granted


def check_pid(claims: Mapping[str, Any], expected_pid: str | None, require_pid: bool) -> str | None:
    pid = claims.get("pid")
    if pid is not None and (not isinstance(pid, str) or not _PID.fullmatch(pid)):
        raise InvalidToken("The token's pid is malformed")
    if pid is None and (require_pid or expected_pid is not None):
        raise PidMismatch("The access token has no pid")
    if expected_pid is not None and pid != expected_pid:
        raise PidMismatch()
    return pid


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ClaimRules:
    """The per-call and per-validator inputs of the checks after the signature and `iss`."""

    now: int
    leeway: int
    audience: str | None
    required_scopes: tuple[str, ...]
    scope_mode: ScopeMode
    expected_pid: str | None
    require_pid: bool


def check_claims(
    claims: Mapping[str, Any], issuer: str, kind: IssuerKind, rules: ClaimRules
) -> ValidatedToken:
    """§14 from `exp` on, in order: exp, iat, consumer, aud, scopes, pid."""
    check_times(claims, rules.now, rules.leeway)
    consumer_orgno, supplier_orgno = check_parties(claims, kind)
    aud = check_audience(claims, rules.audience)
    scopes = check_scopes(claims, rules.required_scopes, rules.scope_mode)
    pid = check_pid(claims, rules.expected_pid, rules.require_pid)
    return ValidatedToken(
        issuer=issuer,
        consumer_orgno=consumer_orgno,
        supplier_orgno=supplier_orgno,
        delegation_source=_optional_str(claims, "delegation_source"),
        client_id=_optional_str(claims, "client_id"),
        scopes=scopes,
        pid=pid,
        aud=aud,
        acr=_optional_str(claims, "acr"),
        claims=MappingProxyType(dict(claims)),
    )
