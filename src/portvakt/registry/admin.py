"""Platform administration use cases (selvbetjening.md §3.1, §3.7, §7, §9): organisations, prefixes, portal
users and the change log, for the admin CLI, the admin API and (user registration) the portal.

`AdminService` extends `RegistryService` with the same store, clock, actor and auditing; every change here
writes its `audit_events` row through `RegistryService._audit` in the change's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Any, Final, Literal, Protocol

from portvakt.domain.clock import Clock
from portvakt.domain.identifiers import InvalidNationalId, parse_national_id
from portvakt.registry.audit import AuditEvent
from portvakt.registry.errors import (
    InvalidRequest,
    OrganisationNotFound,
    RegistryConflict,
    RegistryNotFound,
)
from portvakt.registry.mercantile import normalise_mercantile, valid_email
from portvakt.registry.model import Organisation, Prefix
from portvakt.registry.repository import SqlRegistryStore
from portvakt.registry.service import (
    DOMAIN_PATTERN,
    PREFIX_PATTERN,
    Actor,
    RegistryService,
    RegistryUnit,
    valid_orgno,
)
from portvakt.registry.users import PortalUser, PortalUserRepository, normalised_rights, parse_right
from portvakt.settings import Settings
from portvakt.storage.engine import Database


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""An argument left unchanged by an update (as opposed to `None`, which clears a nullable field)."""


class UserNotFound(RegistryNotFound):
    def __init__(self) -> None:
        super().__init__("User not found")


class PrefixNotAssigned(RegistryNotFound):
    def __init__(self, prefix: str) -> None:
        super().__init__(f"Prefix '{prefix}' is not assigned to any organisation")


class UnknownEmailDomain(InvalidRequest):
    """Registration with an e-mail domain no active organisation has (the portal shows its own text)."""

    def __init__(self, domain: str) -> None:
        super().__init__(f"No organisation is registered with the e-mail domain '{domain}'")
        self.domain = domain


# -- storage ports ----------------------------------------------------------------------------------


class OrganisationChanges(Protocol):
    async def update(self, organisation: Organisation) -> None:
        """Replace name, terms, mercantile data, `active`, `last_updated` and the e-mail domains."""
        ...

    async def remove_prefix(self, prefix: str) -> None: ...

    async def prefix_in_use(self, prefix: str) -> bool:
        """Whether any scope (active or not) has this prefix."""
        ...


class AdminUnit(RegistryUnit, Protocol):
    @property
    def users(self) -> PortalUserRepository: ...

    @property
    def organisation_changes(self) -> OrganisationChanges: ...


class AdminStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AdminUnit]: ...


# -- input checks -----------------------------------------------------------------------------------


def checked_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise InvalidRequest("name is required")
    if len(name) > 255:
        raise InvalidRequest("Invalid value for name")
    return name


def checked_domains(values: object) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not all(isinstance(value, str) for value in values):
        raise InvalidRequest("Invalid value for email_domains")
    domains = tuple(dict.fromkeys(value.strip().lower() for value in values))
    for domain in domains:
        if not DOMAIN_PATTERN.match(domain):
            raise InvalidRequest("Invalid value for email_domains")
    return domains


def checked_email(value: object) -> str:
    email = valid_email(value)
    if email is None:
        raise InvalidRequest("Invalid value for email")
    return email


# -- the use cases ----------------------------------------------------------------------------------


