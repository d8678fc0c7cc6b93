"""One row per error branch of the scope, scope-access and query-parameter rules (§4.1–§4.3, §6), in the
§4.1 validation order; every refusal leaves the stored state as it was."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from portvakt.registry.model import ScopeSettings
from tests.selvbetjening.conftest import PROVIDER, World, error_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

META = "invalid_scope_metadata"
BODY = {"prefix": "test", "subscope": "ny", "description": "Ny"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shared_world: World) -> World:
    admin = shared_world.admin
    await admin.create_scope("test", "gammel", ScopeSettings(description="Gammel"), orgno=PROVIDER)
    await admin.deactivate_scope("test:gammel")
    return shared_world


async def refused(world: World, method: str, path: str, **kwargs: Any) -> tuple[int, str, str]:
    token = await world.token(PROVIDER)
    before = await world.snapshot()
    response = await world.call(method, path, token, **kwargs)
    assert await world.snapshot() == before
    return error_body(response)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param([], (400, "invalid_request", "Request body must be a JSON object"), id="2-not-object"),
        pytest.param({**BODY, "prefix": None}, (400, META, "prefix is required"), id="3-prefix-missing"),
        pytest.param(
            {**BODY, "prefix": "Te st"}, (400, META, "Invalid prefix: Te st"), id="3-prefix-invalid"
        ),
        pytest.param({**BODY, "prefix": 5}, (400, META, "Invalid prefix: 5"), id="3-prefix-ill-typed"),
        pytest.param(
            {**BODY, "prefix": "idporten"},
            (403, "access_denied", f"Prefix 'idporten' is not assigned to organisation {PROVIDER}"),
            id="4-prefix-of-another-org",
        ),
        pytest.param(
            {**BODY, "prefix": "ukjent"},
            (403, "access_denied", f"Prefix 'ukjent' is not assigned to organisation {PROVIDER}"),
            id="4-prefix-unassigned",
        ),
        pytest.param(
            {**BODY, "subscope": None}, (400, META, "subscope is required"), id="5-subscope-missing"
        ),
        pytest.param(
            {**BODY, "subscope": "A/B"}, (400, META, "Invalid subscope: A/B"), id="5-subscope-invalid"
        ),
        pytest.param(
            {**BODY, "subscope": "a//b"}, (400, META, "Invalid subscope: a//b"), id="5-subscope-empty-part"
        ),
        pytest.param({**BODY, "subscope": 7}, (400, META, "Invalid subscope: 7"), id="5-subscope-ill-typed"),
        pytest.param(
            {**BODY, "subscope": "a" * 251},
            (400, META, "Scope name exceeds 255 characters"),
            id="5-name-length",
        ),
        pytest.param(
            {**BODY, "subscope": "api/les"},
            (409, "conflict", "Scope 'test:api/les' already exists"),
            id="6-taken",
        ),
        pytest.param(
            {**BODY, "subscope": "gammel"},
            (
                409,
                "conflict",
                "Scope 'test:gammel' already exists and is deactivated; reactivate it with PUT",
            ),
            id="6-taken-deactivated",
        ),
        pytest.param(
            {**BODY, "description": None}, (400, META, "description is required"), id="7-description"
        ),
        pytest.param(
            {**BODY, "description": 3}, (400, META, "description is required"), id="7-description-type"
        ),
        pytest.param(
            {**BODY, "description": "d" * 256},
            (400, META, "Invalid value for description"),
            id="7-description-long",
        ),
        pytest.param(
            {**BODY, "long_description": "d" * 4001},
            (400, META, "Invalid value for long_description"),
            id="7-long-description",
        ),
        pytest.param(
            {**BODY, "visibility": "SECRET"}, (400, META, "Invalid value for visibility"), id="7-visibility"
        ),
        pytest.param(
            {**BODY, "visibility": ["PUBLIC"]}, (400, META, "Invalid value for visibility"), id="7-vis-type"
        ),
        pytest.param(
            {**BODY, "token_type": "JWT"}, (400, META, "Invalid value for token_type"), id="7-token-type"
        ),
        pytest.param(
            {**BODY, "at_max_age": 86401}, (400, META, "Invalid value for at_max_age"), id="7-at-max-age"
        ),
        pytest.param(
            {**BODY, "at_max_age": "60"}, (400, META, "Invalid value for at_max_age"), id="7-at-max-type"
        ),
        pytest.param(
            {**BODY, "authorization_max_lifetime": -1},
            (400, META, "Invalid value for authorization_max_lifetime"),
            id="7-authorization-max-lifetime",
        ),
        pytest.param(
            {**BODY, "requires_user_consent": "yes"},
            (400, META, "Invalid value for requires_user_consent"),
            id="7-requires-user-consent",
        ),
        pytest.param(
            {**BODY, "accessible_for_all": 1},
            (400, META, "Invalid value for accessible_for_all"),
            id="7-open",
        ),
        pytest.param(
            {**BODY, "allowed_integration_types": ["saml"]},
            (400, META, "Invalid value for allowed_integration_types"),
            id="7-integration-types",
        ),
        pytest.param(
            {**BODY, "allowed_integration_types": "maskinporten"},
            (400, META, "Invalid value for allowed_integration_types"),
            id="7-integration-types-type",
        ),
        pytest.param(
            {**BODY, "delegation_source": "ukjent"},
            (400, META, "Unknown delegation_source: ukjent"),
            id="8-delegation-source",
        ),
        pytest.param(
            {**BODY, "enforced_aud_for_introspection": "ingen-klient"},
            (400, META, "Unknown client in enforced_aud_for_introspection: ingen-klient"),
            id="8-enforced-aud",
        ),
        pytest.param(
            {**BODY, "visibility": "INTERNAL"},
            (400, META, "visibility INTERNAL is reserved for the platform"),
            id="8-internal",
        ),
        pytest.param(
            {**BODY, "prefix": "Te st", "at_max_age": "x", "subscope": None},
            (400, META, "Invalid prefix: Te st"),
            id="order-prefix-before-fields",
        ),
        pytest.param(
            {**BODY, "subscope": "api/les", "description": None},
            (409, "conflict", "Scope 'test:api/les' already exists"),
            id="order-conflict-before-fields",
        ),
    ],
)
async def test_create_scope_refusals(world: World, body: Any, expected: tuple[int, str, str]) -> None:
    assert await refused(world, "POST", "/scopes", json=body) == expected


UPDATE = {"description": "Les data"}


@pytest.mark.parametrize(
    ("params", "body", "expected"),
    [
        pytest.param({}, UPDATE, (400, "invalid_request", "Missing query parameter: scope"), id="no-scope"),
        pytest.param(
            {"scope": "test:x"}, [], (400, "invalid_request", "Request body must be a JSON object"), id="body"
        ),
        pytest.param({"scope": "test:x"}, UPDATE, (404, "not_found", "Scope not found"), id="unknown"),
        pytest.param(
            {"scope": "test:api/les"},
            {**UPDATE, "subscope": "annet"},
            (400, META, "Scope name cannot be changed"),
            id="subscope-changed",
        ),
        pytest.param(
            {"scope": "test:api/les"},
            {**UPDATE, "name": "test:annet"},
            (400, META, "Scope name cannot be changed"),
            id="name-changed",
        ),
        pytest.param(
            {"scope": "test:api/les"},
            {**UPDATE, "prefix": "idporten"},
            (400, META, "Scope name cannot be changed"),
            id="prefix-changed",
        ),
        pytest.param({"scope": "test:api/les"}, {}, (400, META, "description is required"), id="description"),
        pytest.param(
            {"scope": "test:api/les"},
            {**UPDATE, "active": "yes"},
            (400, META, "Invalid value for active"),
            id="active",
        ),
    ],
)
async def test_update_scope_refusals(
    world: World, params: dict[str, str], body: Any, expected: tuple[int, str, str]
) -> None:
    assert await refused(world, "PUT", "/scopes", params=params, json=body) == expected


@pytest.mark.parametrize(
    ("method", "path", "params", "expected"),
    [
        pytest.param(
            "PUT",
            "/scopes/access/310000035",
            {"scope": "test:gammel"},
            (400, "invalid_request", "Scope 'test:gammel' is deactivated"),
            id="grant-deactivated",
        ),
        pytest.param(
            "PUT",
            "/scopes/access/12345",
            {"scope": "test:api/les"},
            (400, "invalid_request", "Invalid organisation number: 12345"),
            id="grant-invalid-orgno",
        ),
        pytest.param(
            "PUT",
            "/scopes/access/310000035",
            {"scope": "test:x"},
            (404, "not_found", "Scope not found"),
            id="grant-unknown-scope",
        ),
        pytest.param(
            "PUT",
            "/scopes/access/310000035",
            {},
            (400, "invalid_request", "Missing query parameter: scope"),
            id="grant-no-scope",
        ),
        pytest.param(
            "DELETE",
            "/scopes/access/310000094",
            {"scope": "test:api/les"},
            (404, "not_found", "Scope access not found"),
            id="revoke-no-row",
        ),
        pytest.param(
            "GET",
            "/scopes/access",
            {},
            (400, "invalid_request", "Missing query parameter: scope"),
            id="list-no-scope",
        ),
        pytest.param(
            "GET",
            "/scopes/access",
            {"scope": "test:api/les", "consumer_orgno": "abc"},
            (400, "invalid_request", "Invalid organisation number: abc"),
            id="list-invalid-consumer",
        ),
        pytest.param(
            "GET",
            "/scopes/access",
            {"scope": "test:api/les", "inactive": "yes"},
            (400, "invalid_request", "Invalid value for query parameter inactive"),
            id="list-inactive-flag",
        ),
        pytest.param(
            "GET",
            "/scopes",
            {"inactive": "1"},
            (400, "invalid_request", "Invalid value for query parameter inactive"),
            id="scopes-inactive-flag",
        ),
        pytest.param(
            "GET", "/scopes", {"scope": "test:x"}, (404, "not_found", "Scope not found"), id="get-unknown"
        ),
        pytest.param(
            "DELETE",
            "/scopes",
            {},
            (400, "invalid_request", "Missing query parameter: scope"),
            id="delete-no-scope",
        ),
        pytest.param(
            "DELETE",
            "/scopes",
            {"scope": "test:x"},
            (404, "not_found", "Scope not found"),
            id="delete-unknown",
        ),
        pytest.param(
            "GET",
            "/clients",
            {"inactive": "ja"},
            (400, "invalid_request", "Invalid value for query parameter inactive"),
            id="clients-inactive-flag",
        ),
        pytest.param(
            "GET",
            "/scopes/all",
            {"accessible_for_all": "1"},
            (400, "invalid_request", "Invalid value for query parameter accessible_for_all"),
            id="all-accessible-flag",
        ),
        pytest.param(
            "GET",
            "/scopes/all",
            {"integration_type": "saml"},
            (400, "invalid_request", "Invalid value for query parameter integration_type"),
            id="all-integration-type",
        ),
    ],
)
async def test_access_and_query_refusals(
    world: World, method: str, path: str, params: dict[str, str], expected: tuple[int, str, str]
) -> None:
    assert await refused(world, method, path, params=params) == expected
