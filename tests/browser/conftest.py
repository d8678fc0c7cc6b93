"""Browser tests of the portal (selvbetjening.md §8): the Debian Chromium package driven by pytest-playwright
against a real `portvakt serve` on a fresh SQLite database (first-run bootstrap on).

- No browser at `/usr/bin/chromium` (override: PORTVAKT_TEST_CHROMIUM) → the tests skip, saying how to install
  it; with PORTVAKT_TEST_REQUIRE_BROWSER=1 (set by `.ci/run`) they fail instead.
- Every browser context routes all its requests through `ExternalRequests`: anything not addressed to the
  server under test is aborted and fails the test.
- These tests use none of the run's database fixtures, so they are not marked `db` and run once (SQLite pass).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, WebSocketRoute, expect

from portvakt.domain.clock import SystemClock
from portvakt.registry.admin import AdminService, admin_service
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from tests.e2e.serving import Server, free_port, serve

CHROMIUM = Path(os.environ.get("PORTVAKT_TEST_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("PORTVAKT_TEST_REQUIRE_BROWSER") == "1"
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"

# Organisations registered by the platform administrator's use cases (selvbetjening.md §7) at session start.
# Synthetic numbers with valid check digits at the top of the reserved block, next to the demo org 399999995.
PROVIDER = ("399999901", "TILBYDER TEST AS", "tilbyder.example.com", "tilbyder")
CONSUMER = ("399999928", "KONSUMENT TEST AS", "konsument.example.com")
UNSIGNED = ("399999936", "USIGNERT TEST AS", "usignert.example.com")
THIRD = ("399999944", "TREDJEPART TEST AS", "tredjepart.example.com")
PASSWORD = "korrekt-hest-batteri-stift"
ASCII_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})  # e-mail local parts from Norwegian names

T = TypeVar("T")

expect.set_options(timeout=15_000)


def chromium_problem() -> str | None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    return f"Chromium not installed at {CHROMIUM}: apt-get install chromium"


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    problem = chromium_problem()
    if problem is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"{problem} (PORTVAKT_TEST_REQUIRE_BROWSER=1)")
        pytest.skip(problem)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium_executable: Path
) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(chromium_executable), "headless": True}


@dataclass
class Portal:
    """The running server: `base` is the platform root, `s` the portal root `{S}` (no trailing slash)."""

    server: Server | None
    base: str
    env: dict[str, str]
    cwd: Path

    @property
    def s(self) -> str:
        return f"{self.base}/selvbetjening"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def administer(self, action: Callable[[AdminService], Awaitable[T]]) -> T:
        """The platform administrator's use cases (the service layer behind `portvakt admin`) on the server's
        database, in-process: a CLI process per step costs seconds. Runs in a thread of its own, since
        Playwright's sync API holds this thread's event loop."""

        async def run() -> T:
            settings = Settings(database_url=self.env["PORTVAKT_DATABASE_URL"], _env_file=None)
            database = Database.connect(settings.database_url)
            try:
                actor = Actor(channel="cli", name="browser-tests", admin=True)
                return await action(admin_service(settings, database, SystemClock(), actor))
            finally:
                await database.dispose()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, run()).result()


async def register_organisations(service: AdminService) -> None:
    """The test organisations (idempotent, for a reused server)."""
    known = {organisation.orgno for organisation in await service.list_organisations()}
    for orgno, name, domain in (PROVIDER[:3], CONSUMER, THIRD):
        if orgno not in known:
            await service.add_organisation(orgno, name, email_domains=[domain], terms_signed=True)
    if PROVIDER[0] not in known:
        await service.assign_prefix(PROVIDER[3], PROVIDER[0])
    if UNSIGNED[0] not in known:
        await service.add_organisation(UNSIGNED[0], UNSIGNED[1], email_domains=[UNSIGNED[2]])


@pytest.fixture(scope="session")
def portal(chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    cwd = tmp_path_factory.mktemp("portal")
    reused = os.environ.get("PORTVAKT_TEST_PORTAL_BASE")
    if reused:  # a server you keep running while writing tests: its base URL and its database URL
        env = {"PORTVAKT_DATABASE_URL": os.environ["PORTVAKT_TEST_PORTAL_DATABASE_URL"]}
        portal = Portal(server=None, base=reused.rstrip("/"), env=env, cwd=cwd)
        portal.administer(register_organisations)
        yield portal
        return
    # The public base is http://localhost:<port>, as a user runs it (default http://localhost:8080; the
    # portal's links, redirects and ID-porten redirect URI are built from it); serve() binds 127.0.0.1.
    port = free_port()
    base = f"http://localhost:{port}"
    env = {
        "PORTVAKT_DATABASE_URL": f"sqlite:///{cwd / 'portal.db'}",
        "PORTVAKT_DATA_DIR": str(cwd / "data"),
        "PORTVAKT_PUBLIC_BASE": base,
        "PORTVAKT_REGISTRY_CACHE_SECONDS": "0",
    }
    with mock.patch("tests.e2e.serving.free_port", return_value=port), serve(env, cwd) as server:
        portal = Portal(server=server, base=base, env=env, cwd=cwd)
        portal.administer(register_organisations)
        yield portal


@dataclass
class ExternalRequests:
    """Aborts and records every request (and WebSocket) a page opens to anything but the server under test."""

    origin: str
    seen: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        self.seen.append(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def route_web_socket(self, socket: WebSocketRoute) -> None:
        parts = urlsplit(socket.url)
        self.seen.append(socket.url)
        if f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}" == self.origin:
            socket.connect_to_server()
        else:  # never connected to its server; the page sees it closed
            self.blocked.append(socket.url)
            socket.close(code=1008, reason="external connection blocked by the test")

    def install(self, context: BrowserContext) -> None:
        context.route("**/*", self.route)
        context.route_web_socket(re.compile(".*"), self.route_web_socket)


@pytest.fixture
def external_requests(portal: Portal) -> Iterator[ExternalRequests]:
    guard = ExternalRequests(origin=portal.origin)
    yield guard
    if guard.blocked:
        pytest.fail(f"pages made requests to other hosts (blocked): {guard.blocked}")


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Replaces pytest-playwright's fallback fixture (a session fixture on an instance method, which this
    pytest deprecates, and warnings are errors); the tests use absolute URLs."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "nb-NO", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], external_requests: ExternalRequests
) -> Callable[..., BrowserContext]:
    """pytest-playwright's factory, with the external-request guard on every context."""

    def create(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        external_requests.install(context)
        return context

    return create


# -- user actions shared by the flows ---------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    name: str
    email: str
    password: str = PASSWORD


def unique_user(domain: str, name: str = "Kari Nordmann") -> User:
    local = name.split(maxsplit=1)[0].lower().translate(ASCII_FOLD)
    return User(name=name, email=f"{local}.{secrets.token_hex(4)}@{domain}")


def fill_registration(page: Page, portal: Portal, user: User) -> None:
    page.goto(f"{portal.s}/registrer")
    page.get_by_label("Navn").fill(user.name)
    page.get_by_label(re.compile(r"^E-post")).fill(user.email)
    passwords = page.locator("input[type=password]")
    expect(passwords).to_have_count(2)
    passwords.nth(0).fill(user.password)
    passwords.nth(1).fill(user.password)
    page.get_by_role("button", name=re.compile("Registrer")).click()


def confirm_from_outbox(page: Page, portal: Portal, user: User) -> None:
    page.goto(f"{portal.s}/test/utboks")
    mail = page.locator("article, li, tr, section").filter(has_text=user.email).last
    link = mail.locator("a[href*='/bekreft?token=']").first
    expect(link).to_be_visible()
    link.click()
    page.wait_for_load_state()


def log_in(page: Page, portal: Portal, user: User) -> None:
    page.goto(f"{portal.s}/logg-inn")
    page.get_by_label(re.compile(r"^E-post")).fill(user.email)
    page.get_by_label(re.compile(r"^Passord")).fill(user.password)
    page.locator("main").get_by_role("button", name=re.compile("^Logg inn$")).click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/logg-inn"))


def registered_user(page: Page, portal: Portal, domain: str, name: str = "Kari Nordmann") -> User:
    """Register, confirm from the test outbox and log in, all through the pages."""
    user = unique_user(domain, name)
    fill_registration(page, portal, user)
    confirm_from_outbox(page, portal, user)
    log_in(page, portal, user)
    return user


class Logins:
    """One registered, confirmed and logged-in user per organisation for the whole session (registration
    itself is tested in test_registration.py); each test gets a fresh context carrying its cookies."""

    def __init__(self, browser: Browser, portal: Portal) -> None:
        self.browser = browser
        self.portal = portal
        self.states: dict[str, Any] = {}

    def state(self, domain: str, name: str) -> Any:
        if domain not in self.states:
            guard = ExternalRequests(origin=self.portal.origin)
            context = self.browser.new_context(locale="nb-NO")
            guard.install(context)
            registered_user(context.new_page(), self.portal, domain, name)
            self.states[domain] = context.storage_state()
            context.close()
            assert guard.blocked == [], f"pages made requests to other hosts (blocked): {guard.blocked}"
        return self.states[domain]


@pytest.fixture(scope="session")
def logins(browser: Browser, portal: Portal) -> Logins:
    return Logins(browser, portal)


@pytest.fixture
def as_provider(new_context: Callable[..., BrowserContext], logins: Logins) -> Page:
    """A page logged in as the provider organisation's user «Per Tilbyder»."""
    return new_context(storage_state=logins.state(PROVIDER[2], "Per Tilbyder")).new_page()


@pytest.fixture
def as_consumer(new_context: Callable[..., BrowserContext], logins: Logins) -> Page:
    """A page logged in as the consumer organisation's user «Kari Konsument»."""
    return new_context(storage_state=logins.state(CONSUMER[2], "Kari Konsument")).new_page()


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Inject the vendored axe-core and return the serious and critical violations (the page's context
    must bypass CSP: the page's `script-src 'self'` refuses the injected script otherwise)."""
    page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [item for item in result["violations"] if item["impact"] in ("serious", "critical")]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for item in violations:
        lines.append(f"{item['impact']}: {item['id']} — {item['help']} ({item['helpUrl']})")
        lines.extend(f"    {node['target']}: {node['failureSummary']}" for node in item["nodes"][:5])
    return "\n".join(lines)
