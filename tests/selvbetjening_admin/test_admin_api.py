"""The admin API (selvbetjening.md §7) on the running app: every route's status, body and stored state; §2
authentication with `portvakt:admin` and the platform organisation; §6 errors; the change log's actor."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import delete

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.domain.identifiers import iso6523
from portvakt.maskinporten.discovery import SIGNER_COMPONENT
from portvakt.registry.admin import AdminService, admin_service
from portvakt.registry.model import ScopeSettings
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables import metadata
from tests.selvbetjening_admin.conftest import ALTINN_ISSUER, CONSUMER, OTHER_PID, PID, PLATFORM, PROVIDER

ADMIN = "/selvbetjening/api/v1/admin"
NEW_ORG = "310000043"


def mint(app: PortvaktApp, orgno: str = PLATFORM, scope: str = "portvakt:admin") -> str:
    """A Maskinporten access token signed with the platform's own key (what the token endpoint issues)."""
    now = app.platform.clock.timestamp()
    claims = {
        "iss": app.platform.settings.maskinporten_issuer,
        "consumer": iso6523(orgno),
        "scope": scope,
        "client_id": "admin-klient",
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
    }
    signer = app.platform.components[SIGNER_COMPONENT]
    token: str = signer.sign(claims)
    return token


pytestmark = pytest.mark.asyncio(loop_scope="module")
KEPT_TABLES = frozenset({"signing_keys", "jwt_replay", "platform_facts"})  # the issuer's keys survive


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One app per module (its start creates signing keys); each test empties the registry instead.
    SQLite whatever the run's backend: the storage contract tests cover PostgreSQL."""
    directory = tmp_path_factory.mktemp("admin-api")
    url = f"sqlite:///{directory / 'admin-api.db'}"
    upgrade(url)
    return Settings(database_url=url, data_dir=directory / "data", _env_file=None)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin_app(api_settings: Settings) -> AsyncIterator[PortvaktApp]:
    """Only what the admin API needs: Maskinporten (the token issuer's keys) and selvbetjening."""
    only = ("maskinporten", "selvbetjening")
    application = create_app(api_settings, only=only, clock=FixedClock(), configure_logs=False)
    async with application.lifespan():
        yield application


@pytest_asyncio.fixture(loop_scope="module")
async def http(admin_app: PortvaktApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=admin_app)
    async with httpx.AsyncClient(
        transport=transport, base_url=admin_app.platform.settings.public_base
    ) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="module")
async def cli_admin(admin_app: PortvaktApp) -> AdminService:
    platform = admin_app.platform
    async with platform.database.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                await connection.execute(delete(table))
    service = admin_service(platform.settings, platform.database, platform.clock, Actor.cli())
    await service.bootstrap(altinn_issuer=ALTINN_ISSUER)
    await service.add_organisation(PROVIDER, "TILBYDER AS", email_domains=["tilbyder.no"], terms_signed=True)
    await service.add_organisation(
        CONSUMER, "KONSUMENT AS", email_domains=["konsument.no"], terms_signed=True
    )
    await service.assign_prefix("test", PROVIDER)
    await service.create_scope("test", "api/les", ScopeSettings(description="Les"), orgno=PROVIDER)
    return service


class Api:
    def __init__(self, client: httpx.AsyncClient, app: PortvaktApp) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {mint(app)}"}

    async def __call__(self, method: str, path: str, body: Any = None, **params: str) -> httpx.Response:
        return await self.client.request(
            method, f"{ADMIN}{path}", json=body, params=params or None, headers=self.headers
        )


@pytest.fixture
def api(http: httpx.AsyncClient, admin_app: PortvaktApp, cli_admin: AdminService) -> Api:
    return Api(http, admin_app)


