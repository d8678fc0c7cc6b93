"""What a user may not do, as the browser shows it (selvbetjening.md §8.1): no session, an organisation that
has not signed the terms, another organisation's objects, a form without its CSRF token, a deactivated
user."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CONSUMER,
    PROVIDER,
    UNSIGNED,
    Portal,
    confirm_from_outbox,
    fill_registration,
    registered_user,
    unique_user,
)
from tests.browser.test_provider_flow import create_scope

pytestmark = pytest.mark.browser

TERMS_NOT_SIGNED = "Virksomheten har ikke signert bruksvilkårene. Du kan se, men ikke endre."


def test_without_a_session_every_page_asks_for_login(page: Page, portal: Portal) -> None:
    for path in (
        "/virksomhet",
        "/mine-api",
        "/mine-api/nytt",
        "/integrasjoner",
        "/integrasjoner/ny",
        "/min-profil",
    ):
        page.goto(f"{portal.s}{path}")
        expect(page.locator("main").get_by_role("button", name="Logg inn", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)


def test_an_organisation_without_signed_terms_can_look_but_not_change(page: Page, portal: Portal) -> None:
    registered_user(page, portal, UNSIGNED[2], "Siri Usignert")
    expect(page.locator("main")).to_contain_text(TERMS_NOT_SIGNED)

    page.goto(f"{portal.s}/integrasjoner")
    expect(page.locator("main")).to_contain_text(TERMS_NOT_SIGNED)
    new = page.locator("main").get_by_text("Ny integrasjon", exact=True)
    expect(new).to_have_attribute("aria-disabled", "true")  # greyed, with the reason next to it
    expect(page.locator("main .portal-reason").first).to_contain_text(TERMS_NOT_SIGNED)

    # Going there directly: the form shows, «Opprett» is disabled, and a forged submit is refused.
    page.goto(f"{portal.s}/integrasjoner/ny?type=maskinporten")
    expect(page.get_by_role("button", name="Opprett")).to_be_disabled()
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert csrf is not None
    forged = page.request.post(
        f"{portal.s}/integrasjoner/ny",
        form={"csrf_token": csrf, "type": "maskinporten", "client_name": "Smugler", "description": "x"},
        max_redirects=0,
    )
    assert forged.status == 403, forged.text()
    assert TERMS_NOT_SIGNED in forged.text()
    page.goto(f"{portal.s}/integrasjoner")
    expect(page.locator("main table")).not_to_contain_text("Smugler")


def test_another_organisations_scope_is_not_shown(
    as_provider: Page, as_consumer: Page, portal: Portal
) -> None:
    scope = create_scope(as_provider, portal, f"hemmelig/{secrets.token_hex(3)}", "Bare for tilbyderen")
    page = as_consumer
    for path in (f"/mine-api/scope?scope={scope}", f"/mine-api/endre?scope={scope}"):
        response = page.goto(f"{portal.s}{path}")
        assert response is not None
        assert response.status in (403, 404), f"{path}: {response.status}"
        expect(page.locator("main")).not_to_contain_text("Bare for tilbyderen")


def test_a_form_without_its_csrf_token_is_refused(as_provider: Page, portal: Portal) -> None:
    page = as_provider
    subscope = f"csrf{secrets.token_hex(3)}"
    for token in ({}, {"csrf_token": "forfalsket"}):
        response = page.request.post(
            f"{portal.s}/mine-api/nytt",
            form={**token, "prefix": PROVIDER[3], "subscope": subscope, "description": "Forfalsket"},
            max_redirects=0,
        )
        assert response.status == 403, response.text()
        assert "Skjemaet er utløpt eller ble ikke sendt fra portalen." in response.text()
    page.goto(f"{portal.s}/mine-api")
    expect(page.locator("main")).not_to_contain_text(subscope)


def test_a_deactivated_user_cannot_log_in(page: Page, portal: Portal) -> None:
    user = unique_user(CONSUMER[2], "Dag Deaktivert")
    fill_registration(page, portal, user)
    confirm_from_outbox(page, portal, user)
    portal.administer(lambda service: service.deactivate_user(user.email, by_email=True))
    page.goto(f"{portal.s}/logg-inn")
    page.get_by_label(re.compile(r"^E-post")).fill(user.email)
    page.get_by_label(re.compile(r"^Passord")).fill(user.password)
    page.locator("main").get_by_role("button", name="Logg inn", exact=True).click()
    expect(page.locator("main")).to_contain_text(
        "Brukeren er deaktivert. Ta kontakt med plattformadministrator."
    )
    expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)


def test_a_wrong_password_is_refused(page: Page, portal: Portal) -> None:
    page.goto(f"{portal.s}/logg-inn")
    page.get_by_label(re.compile(r"^E-post")).fill(f"ingen@{CONSUMER[2]}")
    page.get_by_label(re.compile(r"^Passord")).fill("feil-passord-123")
    page.locator("main").get_by_role("button", name="Logg inn", exact=True).click()
    expect(page.locator("main")).to_contain_text("Feil e-postadresse eller passord.")
