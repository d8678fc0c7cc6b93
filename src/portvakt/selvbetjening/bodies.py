"""Request bodies and query parameters of the self-service API (selvbetjening.md §1, §4, §6).

Bodies must be `application/json` (else 415) holding a JSON object (else 400 `invalid_request`). Unknown
and read-only members are ignored (§1: a GET result can be sent back with PUT). Client and key bodies are
typed with pydantic (an ill-typed member → 400 `invalid_client_metadata` `Invalid value for <field>`);
scope members are passed on as sent, because §4.1 checks their types at step 7, after the prefix and name
checks, and the use case does that in that order.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from portvakt.registry.errors import InvalidClientMetadata
from portvakt.registry.model import ClientSettings, ScopeSettings
from portvakt.selvbetjening.errors import (
    BodyNotAnObject,
    InvalidQueryParameter,
    MissingQueryParameter,
    NotJson,
)

M = TypeVar("M", bound=BaseModel)


async def json_object(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise NotJson()
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BodyNotAnObject() from None
    if not isinstance(body, dict):
        raise BodyNotAnObject()
    return body


def flag(name: str, value: str | None) -> bool | None:
    """A `true`/`false` query parameter; absent → None."""
    if value is None:
        return None
    if value not in ("true", "false"):
        raise InvalidQueryParameter(name)
    return value == "true"


def required(name: str, value: str | None) -> str:
    if not value:
        raise MissingQueryParameter(name)
    return value


# -- scopes (§3.3) ----------------------------------------------------------------------------------


class ScopeBody(BaseModel):
    """The scope members of §3.3 (documentation of the request body; see the module docstring)."""

    model_config = ConfigDict(extra="allow")

    prefix: str | None = None
    subscope: str | None = None
    name: str | None = None
    description: str | None = None
    long_description: str | None = None
    active: bool | None = None
    visibility: str | None = None
    token_type: str | None = None
    at_max_age: int | None = None
    authorization_max_lifetime: int | None = None
    requires_user_consent: bool | None = None
    requires_user_authentication: bool | None = None
    requires_pseudonymous_tokens: bool | None = None
    accessible_for_all: bool | None = None
    allowed_integration_types: list[str] | None = None
    delegation_source: str | None = None
    enforced_aud_for_introspection: list[str] | str | None = None


_SCOPE_FIELDS = tuple(field.name for field in fields(ScopeSettings))


def scope_settings(body: dict[str, Any]) -> ScopeSettings:
    """The mutable scope fields as sent; omitted or null → the §3.3 default (full replacement on PUT)."""
    values: dict[str, Any] = {"description": body.get("description")}
    for name in _SCOPE_FIELDS:
        value = body.get(name)
        if name == "description" or value is None:
            continue
        if name == "enforced_aud_for_introspection" and isinstance(value, str):
            value = [value]  # §3.3: a single string is accepted and normalised
        values[name] = tuple(value) if isinstance(value, list) else value
    return ScopeSettings(**values)


# -- clients (§3.5) and keys (§4.7) -----------------------------------------------------------------


class ClientBody(BaseModel):
    """The client members of §3.5, in the §4.6 check order."""

    model_config = ConfigDict(extra="ignore", strict=True)

    client_orgno: str | None = None
    integration_type: str | None = None
    application_type: str | None = None
    token_endpoint_auth_method: str | None = None
    grant_types: list[str] | None = None
    client_name: str | None = None
    description: str | None = None
    redirect_uris: list[str] | None = None
    post_logout_redirect_uris: list[str] | None = None
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool | None = None
    sso_disabled: bool | None = None
    client_uri: str | None = None
    access_token_lifetime: int | None = None
    refresh_token_lifetime: int | None = None
    authorization_lifetime: int | None = None
    refresh_token_usage: str | None = None
    code_challenge_method: str | None = None
    scopes: list[str] | None = None


class KeySetBody(BaseModel):
    """`{"keys":[JWK, …]}`; each key is checked by §4.7."""

    model_config = ConfigDict(extra="ignore", strict=True)

    keys: list[Any] | None = None


def _typed(model: type[M], body: dict[str, Any]) -> M:
    try:
        return model.model_validate(body)
    except PydanticValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        raise InvalidClientMetadata(f"Invalid value for {field}") from None


def client_settings(body: dict[str, Any]) -> ClientSettings:
    parsed = _typed(ClientBody, body)
    return ClientSettings(
        client_name=parsed.client_name or "",
        integration_type=parsed.integration_type or "",
        description=parsed.description,
        client_orgno=parsed.client_orgno,
        application_type=parsed.application_type,
        token_endpoint_auth_method=parsed.token_endpoint_auth_method,
        grant_types=tuple(parsed.grant_types) if parsed.grant_types is not None else None,
        scopes=tuple(parsed.scopes) if parsed.scopes is not None else None,
        redirect_uris=tuple(parsed.redirect_uris or ()),
        post_logout_redirect_uris=tuple(parsed.post_logout_redirect_uris or ()),
        frontchannel_logout_uri=parsed.frontchannel_logout_uri,
        frontchannel_logout_session_required=bool(parsed.frontchannel_logout_session_required),
        sso_disabled=bool(parsed.sso_disabled),
        client_uri=parsed.client_uri,
        access_token_lifetime=parsed.access_token_lifetime or 0,
        refresh_token_lifetime=parsed.refresh_token_lifetime or 0,
        authorization_lifetime=parsed.authorization_lifetime or 0,
        refresh_token_usage=parsed.refresh_token_usage or "ONETIME",
        code_challenge_method=parsed.code_challenge_method or "S256",
    )


def key_set(body: dict[str, Any]) -> list[Any]:
    return list(_typed(KeySetBody, body).keys or [])


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI `requestBody` for a route that reads its body itself (so errors keep the §6 format)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
