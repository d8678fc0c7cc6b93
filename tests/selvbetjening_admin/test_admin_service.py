"""Admin use cases (selvbetjening.md §3.1, §3.7, §7): results and every refusal with its §6 code and text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from portvakt.domain.errors import PortvaktError
from portvakt.registry.admin import AdminService, PrefixNotAssigned, UnknownEmailDomain, UserNotFound
from portvakt.registry.errors import AccessDenied, InvalidRequest, OrganisationNotFound, RegistryConflict
from portvakt.registry.users import PortalUser
from tests.selvbetjening_admin.conftest import CONSUMER, OTHER_PID, PID, PLATFORM, PROVIDER, acting_as, expect

Call = Callable[[AdminService], Awaitable[Any]]


async def test_update_organisation_normalises_and_keeps_what_is_not_given(platform: AdminService) -> None:
    updated = await platform.update_organisation(
        CONSUMER,
        email_domains=["Konsument.no", "b.konsument.no", "konsument.no"],
        mercantile={
            "invoice": {
                "reference": " Ref 1 ",
                "email": "Faktura@Konsument.no",
                "address": "Gate 1\n0150 Oslo",
            },
            "notification_points": ["Drift@konsument.no", "drift@konsument.no", "vakt@konsument.no"],
            "unknown": "ignored",
        },
    )
    assert (updated.name, updated.terms_signed) == ("KONSUMENT AS", True)
    assert updated.email_domains == ("b.konsument.no", "konsument.no")
    assert updated.mercantile == {
        "invoice": {"reference": "Ref 1", "email": "faktura@konsument.no", "address": "Gate 1\n0150 Oslo"},
        "notification_points": ["drift@konsument.no", "vakt@konsument.no"],
    }
    assert await platform.get_organisation(CONSUMER) == updated
    cleared = await platform.update_organisation(
        CONSUMER, terms_signed=False, mercantile=None, email_domains=[]
    )
    assert (cleared.terms_signed, cleared.mercantile, cleared.email_domains) == (False, None, ())


def _mercantile(**invoice: Any) -> dict[str, Any]:
    return {"invoice": invoice, "notification_points": []}


@pytest.mark.parametrize(
    ("call", "error", "code", "message"),
    [
        pytest.param(
            lambda s: s.update_organisation("310000051", name="X"),
            OrganisationNotFound,
            "not_found",
            "Organisation not found",
            id="unknown-org",
        ),
        pytest.param(
            lambda s: s.update_organisation("123", name="X"),
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 123",
            id="invalid-orgno",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, name=" "),
            InvalidRequest,
            "invalid_request",
            "name is required",
            id="empty-name",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, name="x" * 256),
            InvalidRequest,
            "invalid_request",
            "Invalid value for name",
            id="long-name",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, email_domains=["ikke et domene"]),
            InvalidRequest,
            "invalid_request",
            "Invalid value for email_domains",
            id="bad-domain",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, email_domains="konsument.no"),
            InvalidRequest,
            "invalid_request",
            "Invalid value for email_domains",
            id="domains-not-a-list",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, email_domains=["Tilbyder.no"]),
            RegistryConflict,
            "conflict",
            "E-mail domain 'tilbyder.no' belongs to another organisation",
            id="domain-taken",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, terms_signed="yes"),
            InvalidRequest,
            "invalid_request",
            "Invalid value for terms_signed",
            id="terms-not-bool",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile=["x"]),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile",
            id="mercantile-not-object",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile={"invoice": "x"}),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.invoice",
            id="invoice-not-object",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile=_mercantile(reference="r" * 101)),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.invoice.reference",
            id="reference-too-long",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile=_mercantile(email="faktura")),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.invoice.email",
            id="invoice-email",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile=_mercantile(address="a" * 501)),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.invoice.address",
            id="address-too-long",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile={"notification_points": ["ikke-epost"]}),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.notification_points",
            id="notification-point-email",
        ),
        pytest.param(
            lambda s: s.update_organisation(
                CONSUMER, mercantile={"notification_points": [f"v{i}@konsument.no" for i in range(11)]}
            ),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.notification_points",
            id="notification-points-over-10",
        ),
        pytest.param(
            lambda s: s.update_organisation(CONSUMER, mercantile={"notification_points": "a@b.no"}),
            InvalidRequest,
            "invalid_request",
            "Invalid value for mercantile.notification_points",
            id="notification-points-not-list",
        ),
        pytest.param(
            lambda s: acting_as(s, PROVIDER).update_organisation(PROVIDER, name="X"),
            AccessDenied,
            "access_denied",
            "Admin API requires the platform organisation",
            id="not-admin",
        ),
        pytest.param(
            lambda s: s.deactivate_organisation("310000051"),
            OrganisationNotFound,
            "not_found",
            "Organisation not found",
            id="deactivate-unknown",
        ),
        pytest.param(
            lambda s: acting_as(s, PROVIDER).deactivate_organisation(PROVIDER),
            AccessDenied,
            "access_denied",
            "Admin API requires the platform organisation",
            id="deactivate-not-admin",
        ),
    ],
)
async def test_organisation_changes_refuse(
    platform: AdminService, call: Call, error: type[PortvaktError], code: str, message: str
) -> None:
    await expect(call(platform), error, code, message)


async def test_deactivate_organisation_is_idempotent(platform: AdminService) -> None:
    first = await platform.deactivate_organisation(CONSUMER)
    second = await platform.deactivate_organisation(CONSUMER)
    assert (first.active, second) == (False, first)
    assert [o.orgno for o in await platform.list_organisations()] == [PLATFORM, PROVIDER]
    assert [o.orgno for o in await platform.list_organisations(include_inactive=True)] == [
        PLATFORM,
        PROVIDER,
        CONSUMER,
    ]


async def test_unassign_prefix(platform: AdminService) -> None:
    await platform.assign_prefix("ledig", CONSUMER)
    owner = await platform.unassign_prefix("ledig:", orgno=CONSUMER)
    assert (owner.orgno, owner.prefixes) == (CONSUMER, ())
    again = await platform.unassign_prefix("ledig", orgno=CONSUMER)  # not assigned: nothing changes
    assert again == owner
    await platform.assign_prefix("ledig", PROVIDER)  # free again
    assert (await platform.get_organisation(PROVIDER)).prefixes == ("ledig", "test")


@pytest.mark.parametrize(
    ("call", "error", "code", "message"),
    [
        pytest.param(
            lambda s: s.unassign_prefix("Ugyldig!"),
            InvalidRequest,
            "invalid_request",
            "Invalid prefix: Ugyldig!",
            id="invalid-prefix",
        ),
        pytest.param(
            lambda s: s.unassign_prefix("ukjent"),
            PrefixNotAssigned,
            "not_found",
            "Prefix 'ukjent' is not assigned to any organisation",
            id="not-assigned",
        ),
        pytest.param(
            lambda s: s.unassign_prefix("test", orgno=CONSUMER),
            RegistryConflict,
            "conflict",
            "Prefix 'test' is assigned to another organisation",
            id="other-org",
        ),
        pytest.param(
            lambda s: s.unassign_prefix("test"),
            RegistryConflict,
            "conflict",
            "Prefix 'test' is used by existing scopes",
            id="used-by-scopes",
        ),
        pytest.param(
            lambda s: s.unassign_prefix("test", orgno="310000051"),
            OrganisationNotFound,
            "not_found",
            "Organisation not found",
            id="unknown-org",
        ),
        pytest.param(
            lambda s: acting_as(s, PROVIDER).unassign_prefix("test"),
            AccessDenied,
            "access_denied",
            "Admin API requires the platform organisation",
            id="not-admin",
        ),
    ],
)
async def test_unassign_prefix_refuses(
    platform: AdminService, call: Call, error: type[PortvaktError], code: str, message: str
) -> None:
    await expect(call(platform), error, code, message)


# -- users ------------------------------------------------------------------------------------------


async def register(platform: AdminService, email: str = "Ase@Tilbyder.NO") -> PortalUser:
    portal = acting_as(platform, PROVIDER, channel="portal", name=email)
    return await portal.register_user(email, " Åse Øvrebø ", password_hash="scrypt$x")


async def test_register_user_binds_the_domain_owner(platform: AdminService) -> None:
    user = await register(platform)
    assert (user.email, user.name, user.orgno, user.rights, user.pid) == (
        "ase@tilbyder.no",
        "Åse Øvrebø",
        PROVIDER,
        (),
        None,
    )
    assert (user.email_confirmed, user.active, user.password_hash) == (False, True, "scrypt$x")
    assert await platform.get_user(user.user_id) == user
    assert await platform.get_user("ASE@tilbyder.no", by_email=True) == user
    assert await platform.list_users(orgno=CONSUMER) == []
    assert await platform.list_users() == [user]


@pytest.mark.parametrize(
    ("email", "name", "error", "code", "message"),
    [
        pytest.param(
            "ikke-epost", "Navn", InvalidRequest, "invalid_request", "Invalid value for email", id="email"
        ),
        pytest.param("a@tilbyder.no", "", InvalidRequest, "invalid_request", "name is required", id="name"),
        pytest.param(
            "a@ukjent.no",
            "Navn",
            UnknownEmailDomain,
            "invalid_request",
            "No organisation is registered with the e-mail domain 'ukjent.no'",
            id="unknown-domain",
        ),
        pytest.param(
            "ase@tilbyder.no",
            "Navn",
            RegistryConflict,
            "conflict",
            "User 'ase@tilbyder.no' already exists",
            id="taken",
        ),
    ],
)
async def test_register_user_refuses(
    platform: AdminService, email: str, name: str, error: type[PortvaktError], code: str, message: str
) -> None:
    await register(platform)
    await expect(platform.register_user(email, name), error, code, message)


async def test_register_user_refuses_a_deactivated_organisations_domain(platform: AdminService) -> None:
    await platform.deactivate_organisation(CONSUMER)
    await expect(
        platform.register_user("a@konsument.no", "Navn"),
        UnknownEmailDomain,
        "invalid_request",
        "No organisation is registered with the e-mail domain 'konsument.no'",
    )


async def test_user_rights_pid_org_and_deactivation(platform: AdminService) -> None:
    user = await register(platform)
    assert (await platform.grant_right(user.email, "leverandor")).rights == ("leverandør",)
    assert (await platform.grant_right(user.email, "APIER")).rights == ("APIer", "leverandør")
    assert (await platform.grant_right(user.email, "integrasjoner")).rights == (
        "APIer",
        "integrasjoner",
        "leverandør",
    )
    assert (await platform.grant_right(user.email, "apier")).rights == (
        "APIer",
        "integrasjoner",
        "leverandør",
    )
    assert (await platform.revoke_right(user.email, "leverandør")).rights == ("APIer", "integrasjoner")
    assert (await platform.set_user_pid(user.email, PID)).pid == PID
    assert (await platform.set_user_pid(user.email, PID)).pid == PID  # same value again
    assert (await platform.set_user_org(user.email, CONSUMER)).orgno == CONSUMER
    assert (await platform.list_users(orgno=CONSUMER))[0].user_id == user.user_id
    unbound = await platform.update_user(user.user_id, pid=None, rights=["apier"], active=False)
    assert (unbound.pid, unbound.rights, unbound.active) == (None, ("APIer",), False)
    again = await platform.update_user(user.user_id, active=True)
    assert again.active is True
    assert (await platform.deactivate_user(user.user_id)).active is False


@pytest.mark.parametrize(
    ("call", "error", "code", "message"),
    [
        pytest.param(
            lambda s: s.get_user("ukjent"), UserNotFound, "not_found", "User not found", id="get-unknown"
        ),
        pytest.param(
            lambda s: s.set_user_pid("ukjent@tilbyder.no", PID),
            UserNotFound,
            "not_found",
            "User not found",
            id="unknown-email",
        ),
        pytest.param(
            lambda s: s.set_user_pid("ase@tilbyder.no", "12345678901"),
            InvalidRequest,
            "invalid_request",
            "Invalid value for pid",
            id="pid-invalid",
        ),
        pytest.param(
            lambda s: s.update_user("ase@tilbyder.no", by_email=True, pid=12345678901),
            InvalidRequest,
            "invalid_request",
            "Invalid value for pid",
            id="pid-not-a-string",
        ),
        pytest.param(
            lambda s: s.set_user_pid("ase@tilbyder.no", PID),
            RegistryConflict,
            "conflict",
            "pid is already bound to another user",
            id="pid-taken",
        ),
        pytest.param(
            lambda s: s.grant_right("ase@tilbyder.no", "admin"),
            InvalidRequest,
            "invalid_request",
            "Invalid value for rights: admin",
            id="unknown-right",
        ),
        pytest.param(
            lambda s: s.update_user("ase@tilbyder.no", by_email=True, rights="APIer"),
            InvalidRequest,
            "invalid_request",
            "Invalid value for rights",
            id="rights-not-a-list",
        ),
        pytest.param(
            lambda s: s.update_user("ase@tilbyder.no", by_email=True, active="no"),
            InvalidRequest,
            "invalid_request",
            "Invalid value for active",
            id="active-not-bool",
        ),
        pytest.param(
            lambda s: s.set_user_org("ase@tilbyder.no", "310000051"),
            OrganisationNotFound,
            "not_found",
            "Organisation not found",
            id="unknown-org",
        ),
        pytest.param(
            lambda s: s.set_user_org("ase@tilbyder.no", "12"),
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 12",
            id="invalid-orgno",
        ),
        pytest.param(
            lambda s: s.list_users(orgno="12"),
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 12",
            id="list-invalid-orgno",
        ),
        pytest.param(
            lambda s: acting_as(s, PROVIDER).list_users(),
            AccessDenied,
            "access_denied",
            "Admin API requires the platform organisation",
            id="not-admin",
        ),
    ],
)
async def test_user_changes_refuse(
    platform: AdminService, call: Call, error: type[PortvaktError], code: str, message: str
) -> None:
    await register(platform)
    other = await register(platform, "bjorn@tilbyder.no")
    await platform.update_user(other.user_id, pid=PID)
    await expect(call(platform), error, code, message)


async def test_set_pid_refuses_test_numbers_in_prod(platform: AdminService) -> None:
    await register(platform)
    prod = AdminService(
        platform.admin_store, platform.clock, platform.actor, platform_orgno=PLATFORM, env="prod"
    )
    await expect(
        prod.set_user_pid("ase@tilbyder.no", OTHER_PID),
        InvalidRequest,
        "invalid_request",
        "Invalid value for pid",
    )
