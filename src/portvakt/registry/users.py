"""Portal users (selvbetjening.md §3.7): the value object, the rights vocabulary and the storage port."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from portvakt.registry.errors import InvalidRequest
from portvakt.registry.model import format_timestamp

RIGHT_APIS = "APIer"
RIGHT_INTEGRATIONS = "integrasjoner"
RIGHT_SUPPLIER = "leverandør"
RIGHTS: tuple[str, ...] = (RIGHT_APIS, RIGHT_INTEGRATIONS, RIGHT_SUPPLIER)
_RIGHT_NAMES = {
    "apier": RIGHT_APIS,
    "integrasjoner": RIGHT_INTEGRATIONS,
    "leverandør": RIGHT_SUPPLIER,
    "leverandor": RIGHT_SUPPLIER,
}


def parse_right(value: object) -> str:
    """`APIer|integrasjoner|leverandør`, any case, with the ASCII aliases `apier` and `leverandor`."""
    right = _RIGHT_NAMES.get(value.strip().lower()) if isinstance(value, str) else None
    if right is None:
        raise InvalidRequest(f"Invalid value for rights: {value}")
    return right


def normalised_rights(values: Iterable[object]) -> tuple[str, ...]:
    """Each right once, in the order of `RIGHTS`."""
    chosen = {parse_right(value) for value in values}
    return tuple(right for right in RIGHTS if right in chosen)


@dataclass(frozen=True)
class PortalUser:
    user_id: str
    email: str
    name: str
    orgno: str
    created: datetime
    pid: str | None = field(default=None, repr=False)  # personal data: never in reprs or logs
    rights: tuple[str, ...] = ()
    email_confirmed: bool = False
    active: bool = True
    last_login: datetime | None = None
    password_hash: str | None = field(default=None, repr=False)


def user_json(user: PortalUser) -> dict[str, Any]:
    """The administrator's view; the password hash is never part of it."""
    return {
        "user_id": user.user_id,
        "email": user.email,
        "name": user.name,
        "orgno": user.orgno,
        "pid": user.pid,
        "rights": list(user.rights),
        "email_confirmed": user.email_confirmed,
        "active": user.active,
        "created": format_timestamp(user.created),
        "last_login": format_timestamp(user.last_login),
    }


class PortalUserRepository(Protocol):
    async def get(self, user_id: str) -> PortalUser | None: ...

    async def by_email(self, email: str) -> PortalUser | None: ...

    async def by_pid(self, pid: str) -> PortalUser | None: ...

    async def list(self, *, orgno: str | None = None) -> list[PortalUser]: ...

    async def add(self, user: PortalUser) -> None: ...

    async def update(self, user: PortalUser) -> None:
        """Replace every stored field of the user (by `user_id`)."""
        ...


__all__: Sequence[str] = [
    "RIGHTS",
    "RIGHT_APIS",
    "RIGHT_INTEGRATIONS",
    "RIGHT_SUPPLIER",
    "PortalUser",
    "PortalUserRepository",
    "normalised_rights",
    "parse_right",
    "user_json",
]
