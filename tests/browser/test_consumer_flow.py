"""The consumer's click path of seed 001 («Opprette klient for å konsumere API», «Slette klient»):
Integrasjoner → Ny integrasjon (Maskinporten) → key upload → Endre → Legg til scopes → a Maskinporten token
obtained with that key works; then Deaktiver, and the token endpoint refuses the client."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect

from portvakt.client import MaskinportenClient, SigningKey, TokenRequestError
from portvakt.registry.admin import AdminService
from portvakt.resource_server import TokenValidator
from tests.browser.conftest import CONSUMER, Portal
from tests.browser.test_provider_flow import add_access, create_scope

pytestmark = pytest.mark.browser


def provider_scopes(page: Page, portal: Portal) -> tuple[str, str]:
    """The provider, in a browser of its own, creates two scopes and shares the first with the consumer."""
    tag = secrets.token_hex(3)
    shared = create_scope(page, portal, f"delt/{tag}", "Delt med konsumenten")
    add_access(page, CONSUMER[0])
    expect(page.locator("#tilganger tbody tr").filter(has_text=CONSUMER[0])).to_contain_text(CONSUMER[1])
    page.goto(f"{portal.s}/virksomhet")
    unshared = create_scope(page, portal, f"privat/{tag}", "Ikke delt med noen")
    return shared, unshared


def registrable_for_consumer(portal: Portal) -> set[str]:
    """The service layer's own answer (§4.5) for a Maskinporten client of the consumer."""

    async def names(service: AdminService) -> set[str]:
        found = await service.registrable_scopes("maskinporten", orgno=CONSUMER[0])
        return {name for name, _scope, _why in found}

    return portal.administer(names)


def listed_scopes(page: Page) -> set[str]:
    return set(
        page.locator("#scopeliste input[name=scopes][type=checkbox]").evaluate_all(
            "inputs => inputs.map(input => input.value)"
        )
    )


def new_signing_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(private, kid=f"nettleser-{secrets.token_hex(4)}")


def test_consumer_registers_a_client_uploads_a_key_adds_the_scope_and_gets_a_token(
    as_provider: Page, as_consumer: Page, portal: Portal
) -> None:
    shared, unshared = provider_scopes(as_provider, portal)
    page = as_consumer
    page.goto(f"{portal.s}/virksomhet")
    page.get_by_role("link", name="Administrasjon av tjenester").click()
    page.locator("main").get_by_role("link", name="Integrasjoner").first.click()
    page.get_by_role("link", name="Ny integrasjon").click()
    page.get_by_label("Maskinporten").check()
    page.get_by_role("button", name="Velg").click()
    page.get_by_label("Navn på integrasjonen").fill("Nettleserklient")
    page.get_by_label("Beskrivelse").fill("Henter data fra tilbyderen")

    # «Legg til scopes» lists exactly the registrable scopes (FAQ: the unshared one is missing, and why).
    scopes = page.locator("#scopes")
    expect(scopes).to_contain_text(
        f"Finner du ikke scopet? Da har API-tilbyderen ikke delt tilgang med virksomheten du representerer "
        f"({CONSUMER[1]}, {CONSUMER[0]}) i dette miljøet (TEST), eller tilgangen er gitt i et annet miljø. "
        "Kontakt API-tilbyderen."
    )
    expect(scopes).to_contain_text("Delt med virksomheten din")
    listed = listed_scopes(page)
    assert shared in listed
    assert unshared not in listed
    assert listed == registrable_for_consumer(portal)
    # The search box narrows the list (htmx partial update).
    page.get_by_label("Søk etter scope").fill(shared.split(":")[1])
    expect(page.locator("#scopeliste input[name=scopes]")).to_have_count(1)
    page.get_by_role("button", name="Opprett").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Nettleserklient")
    client_id = page.locator("#klient-id").inner_text().strip()
    expect(page.locator("main")).to_contain_text("Ingen scopes.")

    # A key with a private member is refused with the service layer's text.
    key = new_signing_key()
    leaky = {**key.public_jwk(), "d": "AQAB"}
    page.get_by_label("Offentlig nøkkel (JWK i JSON)").fill(json.dumps(leaky))
    page.get_by_role("button", name="Legg til nøkkel").click()
    expect(page.locator("#nokler")).to_contain_text("Feil: Key 0: private key members are not allowed")

    page.get_by_label("Offentlig nøkkel (JWK i JSON)").fill(json.dumps(key.public_jwk()))
    page.get_by_role("button", name="Legg til nøkkel").click()
    row = page.locator("#nokler tbody tr").filter(has_text=str(key.kid))
    expiry = (dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).date()
    expect(row).to_contain_text(
        re.compile("|".join(f"{day:%d.%m.%Y}" for day in (expiry - dt.timedelta(days=1), expiry)))
    )

    issuer = f"{portal.base}/maskinporten/"
    with MaskinportenClient(issuer, client_id, key) as client:
        with pytest.raises(TokenRequestError) as refused:
            client.get_token(shared)
        assert refused.value.error == "invalid_scope"

        page.get_by_role("link", name="Endre").click()
        page.locator("#scopeliste").get_by_label(re.compile(re.escape(shared))).check()
        page.get_by_role("button", name="Lagre").click()
        expect(page.locator("main")).to_contain_text(shared)

        token = client.get_token(shared, force_refresh=True)
        assert token.scope == shared
        with TokenValidator(issuer) as validator:
            validated = validator.validate(token.access_token, required_scopes=(shared,))
        assert validated.consumer_orgno == CONSUMER[0]

        # «Slette klient»: Endre → Deaktiver → confirm; the client can no longer get tokens.
        page.get_by_role("link", name="Endre").click()
        page.get_by_role("link", name="Deaktiver").click()
        expect(page.locator("#bekreft-tekst")).to_have_text(
            "Integrasjonen deaktiveres og kan ikke lenger hente token. Dette kan ikke angres."
        )
        page.get_by_role("button", name="Deaktiver").click()
        expect(page.locator("main")).to_contain_text("Integrasjonen er deaktivert.")
        with pytest.raises(TokenRequestError) as after:
            client.get_token(shared, force_refresh=True)
        assert after.value.error == "invalid_grant"
        assert "Client not found" in (after.value.error_description or "")

    page.goto(f"{portal.s}/integrasjoner")
    expect(page.locator("main table")).not_to_contain_text(client_id)
    page.get_by_role("link", name="Vis deaktiverte").click()
    expect(page.locator("main table tbody tr").filter(has_text=client_id)).to_contain_text("Deaktivert")