class AdminService(RegistryService):
    """Organisation, prefix, user and change-log administration for one actor."""

    def __init__(
        self,
        store: AdminStore,
        clock: Clock,
        actor: Actor,
        *,
        platform_orgno: str | None,
        env: Literal["test", "prod"] = "test",
    ) -> None:
        super().__init__(store, clock, actor, platform_orgno=platform_orgno, prod=env == "prod")
        self.admin_store = store
        self.env = env

    # -- organisations (§3.1, §7) ------------------------------------------------------------------

    async def _organisation(self, unit: AdminUnit, orgno: str) -> Organisation:
        organisation = await unit.organisations.get(valid_orgno(orgno))
        if organisation is None:
            raise OrganisationNotFound()
        return organisation

    async def update_organisation(
        self,
        orgno: str,
        *,
        name: str | _Keep = KEEP,
        email_domains: Sequence[str] | _Keep = KEEP,
        terms_signed: bool | _Keep = KEEP,
        mercantile: object = KEEP,
    ) -> Organisation:
        """Change the given fields (`KEEP` = unchanged; the admin API's PUT passes every field)."""
        self._require_admin()
        new_name = None if isinstance(name, _Keep) else checked_name(name)
        domains = None if isinstance(email_domains, _Keep) else checked_domains(email_domains)
        if not isinstance(terms_signed, _Keep | bool):
            raise InvalidRequest("Invalid value for terms_signed")
        new_mercantile = None if isinstance(mercantile, _Keep) else normalise_mercantile(mercantile)
        async with self.admin_store.transaction() as unit:
            before = await self._organisation(unit, orgno)
            for domain in domains or ():
                owner = await unit.organisations.domain_owner(domain)
                if owner is not None and owner != before.orgno:
                    raise RegistryConflict(f"E-mail domain '{domain}' belongs to another organisation")
            after = replace(
                before,
                name=before.name if new_name is None else new_name,
                email_domains=before.email_domains if domains is None else tuple(sorted(domains)),
                terms_signed=before.terms_signed if isinstance(terms_signed, _Keep) else terms_signed,
                mercantile=before.mercantile if isinstance(mercantile, _Keep) else new_mercantile,
            )
            if after == before:
                return before
            after = replace(after, last_updated=self.clock.now())
            await unit.organisation_changes.update(after)
            await self._audit(unit, "organisation.update", before=before, after=after)
        return after

    async def update_own_mercantile(self, mercantile: object) -> Organisation:
        """The portal's "Rediger integrasjon" (§8.2): the acting organisation's mercantile data (§3.1)."""
        new_mercantile = normalise_mercantile(mercantile)
        async with self.admin_store.transaction() as unit:
            before = await self._acting_org(unit, None, change=True)
            after = replace(before, mercantile=new_mercantile)
            if after == before:
                return before
            after = replace(after, last_updated=self.clock.now())
            await unit.organisation_changes.update(after)
            await self._audit(unit, "organisation.update", before=before, after=after)
        return after

    async def deactivate_organisation(self, orgno: str) -> Organisation:
        """`active=false` (idempotent): nothing is deleted; its clients, scopes and users are kept."""
        self._require_admin()
        async with self.admin_store.transaction() as unit:
            before = await self._organisation(unit, orgno)
            if not before.active:
                return before
            after = replace(before, active=False, last_updated=self.clock.now())
            await unit.organisation_changes.update(after)
            await self._audit(unit, "organisation.deactivate", before=before, after=after)
        return after

    async def unassign_prefix(self, prefix: str, *, orgno: str | None = None) -> Organisation:
        """Take a prefix back (409 while scopes use it); with `orgno`, it must be that organisation's (or
        unassigned: then nothing changes). Returns the organisation that had it."""
        self._require_admin()
        prefix = prefix.strip().rstrip(":") if isinstance(prefix, str) else ""
        if not PREFIX_PATTERN.match(prefix):
            raise InvalidRequest(f"Invalid prefix: {prefix}")
        async with self.admin_store.transaction() as unit:
            target = await self._organisation(unit, orgno) if orgno is not None else None
            current = await unit.prefixes.get(prefix)
            if current is None:
                if target is None:
                    raise PrefixNotAssigned(prefix)
                return target
            if target is not None and current.orgno != target.orgno:
                raise RegistryConflict(f"Prefix '{prefix}' is assigned to another organisation")
            if await unit.organisation_changes.prefix_in_use(prefix):
                raise RegistryConflict(f"Prefix '{prefix}' is used by existing scopes")
            await unit.organisation_changes.remove_prefix(prefix)
            await self._audit(unit, "prefix.unassign", before=current)
            owner = await self._organisation(unit, current.orgno)
        return owner

    async def assign_prefix_to(self, prefix: str, orgno: str) -> Organisation:
        """`PUT /admin/organisations/{orgno}/prefixes/{prefix}`: assign, and return the organisation."""
        assigned: Prefix = await self.assign_prefix(prefix, orgno)
        return await self.get_organisation(assigned.orgno)

    # -- portal users (§3.7) -----------------------------------------------------------------------

    async def register_user(self, email: str, name: str, *, password_hash: str | None = None) -> PortalUser:
        """Portal registration (§8.1): the e-mail domain binds the user to an active organisation.

        The password is hashed by the portal (scrypt); this stores the hash only. No rights are stored:
        in test every user has them implicitly (§8.1), in prod the administrator grants them.
        """
        address = checked_email(email)
        full_name = checked_name(name)
        domain = address.rpartition("@")[2]
        now = self.clock.now()
        async with self.admin_store.transaction() as unit:
            owner = await unit.organisations.domain_owner(domain)
            organisation = await unit.organisations.get(owner) if owner is not None else None
            if organisation is None or not organisation.active:
                raise UnknownEmailDomain(domain)
            if await unit.users.by_email(address) is not None:
                raise RegistryConflict(f"User '{address}' already exists")
            user = PortalUser(
                user_id=str(uuid.uuid4()),
                email=address,
                name=full_name,
                orgno=organisation.orgno,
                created=now,
                password_hash=password_hash,
            )
            await unit.users.add(user)
            await self._audit(unit, "user.register", after=user)
        return user

    async def list_users(self, *, orgno: str | None = None) -> list[PortalUser]:
        self._require_admin()
        chosen = valid_orgno(orgno) if orgno is not None else None
        async with self.admin_store.transaction() as unit:
            return await unit.users.list(orgno=chosen)

    async def _find_user(self, unit: AdminUnit, user: str, *, by_email: bool) -> PortalUser:
        found = await unit.users.by_email(user.strip().lower()) if by_email else await unit.users.get(user)
        if found is None:
            raise UserNotFound()
        return found

    async def get_user(self, user: str, *, by_email: bool = False) -> PortalUser:
        self._require_admin()
        async with self.admin_store.transaction() as unit:
            return await self._find_user(unit, user, by_email=by_email)

    def _checked_pid(self, pid: object) -> str | None:
        if pid is None:
            return None
        if not isinstance(pid, str):
            raise InvalidRequest("Invalid value for pid")
        try:
            return parse_national_id(pid.strip(), env=self.env).value
        except InvalidNationalId:
            raise InvalidRequest("Invalid value for pid") from None  # never echo the number

    async def update_user(
        self,
        user: str,
        *,
        by_email: bool = False,
        orgno: str | _Keep = KEEP,
        pid: str | _Keep | None = KEEP,
        rights: Iterable[object] | _Keep = KEEP,
        active: bool | _Keep = KEEP,
        grant: str | None = None,
        revoke: str | None = None,
        action: str = "user.update",
    ) -> PortalUser:
        """Set the given fields (`KEEP` = unchanged; `pid=None` unbinds the national identity number);
        `grant`/`revoke` add or remove one right."""
        self._require_admin()
        new_orgno = None if isinstance(orgno, _Keep) else valid_orgno(orgno)
        new_pid = None if isinstance(pid, _Keep) else self._checked_pid(pid)
        if not isinstance(rights, _Keep) and (
            isinstance(rights, str) or not isinstance(rights, list | tuple)
        ):
            raise InvalidRequest("Invalid value for rights")
        new_rights = None if isinstance(rights, _Keep) else normalised_rights(rights)
        if not isinstance(active, _Keep | bool):
            raise InvalidRequest("Invalid value for active")
        granted = parse_right(grant) if grant is not None else None
        revoked = parse_right(revoke) if revoke is not None else None
        async with self.admin_store.transaction() as unit:
            before = await self._find_user(unit, user, by_email=by_email)
            if new_orgno is not None and new_orgno != before.orgno:
                organisation = await unit.organisations.get(new_orgno)
                if organisation is None or not organisation.active:
                    raise OrganisationNotFound()
            if new_pid is not None:
                holder = await unit.users.by_pid(new_pid)
                if holder is not None and holder.user_id != before.user_id:
                    raise RegistryConflict("pid is already bound to another user")
            rights = before.rights if new_rights is None else new_rights
            if granted is not None:
                rights = normalised_rights([*rights, granted])
            if revoked is not None:
                rights = tuple(value for value in rights if value != revoked)
            after = replace(
                before,
                orgno=before.orgno if new_orgno is None else new_orgno,
                pid=before.pid if isinstance(pid, _Keep) else new_pid,
                rights=rights,
                active=before.active if isinstance(active, _Keep) else active,
            )
            if after == before:
                return before
            await unit.users.update(after)
            await self._audit(unit, action, before=before, after=after)
        return after

    async def set_user_pid(self, email: str, pid: str) -> PortalUser:
        return await self.update_user(email, by_email=True, pid=pid, action="user.set_pid")

    async def set_user_org(self, email: str, orgno: str) -> PortalUser:
        return await self.update_user(email, by_email=True, orgno=orgno, action="user.set_org")

    async def grant_right(self, email: str, right: str) -> PortalUser:
        return await self.update_user(email, by_email=True, grant=right, action="user.grant_right")

    async def revoke_right(self, email: str, right: str) -> PortalUser:
        return await self.update_user(email, by_email=True, revoke=right, action="user.revoke_right")

    async def deactivate_user(self, user: str, *, by_email: bool = False) -> PortalUser:
        return await self.update_user(user, by_email=by_email, active=False, action="user.deactivate")

    # -- change log (§9) ---------------------------------------------------------------------------

    async def audit_events(
        self, *, orgno: str | None = None, since: datetime | None = None
    ) -> list[AuditEvent]:
        self._require_admin()
        chosen = valid_orgno(orgno) if orgno is not None else None
        async with self.admin_store.transaction() as unit:
            return await unit.audit.list(orgno=chosen, since=since)


def admin_service(settings: Settings, database: Database, clock: Clock, actor: Actor) -> AdminService:
    """The admin use cases on the SQL store, configured from settings (CLI and admin API)."""
    return AdminService(
        SqlRegistryStore(database),
        clock,
        actor,
        platform_orgno=settings.platform_orgno,
        env="prod" if settings.is_prod else "test",
    )


__all__: Sequence[Any] = [
    "KEEP",
    "AdminService",
    "AdminStore",
    "AdminUnit",
    "OrganisationChanges",
    "PrefixNotAssigned",
    "UnknownEmailDomain",
    "UserNotFound",
    "admin_service",
]
