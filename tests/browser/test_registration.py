"""Registration, e-mail confirmation through the test outbox, login and logout (selvbetjening.md §8.1), as a
user clicks through them in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CONSUMER,
    Portal,
    confirm_from_outbox,
    fill_registration,
    log_in,
    unique_user,
)

pytestmark = pytest.mark.browser


def test_register_confirm_log_in_and_out(page: Page, portal: Portal) -> None:
    orgno, name, domain = CONSUMER
    user = unique_user(domain, "Ola Konsument")

    page.goto(f"{portal.s}/")
    page.get_by_role("link", name="Registrer deg").click()
    expect(page).to_have_url(f"{portal.s}/registrer")
    fill_registration(page, portal, user)
    expect(page.get_by_role("status")).to_contain_text(f"Vi har sendt en e-post til {user.email}")

    # Not confirmed yet: the login is refused with the reason.
    page.goto(f"{portal.s}/logg-inn")
    page.get_by_label(re.compile(r"^E-post")).fill(user.email)
    page.get_by_label(re.compile(r"^Passord")).fill(user.password)
    page.locator("main").get_by_role("button", name="Logg inn", exact=True).click()
    expect(page.locator("main")).to_contain_text("E-postadressen er ikke bekreftet.")

    confirm_from_outbox(page, portal, user)
    expect(page.locator("main")).to_contain_text("E-postadressen er bekreftet. Du kan nå logge inn.")

    log_in(page, portal, user)
    expect(page).to_have_url(re.compile(r"/selvbetjening/virksomhet$"))
    # FAQ «Jeg ser integrasjonene til en annen virksomhet»: the header says which one, and why.
    expect(page.locator("main")).to_contain_text(
        f"Du representerer {name} ({orgno}). Tilknytningen er basert på e-postdomenet ditt ({domain}). "
        "Er dette feil, ta kontakt med plattformadministrator."
    )
    page.get_by_role("link", name="Min profil").click()
    main = page.locator("main")
    expect(main).to_contain_text(user.name)
    expect(main).to_contain_text(user.email)
    expect(main).to_contain_text(name)

    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)
    page.goto(f"{portal.s}/mine-api")
    expect(page).to_have_url(re.compile(r"/selvbetjening/(logg-inn|)(\?.*)?$"))
    expect(page.locator("main").get_by_role("button", name="Logg inn", exact=True)).to_be_visible()


def test_the_confirmation_link_works_once(page: Page, portal: Portal) -> None:
    user = unique_user(CONSUMER[2])
    fill_registration(page, portal, user)
    page.goto(f"{portal.s}/test/utboks")
    link = page.locator("article").filter(has_text=user.email).locator("a[href*='/bekreft?token=']")
    href = link.get_attribute("href")
    assert href is not None
    page.goto(href)
    expect(page.locator("main")).to_contain_text("E-postadressen er bekreftet.")
    page.goto(href)
    expect(page.locator("main")).to_contain_text("Lenken er ugyldig, allerede brukt eller utløpt.")
    page.goto(f"{portal.s}/bekreft?token=tull")
    expect(page.locator("main")).to_contain_text("Lenken er ugyldig, allerede brukt eller utløpt.")


def test_an_unknown_e_mail_domain_is_refused_with_the_spec_text(page: Page, portal: Portal) -> None:
    user = unique_user("ukjent.example.com")
    fill_registration(page, portal, user)
    expect(page.locator("main")).to_contain_text(
        "Det finnes ingen virksomhet registrert med e-postdomenet «ukjent.example.com». "
        "Virksomheten må være registrert og ha signert bruksvilkårene."
    )
    page.goto(f"{portal.s}/test/utboks")
    expect(page.locator("main")).not_to_contain_text(user.email)


def test_registration_form_errors_are_shown_next_to_the_fields(page: Page, portal: Portal) -> None:
    page.goto(f"{portal.s}/registrer")
    page.get_by_label("Navn").fill("Kort Passord")
    page.get_by_label(re.compile(r"^E-post")).fill(f"kort@{CONSUMER[2]}")
    page.locator("input[type=password]").nth(0).fill("for-kort")
    page.locator("input[type=password]").nth(1).fill("noe-annet")
    page.get_by_role("button", name="Registrer deg").click()
    expect(page.locator("main")).to_contain_text("Feil: Passordet må ha minst 12 tegn.")
    expect(page.locator("#passord")).to_have_attribute("aria-invalid", "true")
