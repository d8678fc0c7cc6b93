"""Every main page of §8.2, filled with real data, visited in Chromium:

- no request leaves for another host (the guard of conftest.py, on every context),
- no console error (a CSP refusal of an inline style or script shows up here),
- axe-core (vendored from npm, injected into a CSP-bypassing copy of the session) finds no serious or critical
  violation,
- with PORTVAKT_SCREENSHOT_DIR set (scripts/portal_screenshots.py sets it to docs/screenshots), a full-page
  screenshot of each.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from portvakt.registry.admin import AdminService
from portvakt.registry.model import ClientSettings, ScopeSettings
from tests.browser.conftest import (
    CONSUMER,
    PROVIDER,
    THIRD,
    Portal,
    describe_violations,
    fill_registration,
    run_axe,
    unique_user,
)

pytestmark = pytest.mark.browser


async def populate(service: AdminService) -> tuple[str, str]:
    """What the pages show, made with the service layer (the flows test the forms that make it): a provider
    scope shared with two organisations, a Maskinporten client using it with a key, mercantile data."""
    orgno = PROVIDER[0]
    scope = await service.create_scope(
        PROVIDER[3],
        f"eiendom/{secrets.token_hex(2)}",
        ScopeSettings(description="Oppslag i eiendomsdata", allowed_integration_types=("maskinporten",)),
        orgno=orgno,
    )
    for consumer in (CONSUMER[0], THIRD[0]):
        await service.grant_access(scope.name, consumer, orgno=orgno)
    created = await service.create_client(
        ClientSettings(
            client_name="Eiendomsoppslag",
            description="Intern test av eget API",
            integration_type="maskinporten",
            scopes=(scope.name,),
        ),
        orgno=orgno,
        generate_key=True,
    )
    await service.update_organisation(
        orgno,
        mercantile={
            "invoice": {
                "reference": "PO-4711",
                "email": f"faktura@{PROVIDER[2]}",
                "address": "Postboks 1, 0101 Oslo",
            },
            "notification_points": [f"drift@{PROVIDER[2]}"],
        },
    )
    return scope.name, created.client.client_id


def pages(portal: Portal, scope: str, client_id: str) -> list[tuple[str, str]]:
    s = portal.s
    return [
        ("virksomhet", f"{s}/virksomhet"),
        ("api-tilbyder", f"{s}/virksomhet/api-tilbyder"),
        ("merkantil", f"{s}/virksomhet/merkantil"),
        ("administrasjon", f"{s}/administrasjon"),
        ("mine-api", f"{s}/mine-api"),
        ("nytt-scope", f"{s}/mine-api/nytt"),
        ("scope", f"{s}/mine-api/scope?scope={scope}"),
        ("endre-scope", f"{s}/mine-api/endre?scope={scope}"),
        ("deaktiver-scope", f"{s}/mine-api/deaktiver?scope={scope}"),
        ("integrasjoner", f"{s}/integrasjoner"),
        ("ny-integrasjon", f"{s}/integrasjoner/ny?type=maskinporten"),
        ("integrasjon", f"{s}/integrasjoner/{client_id}"),
        ("endre-integrasjon", f"{s}/integrasjoner/{client_id}/endre"),
        ("min-profil", f"{s}/min-profil"),
        ("utboks", f"{s}/test/utboks"),
    ]


def anonymous_pages(portal: Portal) -> list[tuple[str, str]]:
    return [("forside", f"{portal.s}/"), ("registrer", f"{portal.s}/registrer")]


class Screenshots:
    """Full-page PNGs into PORTVAKT_SCREENSHOT_DIR (scripts/portal_screenshots.py); none without it (PNG
    encoding of 18 long pages is the tour's most expensive step)."""

    def __init__(self) -> None:
        configured = os.environ.get("PORTVAKT_SCREENSHOT_DIR")
        self.target = Path(configured) if configured else None
        if self.target is not None:
            self.target.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> None:
        if self.target is not None:
            page.screenshot(path=str(self.target / f"{name}.png"), full_page=True)


class ConsoleErrors:
    """Console errors and uncaught exceptions of the watched pages. Chromium's own `/favicon.ico` request is
    not a page's: its 404 is left out."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> None:
        def console(message: ConsoleMessage) -> None:
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, f"{url}: HTTP {response.status}"


def test_every_page_is_accessible_self_contained_and_photographed(
    page: Page,
    as_provider: Page,
    portal: Portal,
    new_context: Callable[..., BrowserContext],
) -> None:
    shots = Screenshots()
    console = ConsoleErrors()
    console.watch(page)
    anonymous_axe = new_context(bypass_csp=True).new_page()
    findings: dict[str, str] = {}

    for name, url in anonymous_pages(portal):
        visit(page, url)
        shots.take(page, name)
        visit(anonymous_axe, url)
        if violations := run_axe(anonymous_axe):
            findings[name] = describe_violations(violations)

    fill_registration(page, portal, unique_user(PROVIDER[2], "Skjermbilde Registrering"))
    shots.take(page, "registrert")

    page = as_provider
    console.watch(page)
    scope, client_id = portal.administer(populate)
    axe_page = new_context(bypass_csp=True, storage_state=page.context.storage_state()).new_page()
    for name, url in pages(portal, scope, client_id):
        visit(page, url)
        shots.take(page, name)
        visit(axe_page, url)
        if violations := run_axe(axe_page):
            findings[name] = describe_violations(violations)

    assert console.errors == [], "\n".join(console.errors)
    assert findings == {}, "\n\n".join(f"{name}:\n{text}" for name, text in findings.items())
