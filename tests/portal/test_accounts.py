"""§8.1: registration with a work e-mail, confirmation by mail (test outbox), password login, sessions with
CSRF protection, logout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portvakt.portal import texts
from portvakt.storage.tables.audit import audit_events
from portvakt.storage.tables.portal import portal_confirmations, portal_sessions, portal_users
from tests.portal.conftest import CONSUMER, PASSWORD, PROVIDER, PortalWorld, S, csrf_of, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _users(world: PortalWorld) -> list[dict[str, object]]:
    async with world.app.platform.database.engine.connect() as connection:
        return [dict(row) for row in (await connection.execute(select(portal_users))).mappings()]


async def test_registration_binds_the_domain_owner_and_mails_a_link(world: PortalWorld) -> None:
    response = await world.register("Kari@Tilbyder.no", name="Kari Nordmann")
    assert response.status_code == 200
    assert "Vi har sendt en e-post til kari@tilbyder.no" in text_of(response.text)
    [user] = await _users(world)
    assert user["email"] == "kari@tilbyder.no"
    assert user["orgno"] == PROVIDER
    assert user["email_confirmed"] is False
    assert str(user["password_hash"]).startswith("scrypt$")
    assert PASSWORD not in str(user["password_hash"])
    outbox = await world.get("/test/utboks")
    assert "Bekreft brukeren din i Samarbeidsportalen" in outbox.text
    link = await world.confirmation_link("kari@tilbyder.no")
    assert link.startswith("http://localhost:8080/selvbetjening/bekreft?token=")
    async with world.app.platform.database.engine.connect() as connection:
        [row] = (await connection.execute(select(portal_confirmations))).mappings()
    assert row["token_hash"] not in link  # stored hashed
    assert row["expires"].replace(tzinfo=None) == (world.clock.now() + timedelta(hours=24)).replace(
        tzinfo=None
    )
    async with world.app.platform.database.engine.connect() as connection:
        [event] = (
            await connection.execute(select(audit_events).where(audit_events.c.action == "user.register"))
        ).mappings()
    assert (event["channel"], event["actor"]) == ("portal", "kari@tilbyder.no")


async def test_confirmation_then_login_shows_the_organisation_header(world: PortalWorld) -> None:
    await world.register("kari@tilbyder.no")
    confirmed = await world.http.get(await world.confirmation_link("kari@tilbyder.no"))
    assert confirmed.status_code == 200
    assert texts.CONFIRMED in text_of(confirmed.text)
    response = await world.login("kari@tilbyder.no")
    assert response.status_code == 303
    assert response.headers["location"] == f"{S}/virksomhet"
    page = await world.get("/virksomhet")
    assert (
        "Du representerer TILBYDER AS (310000027). "
        "Tilknytningen er basert på e-postdomenet ditt (tilbyder.no). "
        "Er dette feil, ta kontakt med plattformadministrator."
    ) in text_of(page.text)
    [user] = await _users(world)
    assert user["email_confirmed"] is True
    assert user["last_login"] is not None


async def test_unknown_domain_gets_the_clear_message(world: PortalWorld) -> None:
    response = await world.register("ola@ukjent.no")
    assert response.status_code == 400
    assert (
        "Feil: Det finnes ingen virksomhet registrert med e-postdomenet «ukjent.no». "
        "Virksomheten må være registrert og ha signert bruksvilkårene."
    ) in text_of(response.text)
    assert 'role="alert"' in response.text
    assert await _users(world) == []


async def test_registration_field_errors(world: PortalWorld) -> None:
    short = await world.register("kari@tilbyder.no", password="kort")
    assert short.status_code == 400
    assert f"Feil: {texts.PASSWORD_TOO_SHORT}" in text_of(short.text)
    differ = await world.post(
        "/registrer",
        {"navn": "Kari", "epost": "kari@tilbyder.no", "passord": PASSWORD, "passord2": PASSWORD + "x"},
    )
    assert f"Feil: {texts.PASSWORDS_DIFFER}" in text_of(differ.text)
    bad = await world.post(
        "/registrer", {"navn": "", "epost": "ikke-epost", "passord": PASSWORD, "passord2": PASSWORD}
    )
    assert f"Feil: {texts.EMAIL_INVALID}" in text_of(bad.text)
    assert f"Feil: {texts.NAME_REQUIRED}" in text_of(bad.text)
    assert await _users(world) == []
    assert (await world.register("kari@tilbyder.no")).status_code == 200
    resent = await world.register("kari@tilbyder.no", password="et-annet-passord")  # not confirmed yet
    assert resent.status_code == 200
    assert "Vi har sendt en e-post til kari@tilbyder.no" in text_of(resent.text)
    assert (await world.get("/test/utboks")).text.count("bekreft?token=") == 4  # two mails, href + text
    await world.http.get(await world.confirmation_link("kari@tilbyder.no"))
    assert (await world.login("kari@tilbyder.no", "et-annet-passord")).status_code == 400  # unchanged
    assert (await world.login("kari@tilbyder.no")).status_code == 303
    again = await world.register("kari@tilbyder.no")
    assert again.status_code == 400
    assert f"Feil: {texts.USER_EXISTS}" in text_of(again.text)


async def test_login_failures(world: PortalWorld) -> None:
    await world.register("kari@tilbyder.no")
    unconfirmed = await world.login("kari@tilbyder.no")
    assert unconfirmed.status_code == 400
    assert f"Feil: {texts.NOT_CONFIRMED}" in text_of(unconfirmed.text)
    await world.http.get(await world.confirmation_link("kari@tilbyder.no"))
    for email, password in (("kari@tilbyder.no", "feil-passord-her"), ("ingen@tilbyder.no", PASSWORD)):
        wrong = await world.login(email, password)
        assert wrong.status_code == 400
        assert f"Feil: {texts.LOGIN_FAILED}" in text_of(wrong.text)
    await world.admin.deactivate_user("kari@tilbyder.no", by_email=True)
    inactive = await world.login("kari@tilbyder.no")
    assert f"Feil: {texts.USER_INACTIVE}" in text_of(inactive.text)


async def test_confirmation_link_is_single_use_and_expires(world: PortalWorld) -> None:
    await world.register("kari@tilbyder.no")
    link = await world.confirmation_link("kari@tilbyder.no")
    assert (await world.http.get(link)).status_code == 200
    reused = await world.http.get(link)
    assert reused.status_code == 400
    assert texts.LINK_INVALID in text_of(reused.text)
    await world.register("ola@konsument.no")
    late = await world.confirmation_link("ola@konsument.no")
    world.clock.advance(timedelta(hours=24, seconds=1))
    expired = await world.http.get(late)
    assert expired.status_code == 400
    assert texts.LINK_INVALID in text_of(expired.text)
    assert (await world.get("/bekreft?token=tull")).status_code == 400
    assert (await world.get("/bekreft")).status_code == 400


async def test_forms_need_the_session_csrf_token(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    page = await world.get("/mine-api/nytt")
    assert page.status_code == 200
    for token in (None, "feil", csrf_of(page.text) + "x"):
        data = {"prefix": "test", "subscope": "api", "description": "x"}
        if token is not None:
            data["csrf_token"] = token
        refused = await world.http.post(f"{S}/mine-api/nytt", data=data)
        assert refused.status_code == 403
        assert texts.FORM_EXPIRED in text_of(refused.text)
    assert await world.admin.list_scopes(orgno=PROVIDER) == []


async def test_session_cookie_and_timeouts(world: PortalWorld) -> None:
    await world.register("kari@tilbyder.no")
    await world.http.get(await world.confirmation_link("kari@tilbyder.no"))
    before = world.http.cookies.get("portvakt_portal")
    response = await world.login("kari@tilbyder.no")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("portvakt_portal=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/selvbetjening/" in cookie
    assert "Secure" not in cookie  # plain http in the test; https adds it
    assert world.http.cookies.get("portvakt_portal") != before  # a new session id after login
    async with world.app.platform.database.engine.connect() as connection:
        hashes = [row.session_hash for row in await connection.execute(select(portal_sessions))]
    assert world.http.cookies.get("portvakt_portal") not in hashes  # stored hashed
    world.clock.advance(timedelta(minutes=29))
    assert (await world.get("/virksomhet")).status_code == 200
    world.clock.advance(timedelta(minutes=31))
    idle = await world.get("/virksomhet")
    assert idle.status_code == 303
    assert idle.headers["location"] == f"{S}/logg-inn"
    await world.login("kari@tilbyder.no")
    for _ in range(17):  # active all day: 17 × 29 min > 8 h
        world.clock.advance(timedelta(minutes=29))
        last = await world.get("/virksomhet")
    assert last.status_code == 303


async def test_logout_ends_the_session(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    old = world.http.cookies.get("portvakt_portal")
    response = await world.post("/logg-ut", form_page="/virksomhet")
    assert response.status_code == 303
    assert response.headers["location"] == f"{S}/"
    assert (await world.get("/virksomhet")).status_code == 303
    world.http.cookies.set("portvakt_portal", str(old), domain="localhost", path="/selvbetjening/")
    assert (await world.get("/virksomhet")).status_code == 303


async def test_front_page_and_security_headers(world: PortalWorld) -> None:
    front = await world.get("/")
    assert front.status_code == 200
    html = front.text
    assert '<html lang="nb"' in html
    assert 'href="#hovedinnhold"' in html
    assert 'href="/selvbetjening/static/vendor/designsystemet/index.css"' in html
    assert 'href="/selvbetjening/static/vendor/designsystemet/theme.css"' in html
    assert 'href="/selvbetjening/static/portal.css"' in html
    assert '<script defer src="/selvbetjening/static/vendor/htmx/htmx.min.js"></script>' in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # no inline script
    assert " style=" not in html
    assert "<style" not in html
    for text in ("Logg inn", "Registrer deg", "Logg inn med ID-porten"):
        assert text in html
    assert front.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'self' http://localhost:8080/idporten; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    assert front.headers["cache-control"] == "no-store"
    css = await world.get("/static/portal.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    await world.user("kari@tilbyder.no")
    assert (await world.get("/")).headers["location"] == f"{S}/virksomhet"


async def test_unknown_pages_and_methods_are_html(world: PortalWorld) -> None:
    missing = await world.get("/finnes-ikke")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Vi finner ikke siden du ba om." in text_of(missing.text)
    wrong = await world.http.delete(f"{S}/mine-api")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith("text/html")
    api = await world.http.get(f"{S}/api/v1/finnes-ikke")
    assert api.headers["content-type"].startswith("application/json")


async def test_pages_need_login(world: PortalWorld) -> None:
    for path in ("/virksomhet", "/min-profil", "/mine-api", "/integrasjoner", "/virksomhet/merkantil"):
        response = await world.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"{S}/logg-inn"


async def test_profile(world: PortalWorld) -> None:
    await world.user("ola@konsument.no")
    page = text_of((await world.get("/min-profil")).text)
    assert "ola@konsument.no" in page
    assert f"KONSUMENT AS ({CONSUMER})" in page
    assert "APIer, integrasjoner, leverandør" in page
    assert "Ingen fødselsnummer er registrert på brukeren." in page
