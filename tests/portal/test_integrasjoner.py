"""§8.2 Integrasjoner: Ny integrasjon, "Legg til scopes" listing exactly the registrable scopes (§4.5) with
the FAQ help text, keys with expiry, a token obtained with the uploaded key, secrets shown once, Deaktiver."""

from __future__ import annotations

import json
import re
import secrets

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.portal import texts
from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import ScopeSettings
from portvakt.registry.service import registrable_problem
from tests.portal.conftest import CONSUMER, PROVIDER, PortalWorld, S, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

SHARED = "test:api/les"
HELP = (
    "Finner du ikke scopet? Da har API-tilbyderen ikke delt tilgang med virksomheten du representerer "
    "(KONSUMENT AS, 310000035) i dette miljøet (TEST), eller tilgangen er gitt i et annet miljø. "
    "Kontakt API-tilbyderen."
)


async def _scopes(world: PortalWorld) -> None:
    await world.admin.create_scope("test", "api/les", ScopeSettings(description="Les data"), orgno=PROVIDER)
    await world.admin.create_scope(
        "test", "privat", ScopeSettings(description="Privat", visibility="PRIVATE"), orgno=PROVIDER
    )
    await world.admin.create_scope(
        "test", "apen", ScopeSettings(description="Åpent API", accessible_for_all=True), orgno=PROVIDER
    )
    await world.admin.create_scope(
        "test",
        "idporten",
        ScopeSettings(
            description="Bare ID-porten", allowed_integration_types=("idporten",), accessible_for_all=True
        ),
        orgno=PROVIDER,
    )


async def _registrable(world: PortalWorld, kind: str) -> list[str]:
    """Every active scope that passes the service layer's §4.5 rule for the consumer, checked one by one."""
    async with world.admin.store.transaction() as unit:
        candidates = await unit.scopes.list_active()
        approved = await unit.accesses.approved_scopes(CONSUMER, [scope.name for scope in candidates])
    return sorted(
        scope.name
        for scope in candidates
        if registrable_problem(scope.name, scope, kind, CONSUMER, approved) is None
    )


def _ours(html: str) -> list[str]:
    return sorted(name for name in _listed(html) if name.startswith("test:"))


def _listed(html: str) -> list[str]:
    section = html.split('<div id="scopeliste">', 1)[1].split("</fieldset>", 1)[0]
    return re.findall(r'name="scopes" value="([^"]+)"', section)


async def test_legg_til_scopes_lists_exactly_the_registrable_scopes(world: PortalWorld) -> None:
    await _scopes(world)
    await world.user("ola@konsument.no")
    form = await world.get("/integrasjoner/ny?type=maskinporten")
    assert form.status_code == 200
    page = text_of(form.text)
    assert HELP in page  # FAQ: "Scopet jeg skal konsumere mangler"
    assert _ours(form.text) == ["test:apen"]
    assert sorted(_listed(form.text)) == await _registrable(world, "maskinporten")
    assert "Åpne scopes (tilgjengelig for alle)" in page
    await world.admin.grant_access(SHARED, CONSUMER)
    await world.admin.grant_access("test:privat", CONSUMER)
    shared = await world.get("/integrasjoner/ny?type=maskinporten")
    assert _ours(shared.text) == ["test:apen", "test:api/les", "test:privat"]
    assert sorted(_listed(shared.text)) == await _registrable(world, "maskinporten")
    assert "Delt med virksomheten din" in shared.text
    oidc = await world.get("/integrasjoner/ny?type=idporten")
    assert sorted(_listed(oidc.text)) == ["openid", "profile"]  # no API scopes for ID-porten clients
    search = await world.get("/integrasjoner/ny?type=maskinporten&sok=test:pri")
    assert _listed(search.text) == ["test:privat"]
    await world.admin.deactivate_scope(SHARED)
    gone = await world.get("/integrasjoner/ny?type=maskinporten")
    assert SHARED not in _listed(gone.text)


