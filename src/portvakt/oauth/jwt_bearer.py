"""RFC 7523 JWT bearer grant: form rules, compact JWS parsing, header and claim rules, time checks.

Pure checks (maskinporten.md §4, §5, §8 steps 1–4, 7, 8, 10, 11), each a small function raising one
typed error. The caller passes the issuer, the clock reading and the environment.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_plus, urlsplit

import orjson
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from portvakt.domain.identifiers import InvalidNationalId, is_valid_orgnr, parse_national_id
from portvakt.oauth.errors import InvalidGrant, InvalidRequest, UnsupportedGrantType

JWT_BEARER: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
MAX_BODY_BYTES: Final = 64 * 1024
MAX_ASSERTION_CHARS: Final = 32 * 1024
RSA_ALGORITHMS: Final = frozenset({"RS256", "RS384", "RS512"})
SKEW: Final = 10  # seconds (maskinporten.md §1.4)
MAX_GRANT_LIFETIME: Final = 120  # seconds, exp - iat
MAX_SCOPE_CHARS: Final = 4096
MAX_SCOPES: Final = 100
MAX_RESOURCES: Final = 10
MAX_JTI_CHARS: Final = 255

REQUIRED_CLAIMS: Final = ("aud", "iss", "iat", "exp", "scope")
ALLOWED_CLAIMS: Final = frozenset(
    {
        *REQUIRED_CLAIMS,
        "jti",
        "nbf",
        "sub",
        "resource",
        "pid",
        "consumer_org",
        "iss_onbehalfof",
        "authorization_details",
    }
)

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_HASHES: Final[Mapping[str, type[hashes.HashAlgorithm]]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


# -- errors ------------------------------------------------------------------------------------


class InvalidContentType(InvalidRequest):
    def __init__(self, content_type: str | None) -> None:
        super().__init__(
            f"Content-Type must be {FORM_CONTENT_TYPE}", hint=f"content type {content_type or '(none)'}"
        )


class BodyTooLarge(InvalidRequest):
    def __init__(self) -> None:
        super().__init__(f"Request body exceeds {MAX_BODY_BYTES} bytes")


class DuplicateParameter(InvalidRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"Duplicate parameter {name}")
        self.name = name


class MissingParameter(InvalidRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"Missing parameter {name}")
        self.name = name


class GrantTypeNotSupported(UnsupportedGrantType):
    def __init__(self, value: str) -> None:
        super().__init__(f"Unsupported grant type {value}")
        self.value = value


class MalformedAssertion(InvalidRequest):
    """Unparsable grant, bad header, unknown/missing/malformed claim (the hint says which)."""

    def __init__(self, hint: str) -> None:
        super().__init__("Invalid assertion", hint=hint)


class AudienceMismatch(InvalidGrant):
    def __init__(self, aud: str) -> None:
        super().__init__("Invalid JWT claim aud", hint=f"aud {aud!r}")


class IssuedInFuture(InvalidGrant):
    def __init__(self, iat: int, now: int) -> None:
        super().__init__("Issue time is after now", hint=f"iat {iat}, now {now}")


class NotYetValid(InvalidGrant):
    def __init__(self, nbf: int, now: int) -> None:
        super().__init__("JWT is not valid yet (nbf)", hint=f"nbf {nbf}, now {now}")


class GrantExpired(InvalidGrant):
    def __init__(self, hint: str) -> None:
        super().__init__("JWT is expired", hint=hint)


class InvalidSignature(InvalidGrant):
    def __init__(self, hint: str) -> None:
        super().__init__("Invalid JWT signature", hint=hint)


# -- step 1–2: the form ----------------------------------------------------------------------------


def check_content_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        raise InvalidContentType(content_type)


def parse_form(body: bytes) -> dict[str, str]:
    """Decode an `application/x-www-form-urlencoded` body; a parameter given twice is refused."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    form: dict[str, str] = {}
    # urllib.parse.parse_qsl(keep_blank_values=True) by hand: it is on the token endpoint's hot path,
    # and a base64url assertion has nothing to unquote.
    for piece in body.decode("utf-8", errors="replace").split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors="replace")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="replace")
        if name in form:
            raise DuplicateParameter(name)
        form[name] = value
    return form


