"""The portal through the real app with httpx (no browser): organisations made with the admin use cases,
users registered and logged in through the pages themselves."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.registry.admin import AdminService, admin_service
from portvakt.registry.repository import bootstrap_platform
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables import metadata
from tests.conftest import truncate_all

S = "/selvbetjening"
PLATFORM = "310000019"
PROVIDER = "310000027"  # prefix `test`, domain tilbyder.no
CONSUMER = "310000035"  # domain konsument.no
UNSIGNED = "310000051"  # domain usignert.no, terms not signed
OUTSIDER = "310000043"  # registered, no domain
PASSWORD = "riktig-hest-batteri"

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def text_of(html: str) -> str:
    """The page's visible text, whitespace collapsed (for asserting exact messages)."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without_tags))


@dataclass
class PortalWorld:
    app: PortvaktApp
    http: httpx.AsyncClient
    clock: FixedClock
    admin: AdminService

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.http.get(S + path, **kwargs)  # type: ignore[arg-type]

    async def post(
        self, path: str, data: dict[str, object] | None = None, *, form_page: str | None = None
    ) -> httpx.Response:
        """POST a form with the CSRF token of `form_page` (default: the same path)."""
        page = await self.get(form_page or path)
        fields: dict[str, object] = {"csrf_token": csrf_of(page.text), **(data or {})}
        return await self.http.post(S + path, data=fields)  # type: ignore[arg-type]

    async def register(
        self, email: str, name: str = "Kari Nordmann", password: str = PASSWORD
    ) -> httpx.Response:
        return await self.post(
            "/registrer", {"navn": name, "epost": email, "passord": password, "passord2": password}
        )

    async def confirmation_link(self, email: str) -> str:
        outbox = await self.get("/test/utboks")
        assert outbox.status_code == 200
        links = re.findall(r'<a class="ds-link" href="([^"]+bekreft\?token=[^"]+)"', outbox.text)
        mails = outbox.text.split('<article class="ds-card portal-card portal-mail">')
        for mail, link in zip(mails[1:], links, strict=False):
            if email in mail:
                return unescape(link)
        raise AssertionError(f"no mail to {email}")

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/logg-inn", {"epost": email, "passord": password})

    async def user(self, email: str) -> None:
        """Register, confirm and log in `email` through the pages."""
        assert (await self.register(email)).status_code == 200
        link = await self.confirmation_link(email)
        assert (await self.http.get(link)).status_code == 200
        response = await self.login(email)
        assert response.status_code == 303, response.text


# Kept between the tests of a module: what the running app made at start-up and holds in memory.
KEPT_TABLES = frozenset(
    {
        "signing_keys",
        "idporten_installation",
        "testca_authority",
        "testca_certificates",
        "portal_client_keys",
        "municipalities",
        "platform_facts",
        "population_generation",
    }
)


def reset(url: str) -> None:
    """Empty every table but KEPT_TABLES, so a module's tests share one started app (start-up is slow)."""
    engine = null_pool_sync_engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for trigger_name, _sql in triggers:
                connection.execute(text(f'DROP TRIGGER "{trigger_name}"'))
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
            for _name, trigger_sql in triggers:
                connection.execute(text(trigger_sql))
    engine.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def portal_app(
    migrated_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[PortvaktApp, FixedClock]]:
    truncate_all(migrated_database_url)
    settings = Settings(
        database_url=migrated_database_url, data_dir=tmp_path_factory.mktemp("data"), _env_file=None
    )
    clock = FixedClock()
    application = create_app(settings, clock=clock, configure_logs=False)
    async with application.lifespan():
        yield application, clock


@pytest_asyncio.fixture(loop_scope="module")
async def world(portal_app: tuple[PortvaktApp, FixedClock]) -> AsyncIterator[PortalWorld]:
    """Empty registry and portal tables, the platform bootstrapped, four organisations, a new browser."""
    app, clock = portal_app
    reset(app.platform.database.url)
    settings = app.platform.settings
    app.platform.components.pop("portal.idporten_transport", None)
    await bootstrap_platform(settings, app.platform.database, clock)
    admin = admin_service(settings, app.platform.database, clock, Actor.cli())
    await admin.add_organisation(PROVIDER, "TILBYDER AS", email_domains=["tilbyder.no"], terms_signed=True)
    await admin.add_organisation(CONSUMER, "KONSUMENT AS", email_domains=["konsument.no"], terms_signed=True)
    await admin.add_organisation(UNSIGNED, "USIGNERT AS", email_domains=["usignert.no"])
    await admin.add_organisation(OUTSIDER, "ANNEN AS")
    await admin.assign_prefix("test", PROVIDER)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_base) as http:
        yield PortalWorld(app, http, clock, admin)