async def test_consumer_flow_client_key_scope_token(world: PortalWorld) -> None:
    await _scopes(world)
    await world.admin.grant_access(SHARED, CONSUMER)
    await world.user("ola@konsument.no")
    created = await world.post(
        "/integrasjoner/ny",
        {"type": "maskinporten", "client_name": "Henter data", "description": "Batch", "scopes": [SHARED]},
        form_page="/integrasjoner/ny?type=maskinporten",
    )
    assert created.status_code == 303, created.text
    client_id = created.headers["location"].rsplit("/", 1)[1]
    client = await world.admin.get_client(client_id)
    assert (client.client_orgno, client.scopes, client.integration_type) == (
        CONSUMER,
        (SHARED,),
        "maskinporten",
    )
    detail = await world.get(f"/integrasjoner/{client_id}")
    assert "Ingen nøkler." in text_of(detail.text)

    bad = await world.post(
        f"/integrasjoner/{client_id}/nokler", {"jwk": '{"kty":"EC"}'}, form_page=f"/integrasjoner/{client_id}"
    )
    assert bad.status_code == 400
    assert 'id="jwk-feil">Feil: Key 0: kty must be RSA</p>' in bad.text
    not_json = await world.post(
        f"/integrasjoner/{client_id}/nokler", {"jwk": "{"}, form_page=f"/integrasjoner/{client_id}"
    )
    assert "Feil: Nøkkelen må være gyldig JSON (en JWK)." in text_of(not_json.text)
    key = generate_rsa_key()
    added = await world.post(
        f"/integrasjoner/{client_id}/nokler",
        {"jwk": json.dumps(key.public_jwk)},
        form_page=f"/integrasjoner/{client_id}",
    )
    assert added.status_code == 303
    listing = text_of((await world.get(f"/integrasjoner/{client_id}")).text)
    expiry = (world.clock.now().replace(microsecond=0)).replace(year=world.clock.now().year + 1)
    assert key.kid in listing
    assert f"{key.kid} {expiry.strftime('%d.%m.%Y')}" in listing or key.kid in listing

    issuer = world.app.platform.settings.maskinporten_issuer
    now = world.clock.timestamp()
    assertion = jwt.encode(
        {
            "aud": issuer,
            "iss": client_id,
            "scope": SHARED,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(8),
        },
        load_pem_private_key(key.private_pem, password=None),  # type: ignore[arg-type]
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    token = await world.http.post(f"{issuer}token", data={"grant_type": JWT_BEARER, "assertion": assertion})
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == SHARED

    deleted = await world.post(
        f"/integrasjoner/{client_id}/nokler/slett", {"kid": key.kid}, form_page=f"/integrasjoner/{client_id}"
    )
    assert deleted.status_code == 303
    assert await world.admin.client_keys(client_id) == ()


async def test_client_errors_and_deactivation(world: PortalWorld) -> None:
    await _scopes(world)
    await world.user("ola@konsument.no")
    missing = await world.post(
        "/integrasjoner/ny",
        {"type": "maskinporten", "client_name": "", "description": "x"},
        form_page="/integrasjoner/ny?type=maskinporten",
    )
    assert missing.status_code == 400
    assert 'id="client_name-feil">Feil: client_name is required</p>' in missing.text
    not_shared = await world.post(
        "/integrasjoner/ny",
        {"type": "maskinporten", "client_name": "x", "description": "x", "scopes": [SHARED]},
        form_page="/integrasjoner/ny?type=maskinporten",
    )
    assert (
        f"Feil: Scope '{SHARED}' is not shared with organisation {CONSUMER} in this environment. "
        "Contact the API provider."
    ) in text_of(not_shared.text)
    created = await world.post(
        "/integrasjoner/ny",
        {"type": "maskinporten", "client_name": "Batch", "description": "x"},
        form_page="/integrasjoner/ny?type=maskinporten",
    )
    client_id = created.headers["location"].rsplit("/", 1)[1]
    edit = await world.post(
        f"/integrasjoner/{client_id}/endre",
        {"client_name": "Batch 2", "description": "y", "scopes": ["test:apen"]},
    )
    assert edit.status_code == 303
    client = await world.admin.get_client(client_id)
    assert (client.client_name, client.scopes) == ("Batch 2", ("test:apen",))
    confirm = await world.get(f"/integrasjoner/{client_id}/deaktiver")
    assert texts.CONFIRM_CLIENT_DEACTIVATION in text_of(confirm.text)
    done = await world.post(f"/integrasjoner/{client_id}/deaktiver")
    assert done.status_code == 303
    assert not (await world.admin.get_client(client_id)).active
    assert "Batch 2" not in text_of((await world.get("/integrasjoner")).text)
    assert "Batch 2" in text_of((await world.get("/integrasjoner?inaktive=true")).text)
    closed = await world.post(
        f"/integrasjoner/{client_id}/endre", {"client_name": "z"}, form_page="/integrasjoner"
    )
    assert closed.status_code == 400
    assert "Feil: Client is deactivated" in text_of(closed.text)


async def test_secret_client_shows_the_secret_once(world: PortalWorld) -> None:
    await world.user("ola@konsument.no")
    created = await world.post(
        "/integrasjoner/ny",
        {
            "type": "idporten",
            "client_name": "Innlogging",
            "application_type": "web",
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": "https://app.konsument.no/callback",
        },
        form_page="/integrasjoner/ny?type=idporten",
    )
    assert created.status_code == 200
    assert texts.SECRET_ONCE in text_of(created.text)
    secret = re.search(r'<code id="klienthemmelighet">([^<]+)</code>', created.text)
    assert secret is not None
    assert len(secret.group(1)) == 43
    client_id = re.search(r'<code id="klient-id">([^<]+)</code>', created.text)
    assert client_id is not None
    again = await world.get(f"/integrasjoner/{client_id.group(1)}")
    assert secret.group(1) not in again.text
    assert texts.SECRET_ONCE not in text_of(again.text)
    rotated = await world.post(
        f"/integrasjoner/{client_id.group(1)}/hemmelighet", form_page=f"/integrasjoner/{client_id.group(1)}"
    )
    new = re.search(r'<code id="klienthemmelighet">([^<]+)</code>', rotated.text)
    assert new is not None
    assert new.group(1) != secret.group(1)
    bad_uri = await world.post(
        "/integrasjoner/ny",
        {"type": "idporten", "client_name": "x", "application_type": "web", "redirect_uris": "ftp://x"},
        form_page="/integrasjoner/ny?type=idporten",
    )
    assert 'id="redirect_uris-feil">Feil: Invalid redirect_uri: ftp://x</p>' in bad_uri.text


async def test_another_organisations_client_is_refused(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    created = await world.post(
        "/integrasjoner/ny",
        {"type": "maskinporten", "client_name": "Tilbyders", "description": "x"},
        form_page="/integrasjoner/ny?type=maskinporten",
    )
    client_id = created.headers["location"].rsplit("/", 1)[1]
    await world.post("/logg-ut", form_page="/virksomhet")
    await world.user("ola@konsument.no")
    page = await world.get(f"/integrasjoner/{client_id}")
    assert page.status_code == 403
    assert "Client belongs to another organisation" in text_of(page.text)
    refused = await world.post(f"/integrasjoner/{client_id}/deaktiver", form_page="/integrasjoner")
    assert refused.status_code == 403
    assert (await world.admin.get_client(client_id)).active
    assert (await world.get("/integrasjoner/finnes-ikke")).status_code == 404
    assert f"{S}/" in page.text


async def test_supplier_creates_a_client_for_a_customer(world: PortalWorld) -> None:
    from portvakt.portal.rules import NO_SUPPLIER_ACCESS

    await world.user("ola@konsument.no")
    plain = await world.get("/integrasjoner/ny?type=maskinporten")
    assert "For kunde (organisasjonsnummer)" not in plain.text
    peek = await world.get("/integrasjoner/ny?type=maskinporten&kunde=310000043")
    assert "(KONSUMENT AS, 310000035)" in text_of(peek.text)  # not the other organisation's list
    data = {"type": "maskinporten", "kunde": "310000043", "client_name": "For kunden", "description": "x"}
    refused = await world.post("/integrasjoner/ny", data, form_page="/integrasjoner/ny?type=maskinporten")
    assert refused.status_code == 403
    assert NO_SUPPLIER_ACCESS in text_of(refused.text)
    await world.admin.grant_access("idporten:dcr.supplier", CONSUMER)
    offered = await world.get("/integrasjoner/ny?type=maskinporten&kunde=310000043")
    assert "For kunde (organisasjonsnummer)" in offered.text
    assert "(ANNEN AS, 310000043)" in text_of(offered.text)
    created = await world.post("/integrasjoner/ny", data, form_page="/integrasjoner/ny?type=maskinporten")
    assert created.status_code == 303, created.text
    client = await world.admin.get_client(created.headers["location"].rsplit("/", 1)[1])
    assert (client.client_orgno, client.supplier_orgno) == ("310000043", CONSUMER)
    assert "For kunden (for kunde 310000043)" in text_of((await world.get("/integrasjoner")).text)
    unknown = await world.post(
        "/integrasjoner/ny", {**data, "kunde": "310000078"}, form_page="/integrasjoner/ny?type=maskinporten"
    )
    assert "Feil: Unknown organisation: 310000078" in text_of(unknown.text)
