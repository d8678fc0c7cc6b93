"""Item 4: the portal and the REST API call the same service functions — a rule changed in the service
layer shows in both."""

from __future__ import annotations

import pytest

from portvakt.registry import service
from portvakt.registry.model import ScopeSettings
from tests.portal.conftest import PROVIDER, PortalWorld, text_of
from tests.selvbetjening.conftest import API_SCOPES, new_world

pytestmark = pytest.mark.asyncio(loop_scope="module")

RULE = "description must not mention secrets"


async def test_a_changed_rule_shows_in_the_api_and_the_portal(
    world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    for scope in API_SCOPES:
        await world.admin.grant_access(scope, PROVIDER)
    api = new_world(world.app, world.http, world.clock)
    token = await api.token(PROVIDER)
    await world.user("kari@tilbyder.no")
    body = {"prefix": "test", "subscope": "api", "description": "hemmelig API"}
    form = {"prefix": "test", "subscope": "api", "description": "hemmelig API", "at_max_age": "0"}

    original = service._scope_settings_errors

    def stricter(settings: ScopeSettings) -> str | None:
        if "hemmelig" in settings.description:
            return RULE
        return original(settings)

    monkeypatch.setattr(service, "_scope_settings_errors", stricter)
    from_api = await api.call("POST", "/scopes", token, json=body)
    assert from_api.status_code == 400
    assert from_api.json() == {"error": "invalid_scope_metadata", "error_description": RULE}
    from_portal = await world.post("/mine-api/nytt", form)
    assert from_portal.status_code == 400
    assert f"Feil: {RULE}" in text_of(from_portal.text)

    monkeypatch.setattr(service, "_scope_settings_errors", original)
    assert (await api.call("POST", "/scopes", token, json=body)).status_code == 201
    assert (await world.post("/mine-api/nytt", {**form, "subscope": "api2"})).status_code == 303