def error(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    return response.status_code, body["error"], body["error_description"]


# -- authentication and authorisation (§2, §7) ------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "status", "code", "description", "challenge"),
    [
        pytest.param(None, 401, "invalid_token", "Missing bearer token", "Bearer", id="missing"),
        pytest.param(
            "Bearer a.b.c",
            401,
            "invalid_token",
            "Invalid or expired token",
            'Bearer error="invalid_token"',
            id="bad",
        ),
        pytest.param(
            "scope:idporten:dcr.read",
            403,
            "insufficient_scope",
            "Token lacks required scope: portvakt:admin",
            'Bearer error="insufficient_scope", scope="portvakt:admin"',
            id="no-admin-scope",
        ),
        pytest.param(
            f"org:{PROVIDER}",
            403,
            "access_denied",
            "Admin API requires the platform organisation",
            None,
            id="other-org",
        ),
        pytest.param(
            "org:310000051",
            403,
            "access_denied",
            "Organisation 310000051 is not registered on the platform",
            None,
            id="unregistered-org",
        ),
    ],
)
async def test_only_the_platform_with_the_admin_scope_gets_in(
    http: httpx.AsyncClient,
    admin_app: PortvaktApp,
    cli_admin: AdminService,
    authorization: str | None,
    status: int,
    code: str,
    description: str,
    challenge: str | None,
) -> None:
    headers: dict[str, str] = {}
    if authorization is not None and authorization.startswith("scope:"):
        headers["Authorization"] = f"Bearer {mint(admin_app, scope=authorization.removeprefix('scope:'))}"
    elif authorization is not None and authorization.startswith("org:"):
        headers["Authorization"] = f"Bearer {mint(admin_app, orgno=authorization.removeprefix('org:'))}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    for method, path in (
        ("GET", "/organisations"),
        ("DELETE", f"/organisations/{CONSUMER}"),
        ("GET", "/users"),
    ):
        response = await http.request(method, f"{ADMIN}{path}", headers=headers)
        assert error(response) == (status, code, description)
        assert response.headers.get("www-authenticate") == challenge
    assert (await cli_admin.get_organisation(CONSUMER)).active is True


# -- organisations ----------------------------------------------------------------------------------


async def test_create_read_replace_and_deactivate_an_organisation(api: Api, cli_admin: AdminService) -> None:
    body = {
        "orgno": NEW_ORG,
        "name": "NY AS",
        "email_domains": ["Ny.no"],
        "terms_signed": True,
        "mercantile": {"invoice": {"reference": "R1"}, "notification_points": ["Drift@ny.no"]},
        "prefixes": ["ignored"],
        "active": False,
    }
    created = await api("POST", "/organisations", body)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/json;charset=UTF-8"
    document = created.json()
    assert document == {
        "orgno": NEW_ORG,
        "name": "NY AS",
        "email_domains": ["ny.no"],
        "terms_signed": True,
        "prefixes": [],
        "mercantile": {
            "invoice": {"reference": "R1", "email": None, "address": None},
            "notification_points": ["drift@ny.no"],
        },
        "active": True,
        "created": "2026-01-01T00:00:00.000Z",
        "last_updated": "2026-01-01T00:00:00.000Z",
    }
    read = await api("GET", f"/organisations/{NEW_ORG}")
    assert (read.status_code, read.json()) == (200, document)
    listed = await api("GET", "/organisations")
    assert [o["orgno"] for o in listed.json()] == [PLATFORM, PROVIDER, CONSUMER, NEW_ORG]

    replaced = await api(
        "PUT", f"/organisations/{NEW_ORG}", {**document, "name": "NYTT NAVN AS", "terms_signed": False}
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["name"], replaced.json()["terms_signed"]) == ("NYTT NAVN AS", False)
    reduced = await api("PUT", f"/organisations/{NEW_ORG}", {"name": "NYTT NAVN AS"})  # omitted → defaults
    assert (reduced.json()["email_domains"], reduced.json()["mercantile"]) == ([], None)
    stored = await cli_admin.get_organisation(NEW_ORG)
    assert (stored.name, stored.email_domains, stored.terms_signed, stored.mercantile) == (
        "NYTT NAVN AS",
        (),
        False,
        None,
    )

    deleted = await api("DELETE", f"/organisations/{NEW_ORG}")
    assert (deleted.status_code, deleted.json()["active"]) == (200, False)
    assert [o["orgno"] for o in (await api("GET", "/organisations")).json()] == [PLATFORM, PROVIDER, CONSUMER]
    with_inactive = await api("GET", "/organisations", inactive="true")
    assert [o["orgno"] for o in with_inactive.json()][-1] == NEW_ORG
    assert (await cli_admin.get_organisation(NEW_ORG)).active is False

    events = await cli_admin.audit_events(orgno=NEW_ORG)
    assert [e.action for e in events] == [
        "organisation.create",
        "organisation.update",
        "organisation.update",
        "organisation.deactivate",
    ]
    assert {(e.channel, e.actor, e.acting_orgno) for e in events} == {("admin-api", "admin-klient", PLATFORM)}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "description"),
    [
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": PROVIDER, "name": "X"},
            409,
            "conflict",
            f"Organisation {PROVIDER} already exists",
            id="create-duplicate",
        ),
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": "123", "name": "X"},
            400,
            "invalid_request",
            "Invalid organisation number: 123",
            id="create-bad-orgno",
        ),
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": 310000043, "name": "X"},
            400,
            "invalid_request",
            "Invalid organisation number: 310000043",
            id="create-orgno-number",
        ),
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": NEW_ORG},
            400,
            "invalid_request",
            "name is required",
            id="create-no-name",
        ),
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": NEW_ORG, "name": "X", "email_domains": ["tilbyder.no"]},
            409,
            "conflict",
            "E-mail domain 'tilbyder.no' belongs to another organisation",
            id="create-domain-taken",
        ),
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": NEW_ORG, "name": "X", "terms_signed": "ja"},
            400,
            "invalid_request",
            "Invalid value for terms_signed",
            id="create-terms-type",
        ),
        pytest.param(
            "POST",
            "/organisations",
            {"orgno": NEW_ORG, "name": "X", "mercantile": {"notification_points": ["x"]}},
            400,
            "invalid_request",
            "Invalid value for mercantile.notification_points",
            id="create-mercantile",
        ),
        pytest.param(
            "POST",
            "/organisations",
            [1],
            400,
            "invalid_request",
            "Request body must be a JSON object",
            id="not-object",
        ),
        pytest.param(
            "GET",
            "/organisations/310000051",
            None,
            404,
            "not_found",
            "Organisation not found",
            id="read-unknown",
        ),
        pytest.param(
            "GET",
            "/organisations/12",
            None,
            400,
            "invalid_request",
            "Invalid organisation number: 12",
            id="read-bad",
        ),
        pytest.param(
            "PUT",
            "/organisations/310000051",
            {"name": "X"},
            404,
            "not_found",
            "Organisation not found",
            id="replace-unknown",
        ),
        pytest.param(
            "PUT",
            f"/organisations/{CONSUMER}",
            {"name": "X", "email_domains": "a.no"},
            400,
            "invalid_request",
            "Invalid value for email_domains",
            id="replace-domains-type",
        ),
        pytest.param(
            "DELETE",
            "/organisations/310000051",
            None,
            404,
            "not_found",
            "Organisation not found",
            id="deactivate-unknown",
        ),
        pytest.param(
            "GET",
            "/organisations?inactive=ja",
            None,
            400,
            "invalid_request",
            "Invalid value for query parameter inactive",
            id="inactive-flag",
        ),
        pytest.param(
            "PUT",
            f"/organisations/{CONSUMER}/prefixes/test",
            None,
            409,
            "conflict",
            "Prefix 'test' is assigned to another organisation",
            id="assign-taken",
        ),
        pytest.param(
            "PUT",
            f"/organisations/{CONSUMER}/prefixes/Ugyldig",
            None,
            400,
            "invalid_scope_metadata",
            "Invalid prefix: Ugyldig",
            id="assign-invalid",
        ),
        pytest.param(
            "PUT",
            "/organisations/310000051/prefixes/ny",
            None,
            404,
            "not_found",
            "Organisation not found",
            id="assign-unknown-org",
        ),
        pytest.param(
            "DELETE",
            f"/organisations/{PROVIDER}/prefixes/test",
            None,
            409,
            "conflict",
            "Prefix 'test' is used by existing scopes",
            id="unassign-in-use",
        ),
        pytest.param(
            "DELETE",
            f"/organisations/{CONSUMER}/prefixes/test",
            None,
            409,
            "conflict",
            "Prefix 'test' is assigned to another organisation",
            id="unassign-other-org",
        ),
    ],
)
async def test_organisation_refusals(
    api: Api, method: str, path: str, body: Any, status: int, code: str, description: str
) -> None:
    path, _, query = path.partition("?")
    params = dict([query.split("=", 1)]) if query else {}
    response = await api(method, path, body, **params)
    assert error(response) == (status, code, description)


