"""§8.1 "May change things when…": the one pure function behind every page and action."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from portvakt.portal.rules import (
    INACTIVE,
    NO_SUPPLIER_ACCESS,
    PROD_NEEDS_IDPORTEN,
    TERMS_NOT_SIGNED,
    Area,
    Viewer,
    may_change,
    missing_right,
)
from portvakt.registry.model import Organisation
from portvakt.registry.users import PortalUser

PID = "01819012365"
ORG = Organisation(orgno="310000027", name="TILBYDER AS", terms_signed=True)
USER = PortalUser(
    user_id="u",
    email="kari@tilbyder.no",
    name="Kari",
    orgno=ORG.orgno,
    created=datetime(2025, 1, 1, tzinfo=UTC),
    pid=PID,
    email_confirmed=True,
)
ALL = ("APIer", "integrasjoner", "leverandør")


def viewer(
    *,
    prod: bool = False,
    rights: tuple[str, ...] = (),
    pid: str | None = None,
    supplier: bool = True,
    user: PortalUser = USER,
    org: Organisation = ORG,
) -> Viewer:
    return Viewer(replace(user, rights=rights), org, prod, pid, supplier)


@pytest.mark.parametrize(
    ("who", "area", "reason"),
    [
        pytest.param(viewer(), Area.APIS, None, id="test-every-user-has-every-right"),
        pytest.param(viewer(), Area.INTEGRATIONS, None, id="test-integrations"),
        pytest.param(viewer(), Area.SUPPLIER, None, id="test-supplier-with-org-access"),
        pytest.param(
            viewer(supplier=False), Area.SUPPLIER, NO_SUPPLIER_ACCESS, id="supplier-needs-dcr-supplier"
        ),
        pytest.param(viewer(org=replace(ORG, terms_signed=False)), Area.APIS, TERMS_NOT_SIGNED, id="terms"),
        pytest.param(viewer(org=replace(ORG, active=False)), Area.APIS, INACTIVE, id="org-inactive"),
        pytest.param(viewer(user=replace(USER, active=False)), Area.APIS, INACTIVE, id="user-inactive"),
        pytest.param(
            viewer(user=replace(USER, email_confirmed=False)), Area.APIS, INACTIVE, id="unconfirmed"
        ),
        pytest.param(viewer(prod=True, rights=ALL), Area.APIS, PROD_NEEDS_IDPORTEN, id="prod-needs-idporten"),
        pytest.param(
            viewer(prod=True, rights=ALL, pid="01010112345"),
            Area.APIS,
            PROD_NEEDS_IDPORTEN,
            id="prod-other-pid",
        ),
        pytest.param(
            viewer(prod=True, rights=ALL, pid=PID, user=replace(USER, pid=None)),
            Area.APIS,
            PROD_NEEDS_IDPORTEN,
            id="prod-user-without-pid",
        ),
        pytest.param(viewer(prod=True, rights=ALL, pid=PID), Area.APIS, None, id="prod-all-met"),
        pytest.param(viewer(prod=True, pid=PID), Area.APIS, missing_right("APIer", ORG), id="prod-apier"),
        pytest.param(
            viewer(prod=True, pid=PID, rights=("APIer",)),
            Area.INTEGRATIONS,
            missing_right("integrasjoner", ORG),
            id="prod-integrasjoner",
        ),
        pytest.param(
            viewer(prod=True, pid=PID, rights=("leverandør",)),
            Area.SUPPLIER,
            missing_right("integrasjoner", ORG),
            id="prod-supplier-also-needs-integrasjoner",
        ),
        pytest.param(
            viewer(prod=True, pid=PID, rights=("integrasjoner",)),
            Area.SUPPLIER,
            missing_right("leverandør", ORG),
            id="prod-supplier-right",
        ),
        pytest.param(
            viewer(prod=True, pid=PID, rights=("integrasjoner",)), Area.MERCANTILE, None, id="mercantile-int"
        ),
        pytest.param(
            viewer(prod=True, pid=PID, rights=("APIer",)), Area.MERCANTILE, None, id="mercantile-apier"
        ),
        pytest.param(
            viewer(prod=True, pid=PID, rights=("leverandør",)),
            Area.MERCANTILE,
            missing_right("APIer» eller «integrasjoner", ORG),
            id="mercantile-needs-a-right",
        ),
        pytest.param(viewer(rights=()), Area.MERCANTILE, None, id="test-mercantile-any-user"),
    ],
)
def test_may_change(who: Viewer, area: Area, reason: str | None) -> None:
    permission = may_change(who, area)
    assert permission.allowed is (reason is None)
    assert permission.reason == reason


def test_missing_right_text() -> None:
    assert missing_right("APIer", ORG) == (
        "Du mangler rettigheten «APIer» for TILBYDER AS. Be plattformadministrator om tilgang."
    )
