"""The pluggable authenticator interface (idporten.md §5.4): an entry-point authenticator next to TestID."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import jwt
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from portvakt.domain.clock import FixedClock
from portvakt.idporten import authenticators
from portvakt.idporten.authenticators import AuthenticatorContext, LoginContext
from portvakt.idporten.protocol import AuthResult
from portvakt.settings import Settings
from tests.idporten.conftest import ISSUER, PID, REDIRECT, Idp, query_of


class DemoEid:
    """An external eID stand-in: `start` shows a page, `complete` returns what the query says."""

    name = "demoeid"
    display_name: Mapping[str, str] = {"nb": "Demo-eID", "en": "Demo eID"}
    amr: tuple[str, ...] = ("DemoEID",)
    max_acr = "idporten-loa-high"

    def __init__(self, context: AuthenticatorContext) -> None:
        self.clock = context.clock

    async def start(self, login: LoginContext, request: Request) -> Response:
        return PlainTextResponse(f"demo eID for {login.transaction.tx}")

    async def complete(self, login: LoginContext, request: Request) -> Response | AuthResult:
        form = await request.form()
        return AuthResult(
            pid=str(form["pid"]),
            acr=str(form["acr"]),
            amr=self.amr,
            auth_time=self.clock.timestamp(),
            given_name="Kari",
            family_name="Nordmann",
        )


class FakeEntryPoint:
    name = "demoeid"

    def load(self) -> type[DemoEid]:
        return DemoEid


@pytest.fixture
def settings(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(authenticators, "entry_points", lambda group: [FakeEntryPoint()])
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        idporten_authenticators=["testid", "demoeid"],
        _env_file=None,
    )


async def demo_login(idp: Idp, form: dict[str, str], **overrides: str) -> dict[str, str]:
    rp = await idp.client()
    params, verifier = idp.authorize_params(rp, state="st", **overrides)
    first = await idp.authorize(params)
    chooser = await idp.http.get(first.headers["location"])
    assert chooser.status_code == 200
    assert "Demo-eID" in chooser.text
    assert "TestID" in chooser.text
    tx = query_of(first.headers["location"])["tx"]
    started = await idp.http.get(f"/idporten/login/demoeid?tx={tx}")
    assert started.text == f"demo eID for {tx}"
    done = await idp.follow(await idp.http.post("/idporten/login/demoeid", data={"tx": tx, **form}))
    answer = query_of(done.headers["location"])
    if "code" in answer:
        tokens = await idp.token(
            rp,
            {
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
        answer |= {
            "names": f"{claims.get('given_name')} {claims.get('family_name')}",
            "amr": claims["amr"][0],
        }
    return answer


async def test_an_external_authenticator_completes_the_login_with_names(idp: Idp) -> None:
    answer = await demo_login(idp, {"pid": PID, "acr": "idporten-loa-high"}, scope="openid profile")
    assert answer["iss"] == ISSUER
    assert answer["names"] == "Kari Nordmann"
    assert answer["amr"] == "DemoEID"


async def test_the_core_checks_the_level_and_the_identity_number(idp: Idp, clock: FixedClock) -> None:
    low = await demo_login(
        idp, {"pid": PID, "acr": "idporten-loa-substantial"}, acr_values="idporten-loa-high"
    )
    assert low["error"] == "access_denied"
    assert low["error_description"] == "Authentication level too low"
    idp.http.cookies.clear()
    bad = await demo_login(idp, {"pid": "12345678910", "acr": "idporten-loa-high"})
    assert bad["error"] == "access_denied"
    assert bad["error_description"] == "Authentication failed"
    assert clock
