"""The Maskinporten error catalogue (maskinporten.md §10.2) as data, and the error raised with a code.

Each entry carries what the token endpoint returns (`error`, HTTP status, description template) and what
the error pages explain (§10.3: meaning, fix, a Norwegian summary line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from portvakt.oauth import jwt_bearer
from portvakt.oauth.errors import OAuthError


@dataclass(frozen=True, slots=True)
class Variant:
    """One wire form of a code: the `error` value and the description template (`{name}` placeholders)."""

    error: str
    template: str


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    code: str
    status: int
    variants: tuple[Variant, ...]
    meaning: str
    fix: str
    summary_nb: str  # one line in Norwegian (bokmål) for the error page

    @property
    def error(self) -> str:
        return " / ".join(dict.fromkeys(variant.error for variant in self.variants))

    @property
    def description(self) -> str:
        """The description as the catalogue shows it, placeholders as `<…>`."""
        return " · ".join(display_template(variant.template) for variant in self.variants)

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "error": self.error,
            "description": self.description,
            "meaning": self.meaning,
            "fix": self.fix,
        }


_PLACEHOLDER_DISPLAY: Final[Mapping[str, str]] = {
    "name": "<name>",
    "value": "<value>",
    "scopes": "<s1 s2 …>",
    "scope": "<scope>",
    "consumer": "<consumer orgno>",
    "supplier": "<supplier orgno>",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def display_template(template: str) -> str:
    return _PLACEHOLDER.sub(lambda match: _PLACEHOLDER_DISPLAY[match.group(1)], template)


def _entry(
    code: str,
    error: str,
    template: str,
    *,
    meaning: str,
    fix: str,
    summary_nb: str,
    status: int = 400,
    more: tuple[Variant, ...] = (),
) -> CatalogueEntry:
    return CatalogueEntry(code, status, (Variant(error, template), *more), meaning, fix, summary_nb)


_CLIENT_AUTH = "Invalid assertion. Client authentication failed."

CATALOGUE: Final[Mapping[str, CatalogueEntry]] = {
    entry.code: entry
    for entry in (
        _entry(
            "MP-010",
            "invalid_request",
            "Invalid request. Missing parameter {name}",
            more=(
                Variant("invalid_request", "Invalid request. Duplicate parameter {name}"),
                Variant(
                    "invalid_request",
                    "Invalid request. Content-Type must be application/x-www-form-urlencoded",
                ),
                Variant("unsupported_grant_type", "Unsupported grant type {value}"),
                Variant("invalid_request", "Invalid request. Request body exceeds 65536 bytes"),
            ),
            meaning="The token request is not a well-formed form post: a parameter is missing or given "
            "twice, the content type is wrong, the body is larger than 64 KiB, or grant_type is not "
            "urn:ietf:params:oauth:grant-type:jwt-bearer.",
            fix="POST grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and assertion=<JWT>, once each, "
            "as application/x-www-form-urlencoded.",
            summary_nb="Tokenforespørselen er ikke et gyldig skjema.",
        ),
        _entry(
            "MP-011",
            "invalid_request",
            "Invalid assertion. Invalid parameter value",
            meaning=(
                "The JWT grant cannot be used: it does not parse, its header has a forbidden alg or crit, "
                "a claim is unknown, missing or malformed, sub differs from iss, iss_onbehalfof is "
                "present, or pid, resource or consumer_org is invalid. The exact reason is logged with "
                "the trace id."
            ),
            fix=(
                "Sign the grant with RS256, RS384 or RS512 and send only the claims aud, iss, iat, exp, "
                "scope and, if needed, jti, nbf, sub, resource, pid and consumer_org, with the documented "
                "types. Quote the trace id when you ask for help."
            ),
            summary_nb="JWT-grantet er ugyldig.",
        ),
        _entry(
            "MP-012",
            "invalid_grant",
            "Grant is used before",
            meaning="A grant with the same jti (or, without jti, the very same grant) was used before.",
            fix="Create a new grant, with a new random jti, for every token request.",
            summary_nb="Grantet er brukt før.",
        ),
        _entry(
            "MP-100",
            "invalid_grant",
            f"{_CLIENT_AUTH} (Client not found)",
            meaning="No active client has the client_id given in the grant's iss claim.",
            fix="Put your client_id in iss, check that the client exists in this environment and is active.",
            summary_nb="Klienten finnes ikke eller er deaktivert.",
        ),
        _entry(
            "MP-101",
            "unauthorized_client",
            "Client is not allowed to use grant type urn:ietf:params:oauth:grant-type:jwt-bearer",
            meaning="The client is registered for another kind of integration and may not use the token "
            "endpoint.",
            fix="Use a client of integration type maskinporten (or krr).",
            summary_nb="Klienten kan ikke bruke jwt-bearer-grantet.",
        ),
        _entry(
            "MP-110",
            "invalid_grant",
            f"{_CLIENT_AUTH} Invalid JWT claim aud",
            meaning="The grant's aud claim is not this Maskinporten's issuer.",
            fix="Set aud to the issuer exactly, trailing slash included (not the token endpoint URL).",
            summary_nb="aud i grantet er feil.",
        ),
        _entry(
            "MP-120",
            "invalid_grant",
            f"{_CLIENT_AUTH} The JWT is signed with an invalid certificate.",
            meaning="The certificate is not trusted here: unknown issuer, outside its validity period, "
            "revoked, too weak, or issued for another environment.",
            fix="Use a valid business certificate (virksomhetssertifikat) from a trusted CA for this "
            "environment, and send its chain in x5c.",
            summary_nb="Sertifikatet er ikke gyldig.",
        ),
        _entry(
            "MP-121",
            "invalid_grant",
            f"{_CLIENT_AUTH} Expired key",
            meaning="The registered key named by kid is older than one year.",
            fix="Keys expire one year after upload. Upload a new key, or upload the same key again to "
            "renew it.",
            summary_nb="Nøkkelen er utløpt.",
        ),
        _entry(
            "MP-122",
            "invalid_grant",
            "Invalid JWT. Invalid organization number for client. Does not match certificate orgno",
            meaning="The certificate belongs to another organisation than the client.",
            fix="Sign with a certificate issued to the organisation that owns the client.",
            summary_nb="Organisasjonsnummeret i sertifikatet stemmer ikke med klienten.",
        ),
        _entry(
            "MP-123",
            "invalid_grant",
            "Invalid JWT header x5c",
            meaning="The grant has no kid and its x5c header is missing, not an array, empty, or not "
            "base64-encoded DER certificates.",
            fix="Put the certificate chain, leaf first, in x5c as standard base64 DER, or use a registered "
            "key with kid.",
            summary_nb="x5c i JWT-headeren er ugyldig.",
        ),
        _entry(
            "MP-124",
            "invalid_grant",
            f"{_CLIENT_AUTH} Invalid JWT signature",
            meaning="The signature does not verify with the key or certificate, or the header alg differs "
            "from the registered key's alg.",
            fix="Sign with the private key that matches the registered key (or certificate) and use the "
            "key's alg.",
            summary_nb="Signaturen er ugyldig.",
        ),
        _entry(
            "MP-125",
            "invalid_grant",
            f"{_CLIENT_AUTH} Unknown key identifier (kid) for client",
            meaning="The client has no registered key with the grant's kid.",
            fix="Use the kid of a key registered on the client, or register the key.",
            summary_nb="Ukjent nøkkel-id (kid) for klienten.",
        ),
        _entry(
            "MP-126",
            "invalid_grant",
            f"{_CLIENT_AUTH} Invalid JWT. The client requires pre-registered jwk and no key identifier "
            "(kid) provided",
            meaning="The client has registered keys, so the grant must name one with kid.",
            fix="Add the kid of the registered key to the grant's header.",
            summary_nb="Klienten krever kid i JWT-headeren.",
        ),
        _entry(
            "MP-130",
            "invalid_grant",
            "JWT is expired",
            meaning="The grant's exp has passed, or exp is more than 120 seconds after iat.",
            fix="Create a new grant for every request with exp at most 120 seconds after iat; check the "
            "system clock.",
            summary_nb="Grantet er utløpt.",
        ),
        _entry(
            "MP-131",
            "invalid_grant",
            "Issue time is after now",
            meaning="The grant's iat is more than 10 seconds in the future.",
            fix="Set iat to the current time and synchronise the system clock (NTP).",
            summary_nb="Utstedelsestidspunktet er i fremtiden.",
        ),
        _entry(
            "MP-132",
            "invalid_grant",
            "JWT is not valid yet (nbf)",
            meaning="The grant's nbf is more than 10 seconds in the future.",
            fix="Leave out nbf or set it to the current time; synchronise the system clock.",
            summary_nb="Grantet er ikke gyldig ennå (nbf).",
        ),
        _entry(
            "MP-200",
            "invalid_scope",
            "Token request contains invalid scopes for client, {scopes}",
            meaning="These scopes do not exist, are inactive, or are not registered on the client.",
            fix="Register the scopes on the client (the API provider must have granted your organisation "
            "access first), and check their spelling.",
            summary_nb="Forespørselen inneholder ugyldige scopes for klienten.",
        ),
        _entry(
            "MP-201",
            "invalid_scope",
            "Token request contains scopes not allowed for maskinporten, {scopes}",
            meaning="These scopes may not be used by clients of this integration type.",
            fix="Use a client of an integration type the scope allows, or ask the API provider.",
            summary_nb="Scopene er ikke tillatt for denne integrasjonstypen.",
        ),
        _entry(
            "MP-250",
            "forbidden",
            "Consumer has not been granted access to the scope {scope}",
            meaning="The consumer organisation neither owns the scope nor has an approved access to it, and "
            "the scope is not open to everyone.",
            fix="Ask the API provider to grant your organisation access to the scope in this environment.",
            summary_nb="Konsumenten har ikke fått tilgang til scopet.",
        ),
        _entry(
            "MP-251",
            "forbidden",
            "Consumer {consumer} has not delegated access to the scope {scope} to supplier {supplier}",
            meaning="The consumer organisation has not delegated the scope to the supplier in Altinn.",
            fix="Ask the consumer to delegate the scope to your organisation in Altinn.",
            summary_nb="Konsumenten har ikke delegert scopet til leverandøren.",
        ),
        _entry(
            "MP-252",
            "invalid_request",
            "Validation of JWT claim failed: The combination consumer_org in claim and delegation scope "
            "on client is invalid",
            meaning="consumer_org is the client's own organisation, or a requested scope cannot be "
            "delegated.",
            fix="Send consumer_org only for another organisation, and only with delegable scopes.",
            summary_nb="consumer_org kan ikke brukes med disse scopene.",
        ),
        _entry(
            "MP-301",
            "invalid_authorization_details",
            "Unknown authorization details type",
            meaning="The authorization_details type is not enabled here (none are enabled in phase 1).",
            fix="Leave out authorization_details.",
            summary_nb="Ukjent type i authorization_details.",
        ),
        _entry(
            "MP-302",
            "invalid_authorization_details",
            "Unknown fields in the authorization details",
            meaning="authorization_details carries fields the type does not define.",
            fix="Send only the fields the type defines.",
            summary_nb="Ukjente felt i authorization_details.",
        ),
        _entry(
            "MP-303",
            "invalid_authorization_details",
            "Invalid authorization details values: {value}",
            meaning="A value in authorization_details is invalid, or no matching system user exists.",
            fix="Send exactly one element with a valid systemuser_org, for a system user that exists.",
            summary_nb="Ugyldige verdier i authorization_details.",
        ),
        _entry(
            "MP-900",
            "server_error",
            "Internal server error",
            status=500,
            meaning="An unexpected failure inside Maskinporten.",
            fix="Try again later; report the trace id if it persists.",
            summary_nb="Intern feil.",
        ),
        _entry(
            "MP-901",
            "temporarily_unavailable",
            "Delegation source unavailable, try again later",
            status=503,
            meaning="The delegation lookup in Altinn failed (unreachable, timeout or server error).",
            fix="Try again later.",
            summary_nb="Delegeringskilden er utilgjengelig.",
        ),
    )
}


class MaskinportenError(OAuthError):
    """An error with a catalogue code; `error`, status and description come from the catalogue."""

    def __init__(self, code: str, *, variant: int = 0, hint: str | None = None, **values: str) -> None:
        entry = CATALOGUE[code]
        chosen = entry.variants[variant]
        super().__init__(chosen.template.format(**values), hint=hint)
        self.mp_code = code
        self.code = chosen.error
        self.status_code = entry.status


MISSING_PARAMETER, DUPLICATE_PARAMETER, CONTENT_TYPE, UNSUPPORTED_GRANT_TYPE, BODY_TOO_LARGE = range(5)


def from_oauth_error(exc: OAuthError) -> MaskinportenError:
    """The catalogue code of an RFC 7523 check's error (portvakt.oauth.jwt_bearer); MP-900 if unknown."""
    hint = exc.hint
    match exc:
        case jwt_bearer.MissingParameter(name=name):
            return MaskinportenError("MP-010", variant=MISSING_PARAMETER, name=name)
        case jwt_bearer.DuplicateParameter(name=name):
            return MaskinportenError("MP-010", variant=DUPLICATE_PARAMETER, name=name)
        case jwt_bearer.InvalidContentType():
            return MaskinportenError("MP-010", variant=CONTENT_TYPE, hint=hint)
        case jwt_bearer.GrantTypeNotSupported(value=value):
            return MaskinportenError("MP-010", variant=UNSUPPORTED_GRANT_TYPE, value=value)
        case jwt_bearer.BodyTooLarge():
            return MaskinportenError("MP-010", variant=BODY_TOO_LARGE)
        case jwt_bearer.MalformedAssertion():
            return MaskinportenError("MP-011", hint=hint)
        case jwt_bearer.AudienceMismatch():
            return MaskinportenError("MP-110", hint=hint)
        case jwt_bearer.InvalidSignature():
            return MaskinportenError("MP-124", hint=hint)
        case jwt_bearer.IssuedInFuture():
            return MaskinportenError("MP-131", hint=hint)
        case jwt_bearer.NotYetValid():
            return MaskinportenError("MP-132", hint=hint)
        case jwt_bearer.GrantExpired():
            return MaskinportenError("MP-130", hint=hint)
    return MaskinportenError("MP-900", hint=f"{type(exc).__name__}: {exc.description} ({hint})")
