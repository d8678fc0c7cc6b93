"""The registry's value objects (selvbetjening.md §3) and their JSON form (§1 conventions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from portvakt.registry.jwk import GeneratedKey

INTEGRATION_TYPES: tuple[str, ...] = ("idporten", "api_klient", "maskinporten", "krr")
OIDC_INTEGRATION_TYPES: frozenset[str] = frozenset({"idporten", "api_klient"})
PLATFORM_PREFIXES: tuple[str, ...] = ("idporten", "krr", "portvakt")
AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a grant type name
SECRET_METHODS: frozenset[str] = frozenset({"client_secret_basic", "client_secret_post"})
PRIVATE_KEY_JWT = "private_key_jwt"


class AccessState(StrEnum):
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    REQUESTED = "REQUESTED"  # reserved (phase 2)


class Visibility(StrEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"
    INTERNAL = "INTERNAL"


class TokenType(StrEnum):
    SELF_CONTAINED = "SELF_CONTAINED"
    OPAQUE = "OPAQUE"


@dataclass(frozen=True)
class Organisation:
    orgno: str
    name: str
    email_domains: tuple[str, ...] = ()
    terms_signed: bool = False
    prefixes: tuple[str, ...] = ()
    mercantile: Mapping[str, Any] | None = None
    active: bool = True
    created: datetime | None = None
    last_updated: datetime | None = None


@dataclass(frozen=True)
class Prefix:
    prefix: str
    orgno: str
    created: datetime


@dataclass(frozen=True)
class ScopeSettings:
    """The mutable fields of a scope with their defaults (§3.3): the body of a create or a PUT."""

    description: str
    long_description: str | None = None
    visibility: str = Visibility.PUBLIC.value
    token_type: str = TokenType.SELF_CONTAINED.value
    at_max_age: int = 0
    authorization_max_lifetime: int = 0
    requires_user_consent: bool = False
    requires_user_authentication: bool = False
    requires_pseudonymous_tokens: bool = False
    accessible_for_all: bool = False
    allowed_integration_types: tuple[str, ...] = ()
    delegation_source: str | None = None
    enforced_aud_for_introspection: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiScope:
    name: str
    prefix: str
    subscope: str
    owner_orgno: str
    settings: ScopeSettings
    active: bool
    created: datetime
    last_updated: datetime


@dataclass(frozen=True)
class ScopeAccess:
    scope: str
    consumer_orgno: str
    owner_orgno: str
    state: AccessState
    created: datetime
    last_updated: datetime


@dataclass(frozen=True)
class DelegationSourceRecord:
    name: str
    issuer: str
    created: datetime
    last_updated: datetime


@dataclass(frozen=True)
class ClientSettings:
    """A client as submitted (§3.5); None means "fill in the §4.4 default"."""

    client_name: str
    integration_type: str
    description: str | None = None
    client_orgno: str | None = None
    application_type: str | None = None
    token_endpoint_auth_method: str | None = None
    grant_types: tuple[str, ...] | None = None
    scopes: tuple[str, ...] | None = None
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = False
    sso_disabled: bool = False
    client_uri: str | None = None
    access_token_lifetime: int = 0
    refresh_token_lifetime: int = 0
    authorization_lifetime: int = 0
    refresh_token_usage: str = "ONETIME"  # noqa: S105
    code_challenge_method: str = "S256"


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    client_name: str
    description: str | None
    client_orgno: str
    supplier_orgno: str | None
    integration_type: str
    application_type: str
    token_endpoint_auth_method: str
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    frontchannel_logout_uri: str | None
    frontchannel_logout_session_required: bool
    sso_disabled: bool
    client_uri: str | None
    access_token_lifetime: int
    refresh_token_lifetime: int
    authorization_lifetime: int
    refresh_token_usage: str
    code_challenge_method: str
    active: bool
    created: datetime
    last_updated: datetime
    client_secret_hash: str | None = field(default=None, repr=False)
    client_secret_expires_at: datetime | None = None


@dataclass(frozen=True)
class RegisteredKey:
    client_id: str
    kid: str
    jwk: Mapping[str, Any]  # public members only, as registered
    expires_at: datetime
    created: datetime


@dataclass(frozen=True)
class CreatedClient:
    """The result of creating a client: what is shown once (secret, private key) is here and nowhere else."""

    client: ClientRegistration
    keys: tuple[RegisteredKey, ...] = ()
    generated_key: GeneratedKey | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @property
    def private_jwk(self) -> Mapping[str, Any] | None:
        return self.generated_key.private_jwk if self.generated_key is not None else None


# -- JSON form (selvbetjening.md §1: UTC timestamps with milliseconds and a zone offset) ------------------


def format_timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    return {
        "orgno": organisation.orgno,
        "name": organisation.name,
        "email_domains": list(organisation.email_domains),
        "terms_signed": organisation.terms_signed,
        "prefixes": list(organisation.prefixes),
        "mercantile": dict(organisation.mercantile) if organisation.mercantile is not None else None,
        "active": organisation.active,
        "created": format_timestamp(organisation.created),
        "last_updated": format_timestamp(organisation.last_updated),
    }


def scope_json(scope: ApiScope) -> dict[str, Any]:
    settings = scope.settings
    return {
        "name": scope.name,
        "prefix": scope.prefix,
        "subscope": scope.subscope,
        "description": settings.description,
        "long_description": settings.long_description,
        "active": scope.active,
        "visibility": settings.visibility,
        "token_type": settings.token_type,
        "at_max_age": settings.at_max_age,
        "authorization_max_lifetime": settings.authorization_max_lifetime,
        "requires_user_consent": settings.requires_user_consent,
        "requires_user_authentication": settings.requires_user_authentication,
        "requires_pseudonymous_tokens": settings.requires_pseudonymous_tokens,
        "accessible_for_all": settings.accessible_for_all,
        "allowed_integration_types": list(settings.allowed_integration_types),
        "delegation_source": settings.delegation_source,
        "enforced_aud_for_introspection": list(settings.enforced_aud_for_introspection),
        "owner_orgno": scope.owner_orgno,
        "created": format_timestamp(scope.created),
        "last_updated": format_timestamp(scope.last_updated),
    }


def access_json(access: ScopeAccess) -> dict[str, Any]:
    return {
        "scope": access.scope,
        "consumer_orgno": access.consumer_orgno,
        "owner_orgno": access.owner_orgno,
        "state": access.state.value,
        "created": format_timestamp(access.created),
        "last_updated": format_timestamp(access.last_updated),
    }


def delegation_source_json(source: DelegationSourceRecord) -> dict[str, Any]:
    return {
        "name": source.name,
        "issuer": source.issuer,
        "created": format_timestamp(source.created),
        "last_updated": format_timestamp(source.last_updated),
    }


def client_json(client: ClientRegistration, *, client_secret: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "client_id": client.client_id,
        "client_name": client.client_name,
        "description": client.description,
        "client_orgno": client.client_orgno,
        "supplier_orgno": client.supplier_orgno,
        "integration_type": client.integration_type,
        "application_type": client.application_type,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "scopes": list(client.scopes),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "frontchannel_logout_session_required": client.frontchannel_logout_session_required,
        "sso_disabled": client.sso_disabled,
        "client_uri": client.client_uri,
        "access_token_lifetime": client.access_token_lifetime,
        "refresh_token_lifetime": client.refresh_token_lifetime,
        "authorization_lifetime": client.authorization_lifetime,
        "refresh_token_usage": client.refresh_token_usage,
        "code_challenge_method": client.code_challenge_method,
        "active": client.active,
        "created": format_timestamp(client.created),
        "last_updated": format_timestamp(client.last_updated),
    }
    if client_secret is not None:
        document["client_secret"] = client_secret
        expires = client.client_secret_expires_at
        document["client_secret_expires_at"] = int(expires.timestamp()) if expires is not None else 0
    return document


def key_set_json(keys: tuple[RegisteredKey, ...]) -> dict[str, Any]:
    """`{"keys":[… with "exp"], "created", "last_updated"}` (§4.7)."""
    created = min((key.created for key in keys), default=None)
    updated = max((key.created for key in keys), default=None)
    return {
        "keys": [{**key.jwk, "exp": int(key.expires_at.timestamp())} for key in keys],
        "created": format_timestamp(created),
        "last_updated": format_timestamp(updated),
    }