def grant_assertion(form: Mapping[str, str]) -> str:
    """The `assertion` of a jwt-bearer token request (RFC 7523 §2.1); empty values count as missing."""
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise MissingParameter("grant_type")
    if grant_type != JWT_BEARER:
        raise GrantTypeNotSupported(grant_type)
    assertion = form.get("assertion", "")
    if not assertion:
        raise MissingParameter("assertion")
    return assertion


# -- step 3: compact JWS and header ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompactJws:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def b64url_decode(segment: str) -> bytes:
    if _B64URL.fullmatch(segment) is None:
        raise MalformedAssertion("segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedAssertion("segment is not base64url") from exc


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(b64url_decode(segment))
    except orjson.JSONDecodeError as exc:
        raise MalformedAssertion(f"{what} is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedAssertion(f"{what} is not a JSON object")
    return value


def parse_compact_jws(assertion: str) -> CompactJws:
    """Split and decode a JWS in compact serialization (RFC 7515 §7.1) without verifying it."""
    if len(assertion) > MAX_ASSERTION_CHARS:
        raise MalformedAssertion(f"assertion longer than {MAX_ASSERTION_CHARS} characters")
    parts = assertion.split(".")
    if len(parts) != 3:
        raise MalformedAssertion(f"compact JWS has {len(parts)} parts, expected 3")
    header = _json_object(parts[0], "header")
    claims = _json_object(parts[1], "payload")
    signature = b64url_decode(parts[2])
    return CompactJws(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


@dataclass(frozen=True, slots=True)
class GrantHeader:
    alg: str
    kid: str | None
    x5c: object | None  # raw header value; validated on the certificate path (§6.2 step 1)


def check_header(header: Mapping[str, Any], algorithms: frozenset[str] = RSA_ALGORITHMS) -> GrantHeader:
    """§5.1: `alg` from the allow-list, no `crit`; `kid` a non-empty string when present."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise MalformedAssertion(f"header alg {alg!r} not allowed")
    if "crit" in header:
        raise MalformedAssertion("header crit present")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise MalformedAssertion("header kid is not a non-empty string")
    return GrantHeader(alg=alg, kid=kid, x5c=header.get("x5c"))


# -- step 4: claims ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrantClaims:
    iss: str
    aud: str
    iat: int
    exp: int
    scopes: tuple[str, ...]
    jti: str | None = None
    nbf: int | None = None
    sub: str | None = None
    resources: tuple[str, ...] = ()
    pid: str | None = None
    consumer_org: str | None = None
    has_authorization_details: bool = False


def _string(claims: Mapping[str, Any], name: str) -> str:
    value = claims[name]
    if not isinstance(value, str):
        raise MalformedAssertion(f"claim {name} is not a string")
    return value


def _integer(claims: Mapping[str, Any], name: str) -> int:
    value = claims[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedAssertion(f"claim {name} is not an integer")
    return value


def check_claim_names(claims: Mapping[str, Any]) -> None:
    unknown = sorted(set(claims) - ALLOWED_CLAIMS)
    if unknown:
        raise MalformedAssertion(f"claims not allowed: {', '.join(unknown)}")
    if "iss_onbehalfof" in claims:
        raise MalformedAssertion("iss_onbehalfof does not apply to Maskinporten clients")
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise MalformedAssertion(f"required claims missing: {', '.join(missing)}")


def parse_scope(value: str) -> tuple[str, ...]:
    """Space-separated scopes: ≤ 4096 chars, 1–100 names; duplicates collapsed, order kept."""
    if len(value) > MAX_SCOPE_CHARS:
        raise MalformedAssertion(f"scope longer than {MAX_SCOPE_CHARS} characters")
    names = [name for name in value.split(" ") if name]
    if not names:
        raise MalformedAssertion("scope is empty")
    if len(names) > MAX_SCOPES:
        raise MalformedAssertion(f"more than {MAX_SCOPES} scopes")
    return tuple(dict.fromkeys(names))


def is_absolute_uri(value: str) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return bool(parts.scheme) and bool(host) and "#" not in value


def parse_resource(value: object) -> tuple[str, ...]:
    """RFC 8707 `resource`: a string or a non-empty array (≤ 10) of absolute URIs without fragment."""
    values: Sequence[object] = [value] if isinstance(value, str) else value if isinstance(value, list) else ()
    if not values or len(values) > MAX_RESOURCES:
        raise MalformedAssertion("resource is not a string or an array of 1–10 strings")
    for item in values:
        if not isinstance(item, str) or not is_absolute_uri(item):
            raise MalformedAssertion("resource is not an absolute URI without fragment")
    return tuple(str(item) for item in values)


def check_pid(value: str, env: str) -> str:
    try:
        parse_national_id(value, env=env)
    except InvalidNationalId as exc:
        raise MalformedAssertion(f"pid invalid ({exc.reason})") from exc
    return value


def check_consumer_org(value: str) -> str:
    if not is_valid_orgnr(value):
        raise MalformedAssertion("consumer_org is not a valid organisation number")
    return value


def check_jti(value: str) -> str:
    if not 1 <= len(value) <= MAX_JTI_CHARS:
        raise MalformedAssertion(f"jti must be 1–{MAX_JTI_CHARS} characters")
    return value


def check_claims(claims: Mapping[str, Any], *, env: str) -> GrantClaims:
    """§5.2: whitelist, required claims, types and syntax; `exp < iat` is malformed too."""
    check_claim_names(claims)
    iat, exp = _integer(claims, "iat"), _integer(claims, "exp")
    if exp < iat:
        raise MalformedAssertion("exp is before iat")
    return GrantClaims(
        iss=_string(claims, "iss"),
        aud=_string(claims, "aud"),
        iat=iat,
        exp=exp,
        scopes=parse_scope(_string(claims, "scope")),
        jti=check_jti(_string(claims, "jti")) if "jti" in claims else None,
        nbf=_integer(claims, "nbf") if "nbf" in claims else None,
        sub=_string(claims, "sub") if "sub" in claims else None,
        resources=parse_resource(claims["resource"]) if "resource" in claims else (),
        pid=check_pid(_string(claims, "pid"), env) if "pid" in claims else None,
        consumer_org=check_consumer_org(_string(claims, "consumer_org"))
        if "consumer_org" in claims
        else None,
        has_authorization_details="authorization_details" in claims,
    )


# -- steps 7, 8: audience and subject ----------------------------------------------------------------


def check_audience(claims: GrantClaims, issuer: str) -> None:
    """`aud` must be the issuer exactly (trailing slash included; the token endpoint URL is refused)."""
    if claims.aud != issuer:
        raise AudienceMismatch(claims.aud)


def check_subject(claims: GrantClaims) -> None:
    if claims.sub is not None and claims.sub != claims.iss:
        raise MalformedAssertion("sub does not equal iss")


# -- step 10: signature ------------------------------------------------------------------------------


def verify_signature(key: rsa.RSAPublicKey, alg: str, jws: CompactJws) -> None:
    """RSASSA-PKCS1-v1_5 (RFC 7518 §3.3) with the hash named by `alg`."""
    try:
        key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), _HASHES[alg]())
    except CryptoInvalidSignature as exc:
        raise InvalidSignature("signature does not verify") from exc


def rsa_public_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """The RSA public key of a JWK (RFC 7518 §6.3.1)."""
    if jwk.get("kty") != "RSA" or not isinstance(jwk.get("n"), str) or not isinstance(jwk.get("e"), str):
        raise InvalidSignature("registered key is not an RSA public JWK")
    try:
        n = int.from_bytes(b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(b64url_decode(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (MalformedAssertion, ValueError) as exc:
        raise InvalidSignature("registered key cannot be loaded") from exc


# -- step 11: times ------------------------------------------------------------------------------------


def check_issued_at(claims: GrantClaims, now: int) -> None:
    if claims.iat > now + SKEW:
        raise IssuedInFuture(claims.iat, now)


def check_not_before(claims: GrantClaims, now: int) -> None:
    if claims.nbf is not None and claims.nbf > now + SKEW:
        raise NotYetValid(claims.nbf, now)


def check_expiry(claims: GrantClaims, now: int) -> None:
    if claims.exp - claims.iat > MAX_GRANT_LIFETIME:
        raise GrantExpired(f"lifetime {claims.exp - claims.iat} s exceeds {MAX_GRANT_LIFETIME} s")
    if claims.exp < now - SKEW:
        raise GrantExpired(f"exp {claims.exp}, now {now}")


def check_times(claims: GrantClaims, now: int) -> None:
    """§5.2 with the 10 s skew: iat (MP-131), then nbf (MP-132), then exp and lifetime (MP-130)."""
    check_issued_at(claims, now)
    check_not_before(claims, now)
    check_expiry(claims, now)