async def test_a_body_that_is_not_json_is_refused(api: Api) -> None:
    response = await api.client.post(
        f"{ADMIN}/organisations", content=b"orgno=1", headers={**api.headers, "Content-Type": "text/plain"}
    )
    assert error(response) == (415, "invalid_request", "Content-Type must be application/json")


async def test_prefix_assign_and_unassign(api: Api, cli_admin: AdminService) -> None:
    assigned = await api("PUT", f"/organisations/{CONSUMER}/prefixes/ny")
    assert (assigned.status_code, assigned.json()["prefixes"]) == (200, ["ny"])
    again = await api("PUT", f"/organisations/{CONSUMER}/prefixes/ny")
    assert again.json()["prefixes"] == ["ny"]
    removed = await api("DELETE", f"/organisations/{CONSUMER}/prefixes/ny")
    assert (removed.status_code, removed.json()["prefixes"]) == (200, [])
    absent = await api("DELETE", f"/organisations/{CONSUMER}/prefixes/ny")
    assert (absent.status_code, absent.json()["prefixes"]) == (200, [])
    assert (await cli_admin.get_organisation(CONSUMER)).prefixes == ()
    actions = [e.action for e in await cli_admin.audit_events(orgno=CONSUMER)]
    assert actions[-2:] == ["prefix.assign", "prefix.unassign"]


# -- users ------------------------------------------------------------------------------------------


