"""ID-porten next to Maskinporten: business-certificate client authentication with the built-in test CA,
and Maskinporten tokens are never active at ID-porten's introspection."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests.idporten.conftest import ISSUER, OTHER_ORG, RP_ORG, Idp
from tests.idporten.test_endpoints import introspector_client
from tests.idporten.test_token import ASSERTION_TYPE, claims_of, code_form


@pytest.fixture
def services() -> tuple[str, ...]:
    return ("maskinporten", "idporten")


async def test_private_key_jwt_with_a_business_certificate(idp: Idp) -> None:
    rp = await idp.client(token_endpoint_auth_method="private_key_jwt", generate_key=True)
    testca = idp.app.platform.components["maskinporten.testca"]
    own = await testca.issue(orgno=RP_ORG, name="TJENESTEEIER AS")
    foreign = await testca.issue(orgno=OTHER_ORG, name="ANNEN AS")
    now = idp.clock.timestamp()
    login = await idp.login(rp)
    claims = {"iss": rp.client_id, "sub": rp.client_id, "aud": ISSUER, "iat": now, "exp": now + 60}

    def signed(certificate: Any, jti: str) -> str:
        return jwt.encode(
            {**claims, "jti": jti},
            certificate.private_key,
            algorithm="RS256",
            headers={"x5c": certificate.x5c()},
        )

    base = {**code_form(login), "client_assertion_type": ASSERTION_TYPE}
    wrong = await idp.token(rp, {**base, "client_assertion": signed(foreign, "j1")}, headers={})
    assert wrong.json()["error_description"] == (
        "Client authentication failed: invalid client assertion (certificate orgno does not match client)"
    )
    response = await idp.token(rp, {**base, "client_assertion": signed(own, "j2")}, headers={})
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["client_amr"] == "virksomhetssertifikat"


async def test_maskinporten_tokens_are_not_active(idp: Idp) -> None:
    caller = await introspector_client(idp)
    signer = idp.app.platform.components["maskinporten.signer"]
    now = idp.clock.timestamp()
    claims = {"iss": ISSUER, "client_id": "x", "scope": "openid", "iat": now, "exp": now + 60, "jti": "j"}
    answer = await idp.http.post(
        "/idporten/token/introspect", data={"token": signer.sign(claims)}, headers=caller.auth()
    )
    assert answer.json() == {"active": False}
