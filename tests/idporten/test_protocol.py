"""Pure protocol rules (no HTTP, no database): PKCE, pairwise sub, lifetimes, SSO reuse, scopes, TestID."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portvakt.domain.identifiers import parse_national_id
from portvakt.idporten.authenticators import (
    AuthenticatorContext,
    UnknownAuthenticator,
    check_testid_input,
    generate_synthetic_pid,
    load_authenticators,
)
from portvakt.idporten.protocol import (
    AuthorizationRequest,
    AuthResult,
    ScopeView,
    SessionState,
    lifetimes,
    pairwise_subject,
    pkce_matches,
    session_alive,
    sso_reusable,
    usable_scope,
)
from portvakt.registry.model import ApiScope, ClientRegistration, ScopeSettings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def client(**changes: object) -> ClientRegistration:
    base = ClientRegistration(
        client_id="c1",
        client_name="RP",
        description=None,
        client_orgno="889640782",
        supplier_orgno=None,
        integration_type="api_klient",
        application_type="web",
        token_endpoint_auth_method="client_secret_basic",
        grant_types=("authorization_code",),
        scopes=("openid", "a:x", "a:y", "a:z"),
        redirect_uris=("https://rp/cb",),
        post_logout_redirect_uris=(),
        frontchannel_logout_uri=None,
        frontchannel_logout_session_required=False,
        sso_disabled=False,
        client_uri=None,
        access_token_lifetime=0,
        refresh_token_lifetime=0,
        authorization_lifetime=0,
        refresh_token_usage="ONETIME",
        code_challenge_method="S256",
        active=True,
        created=NOW,
        last_updated=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def scope(name: str, owner: str = "974760673", **settings: object) -> ApiScope:
    prefix, sub = name.split(":")
    return ApiScope(name, prefix, sub, owner, ScopeSettings(description=name, **settings), True, NOW, NOW)  # type: ignore[arg-type]


def request(**changes: object) -> AuthorizationRequest:
    base = AuthorizationRequest(
        client_id="c1",
        redirect_uri="https://rp/cb",
        response_mode="query",
        state="s",
        nonce="n",
        scopes=("openid",),
        acr_min="idporten-loa-substantial",
        prompt=None,
        resources=(),
        ui_locale=None,
        code_challenge=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_pkce_s256() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN")
    assert not pkce_matches("short", "x")
    assert not pkce_matches("a" * 129, "x")


def test_pairwise_subject_is_hmac_of_client_and_pid() -> None:
    expected = (
        base64.urlsafe_b64encode(hmac.new(b"k", b"c1|01819012365", hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    subject = pairwise_subject(b"k", "c1", "01819012365")
    assert subject == expected
    assert len(subject) == 43
    assert pairwise_subject(b"k", "c2", "01819012365") != subject


def test_lifetimes_take_the_smallest_positive_value() -> None:
    assert lifetimes(client(), []) == type(lifetimes(client(), []))(120, 600, 7200)
    limited = lifetimes(
        client(access_token_lifetime=300, refresh_token_lifetime=900, authorization_lifetime=3600),
        [scope("a:x", at_max_age=200, authorization_max_lifetime=1800), scope("a:y", at_max_age=0)],
    )
    assert (limited.access_token, limited.refresh_window, limited.authorization) == (200, 900, 1800)


def test_usable_scope_rules() -> None:
    rp = client()
    view = ScopeView(
        {
            "a:x": scope("a:x", owner="889640782"),
            "a:y": scope("a:y", accessible_for_all=True, allowed_integration_types=("idporten",)),
            "a:z": scope("a:z"),
            "a:w": scope("a:w", accessible_for_all=True),
        },
        approved={"a:z"},
    )
    assert usable_scope(rp, "openid", view)
    assert usable_scope(rp, "a:x", view)
    assert usable_scope(rp, "a:z", view)
    assert not usable_scope(rp, "a:y", view)  # integration type not allowed
    assert not usable_scope(rp, "a:w", view)  # not on the client
    assert not usable_scope(rp, "a:z", ScopeView(view.scopes, approved=set()))
    inactive = ScopeView({"a:x": replace(scope("a:x", owner="889640782"), active=False)}, set())
    assert not usable_scope(rp, "a:x", inactive)


def test_sso_reuse_rules() -> None:
    auth = AuthResult("01819012365", "idporten-loa-substantial", ("TestID",), 0)
    session = SessionState("s" * 22, auth, "nb", created=0, last_seen=0)
    rp = client()
    assert sso_reusable(session, request(), rp, {})
    assert not sso_reusable(None, request(), rp, {})
    assert not sso_reusable(session, request(prompt="login"), rp, {})
    assert not sso_reusable(session, request(acr_min="idporten-loa-high"), rp, {})
    assert not sso_reusable(session, request(), client(sso_disabled=True), {})
    strict = {"a:x": scope("a:x", requires_user_authentication=True)}
    assert not sso_reusable(session, request(scopes=("openid", "a:x")), rp, strict)
    assert session_alive(session, 1800, 1800, 7200)
    assert not session_alive(session, 1801, 1800, 7200)
    assert not session_alive(replace(session, last_seen=7000), 7201, 1800, 7200)


def test_generated_testid_numbers_are_valid_tenor_synthetic() -> None:
    rng = random.Random(7)
    for _ in range(200):
        number = generate_synthetic_pid(rng)
        parsed = parse_national_id(number, env="test")
        assert parsed.synthetic == "tenor"
        assert 1930 <= parsed.birth_date.year <= 2005


def test_testid_input_rules() -> None:
    sub, high = "idporten-loa-substantial", "idporten-loa-high"
    assert check_testid_input("01819012365", sub, sub, env="test", allow_non_synthetic=False) is None
    assert check_testid_input("0181901236", sub, sub, env="test", allow_non_synthetic=False) == "error_digits"
    assert (
        check_testid_input("0181901236x", sub, sub, env="test", allow_non_synthetic=False) == "error_digits"
    )
    assert (
        check_testid_input("12345678910", sub, sub, env="test", allow_non_synthetic=False) == "error_invalid"
    )
    assert (
        check_testid_input("01819012365", sub, high, env="test", allow_non_synthetic=False) == "error_level"
    )
    assert (
        check_testid_input("01819012365", "Level4", sub, env="test", allow_non_synthetic=False)
        == "error_level"
    )


def test_unknown_authenticator_and_testid_in_prod_are_refused(tmp_path: Path) -> None:
    from portvakt.domain.clock import FixedClock
    from portvakt.idporten.pages import Pages
    from portvakt.settings import Environment, Settings

    settings = Settings(data_dir=tmp_path, _env_file=None)
    context = AuthenticatorContext(settings, None, FixedClock(), Pages("http://localhost:8080/idporten"))  # type: ignore[arg-type]
    with pytest.raises(UnknownAuthenticator, match="'bankid'"):
        load_authenticators(["bankid"], context)
    assert list(load_authenticators(["testid"], context)) == ["testid"]
    prod = replace(context, settings=settings.model_copy(update={"env": Environment.PROD}))
    with pytest.raises(UnknownAuthenticator, match="TestID"):
        load_authenticators(["testid"], prod)
