"""The API provider's click path of seed 001 («Opprette scopes», «Tilgangsstyring», «Deaktivere subscopes»):
Mine API → Nytt scope → Legg til tilgang (name shown) → fjern tilgang → Endre → Deaktiver (the confirmation
names the consumers who still have access)."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CONSUMER, PROVIDER, THIRD, Portal, registered_user

pytestmark = pytest.mark.browser


def create_scope(page: Page, portal: Portal, subscope: str, description: str) -> str:
    """Through «Virksomhetens tjenester» → «Administrasjon av tjenester» → «Mine API» → «Nytt scope»."""
    prefix = PROVIDER[3]
    page.goto(f"{portal.s}/virksomhet")
    page.get_by_role("link", name="Administrasjon av tjenester").click()
    page.locator("main").get_by_role("link", name="Mine API").first.click()
    expect(page).to_have_url(re.compile(r"/mine-api$"))
    page.get_by_role("link", name="Nytt scope").click()
    expect(page.get_by_label("Prefiks")).to_have_value(prefix)
    page.get_by_label("Subscope").fill(subscope)
    page.get_by_label("Beskrivelse", exact=True).fill(description)
    page.get_by_role("button", name="Opprett").click()
    name = f"{prefix}:{subscope}"
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return name


def add_access(page: Page, orgno: str) -> None:
    page.get_by_label("Organisasjonsnummer").fill(orgno)
    page.get_by_role("button", name="Legg til", exact=True).click()


def test_provider_creates_a_scope_grants_and_removes_access_and_deactivates_it(
    page: Page, portal: Portal
) -> None:
    registered_user(page, portal, PROVIDER[2], "Per Tilbyder")
    subscope = f"flyt/{secrets.token_hex(3)}"
    name = create_scope(page, portal, subscope, "Testdata for nettleserflyten")

    table = page.locator("#tilganger table")
    expect(table).to_contain_text("Ingen virksomheter har fått tilgang.")

    # An invalid number: the service layer's text, prefixed «Feil:», next to the field; nothing stored.
    add_access(page, "123456789")
    expect(page.locator("#tilganger")).to_contain_text("Feil: Invalid organisation number: 123456789")
    expect(table).to_contain_text("Ingen virksomheter har fått tilgang.")

    for orgno, org_name, _domain in (CONSUMER, THIRD):
        add_access(page, orgno)
        row = table.locator("tbody tr").filter(has_text=orgno)
        expect(row).to_contain_text(org_name)  # the organisation's name is shown
    # Not registered on the platform: accepted (§4.3), shown as such.
    add_access(page, "889640782")
    expect(table.locator("tbody tr").filter(has_text="889640782")).to_contain_text(
        "Ikke registrert på plattformen"
    )

    # Fjern tilgang (the trash-can button, htmx partial update) for the third party and the unregistered one.
    for orgno in (THIRD[0], "889640782"):
        table.get_by_role("button", name=f"Fjern tilgang for {orgno}").click()
        expect(table.locator("tbody tr").filter(has_text=orgno)).to_have_count(0)
    expect(table.locator("tbody tr")).to_have_count(1)

    # The access survives a reload (stored, not only swapped into the page).
    page.reload()
    expect(page.locator("#tilganger tbody tr").filter(has_text=CONSUMER[0])).to_have_count(1)

    page.get_by_role("link", name="Endre").click()
    expect(page).to_have_url(re.compile(r"/mine-api/endre\?scope="))
    page.get_by_role("link", name="Deaktiver").click()
    expect(page.locator("#bekreft-tekst")).to_have_text(
        f"1 virksomheter har tilgang til scopet: {CONSUMER[1]} ({CONSUMER[0]}). De mister tilgangen og ser "
        "ikke lenger scopet når det deaktiveres. Vil du deaktivere?"
    )
    page.get_by_role("button", name="Deaktiver").click()

    page.goto(f"{portal.s}/mine-api")
    expect(page.locator("main table")).not_to_contain_text(name)
    page.get_by_role("link", name="Vis deaktiverte").click()
    row = page.locator("main table tbody tr").filter(has_text=name)
    expect(row).to_contain_text("Deaktivert")

    # Reactivation restores it (Endre → Aktiver), accesses kept (§4.2).
    row.get_by_role("link", name=name).click()
    expect(page.locator("main")).to_contain_text("Scopet er deaktivert.")
    page.get_by_role("link", name="Endre").click()
    page.get_by_role("button", name="Aktiver").click()
    page.goto(f"{portal.s}/mine-api/scope?scope={name}")
    expect(page.locator("main")).not_to_contain_text("Scopet er deaktivert.")
    expect(page.locator("#tilganger tbody tr").filter(has_text=CONSUMER[0])).to_contain_text(CONSUMER[1])


def test_a_taken_scope_name_is_refused_next_to_the_field(as_provider: Page, portal: Portal) -> None:
    page = as_provider
    subscope = f"dobbel{secrets.token_hex(3)}"
    name = create_scope(page, portal, subscope, "Første")
    page.goto(f"{portal.s}/mine-api/nytt")
    page.get_by_label("Subscope").fill(subscope)
    page.get_by_label("Beskrivelse", exact=True).fill("Andre")
    page.get_by_role("button", name="Opprett").click()
    expect(page.locator("main")).to_contain_text(f"Feil: Scope '{name}' already exists")
    expect(page.get_by_label("Subscope")).to_have_attribute("aria-invalid", "true")


def test_faq_no_prefix_means_no_new_scope(as_consumer: Page, portal: Portal) -> None:
    """FAQ «"Prefiks" feltet er tomt når jeg skal opprette et nytt scope»."""
    page = as_consumer
    page.goto(f"{portal.s}/mine-api/nytt")
    expect(page.locator("main")).to_contain_text(
        "Virksomheten din har ikke fått tildelt et prefiks, og du kan derfor ikke opprette scope. "
        "Prefiks tildeles av plattformadministrator."
    )
    expect(page.get_by_label("Prefiks").locator("option[value]:not([value=''])")).to_have_count(0)
    expect(page.get_by_role("button", name="Opprett")).to_be_disabled()