async def test_users_list_read_update_and_deactivate(api: Api, cli_admin: AdminService) -> None:
    portal = AdminService(
        cli_admin.admin_store, cli_admin.clock, Actor(channel="portal", name="x"), platform_orgno=PLATFORM
    )
    ase = await portal.register_user("ase@tilbyder.no", "Åse", password_hash="scrypt$x")
    bjorn = await portal.register_user("bjorn@konsument.no", "Bjørn")
    listed = await api("GET", "/users")
    assert [u["email"] for u in listed.json()] == ["ase@tilbyder.no", "bjorn@konsument.no"]
    by_org = await api("GET", "/users", orgno=CONSUMER)
    assert [u["user_id"] for u in by_org.json()] == [bjorn.user_id]
    read = await api("GET", f"/users/{ase.user_id}")
    assert read.json() == {
        "user_id": ase.user_id,
        "email": "ase@tilbyder.no",
        "name": "Åse",
        "orgno": PROVIDER,
        "pid": None,
        "rights": [],
        "email_confirmed": False,
        "active": True,
        "created": "2026-01-01T00:00:00.000Z",
        "last_login": None,
    }
    updated = await api(
        "PUT",
        f"/users/{ase.user_id}",
        {
            **read.json(),
            "orgno": CONSUMER,
            "pid": PID,
            "rights": ["integrasjoner", "apier"],
            "name": "ignored",
        },
    )
    assert updated.status_code == 200, updated.text
    assert {k: updated.json()[k] for k in ("orgno", "pid", "rights", "name", "active")} == {
        "orgno": CONSUMER,
        "pid": PID,
        "rights": ["APIer", "integrasjoner"],
        "name": "Åse",
        "active": True,
    }
    only_rights = await api("PUT", f"/users/{ase.user_id}", {"rights": []})
    assert (only_rights.json()["rights"], only_rights.json()["pid"]) == ([], PID)
    unbound = await api("PUT", f"/users/{ase.user_id}", {"pid": None})
    assert unbound.json()["pid"] is None
    deleted = await api("DELETE", f"/users/{ase.user_id}")
    assert (deleted.status_code, deleted.json()["active"]) == (200, False)
    stored = await cli_admin.get_user(ase.user_id)
    assert (stored.orgno, stored.pid, stored.rights, stored.active) == (CONSUMER, None, (), False)
    events = [e for e in await cli_admin.audit_events() if e.entity_id == ase.user_id]
    assert [e.action for e in events] == [
        "user.register",
        "user.update",
        "user.update",
        "user.update",
        "user.deactivate",
    ]
    assert events[1].after is not None
    assert events[1].after["pid"] == "<redacted>"


@pytest.mark.parametrize(
    ("body", "status", "code", "description"),
    [
        pytest.param(
            {"pid": "12345678901"}, 400, "invalid_request", "Invalid value for pid", id="pid-invalid"
        ),
        pytest.param(
            {"pid": OTHER_PID}, 409, "conflict", "pid is already bound to another user", id="pid-taken"
        ),
        pytest.param(
            {"rights": ["admin"]}, 400, "invalid_request", "Invalid value for rights: admin", id="right"
        ),
        pytest.param(
            {"rights": "APIer"}, 400, "invalid_request", "Invalid value for rights", id="rights-type"
        ),
        pytest.param({"active": "ja"}, 400, "invalid_request", "Invalid value for active", id="active-type"),
        pytest.param({"orgno": "310000051"}, 404, "not_found", "Organisation not found", id="unknown-org"),
        pytest.param(
            {"orgno": 12}, 400, "invalid_request", "Invalid organisation number: 12", id="orgno-type"
        ),
    ],
)
async def test_user_update_refusals(
    api: Api, cli_admin: AdminService, body: dict[str, Any], status: int, code: str, description: str
) -> None:
    ase = await cli_admin.register_user("ase@tilbyder.no", "Åse")
    bjorn = await cli_admin.register_user("bjorn@tilbyder.no", "Bjørn")
    await cli_admin.update_user(bjorn.user_id, pid=OTHER_PID)
    response = await api("PUT", f"/users/{ase.user_id}", body)
    assert error(response) == (status, code, description)
    assert await cli_admin.get_user(ase.user_id) == ase


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/users/ukjent", id="read"),
        pytest.param("PUT", "/users/ukjent", id="update"),
        pytest.param("DELETE", "/users/ukjent", id="deactivate"),
    ],
)
async def test_unknown_user(api: Api, method: str, path: str) -> None:
    response = await api(method, path, {"active": False} if method == "PUT" else None)
    assert error(response) == (404, "not_found", "User not found")


async def test_user_list_with_a_bad_orgno(api: Api) -> None:
    assert error(await api("GET", "/users", orgno="12")) == (
        400,
        "invalid_request",
        "Invalid organisation number: 12",
    )
