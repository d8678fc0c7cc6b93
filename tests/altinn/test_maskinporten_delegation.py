"""Maskinporten delegations (altinn.md §7, maskinporten.md §7.3): the API, the in-process and HTTP ports,
and a supplier's token for a consumer (§11 acceptance 7, MP-250/251/252/901)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import insert, select

from portvakt.altinn.mp_delegations import InProcessDelegationChecker, scheme_id
from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.delegation import HttpDelegationChecker, SelfIssuedToken
from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.settings import Settings
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.altinn import altinn_mp_delegations
from portvakt.storage.tables.population import entities
from tests.altinn.conftest import DELEGATIONS, S02, Mint, bearer
from tests.altinn.delegation_scenario import KONTAKTINFO, POSTKASSE, S30, S31, Supplier, supplier_scenario

pytestmark = pytest.mark.db

ISSUER = "http://localhost:8080/maskinporten/"
KRR_SCHEME = scheme_id("krr-paa-vegne-av")
READ = "altinn:maskinporten/delegations"
ADMIN = "altinn:maskinporten/delegations.admin"
WRITE = "altinn:maskinporten/delegations.write"


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[PortvaktApp]:
    """Maskinporten, KRR (its bootstrap creates the delegable KRR scopes) and Altinn only."""
    application = create_app(
        settings, only=("maskinporten", "krr", "altinn"), clock=clock, configure_logs=False
    )
    async with application.lifespan():
        yield application


@pytest.fixture
async def supplier(app: PortvaktApp, clock: FixedClock, database_url: str) -> Supplier:
    """S02, S30 and S31 in the entity register and the §10.3 delegation S31 → S30 (created A−10 d)."""
    engine = null_pool_sync_engine(database_url)
    with engine.begin() as connection:
        for ordinal, (orgnr, name, form) in enumerate(
            (
                (S02, "SYNTETISK UIDENTIFISERBAR AS", "AS"),
                (S30, "LEVERANDØR TEST AS", "AS"),
                (S31, "ETAT FOR TESTING", "ORGL"),
            ),
            start=1,
        ):
            connection.execute(
                insert(entities).values(
                    ordinal=ordinal,
                    orgnr=orgnr,
                    name=name,
                    organisation_form=form,
                    registration_date=date(2020, 1, 1),
                    registered_in_business_register=True,
                    employees=1,
                )
            )
        connection.execute(
            insert(altinn_mp_delegations).values(
                consumer_orgno=S31,
                supplier_orgno=S30,
                scheme_id=KRR_SCHEME,
                created=datetime(2025, 12, 22, tzinfo=UTC),
                created_by="testdata",
            )
        )
    engine.dispose()
    return await supplier_scenario(app, clock)


async def token_for(
    client: httpx.AsyncClient, supplier: Supplier, clock: FixedClock, **claims: Any
) -> httpx.Response:
    assertion = supplier.grant(ISSUER, clock.timestamp(), **claims)
    return await client.post("/maskinporten/token", data={"grant_type": JWT_BEARER, "assertion": assertion})


async def test_supplier_gets_a_token_for_the_consumer_until_the_delegation_is_revoked(
    client: httpx.AsyncClient, supplier: Supplier, clock: FixedClock, token: Mint
) -> None:
    response = await token_for(client, supplier, clock, consumer_org=S31)
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["consumer"]["ID"] == f"0192:{S31}"
    assert claims["supplier"]["ID"] == f"0192:{S30}"
    assert claims["delegation_source"] == "http://localhost:8080/altinn/"

    revoked = await client.delete(
        DELEGATIONS + f"?supplierOrg={S30}&resourceid=krr-paa-vegne-av",
        headers=bearer(token(WRITE, consumer=S31)),
    )
    assert revoked.status_code == 204
    refused = await token_for(client, supplier, clock, consumer_org=S31)
    assert refused.status_code == 400
    body = refused.json()
    assert body["error"] == "forbidden"
    assert body["error_uri"].endswith("/MP-251")
    assert body["error_description"].startswith(
        f"Consumer {S31} has not delegated access to the scope {KONTAKTINFO} to supplier {S30}"
    )
    again = await client.delete(
        DELEGATIONS + f"?supplierOrg={S30}&resourceid=krr-paa-vegne-av",
        headers=bearer(token(WRITE, consumer=S31)),
    )
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json; charset=utf-8"
    assert again.json()["title"] == "Not Found"


async def test_mp_250_consumer_without_access(
    client: httpx.AsyncClient, supplier: Supplier, clock: FixedClock
) -> None:
    response = await token_for(client, supplier, clock, consumer_org=S02)
    assert response.json()["error_uri"].endswith("/MP-250")
    assert response.json()["error_description"].startswith(
        f"Consumer has not been granted access to the scope {KONTAKTINFO}"
    )


async def test_mp_252_consumer_is_the_supplier(
    client: httpx.AsyncClient, supplier: Supplier, clock: FixedClock
) -> None:
    response = await token_for(client, supplier, clock, consumer_org=S30)
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_uri"].endswith("/MP-252")


async def test_mp_901_when_altinn_is_unreachable(
    app: PortvaktApp, client: httpx.AsyncClient, supplier: Supplier, clock: FixedClock
) -> None:
    app.platform.components["altinn.delegations"] = HttpDelegationChecker(
        "http://127.0.0.1:9/altinn", timeout=1
    )
    response = await token_for(client, supplier, clock, consumer_org=S31)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.json()["error_uri"].endswith("/MP-901")


async def test_http_and_in_process_ports_agree(
    app: PortvaktApp, supplier: Supplier, clock: FixedClock
) -> None:
    platform = app.platform
    in_process = InProcessDelegationChecker(platform.database, clock)
    own_token = SelfIssuedToken(
        platform.components["maskinporten.signer"], platform.settings.maskinporten_issuer, "310000019", clock
    )
    http = HttpDelegationChecker(
        "http://localhost:8080/altinn",
        client=httpx.AsyncClient(transport=httpx.ASGITransport(app=app)),
        token=own_token,
    )
    cases = [
        (S31, S30, KONTAKTINFO),
        (S31, S30, POSTKASSE),
        (S31, S30, "brreg:reelle/offentlig"),
        (S30, S31, KONTAKTINFO),
        (S02, S30, KONTAKTINFO),
    ]
    answers = [await in_process.has_maskinporten_delegation(*case) for case in cases]
    assert answers == [True, True, False, False, False]
    assert [await http.has_maskinporten_delegation(*case) for case in cases] == answers
    await http.aclose()


async def test_lookup_shape_and_access(client: httpx.AsyncClient, supplier: Supplier, token: Mint) -> None:
    response = await client.get(
        DELEGATIONS + f"?supplierOrg={S30}&consumerOrg={S31}", headers=bearer(token(ADMIN))
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == [
        {
            "consumer_org": S31,
            "supplier_org": S30,
            "delegation_scheme_Id": KRR_SCHEME,
            "scopes": [KONTAKTINFO, POSTKASSE],
            "created": "2025-12-22T00:00:00.000Z",
            "resourceid": "krr-paa-vegne-av",
        }
    ]
    # `delegations` (not admin): only for scopes under a prefix of the caller's organisation.
    platform_org = "310000019"
    own = await client.get(
        DELEGATIONS + f"?scope={KONTAKTINFO}", headers=bearer(token(READ, consumer=platform_org))
    )
    assert own.status_code == 200
    assert len(own.json()) == 1


LOOKUP_ERRORS: list[tuple[str, str, int, dict[str, Any]]] = [
    (
        "?supplierOrg=399900336",
        READ,
        403,
        {"detail": "Not authorized for lookup of delegations without specifying parameter: scope"},
    ),
    (
        f"?scope={KONTAKTINFO}",
        READ,
        403,
        {"detail": f"Not authorized for lookup of delegations for the scope: {KONTAKTINFO}"},
    ),
    (
        "?supplierOrg=123",
        ADMIN,
        400,
        {"errors": {"supplierOrg": ["Supplierorg is not an valid organization number"]}},
    ),
    (
        "?consumerOrg=399900019",
        ADMIN,
        400,
        {"errors": {"consumerOrg": ["Consumerorg is not an valid organization number"]}},
    ),
    (
        "",
        ADMIN,
        400,
        {
            "errors": {
                "query": ["Query without parameters is not allowed; give supplierOrg, consumerOrg or scope"]
            }
        },
    ),
    ("?supplierOrg=399900336", "krr:global/kontaktinfo.read", 403, {"detail": f"Missing scope {READ}"}),
]


async def test_lookup_errors(client: httpx.AsyncClient, supplier: Supplier, token: Mint) -> None:
    for query, scope, status, expected in LOOKUP_ERRORS:
        response = await client.get(DELEGATIONS + query, headers=bearer(token(scope, consumer=S02)))
        assert response.status_code == status, query
        assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
        body = response.json()
        assert {key: body[key] for key in expected} == expected
        assert body["status"] == status
        assert body["traceId"].startswith("00-")


async def test_missing_and_invalid_tokens(client: httpx.AsyncClient, supplier: Supplier, token: Mint) -> None:
    missing = await client.get(DELEGATIONS + "?supplierOrg=399900336")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.content == b""
    expired = await client.get(
        DELEGATIONS + "?supplierOrg=399900336", headers=bearer(token(ADMIN, lifetime=-100))
    )
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_create_then_identical_then_errors(
    client: httpx.AsyncClient, supplier: Supplier, token: Mint, database_url: str
) -> None:
    headers = bearer(token(WRITE, consumer=S31))
    await client.delete(DELEGATIONS + f"?supplierOrg={S30}&scope={KONTAKTINFO}", headers=headers)
    created = await client.post(DELEGATIONS, json={"supplierOrg": S30, "scope": POSTKASSE}, headers=headers)
    assert created.status_code == 201
    assert created.json()["resourceid"] == "krr-paa-vegne-av"
    assert (
        created.headers["location"]
        == f"http://localhost:8080/altinn{DELEGATIONS[7:]}?supplierOrg={S30}&consumerOrg={S31}"
    )
    same = await client.post(
        DELEGATIONS, json={"supplierOrg": S30, "resourceid": "krr-paa-vegne-av"}, headers=headers
    )
    assert same.status_code == 200
    assert same.json() == created.json()
    engine = null_pool_sync_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(altinn_mp_delegations).where(altinn_mp_delegations.c.revoked_at.is_(None))
        ).all()
    engine.dispose()
    assert [(row.consumer_orgno, row.supplier_orgno, row.created_by) for row in rows] == [
        (S31, S30, "client:altinn-test-client")
    ]

    cases = [
        ({"supplierOrg": "123"}, "supplierOrg", "Supplierorg is not an valid organization number"),
        (
            {"supplierOrg": "399900360", "resourceid": "krr-paa-vegne-av"},
            "supplierOrg",
            "Supplierorg is not found in the entity register",
        ),
        (
            {"supplierOrg": S31, "resourceid": "krr-paa-vegne-av"},
            "supplierOrg",
            "Supplierorg cannot be the consumer itself",
        ),
        ({"supplierOrg": S30}, "resourceid", "Give exactly one of resourceid and scope."),
        (
            {"supplierOrg": S30, "resourceid": "x", "scope": "y"},
            "resourceid",
            "Give exactly one of resourceid and scope.",
        ),
        (
            {"supplierOrg": S30, "resourceid": "nope"},
            "resourceid",
            "No delegation scheme with resourceid nope",
        ),
        ({"supplierOrg": S30, "scope": "nope:x"}, "scope", "No delegation scheme contains the scope nope:x"),
    ]
    for body, field, message in cases:
        response = await client.post(DELEGATIONS, json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["errors"] == {field: [message]}
    # S02 has no access to the KRR scopes.
    no_access = await client.post(
        DELEGATIONS,
        json={"supplierOrg": S30, "resourceid": "krr-paa-vegne-av"},
        headers=bearer(token(WRITE, consumer=S02)),
    )
    assert no_access.json()["errors"] == {
        "scope": [f"Consumer has not been granted access to the scope {KONTAKTINFO}"]
    }
    not_json = await client.post(DELEGATIONS, content=b"{", headers=headers)
    assert not_json.json()["errors"] == {"body": ["The request body is not valid JSON."]}


async def test_scenario_registry_half_is_completed_at_start(
    app: PortvaktApp, clock: FixedClock, database_url: str
) -> None:
    from portvakt.altinn.registry_bootstrap import SCENARIO_CLIENT_NAME, ensure_scenario_registry
    from portvakt.registry.repository import registry_service
    from portvakt.registry.service import Actor

    platform = app.platform
    assert not await ensure_scenario_registry(platform.settings, platform.database, clock)  # no scenario yet
    engine = null_pool_sync_engine(database_url)
    with engine.begin() as connection:
        for ordinal, (orgnr, form) in enumerate(((S30, "AS"), (S31, "ORGL")), start=1):
            connection.execute(
                insert(entities).values(
                    ordinal=ordinal,
                    orgnr=orgnr,
                    name=orgnr,
                    organisation_form=form,
                    registration_date=date(2020, 1, 1),
                    registered_in_business_register=True,
                    employees=1,
                )
            )
    engine.dispose()
    for _ in range(2):  # idempotent
        assert await ensure_scenario_registry(platform.settings, platform.database, clock)
    service = registry_service(
        platform.settings, platform.database, clock, Actor(channel="cli", name="t", admin=True)
    )
    (client,) = await service.list_clients(orgno=S30)
    assert client.client_name == SCENARIO_CLIENT_NAME
    assert set(client.scopes) == {KONTAKTINFO, POSTKASSE}
    assert await service.client_keys(client.client_id, orgno=S30) == ()
    accesses = await service.list_accesses(KONTAKTINFO, consumer_orgno=S31)
    assert [access.state.value for access in accesses] == ["APPROVED"]
