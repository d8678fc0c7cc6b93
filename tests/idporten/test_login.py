"""Login UI (idporten.md §5): TestID page, SSO session, prompt, consent, language, headers, transactions."""

from __future__ import annotations

import jwt
from sqlalchemy import select

from portvakt.storage.tables.idporten import sso_sessions
from tests.idporten.conftest import ISSUER, ORDINARY_PID, PID, PID2, REDIRECT, Idp, hidden_fields, query_of

HIGH = "idporten-loa-high"
SUBSTANTIAL = "idporten-loa-substantial"


def claims_of(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


async def test_testid_page_is_accessible_and_strict(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp)
    first = await idp.authorize(params)
    assert first.status_code == 302
    assert first.headers["location"].startswith(f"{ISSUER}/login?tx=")
    chooser = await idp.http.get(first.headers["location"])
    assert chooser.status_code == 302
    assert chooser.headers["location"].startswith(f"{ISSUER}/login/testid?tx=")
    posted = await idp.http.post("/idporten/login", data={"tx": query_of(first.headers["location"])["tx"]})
    assert posted.status_code == 303
    assert posted.headers["location"] == chooser.headers["location"]
    page = await idp.testid_page(first)
    text = page.text
    assert '<label for="pid">Fødselsnummer / d-nummer</label>' in text
    assert "Betydelig (idporten-loa-substantial)" in text
    assert "Høy (idporten-loa-high)" in text
    assert 'value="idporten-loa-substantial" checked' in text
    assert ">Logg inn<" in text
    assert ">Avbryt<" in text
    assert "<script" not in text
    assert "style=" not in text
    assert text.count('name="suggestion"') == 5  # freshly generated: the test population is empty
    policy = page.headers["content-security-policy"]
    assert "script-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    css = await idp.http.get("/idporten/static/idporten.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


async def test_suggestions_from_settings_and_high_minimum_hides_substantial(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp, acr_values=f"{HIGH}")
    page = await idp.testid_page(await idp.authorize(params))
    assert "Betydelig (idporten-loa-substantial)" not in page.text
    assert 'value="idporten-loa-high" checked' in page.text
    # A suggestion button logs in with its number.
    number = page.text.split('name="suggestion" value="')[1].split('"')[0]
    done = await idp.follow(await idp.submit_testid(page, pid="", acr=HIGH, suggestion=number))
    assert done.headers["location"].startswith(REDIRECT)


async def test_testid_form_errors_keep_the_field(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp)
    page = await idp.testid_page(await idp.authorize(params))
    cases = [
        ("1234", SUBSTANTIAL, "Fødselsnummeret må bestå av 11 siffer."),
        ("12345678910", SUBSTANTIAL, "Ugyldig fødselsnummer eller d-nummer."),
        (ORDINARY_PID, SUBSTANTIAL, "Kun syntetiske testidentiteter (måned + 80) er tillatt."),
    ]
    for pid, acr, message in cases:
        response = await idp.submit_testid(page, pid=pid, acr=acr)
        assert response.status_code == 400
        assert message in response.text
        assert f'value="{pid}"' in response.text
        assert 'aria-invalid="true"' in response.text
    # A tampered level below the minimum.
    params, _ = idp.authorize_params(rp, acr_values=HIGH)
    idp.http.cookies.clear()
    page = await idp.testid_page(await idp.authorize(params))
    response = await idp.submit_testid(page, pid=PID, acr=SUBSTANTIAL)
    assert response.status_code == 400
    assert "Valgt sikkerhetsnivå er lavere enn tjenesten krever." in response.text


async def test_testid_errors_in_english(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp, ui_locales="en")
    page = await idp.testid_page(await idp.authorize(params))
    assert '<html lang="en">' in page.text
    response = await idp.submit_testid(page, pid="123")
    assert "The national identity number must be 11 digits." in response.text


def test_non_synthetic_numbers_allowed_by_setting() -> None:
    from portvakt.idporten.authenticators import check_testid_input

    assert (
        check_testid_input(ORDINARY_PID, SUBSTANTIAL, SUBSTANTIAL, env="test", allow_non_synthetic=True)
        is None
    )
    assert (
        check_testid_input(ORDINARY_PID, SUBSTANTIAL, SUBSTANTIAL, env="test", allow_non_synthetic=False)
        == "error_synthetic"
    )
    assert (
        check_testid_input("41019012393", SUBSTANTIAL, SUBSTANTIAL, env="test", allow_non_synthetic=True)
        is None
    )


async def test_csrf_token_is_required(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp)
    page = await idp.testid_page(await idp.authorize(params))
    fields = hidden_fields(page.text)
    response = await idp.http.post(
        "/idporten/login/testid", data={"tx": fields["tx"], "csrf": "forged", "pid": PID, "action": "login"}
    )
    assert response.status_code == 400
    assert "CSRF" in response.text


async def test_cancel_is_access_denied(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp, state="s1")
    page = await idp.testid_page(await idp.authorize(params))
    response = await idp.submit_testid(page, action="cancel")
    assert response.status_code == 303
    assert query_of(response.headers["location"]) == {
        "error": "access_denied",
        "error_description": "User cancelled the login",
        "state": "s1",
        "iss": ISSUER,
    }
    # The transaction is finished: the page cannot be used again.
    again = await idp.submit_testid(page)
    assert again.status_code == 400
    assert "Innloggingen er utløpt. Gå tilbake til tjenesten og prøv igjen." in again.text


async def test_unknown_and_expired_transactions(idp: Idp) -> None:
    unknown = await idp.http.get("/idporten/login?tx=nope")
    assert unknown.status_code == 400
    assert "Innloggingen er utløpt" in unknown.text
    rp = await idp.client()
    params, _ = idp.authorize_params(rp)
    page = await idp.testid_page(await idp.authorize(params))
    idp.clock.advance(1801)
    response = await idp.submit_testid(page)
    assert response.status_code == 400
    assert "Innloggingen er utløpt" in response.text
    idp.http.cookies.set("portvakt_idp_locale", "en")
    english = await idp.http.get("/idporten/authorize/resume?tx=nope")
    assert "The login has expired. Go back to the service and try again." in english.text


async def test_sso_session_is_reused_and_recorded(idp: Idp) -> None:
    rp = await idp.client()
    other = await idp.client()
    login = await idp.login(rp)
    cookie = idp.http.cookies.get("portvakt_idp_sso")
    assert cookie is not None
    params, _ = idp.authorize_params(other)
    second = await idp.authorize(params)
    assert second.status_code == 302
    assert query_of(second.headers["location"])["code"]
    async with idp.app.platform.database.engine.connect() as connection:
        row = (await connection.execute(select(sso_sessions))).one()
    assert row.pid == PID
    assert row.cookie_hash != cookie
    assert len(row.sid) == 22
    assert row.clients == f'["{rp.client_id}","{other.client_id}"]'
    assert login.code


async def test_prompt_login_forces_a_new_login_and_prompt_none_uses_the_session(idp: Idp) -> None:
    rp = await idp.client()
    await idp.login(rp)
    params, _ = idp.authorize_params(rp, prompt="login")
    forced = await idp.authorize(params)
    assert forced.headers["location"].startswith(f"{ISSUER}/login?tx=")
    params, _ = idp.authorize_params(rp, prompt="none")
    silent = await idp.authorize(params)
    assert "code" in query_of(silent.headers["location"])


async def test_prompt_none_without_session_is_login_required(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp, prompt="none", state="st")
    response = await idp.authorize(params)
    assert query_of(response.headers["location"]) == {
        "error": "login_required",
        "error_description": "User must log in",
        "state": "st",
        "iss": ISSUER,
    }


async def test_session_idle_and_absolute_limits(idp: Idp) -> None:
    rp = await idp.client()
    await idp.login(rp)
    params, _ = idp.authorize_params(rp, prompt="none")
    idp.clock.advance(1700)
    assert "code" in query_of((await idp.authorize(params)).headers["location"])
    idp.clock.advance(1801)  # idle limit passed
    assert query_of((await idp.authorize(params)).headers["location"])["error"] == "login_required"

    await idp.login(rp)
    for _ in range(4):  # keep it active: 4 × 1700 s, then past the absolute 7200 s
        idp.clock.advance(1700)
        assert "code" in query_of((await idp.authorize(params)).headers["location"])
    idp.clock.advance(1000)
    assert query_of((await idp.authorize(params)).headers["location"])["error"] == "login_required"


async def test_step_up_keeps_the_session_and_another_person_replaces_it(idp: Idp) -> None:
    rp = await idp.client()
    await idp.login(rp)
    sid_before = await _only_sid(idp)
    params, _ = idp.authorize_params(rp, acr_values=HIGH)
    page = await idp.testid_page(await idp.authorize(params))  # substantial session is not enough
    done = await idp.follow(await idp.submit_testid(page, acr=HIGH))
    assert "code" in query_of(done.headers["location"])
    assert await _only_sid(idp) == sid_before

    params, _ = idp.authorize_params(rp, prompt="login")
    page = await idp.testid_page(await idp.authorize(params))
    await idp.follow(await idp.submit_testid(page, pid=PID2))
    assert await _only_sid(idp) != sid_before


async def _only_sid(idp: Idp) -> str:
    async with idp.app.platform.database.engine.connect() as connection:
        sid: str = (await connection.execute(select(sso_sessions.c.sid))).scalar_one()
    return sid


async def test_sso_disabled_client_and_user_authentication_scopes_need_a_login(idp: Idp) -> None:
    rp = await idp.client()
    await idp.login(rp)
    disabled = await idp.client(sso_disabled=True)
    params, _ = idp.authorize_params(disabled)
    assert (await idp.authorize(params)).headers["location"].startswith(f"{ISSUER}/login?tx=")
    scope = await idp.scope("strict", requires_user_authentication=True, accessible_for_all=True)
    api = await idp.client(integration_type="api_klient", scopes=("openid", scope))
    params, _ = idp.authorize_params(api, scope=f"openid {scope}")
    assert (await idp.authorize(params)).headers["location"].startswith(f"{ISSUER}/login?tx=")


async def test_consent_page_grants_checked_scopes_only(idp: Idp) -> None:
    asked = await idp.scope(
        "kontakt.read",
        requires_user_consent=True,
        accessible_for_all=True,
        description="Kontaktinformasjonen din",
    )
    other = await idp.scope(
        "post.read", requires_user_consent=True, accessible_for_all=True, description="Postkassen din"
    )
    rp = await idp.client(
        integration_type="api_klient", client_name="Min Tjeneste", scopes=("openid", asked, other)
    )
    params, verifier = idp.authorize_params(rp, scope=f"openid {asked} {other}")
    page = await idp.testid_page(await idp.authorize(params))
    consent = await idp.follow(await idp.submit_testid(page))
    assert consent.status_code == 200
    assert "Min Tjeneste ber om tilgang til følgende opplysninger om deg:" in consent.text
    assert "Kontaktinformasjonen din" in consent.text
    assert "Postkassen din" in consent.text
    fields = hidden_fields(consent.text)
    done = await idp.follow(
        await idp.http.post("/idporten/consent", data={**fields, "scope": asked, "action": "accept"})
    )
    code = query_of(done.headers["location"])["code"]
    tokens = await idp.token(
        rp,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert tokens.json()["scope"] == f"openid {asked}"

    # Consent is asked every time; with prompt=none it cannot be shown.
    params, _ = idp.authorize_params(rp, scope=f"openid {asked}", prompt="none", state="c")
    assert query_of((await idp.authorize(params)).headers["location"]) == {
        "error": "consent_required",
        "error_description": "User consent is required",
        "state": "c",
        "iss": ISSUER,
    }
    params, _ = idp.authorize_params(rp, scope=f"openid {asked}", state="c")
    consent = await idp.follow(await idp.authorize(params))
    assert consent.status_code == 200
    cancelled = await idp.http.post(
        "/idporten/consent", data={**hidden_fields(consent.text), "action": "cancel"}
    )
    assert query_of(cancelled.headers["location"])["error_description"] == "User cancelled the consent"


async def test_language_switcher_sets_the_locale_claim(idp: Idp) -> None:
    rp = await idp.client()
    params, verifier = idp.authorize_params(rp)
    first = await idp.authorize(params)
    testid = await idp.http.get(first.headers["location"])
    page = await idp.http.get(testid.headers["location"] + "&lang=en")
    assert "Log in" in page.text
    assert '<html lang="en">' in page.text
    assert idp.http.cookies.get("portvakt_idp_locale") == "en"
    done = await idp.follow(await idp.submit_testid(page))
    code = query_of(done.headers["location"])["code"]
    tokens = await idp.token(
        rp,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert claims_of(tokens.json()["id_token"])["locale"] == "en"
    idp.http.cookies.clear()
    login = await idp.login(rp, ui_locales="se nn")
    tokens = await idp.code_tokens(rp, login)
    assert claims_of(tokens.json()["id_token"])["locale"] == "se"


async def test_suggestions_come_from_settings_and_the_living_synthetic_population(idp: Idp) -> None:
    from datetime import date

    from sqlalchemy import insert

    from portvakt.idporten.authenticators import AuthenticatorContext, TestIdAuthenticator
    from portvakt.idporten.pages import Pages
    from portvakt.storage.tables.population import persons

    platform = idp.app.platform

    def person(
        ordinal: int, number: str, synthetic: str | None, died: date | None = None
    ) -> dict[str, object]:
        return {
            "ordinal": ordinal,
            "national_id": number,
            "kind": "fnr",
            "synthetic": synthetic,
            "first_name": f"Fornavn{ordinal}",
            "middle_name": None,
            "last_name": "Testesen",
            "birth_date": date(1990, 1, 1),
            "gender": "F",
            "citizenships": "NOR",
            "residence_country": "NOR",
            "date_of_death": died,
        }

    async with platform.database.engine.begin() as connection:
        await connection.execute(
            insert(persons),
            [
                person(1, PID, "tenor"),
                person(2, PID2, "tenor", died=date(2020, 1, 1)),
                person(3, ORDINARY_PID, None),
                person(4, "24920156726", "tenor"),
            ],
        )
    settings = platform.settings.model_copy(update={"idporten_testid_suggestions": ["41019012393"]})
    testid = TestIdAuthenticator(AuthenticatorContext(settings, platform.database, idp.clock, Pages(ISSUER)))
    suggestions = await testid.suggestions()
    assert suggestions[0] == ("41019012393", None)
    assert sorted(suggestions[1:]) == [(PID, "Fornavn1 Testesen"), ("24920156726", "Fornavn4 Testesen")]
