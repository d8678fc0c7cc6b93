"""The portal in production mode: no test outbox, changes need an ID-porten login matching the stored
identity number and the administrator-granted rights; disabled actions stay visible with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from portvakt.portal.rules import PROD_NEEDS_IDPORTEN, missing_right
from portvakt.portal.web import Portal
from portvakt.registry.model import Organisation
from portvakt.settings import Environment
from portvakt.storage.tables.portal import portal_sessions
from tests.portal.conftest import PortalWorld, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

PID = "01819012365"


def to_prod(world: PortalWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the running portal to production rules (the rest of the platform stays test)."""
    portal: Portal = world.app.platform.components["selvbetjening.portal"]
    monkeypatch.setattr(portal, "settings", portal.settings.model_copy(update={"env": Environment.PROD}))


async def _as_idporten(world: PortalWorld, pid: str) -> None:
    """The state an ID-porten login leaves on the session (the login itself: test_idporten_login.py)."""
    async with world.app.platform.database.engine.begin() as connection:
        await connection.execute(
            update(portal_sessions).where(portal_sessions.c.user_id.is_not(None)).values(idporten_pid=pid)
        )


async def test_prod_rules(world: PortalWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    await world.user("kari@tilbyder.no")
    to_prod(world, monkeypatch)
    assert (await world.get("/test/utboks")).status_code == 404
    page = await world.get("/mine-api")
    assert PROD_NEEDS_IDPORTEN in text_of(page.text)  # FAQ: "Ny integrasjon" er grået ut i produksjonsmiljøet
    assert ">Nytt scope</span>" in page.text
    integrations = await world.get("/integrasjoner")
    assert ">Ny integrasjon</span>" in integrations.text
    assert PROD_NEEDS_IDPORTEN in text_of(integrations.text)
    assert "PRODUKSJON" in integrations.text
    refused = await world.post("/mine-api/nytt", {"prefix": "test", "subscope": "x", "description": "x"})
    assert refused.status_code == 403
    assert PROD_NEEDS_IDPORTEN in text_of(refused.text)

    await world.admin.set_user_pid("kari@tilbyder.no", PID)
    await _as_idporten(world, PID)
    organisation = Organisation(orgno="310000027", name="TILBYDER AS")
    no_right = await world.get("/mine-api")
    assert missing_right("APIer", organisation) in text_of(no_right.text)
    assert missing_right("integrasjoner", organisation) in text_of((await world.get("/integrasjoner")).text)
    await world.admin.grant_right("kari@tilbyder.no", "APIer")
    allowed = await world.get("/mine-api")
    assert 'href="/selvbetjening/mine-api/nytt">Nytt scope</a>' in allowed.text
    created = await world.post(
        "/mine-api/nytt", {"prefix": "test", "subscope": "x", "description": "x", "at_max_age": "0"}
    )
    assert created.status_code == 303
    profile = text_of((await world.get("/min-profil")).text)
    assert "Rettigheter APIer" in profile
    assert "Innlogget med ID-porten." in profile


async def test_prod_session_cookie_is_secure_on_https(world: PortalWorld) -> None:
    response = await world.http.get("https://localhost:8080/selvbetjening/")
    assert "Secure" in response.headers["set-cookie"]
