"""Who may change what in the portal (selvbetjening.md §8.1): one pure function behind every page and action.

Disabled actions stay visible, greyed, with the reason this module gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portvakt.registry.model import Organisation
from portvakt.registry.users import RIGHT_APIS, RIGHT_INTEGRATIONS, RIGHT_SUPPLIER, PortalUser

PROD_NEEDS_IDPORTEN = (
    "For å administrere i produksjonsmiljøet må du logge inn med ID-porten. "
    "Fødselsnummeret ditt må være registrert på brukeren din på forhånd."
)
TERMS_NOT_SIGNED = "Virksomheten har ikke signert bruksvilkårene. Du kan se, men ikke endre."
INACTIVE = "Brukeren eller virksomheten er ikke aktiv, eller e-postadressen er ikke bekreftet."
NO_SUPPLIER_ACCESS = (
    "Virksomheten din har ikke tilgang til å administrere integrasjoner for kunder (idporten:dcr.supplier). "
    "Be plattformadministrator om tilgang."
)


def missing_right(right: str, organisation: Organisation) -> str:
    return f"Du mangler rettigheten «{right}» for {organisation.name}. Be plattformadministrator om tilgang."


class Area(StrEnum):
    """What an action changes: the right it needs (§8.1 table)."""

    APIS = RIGHT_APIS  # scopes and accesses
    INTEGRATIONS = RIGHT_INTEGRATIONS  # clients, keys, secrets
    SUPPLIER = RIGHT_SUPPLIER  # clients for customers
    MERCANTILE = "merkantil"  # invoice information and notification points


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as the rules see them."""

    user: PortalUser
    organisation: Organisation
    prod: bool
    idporten_pid: str | None  # the pid of this session's ID-porten login, if any
    supplier_access: bool  # the organisation has an APPROVED access to idporten:dcr.supplier


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str | None = None


ALLOWED = Permission(True)


def _has(viewer: Viewer, right: str) -> bool:
    return not viewer.prod or right in viewer.user.rights


def may_change(viewer: Viewer, area: Area) -> Permission:
    """The §8.1 table, row by row; the first unmet row gives the reason."""
    user, organisation = viewer.user, viewer.organisation
    if not (user.active and user.email_confirmed and organisation.active):
        return Permission(False, INACTIVE)
    if not organisation.terms_signed:
        return Permission(False, TERMS_NOT_SIGNED)
    if viewer.prod and (viewer.idporten_pid is None or viewer.idporten_pid != user.pid):
        return Permission(False, PROD_NEEDS_IDPORTEN)
    if area is Area.MERCANTILE:
        if _has(viewer, RIGHT_APIS) or _has(viewer, RIGHT_INTEGRATIONS):
            return ALLOWED
        return Permission(False, missing_right(f"{RIGHT_APIS}» eller «{RIGHT_INTEGRATIONS}", organisation))
    if area is Area.SUPPLIER:
        for right in (RIGHT_INTEGRATIONS, RIGHT_SUPPLIER):
            if not _has(viewer, right):
                return Permission(False, missing_right(right, organisation))
        if not viewer.supplier_access:
            return Permission(False, NO_SUPPLIER_ACCESS)
        return ALLOWED
    if not _has(viewer, area.value):
        return Permission(False, missing_right(area.value, organisation))
    return ALLOWED
