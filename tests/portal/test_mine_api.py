"""§8.2 Mine API: Nytt scope with the prefix list, Legg til tilgang (org-number check, name shown), fjern
tilgang, Endre, Deaktiver with the confirmation naming the consumers, Aktiver; the §8.3 messages."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from portvakt.portal import texts
from portvakt.portal.rules import TERMS_NOT_SIGNED
from portvakt.registry.model import AccessState
from portvakt.storage.tables.audit import audit_events
from tests.portal.conftest import CONSUMER, PROVIDER, PortalWorld, S, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCOPE = "test:api/les"
Q = quote(SCOPE)


async def _create(world: PortalWorld, subscope: str = "api/les", **extra: object) -> object:
    data: dict[str, object] = {
        "prefix": "test",
        "subscope": subscope,
        "description": "Les data fra tilbyderen",
        "visibility": "PUBLIC",
        "token_type": "SELF_CONTAINED",
        "at_max_age": "0",
        "authorization_max_lifetime": "0",
        **extra,
    }
    return await world.post("/mine-api/nytt", data)


async def test_provider_creates_a_scope(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    form = await world.get("/mine-api/nytt")
    assert '<option value="test">test</option>' in form.text
    assert "Opprett" in form.text
    created = await _create(world, allowed_integration_types="maskinporten", accessible_for_all="true")
    assert created.status_code == 303  # type: ignore[attr-defined]
    assert created.headers["location"] == f"{S}/mine-api/scope?scope=test%3Aapi%2Fles"  # type: ignore[attr-defined]
    scope = await world.admin.get_scope(SCOPE)
    assert scope.owner_orgno == PROVIDER
    assert scope.settings.allowed_integration_types == ("maskinporten",)
    assert scope.settings.accessible_for_all is True
    listing = text_of((await world.get("/mine-api")).text)
    assert SCOPE in listing
    assert "Les data fra tilbyderen" in listing
    async with world.app.platform.database.engine.connect() as connection:
        [event] = (
            await connection.execute(select(audit_events).where(audit_events.c.entity_id == SCOPE))
        ).mappings()
    assert (event["channel"], event["actor"], event["acting_orgno"]) == (
        "portal",
        "kari@tilbyder.no",
        PROVIDER,
    )


async def test_scope_validation_errors_are_shown_next_to_the_field(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    bad = await _create(world, subscope="API Les")
    assert bad.status_code == 400  # type: ignore[attr-defined]
    html = bad.text  # type: ignore[attr-defined]
    assert (
        '<p class="ds-validation-message" data-color="danger" id="subscope-feil">'
        "Feil: Invalid subscope: API Les</p>" in html
    )
    assert 'role="alert"' in html
    no_description = await _create(world, description="")
    assert 'id="description-feil">Feil: description is required</p>' in no_description.text  # type: ignore[attr-defined]
    bad_age = await _create(world, at_max_age="mange")
    assert 'id="at_max_age-feil">Feil: Invalid value for at_max_age</p>' in bad_age.text  # type: ignore[attr-defined]
    assert (await _create(world)).status_code == 303  # type: ignore[attr-defined]
    taken = await _create(world)
    assert f"Feil: Scope '{SCOPE}' already exists" in text_of(taken.text)  # type: ignore[attr-defined]


async def test_no_prefix_faq(world: PortalWorld) -> None:
    await world.user("ola@konsument.no")
    form = await world.get("/mine-api/nytt")
    page = text_of(form.text)
    assert texts.NO_PREFIX in page
    assert '<select class="ds-input" id="prefix" name="prefix">\n    \n  </select>' in form.text  # empty
    assert 'type="submit" disabled aria-disabled="true"' in form.text
    assert ">Opprett</button>" in form.text
    refused = await world.post("/mine-api/nytt", {"prefix": "test", "subscope": "x", "description": "x"})
    assert refused.status_code == 400
    assert f"Feil: {texts.NO_PREFIX}" in text_of(refused.text)


async def test_access_grant_revoke_and_deactivation(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    await _create(world)
    page = f"/mine-api/scope?scope={Q}"
    invalid = await world.post(f"/mine-api/tilgang?scope={Q}", {"orgnr": "123456789"}, form_page=page)
    assert invalid.status_code == 400
    assert 'id="orgnr-feil">Feil: Invalid organisation number: 123456789</p>' in invalid.text
    added = await world.post(f"/mine-api/tilgang?scope={Q}", {"orgnr": CONSUMER}, form_page=page)
    assert added.status_code == 200
    assert f"KONSUMENT AS ({CONSUMER}) har fått tilgang." in text_of(added.text)
    unregistered = await world.post(f"/mine-api/tilgang?scope={Q}", {"orgnr": "310000078"}, form_page=page)
    assert "Ikke registrert på plattformen (310000078) har fått tilgang." in text_of(unregistered.text)
    listing = text_of((await world.get(page)).text)
    assert f"{CONSUMER} KONSUMENT AS" in listing
    assert "310000078 Ikke registrert på plattformen" in listing

    removed = await world.post(f"/mine-api/tilgang/fjern?scope={Q}", {"orgnr": "310000078"}, form_page=page)
    assert removed.status_code == 303
    [denied] = await world.admin.list_accesses(SCOPE, consumer_orgno="310000078", include_denied=True)
    assert denied.state is AccessState.DENIED

    confirm = await world.get(f"/mine-api/deaktiver?scope={Q}")
    assert (
        f"1 virksomheter har tilgang til scopet: KONSUMENT AS ({CONSUMER}). De mister tilgangen og ser ikke "
        "lenger scopet når det deaktiveres. Vil du deaktivere?"
    ) in text_of(confirm.text)
    assert (await world.admin.get_scope(SCOPE)).active
    done = await world.post(f"/mine-api/deaktiver?scope={Q}", form_page=f"/mine-api/deaktiver?scope={Q}")
    assert done.status_code == 303
    assert not (await world.admin.get_scope(SCOPE)).active
    assert SCOPE not in text_of((await world.get("/mine-api")).text)
    assert SCOPE in text_of((await world.get("/mine-api?inaktive=true")).text)
    closed = await world.post(f"/mine-api/tilgang?scope={Q}", {"orgnr": "310000086"}, form_page=page)
    assert f"Feil: Scope '{SCOPE}' is deactivated" in text_of(closed.text)
    again = await world.post(f"/mine-api/aktiver?scope={Q}", form_page=f"/mine-api/endre?scope={Q}")
    assert again.status_code == 303
    assert (await world.admin.get_scope(SCOPE)).active


async def test_edit_scope(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    await _create(world)
    form = await world.get(f"/mine-api/endre?scope={Q}")
    assert 'value="Les data fra tilbyderen"' in form.text
    data = {
        "description": "Ny tekst",
        "visibility": "PRIVATE",
        "token_type": "OPAQUE",
        "at_max_age": "60",
        "authorization_max_lifetime": "0",
    }
    saved = await world.post(f"/mine-api/endre?scope={Q}", data)
    assert saved.status_code == 303
    scope = await world.admin.get_scope(SCOPE)
    assert (scope.settings.description, scope.settings.visibility, scope.settings.at_max_age) == (
        "Ny tekst",
        "PRIVATE",
        60,
    )
    bad = await world.post(f"/mine-api/endre?scope={Q}", {**data, "description": ""})
    assert 'id="description-feil">Feil: description is required</p>' in bad.text


async def test_other_organisations_scope_is_refused(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    await _create(world)
    await world.post("/logg-ut", form_page="/virksomhet")
    await world.user("ola@konsument.no")
    for path in (
        f"/mine-api/scope?scope={Q}",
        f"/mine-api/endre?scope={Q}",
        f"/mine-api/deaktiver?scope={Q}",
    ):
        response = await world.get(path)
        assert response.status_code == 403, path
        assert "Scope belongs to another organisation" in text_of(response.text)
    refused = await world.post(f"/mine-api/deaktiver?scope={Q}", form_page="/mine-api")
    assert refused.status_code == 403
    assert (await world.admin.get_scope(SCOPE)).active
    missing = await world.get("/mine-api/scope?scope=test%3Afinnes-ikke")
    assert missing.status_code == 404


async def test_terms_not_signed_can_look_but_not_change(world: PortalWorld) -> None:
    await world.admin.assign_prefix("usignert", "310000051")
    await world.user("per@usignert.no")
    page = await world.get("/mine-api")
    assert TERMS_NOT_SIGNED in text_of(page.text)
    assert ">Nytt scope</span>" in page.text  # greyed, not a link
    form = await world.get("/mine-api/nytt")
    assert 'disabled aria-disabled="true"' in form.text
    refused = await world.post("/mine-api/nytt", {"prefix": "usignert", "subscope": "x", "description": "x"})
    assert refused.status_code == 403
    assert TERMS_NOT_SIGNED in text_of(refused.text)
    assert await world.admin.list_scopes(orgno="310000051") == []


async def test_brreg_grant_needs_a_legal_basis(world: PortalWorld) -> None:
    from sqlalchemy import select as sql_select

    from portvakt.registry.model import ScopeSettings
    from portvakt.storage.tables.totalbestand import rrh_legal_basis

    await world.admin.add_organisation(
        "974760673", "BRØNNØYSUNDREGISTRENE", email_domains=["brreg.no"], terms_signed=True
    )
    await world.admin.assign_prefix("brreg", "974760673")
    await world.admin.create_scope(
        "brreg", "reelle/offentlig", ScopeSettings(description="RRH offentlig"), orgno="974760673"
    )
    await world.user("ola@brreg.no")
    scope = quote("brreg:reelle/offentlig")
    page = f"/mine-api/scope?scope={scope}"
    form = await world.get(page)
    assert '<option value="rrhf-3-11-1-a">' in form.text
    assert "Rettslig grunnlag" in form.text
    missing = await world.post(f"/mine-api/tilgang?scope={scope}", {"orgnr": CONSUMER}, form_page=page)
    assert missing.status_code == 400
    assert f"Feil: {texts.LEGAL_BASIS_REQUIRED}" in text_of(missing.text)
    assert await world.admin.list_accesses("brreg:reelle/offentlig") == []
    wrong = await world.post(
        f"/mine-api/tilgang?scope={scope}",
        {"orgnr": CONSUMER, "rettslig_grunnlag": "hvitvl-4-1-a"},
        form_page=page,
    )
    assert wrong.status_code == 400
    granted = await world.post(
        f"/mine-api/tilgang?scope={scope}",
        {"orgnr": CONSUMER, "rettslig_grunnlag": "rrhf-3-11-1-c"},
        form_page=page,
    )
    assert granted.status_code == 200
    async with world.app.platform.database.engine.connect() as connection:
        [row] = (await connection.execute(sql_select(rrh_legal_basis))).mappings()
    assert (row["consumer_orgno"], row["scope"], row["code"], row["recorded_by"]) == (
        CONSUMER,
        "brreg:reelle/offentlig",
        "rrhf-3-11-1-c",
        "ola@brreg.no",
    )
