"""/authorize (idporten.md §4.1, §4.3, §4.4) and PAR (§4.2): one test per branch of the validation order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portvakt.idporten.errors import AuthorizeError
from portvakt.idporten.protocol import Parameters, ScopeView, validate_request
from portvakt.registry.model import ClientSettings
from tests.idporten.conftest import ISSUER, REDIRECT, RP_ORG, Idp, basic, query_of

STATE = "the-state"


async def test_unknown_request_uri_is_an_html_error_page(idp: Idp) -> None:
    rp = await idp.client()
    response = await idp.authorize({"client_id": rp.client_id, "request_uri": "urn:idporten:nope"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_request_uri" in response.text
    assert "The request_uri is unknown, expired or already used" in response.text
    assert "Noe gikk galt" in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_missing_or_unknown_client_is_an_html_error_page(idp: Idp) -> None:
    for extra in ({}, {"client_id": "unknown-client"}):
        response = await idp.authorize({"redirect_uri": REDIRECT, "response_type": "code", **extra})
        assert response.status_code == 400
        assert "invalid_client" in response.text
        assert "Unknown or inactive client_id" in response.text


async def test_inactive_and_maskinporten_clients_are_refused(idp: Idp) -> None:
    rp = await idp.client()
    await idp.registry.deactivate_client(rp.client_id)
    machine = await idp.registry.create_client(
        ClientSettings(client_name="m", integration_type="maskinporten", description="maskin"), orgno=RP_ORG
    )
    for client_id in (rp.client_id, machine.client.client_id):
        params, _ = idp.authorize_params(rp, client_id=client_id)
        response = await idp.authorize(params)
        assert response.status_code == 400
        assert "Unknown or inactive client_id" in response.text


async def test_missing_or_unregistered_redirect_uri_is_an_html_error_page(idp: Idp) -> None:
    rp = await idp.client()
    for redirect_uri in (None, "https://evil.example.com/callback", REDIRECT + "/"):
        params, _ = idp.authorize_params(rp, redirect_uri=redirect_uri)
        response = await idp.authorize(params)
        assert response.status_code == 400
        assert "Missing or unregistered redirect_uri" in response.text
        assert "location" not in response.headers


REDIRECT_ERRORS: list[tuple[dict[str, str | None], str, str]] = [
    ({"response_mode": "fragment"}, "invalid_request", "Unsupported response_mode: fragment"),
    ({"request": "eyJ.x.y"}, "request_not_supported", "Request objects are not supported"),
    (
        {"authorization_details": "[]"},
        "invalid_authorization_details",
        "authorization_details is not supported",
    ),
    ({"response_type": "token"}, "unsupported_response_type", "Unsupported response_type: token"),
    ({"nonce": None}, "invalid_request", "Missing required parameter: nonce"),
    ({"nonce": "bad\u00e6nonce"}, "invalid_request", "Invalid parameter: nonce"),
    ({"nonce": "n" * 513}, "invalid_request", "Invalid parameter: nonce"),
    (
        {"code_challenge": None, "code_challenge_method": None},
        "invalid_request",
        "Missing required parameter: code_challenge (PKCE is required for this client)",
    ),
    ({"code_challenge_method": "plain"}, "invalid_request", "Unsupported code_challenge_method: plain"),
    ({"code_challenge": "too-short"}, "invalid_request", "Invalid parameter: code_challenge"),
    ({"scope": "profile"}, "invalid_scope", "Scope openid is required"),
    ({"scope": "openid nope:one nope:two"}, "invalid_scope", "Invalid scopes for client: nope:one nope:two"),
    ({"acr_values": "Level4"}, "invalid_request", "Unsupported acr_values: Level4"),
    ({"prompt": "consent"}, "invalid_request", "Unsupported prompt value: consent"),
    ({"prompt": "login none"}, "invalid_request", "Unsupported prompt value: login none"),
]


async def test_redirect_errors_carry_state_and_iss(idp: Idp) -> None:
    """Every §10.2 condition of steps 4–10 (one app for all cases: they share no state)."""
    rp = await idp.client()
    for overrides, error, description in REDIRECT_ERRORS:
        params, _ = idp.authorize_params(rp, state=STATE, **overrides)
        response = await idp.authorize(params)
        assert response.status_code == 302, overrides
        location = response.headers["location"]
        assert location.startswith(REDIRECT + "?")
        expected = {"error": error, "error_description": description, "state": STATE, "iss": ISSUER}
        assert query_of(location) == expected, overrides


async def test_bad_state_is_reported_without_state(idp: Idp) -> None:
    rp = await idp.client()
    for state, description in (
        (None, "Missing required parameter: state"),
        ("x" * 2049, "Invalid parameter: state"),
    ):
        params, _ = idp.authorize_params(rp, state=state)
        response = await idp.authorize(params)
        assert query_of(response.headers["location"]) == {
            "error": "invalid_request",
            "error_description": description,
            "iss": ISSUER,
        }


async def test_bad_resource_is_invalid_target(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp, state=STATE)
    response = await idp.authorize(
        [*params.items(), ("resource", "https://api.example.no/"), ("resource", "not-a-uri")]
    )
    assert query_of(response.headers["location"])["error"] == "invalid_target"
    assert query_of(response.headers["location"])["error_description"] == "Invalid resource: not-a-uri"


async def test_client_without_authorization_code_is_unauthorized(idp: Idp) -> None:
    # The registry refuses OIDC clients without authorization_code: the rule is checked on the pure function.
    rp = await idp.client()
    registration = replace(rp.created.client, grant_types=("refresh_token",))
    params, _ = idp.authorize_params(rp, state=STATE)
    with pytest.raises(AuthorizeError) as caught:
        validate_request(registration, REDIRECT, Parameters(params), ScopeView({}, set()))
    assert caught.value.error == "unauthorized_client"
    assert caught.value.description == "Client is not allowed to use the authorization code flow"


async def test_form_post_error_response(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp, state=STATE, response_mode="form_post", prompt="none")
    response = await idp.authorize(params)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert f'<form method="post" action="{REDIRECT}"' in response.text
    assert 'name="error" value="login_required"' in response.text
    assert f'name="state" value="{STATE}"' in response.text
    assert f'name="iss" value="{ISSUER}"' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "form-action https://rp.example.com" in policy
    assert "<script>" not in response.text


async def test_opted_out_client_may_skip_pkce_but_a_sent_challenge_is_enforced(idp: Idp) -> None:
    rp = await idp.client(code_challenge_method="none")
    login = await idp.login(rp, code_challenge=None, code_challenge_method=None)
    tokens = await idp.token(
        rp, {"grant_type": "authorization_code", "code": login.code, "redirect_uri": REDIRECT}
    )
    assert tokens.status_code == 200, tokens.text
    login = await idp.login(rp)
    missing = await idp.token(
        rp, {"grant_type": "authorization_code", "code": login.code, "redirect_uri": REDIRECT}
    )
    assert missing.json() == {"error": "invalid_grant", "error_description": "Missing code_verifier"}


async def test_redirect_uri_with_query_gets_parameters_appended(idp: Idp) -> None:
    uri = REDIRECT + "?tenant=a"
    rp = await idp.client(redirect_uris=(uri,))
    login = await idp.login(rp, redirect_uri=uri)
    assert login.location.startswith(uri + "&code=")


# -- PAR (§4.2) --------------------------------------------------------------------------------------


async def test_par_then_authorize_uses_the_pushed_parameters_once(idp: Idp) -> None:
    rp = await idp.client()
    params, _verifier = idp.authorize_params(rp, state=STATE)
    pushed = await idp.http.post("/idporten/par", data=params, headers=rp.auth())
    assert pushed.status_code == 201, pushed.text
    assert pushed.headers["cache-control"] == "no-store"
    body = pushed.json()
    assert body["expires_in"] == 120
    assert body["request_uri"].startswith("urn:idporten:")
    assert len(body["request_uri"]) == 13 + 43

    query = {"client_id": rp.client_id, "request_uri": body["request_uri"], "state": "ignored"}
    page = await idp.testid_page(await idp.authorize(query))
    done = await idp.follow(await idp.submit_testid(page))
    assert query_of(done.headers["location"])["state"] == STATE
    again = await idp.authorize(query)
    assert again.status_code == 400
    assert "invalid_request_uri" in again.text


async def test_par_request_uri_is_bound_to_its_client_and_expires(idp: Idp) -> None:
    rp = await idp.client()
    other = await idp.client()
    params, _ = idp.authorize_params(rp)
    body = (await idp.http.post("/idporten/par", data=params, headers=rp.auth())).json()
    wrong = await idp.authorize({"client_id": other.client_id, "request_uri": body["request_uri"]})
    assert wrong.status_code == 400
    assert "invalid_request_uri" in wrong.text
    body = (await idp.http.post("/idporten/par", data=params, headers=rp.auth())).json()
    idp.clock.advance(121)
    late = await idp.authorize({"client_id": rp.client_id, "request_uri": body["request_uri"]})
    assert late.status_code == 400
    assert "invalid_request_uri" in late.text


PAR_ERRORS = [
    ({"scope": "openid nope:x"}, "invalid_scope", "Invalid scopes for client: nope:x"),
    ({"response_type": "id_token"}, "unsupported_response_type", "Unsupported response_type: id_token"),
    (
        {"redirect_uri": "https://evil.example.com/"},
        "invalid_request",
        "Missing or unregistered redirect_uri",
    ),
    ({"prompt": "select_account"}, "invalid_request", "Unsupported prompt value: select_account"),
]


async def test_par_errors_are_json(idp: Idp) -> None:
    rp = await idp.client()
    for overrides, error, description in PAR_ERRORS:
        params, _ = idp.authorize_params(rp, **overrides)
        response = await idp.http.post("/idporten/par", data=params, headers=rp.auth())
        assert response.status_code == 400
        assert response.json() == {"error": error, "error_description": description}


async def test_par_requires_client_authentication(idp: Idp) -> None:
    rp = await idp.client()
    params, _ = idp.authorize_params(rp)
    response = await idp.http.post("/idporten/par", data=params, headers=basic(rp.client_id, "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="idporten"'


async def test_public_client_pushes_with_its_client_id(idp: Idp) -> None:
    rp = await idp.client(application_type="browser", token_endpoint_auth_method="none")
    params, _ = idp.authorize_params(rp)
    pushed = await idp.http.post("/idporten/par", data=params)
    assert pushed.status_code == 201, pushed.text
    duplicate = await idp.http.post(
        "/idporten/par",
        content=f"client_id={rp.client_id}&state=a&state=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert duplicate.json() == {"error": "invalid_request", "error_description": "Duplicate parameter: state"}


async def test_internal_error_before_a_redirect_is_an_html_page(
    idp: Idp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(idp.service.store, "take_par", broken)
    rp = await idp.client()
    response = await idp.authorize({"client_id": rp.client_id, "request_uri": "urn:idporten:x"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "server_error" in response.text
    assert "Internal server error (trace_id: " in response.text
    assert "RuntimeError" not in response.text
