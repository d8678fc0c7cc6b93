"""Registry use cases (selvbetjening.md §3, §4, §7): one implementation behind the admin CLI, the
self-service API, the admin API and the portal.

Each method runs in one transaction of the `RegistryStore`, checks the spec's rules in the spec's order,
and raises the typed errors of `portvakt.registry.errors`. The storage it needs is declared here as
Protocols; `portvakt.registry.repository` is the SQL adapter.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from portvakt.domain.clock import Clock
from portvakt.domain.identifiers import InvalidOrgnr, parse_orgnr
from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.registry.audit import Audited, AuditLog, ClientKeys, record_change
from portvakt.registry.errors import (
    AccessDenied,
    ClientNotFound,
    InvalidClientMetadata,
    InvalidOrganisationNumber,
    InvalidRequest,
    InvalidScopeMetadata,
    OrganisationNotFound,
    RegistryConflict,
    ScopeAccessNotFound,
    ScopeDeactivated,
    ScopeNotFound,
)
from portvakt.registry.jwk import check_key, check_key_set, generate_rsa_key
from portvakt.registry.mercantile import normalise_mercantile
from portvakt.registry.model import (
    AUTHORIZATION_CODE,
    INTEGRATION_TYPES,
    OIDC_INTEGRATION_TYPES,
    PLATFORM_PREFIXES,
    PRIVATE_KEY_JWT,
    REFRESH_TOKEN,
    SECRET_METHODS,
    AccessState,
    ApiScope,
    ClientRegistration,
    ClientSettings,
    CreatedClient,
    DelegationSourceRecord,
    Organisation,
    Prefix,
    RegisteredKey,
    ScopeAccess,
    ScopeSettings,
    TokenType,
    Visibility,
)

PLATFORM_ORGANISATION_NAME = "PLATTFORMOPERATØR"
ALTINN_DELEGATION_SOURCE = "altinn"
KEY_LIFETIME = timedelta(days=365)
SECRET_LIFETIME = timedelta(days=360)
PREFIX_PATTERN = re.compile(r"^[a-z0-9]{1,64}$")
SUBSCOPE_PATTERN = re.compile(r"^[a-z0-9æøå]+([/:.][a-z0-9æøå]+)*$")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CUSTOM_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
MAX_URIS = 20
KRR_DEFAULT_SCOPES: tuple[str, ...] = ("krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read")
OIDC_DEFAULT_SCOPES: tuple[str, ...] = ("openid", "profile")
IDPORTEN_LIFETIME_DEFAULTS = (120, 600, 7200)  # access, refresh, authorization (selvbetjening.md §3.5)

# Platform scopes created by bootstrap (selvbetjening.md §7): name → (description, settings overrides).
_ADMIN_SCOPE = {"visibility": Visibility.INTERNAL.value, "allowed_integration_types": ("maskinporten",)}
BOOTSTRAP_SCOPES: tuple[tuple[str, str, Mapping[str, Any]], ...] = (
    ("idporten:dcr.read", "Lese egne integrasjoner og nøkler i selvbetjeningen", _ADMIN_SCOPE),
    ("idporten:dcr.modify", "Endre egne integrasjoner og rotere klienthemmeligheter", _ADMIN_SCOPE),
    ("idporten:dcr.write", "Opprette og deaktivere egne integrasjoner og endre nøkler", _ADMIN_SCOPE),
    ("idporten:dcr.supplier", "Administrere integrasjoner for kunder (leverandør)", _ADMIN_SCOPE),
    ("idporten:scopes.write", "Administrere egne API-scopes og tilganger til dem", _ADMIN_SCOPE),
    ("portvakt:admin", "Plattformadministrasjon", _ADMIN_SCOPE),
    (
        "idporten:token.introspection",
        "Introspeksjon av token fra ID-porten",
        {"visibility": Visibility.PUBLIC.value, "accessible_for_all": True, "allowed_integration_types": ()},
    ),
)

# The client matrix of selvbetjening.md §4.4: integration type → allowed values (first = default).
_OIDC_APPLICATION_TYPES = ("web", "browser", "native")
_MATRIX_APPLICATION_TYPES: Mapping[str, tuple[str, ...]] = {
    "idporten": _OIDC_APPLICATION_TYPES,
    "api_klient": _OIDC_APPLICATION_TYPES,
    "maskinporten": ("web",),
    "krr": ("web",),
}
_WEB_AUTH_METHODS = ("client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT)
_PUBLIC_AUTH_METHODS = ("none",)
_OIDC_GRANT_TYPES = (AUTHORIZATION_CODE, REFRESH_TOKEN)


# -- storage ports ----------------------------------------------------------------------------------


class OrganisationRepository(Protocol):
    async def get(self, orgno: str) -> Organisation | None: ...

    async def list(self, *, include_inactive: bool = False) -> list[Organisation]: ...

    async def add(self, organisation: Organisation) -> None:
        """Insert the organisation and its e-mail domains."""
        ...

    async def domain_owner(self, domain: str) -> str | None: ...


class PrefixRepository(Protocol):
    async def get(self, prefix: str) -> Prefix | None: ...

    async def add(self, prefix: Prefix) -> None: ...


class DelegationSourceRepository(Protocol):
    async def get(self, name: str) -> DelegationSourceRecord | None: ...

    async def list(self) -> list[DelegationSourceRecord]: ...

    async def save(self, source: DelegationSourceRecord) -> None:
        """Insert or update by name."""
        ...


class ScopeRepository(Protocol):
    async def get(self, name: str) -> ApiScope | None: ...

    async def get_many(self, names: Sequence[str]) -> dict[str, ApiScope]: ...

    async def list_owned(self, orgno: str, *, include_inactive: bool = False) -> list[ApiScope]: ...

    async def list_active(self) -> list[ApiScope]:
        """Every active scope of every organisation, by name (the portal's "Legg til scopes" candidates)."""
        ...

    async def list_public(self) -> list[ApiScope]:
        """Active `PUBLIC` scopes of every organisation, by name."""
        ...

    async def add(self, scope: ApiScope) -> None: ...

    async def update(self, scope: ApiScope) -> None:
        """Replace the mutable fields, `active` and `last_updated`."""
        ...


class AccessRepository(Protocol):
    async def get(self, scope: str, consumer_orgno: str) -> ScopeAccess | None: ...

    async def save(self, access: ScopeAccess) -> None:
        """Insert, or update state and last_updated of the (scope, consumer) row."""
        ...

    async def list_for_scope(self, scope: str, *, include_denied: bool = False) -> list[ScopeAccess]: ...

    async def approved_scopes(self, consumer_orgno: str, scopes: Sequence[str]) -> set[str]: ...

    async def list_for_consumer(self, consumer_orgno: str) -> list[ScopeAccess]:
        """The consumer's `APPROVED` rows, by scope name."""
        ...


class ClientRepository(Protocol):
    async def get(self, client_id: str) -> ClientRegistration | None: ...

    async def existing_ids(self, client_ids: Sequence[str]) -> set[str]: ...

    async def add(self, client: ClientRegistration) -> None: ...

    async def update(self, client: ClientRegistration) -> None:
        """Replace every stored field of the client (by client_id)."""
        ...

    async def list_for_org(
        self, orgno: str, *, own: bool, supplied: bool, include_inactive: bool
    ) -> list[ClientRegistration]:
        """Clients owned by `orgno` (`own`) and/or managed by it for others (`supplied`)."""
        ...

    async def keys(self, client_id: str) -> list[RegisteredKey]: ...

    async def replace_keys(self, client_id: str, keys: Sequence[RegisteredKey]) -> None: ...

    async def kid_owners(self, kids: Sequence[str]) -> dict[str, str]:
        """kid → client_id for the given kids that are stored."""
        ...


class RegistryUnit(Protocol):
    """The repositories of one transaction."""

    @property
    def organisations(self) -> OrganisationRepository: ...

    @property
    def prefixes(self) -> PrefixRepository: ...

    @property
    def delegation_sources(self) -> DelegationSourceRepository: ...

    @property
    def scopes(self) -> ScopeRepository: ...

    @property
    def accesses(self) -> AccessRepository: ...

    @property
    def clients(self) -> ClientRepository: ...

    @property
    def audit(self) -> AuditLog:
        """The change log (§9); every mutating use case records through it (see `RegistryService._audit`)."""
        ...


class RegistryStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RegistryUnit]:
        """Commit when the block ends normally, roll back when it raises."""
        ...


# -- acting identity --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts: channel `api`/`portal`/`cli`/`admin-api` (§9), a name, and the acting organisation.

    `admin` is the platform administrator (CLI, admin API): may act for any organisation.
    """

    channel: str
    name: str
    orgno: str | None = None
    admin: bool = False

    @classmethod
    def cli(cls) -> Actor:
        return cls(channel="cli", name="cli", admin=True)


@dataclass(frozen=True)
class BootstrapReport:
    organisation: Organisation
    created: tuple[str, ...]  # what this run added, e.g. "scope portvakt:admin"; empty when up to date


# -- validation helpers -----------------------------------------------------------------------------


def valid_orgno(value: str) -> str:
    if not isinstance(value, str):
        raise InvalidOrganisationNumber(str(value))
    try:
        return str(parse_orgnr(value))
    except InvalidOrgnr:
        raise InvalidOrganisationNumber(value) from None


def _scope_settings_errors(settings: ScopeSettings) -> str | None:
    """§4.1 step 7: description, then each field's type, enum and range in §3.3 order."""
    if not isinstance(settings.description, str) or not settings.description.strip():
        return "description is required"
    checks: tuple[tuple[str, bool], ...] = (
        ("description", len(settings.description) <= 255),
        (
            "long_description",
            settings.long_description is None
            or (isinstance(settings.long_description, str) and len(settings.long_description) <= 4000),
        ),
        ("visibility", isinstance(settings.visibility, str) and settings.visibility in set(Visibility)),
        ("token_type", isinstance(settings.token_type, str) and settings.token_type in set(TokenType)),
        ("at_max_age", _int_in(settings.at_max_age, 0, 86400)),
        ("authorization_max_lifetime", _int_in(settings.authorization_max_lifetime, 0, 31536000)),
        ("requires_user_consent", isinstance(settings.requires_user_consent, bool)),
        ("requires_user_authentication", isinstance(settings.requires_user_authentication, bool)),
        ("requires_pseudonymous_tokens", isinstance(settings.requires_pseudonymous_tokens, bool)),
        ("accessible_for_all", isinstance(settings.accessible_for_all, bool)),
        (
            "allowed_integration_types",
            isinstance(settings.allowed_integration_types, tuple | list)
            and all(t in INTEGRATION_TYPES for t in settings.allowed_integration_types),
        ),
        (
            "delegation_source",
            settings.delegation_source is None or isinstance(settings.delegation_source, str),
        ),
        (
            "enforced_aud_for_introspection",
            isinstance(settings.enforced_aud_for_introspection, tuple | list)
            and all(isinstance(c, str) and c for c in settings.enforced_aud_for_introspection),
        ),
    )
    for name, ok in checks:
        if not ok:
            return f"Invalid value for {name}"
    return None


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


LOOPBACK_HOSTS: frozenset[str | None] = frozenset({"localhost", "127.0.0.1", "::1"})


def _valid_uri(uri: object, *, native: bool, prod: bool) -> bool:
    """Absolute, no fragment; https, or http on a loopback host in test (`localhost`, `127.0.0.1`, `[::1]`,
    RFC 8252 §7.3), or a custom scheme for native."""
    if not isinstance(uri, str) or "#" in uri or any(c.isspace() for c in uri):
        return False
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname) and "@" not in parts.netloc
    if parts.scheme == "http":
        return not prod and parts.hostname in LOOPBACK_HOSTS and "@" not in parts.netloc
    return native and bool(CUSTOM_SCHEME.match(uri)) and parts.scheme not in ("http", "https")


def _dedupe(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _hash_secret(secret: str) -> str:
    # The secret is 256 random bits: a plain SHA-256 is not brute-forceable, and checks stay cheap.
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def client_secret_matches(client: ClientRegistration, presented: str, now: datetime) -> bool:
    """Whether `presented` is the client's current, unexpired secret (constant-time comparison)."""
    if client.client_secret_hash is None or client.client_secret_expires_at is None:
        return False
    if now >= client.client_secret_expires_at:
        return False
    return hmac.compare_digest(_hash_secret(presented), client.client_secret_hash)


# -- the service ------------------------------------------------------------------------------------


class RegistryService:
    """The registry's use cases for one actor."""

    def __init__(
        self,
        store: RegistryStore,
        clock: Clock,
        actor: Actor,
        *,
        platform_orgno: str | None,
        prod: bool = False,
    ) -> None:
        self.store = store
        self.clock = clock
        self.actor = actor
        self.platform_orgno = platform_orgno
        self.prod = prod

    # -- who may act -------------------------------------------------------------------------------

    def _require_admin(self) -> None:
        if not self.actor.admin:
            raise AccessDenied("Admin API requires the platform organisation")

    async def _audit(
        self, unit: RegistryUnit, action: str, *, before: Audited | None = None, after: Audited | None = None
    ) -> None:
        """§9: one change-log row in the change's own transaction (portvakt.registry.audit)."""
        acting = self.actor.orgno or (self.platform_orgno if self.actor.admin else None)
        await record_change(
            unit, self.actor, self.clock.now(), action, before=before, after=after, acting_orgno=acting
        )

    async def _acting_org(self, unit: RegistryUnit, orgno: str | None, *, change: bool) -> Organisation:
        """§2 step 2: the acting organisation is registered, active and (for changes) has signed the terms."""
        if orgno is None:
            orgno = self.actor.orgno
        if orgno is None:
            raise InvalidRequest("orgno is required")
        if not self.actor.admin and orgno != self.actor.orgno:
            raise AccessDenied(f"Organisation {orgno} is not registered on the platform")
        organisation = await unit.organisations.get(valid_orgno(orgno))
        if organisation is None or not organisation.active:
            raise AccessDenied(f"Organisation {orgno} is not registered on the platform")
        if change and not organisation.terms_signed and not self.actor.admin:
            raise AccessDenied(f"Organisation {orgno} has not signed the terms of use")
        return organisation

    async def _owned_scope(
        self, unit: RegistryUnit, name: str, orgno: str | None, *, change: bool = True
    ) -> ApiScope:
        scope = await unit.scopes.get(name)
        if scope is None:
            raise ScopeNotFound()
        if orgno is None and self.actor.admin:
            return scope
        acting = await self._acting_org(unit, orgno, change=change)
        if scope.owner_orgno != acting.orgno:
            raise AccessDenied("Scope belongs to another organisation")
        return scope

    async def _managed_client(
        self, unit: RegistryUnit, client_id: str, orgno: str | None, *, change: bool = True
    ) -> ClientRegistration:
        client = await unit.clients.get(client_id)
        if client is None:
            raise ClientNotFound()
        if orgno is None and self.actor.admin:
            return client
        acting = await self._acting_org(unit, orgno, change=change)
        if acting.orgno not in (client.client_orgno, client.supplier_orgno):
            raise AccessDenied("Client belongs to another organisation")
        return client

    # -- bootstrap (§7) ----------------------------------------------------------------------------

    async def bootstrap(self, *, altinn_issuer: str) -> BootstrapReport:
        """The platform organisation, its prefixes, the admin scopes and the `altinn` delegation source."""
        self._require_admin()
        if not self.platform_orgno:
            raise InvalidRequest("PORTVAKT_PLATFORM_ORGNO is not set")
        orgno = valid_orgno(self.platform_orgno)
        now = self.clock.now()
        created: list[str] = []
        async with self.store.transaction() as unit:
            if await unit.organisations.get(orgno) is None:
                platform_org = Organisation(
                    orgno=orgno,
                    name=PLATFORM_ORGANISATION_NAME,
                    terms_signed=True,
                    created=now,
                    last_updated=now,
                )
                await unit.organisations.add(platform_org)
                await self._audit(unit, "organisation.create", after=platform_org)
                created.append(f"organisation {orgno}")
            for prefix in PLATFORM_PREFIXES:
                if await self._assign_prefix(unit, prefix, orgno, now):
                    created.append(f"prefix {prefix}")
            source = await unit.delegation_sources.get(ALTINN_DELEGATION_SOURCE)
            if source is None or source.issuer != altinn_issuer:
                altinn = DelegationSourceRecord(
                    name=ALTINN_DELEGATION_SOURCE,
                    issuer=altinn_issuer,
                    created=source.created if source else now,
                    last_updated=now,
                )
                await unit.delegation_sources.save(altinn)
                action = "delegation_source.create" if source is None else "delegation_source.update"
                await self._audit(unit, action, before=source, after=altinn)
                created.append(f"delegation source {ALTINN_DELEGATION_SOURCE}")
            existing = await unit.scopes.get_many([name for name, _, _ in BOOTSTRAP_SCOPES])
            for name, description, overrides in BOOTSTRAP_SCOPES:
                if name in existing:
                    continue
                prefix, subscope = name.split(":", 1)
                settings = replace(ScopeSettings(description=description), **overrides)
                platform_scope = ApiScope(
                    name, prefix, subscope, orgno, settings, active=True, created=now, last_updated=now
                )
                await unit.scopes.add(platform_scope)
                await self._audit(unit, "scope.create", after=platform_scope)
                created.append(f"scope {name}")
            organisation = await unit.organisations.get(orgno)
        assert organisation is not None
        return BootstrapReport(organisation=organisation, created=tuple(created))

    # -- organisations and prefixes (admin, §7) ----------------------------------------------------

    async def add_organisation(
        self,
        orgno: str,
        name: str,
        *,
        email_domains: Sequence[str] = (),
        terms_signed: bool = False,
        mercantile: Mapping[str, Any] | None = None,
    ) -> Organisation:
        self._require_admin()
        orgno = valid_orgno(orgno)
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            raise InvalidRequest("name is required")
        if len(name) > 255:
            raise InvalidRequest("Invalid value for name")
        domains = _dedupe([domain.strip().lower() for domain in email_domains])
        for domain in domains:
            if not DOMAIN_PATTERN.match(domain):
                raise InvalidRequest("Invalid value for email_domains")
        mercantile = normalise_mercantile(mercantile)
        now = self.clock.now()
        async with self.store.transaction() as unit:
            if await unit.organisations.get(orgno) is not None:
                raise RegistryConflict(f"Organisation {orgno} already exists")
            for domain in domains:
                if await unit.organisations.domain_owner(domain) is not None:
                    raise RegistryConflict(f"E-mail domain '{domain}' belongs to another organisation")
            organisation = Organisation(
                orgno=orgno,
                name=name,
                email_domains=domains,
                terms_signed=terms_signed,
                mercantile=mercantile,
                created=now,
                last_updated=now,
            )
            await unit.organisations.add(organisation)
            await self._audit(unit, "organisation.create", after=organisation)
        return organisation

    async def get_organisation(self, orgno: str) -> Organisation:
        orgno = valid_orgno(orgno)
        if not self.actor.admin and orgno != self.actor.orgno:
            raise AccessDenied("Admin API requires the platform organisation")
        async with self.store.transaction() as unit:
            organisation = await unit.organisations.get(orgno)
        if organisation is None:
            raise OrganisationNotFound()
        return organisation

    async def organisation_names(self, orgnos: Sequence[str]) -> dict[str, str]:
        """The names of the registered organisations among `orgnos` (shown next to org numbers)."""
        async with self.store.transaction() as unit:
            found = {orgno: await unit.organisations.get(orgno) for orgno in dict.fromkeys(orgnos)}
        return {orgno: organisation.name for orgno, organisation in found.items() if organisation is not None}

    async def list_organisations(self, *, include_inactive: bool = False) -> list[Organisation]:
        self._require_admin()
        async with self.store.transaction() as unit:
            return await unit.organisations.list(include_inactive=include_inactive)

    async def _assign_prefix(self, unit: RegistryUnit, prefix: str, orgno: str, now: datetime) -> bool:
        current = await unit.prefixes.get(prefix)
        if current is not None:
            if current.orgno != orgno:
                raise RegistryConflict(f"Prefix '{prefix}' is assigned to another organisation")
            return False
        assigned = Prefix(prefix=prefix, orgno=orgno, created=now)
        await unit.prefixes.add(assigned)
        await self._audit(unit, "prefix.assign", after=assigned)
        return True

    async def assign_prefix(self, prefix: str, orgno: str) -> Prefix:
        """Assign a prefix to an organisation; assigning it again to the same one changes nothing."""
        self._require_admin()
        prefix = prefix.strip().rstrip(":") if isinstance(prefix, str) else ""
        if not PREFIX_PATTERN.match(prefix):
            raise InvalidScopeMetadata(f"Invalid prefix: {prefix}")
        orgno = valid_orgno(orgno)
        async with self.store.transaction() as unit:
            if await unit.organisations.get(orgno) is None:
                raise OrganisationNotFound()
            await self._assign_prefix(unit, prefix, orgno, self.clock.now())
            assigned = await unit.prefixes.get(prefix)
        assert assigned is not None
        return assigned

    # -- delegation sources ------------------------------------------------------------------------

    async def list_delegation_sources(self) -> list[DelegationSourceRecord]:
        async with self.store.transaction() as unit:
            return await unit.delegation_sources.list()

    async def add_delegation_source(self, name: str, issuer: str) -> DelegationSourceRecord:
        self._require_admin()
        if not PREFIX_PATTERN.match(name or ""):
            raise InvalidRequest("Invalid value for name")
        parts = urlsplit(issuer)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise InvalidRequest("Invalid value for issuer")
        now = self.clock.now()
        async with self.store.transaction() as unit:
            if await unit.delegation_sources.get(name) is not None:
                raise RegistryConflict(f"Delegation source '{name}' already exists")
            source = DelegationSourceRecord(name=name, issuer=issuer, created=now, last_updated=now)
            await unit.delegation_sources.save(source)
            await self._audit(unit, "delegation_source.create", after=source)
        return source

    # -- scopes (§4.1, §4.2) -----------------------------------------------------------------------

    async def create_scope(
        self, prefix: str | None, subscope: str | None, settings: ScopeSettings, *, orgno: str | None = None
    ) -> ApiScope:
        """§4.1 steps 3–9. For the administrator without `orgno`, the owner is the prefix's organisation."""
        raw_prefix: object = prefix  # API bodies are passed on as sent
        if raw_prefix is not None and not isinstance(raw_prefix, str):
            raise InvalidScopeMetadata(f"Invalid prefix: {raw_prefix}")
        prefix = (prefix or "").strip()
        prefix = prefix[:-1] if prefix.endswith(":") else prefix
        if not prefix:
            raise InvalidScopeMetadata("prefix is required")
        if not PREFIX_PATTERN.match(prefix):
            raise InvalidScopeMetadata(f"Invalid prefix: {prefix}")
        now = self.clock.now()
        async with self.store.transaction() as unit:
            assigned = await unit.prefixes.get(prefix)
            if orgno is None and self.actor.admin:
                if assigned is None:
                    raise AccessDenied(f"Prefix '{prefix}' is not assigned to any organisation")
                orgno = assigned.orgno
            owner = await self._acting_org(unit, orgno, change=True)
            if assigned is None or assigned.orgno != owner.orgno:
                raise AccessDenied(f"Prefix '{prefix}' is not assigned to organisation {owner.orgno}")
            raw_subscope: object = subscope
            if raw_subscope is not None and not isinstance(raw_subscope, str):
                raise InvalidScopeMetadata(f"Invalid subscope: {raw_subscope}")
            subscope = (subscope or "").strip()
            if not subscope:
                raise InvalidScopeMetadata("subscope is required")
            if not SUBSCOPE_PATTERN.match(subscope):
                raise InvalidScopeMetadata(f"Invalid subscope: {subscope}")
            name = f"{prefix}:{subscope}"
            if len(name) > 255:
                raise InvalidScopeMetadata("Scope name exceeds 255 characters")
            taken = await unit.scopes.get(name)
            if taken is not None:
                if taken.active:
                    raise RegistryConflict(f"Scope '{name}' already exists")
                raise RegistryConflict(
                    f"Scope '{name}' already exists and is deactivated; reactivate it with PUT"
                )
            settings = await self._checked_scope_settings(unit, settings, owner.orgno)
            scope = ApiScope(
                name=name,
                prefix=prefix,
                subscope=subscope,
                owner_orgno=owner.orgno,
                settings=settings,
                active=True,
                created=now,
                last_updated=now,
            )
            await unit.scopes.add(scope)
            await self._audit(unit, "scope.create", after=scope)
        return scope

    async def _checked_scope_settings(
        self, unit: RegistryUnit, settings: ScopeSettings, owner_orgno: str
    ) -> ScopeSettings:
        """§4.1 steps 7–8; returns the settings normalised (trimmed, deduplicated)."""
        problem = _scope_settings_errors(settings)
        if problem:
            raise InvalidScopeMetadata(problem)
        settings = replace(
            settings,
            description=settings.description.strip(),
            allowed_integration_types=_dedupe(settings.allowed_integration_types),
            enforced_aud_for_introspection=_dedupe(settings.enforced_aud_for_introspection),
        )
        source = settings.delegation_source
        if source is not None and await unit.delegation_sources.get(source) is None:
            raise InvalidScopeMetadata(f"Unknown delegation_source: {source}")
        audiences = settings.enforced_aud_for_introspection
        if audiences:
            known = await unit.clients.existing_ids(audiences)
            for client_id in audiences:
                if client_id not in known:
                    raise InvalidScopeMetadata(
                        f"Unknown client in enforced_aud_for_introspection: {client_id}"
                    )
        if settings.visibility == Visibility.INTERNAL.value and owner_orgno != self.platform_orgno:
            raise InvalidScopeMetadata("visibility INTERNAL is reserved for the platform")
        return settings

    async def get_scope(self, name: str, *, orgno: str | None = None) -> ApiScope:
        async with self.store.transaction() as unit:
            return await self._owned_scope(unit, name, orgno, change=False)

    async def list_scopes(
        self, *, orgno: str | None = None, include_inactive: bool = False
    ) -> list[ApiScope]:
        async with self.store.transaction() as unit:
            owner = await self._acting_org(unit, orgno, change=False)
            return await unit.scopes.list_owned(owner.orgno, include_inactive=include_inactive)

    async def deactivate_scope(self, name: str, *, orgno: str | None = None) -> ApiScope:
        """§4.2: `active=false`, idempotent; accesses and client registrations are kept."""
        async with self.store.transaction() as unit:
            scope = await self._owned_scope(unit, name, orgno)
            if not scope.active:
                return scope
            before = scope
            scope = replace(scope, active=False, last_updated=self.clock.now())
            await unit.scopes.update(scope)
            await self._audit(unit, "scope.deactivate", before=before, after=scope)
        return scope

    # -- scope access (§4.3) -----------------------------------------------------------------------

    async def grant_access(
        self, scope_name: str, consumer_orgno: str, *, orgno: str | None = None
    ) -> ScopeAccess:
        async with self.store.transaction() as unit:
            scope = await self._owned_scope(unit, scope_name, orgno)
            if not scope.active:
                raise ScopeDeactivated(scope.name)
            consumer = valid_orgno(consumer_orgno)
            return await self._set_access(unit, scope, consumer, AccessState.APPROVED, create=True)

    async def revoke_access(
        self, scope_name: str, consumer_orgno: str, *, orgno: str | None = None
    ) -> ScopeAccess:
        async with self.store.transaction() as unit:
            scope = await self._owned_scope(unit, scope_name, orgno)
            consumer = valid_orgno(consumer_orgno)
            return await self._set_access(unit, scope, consumer, AccessState.DENIED, create=False)

    async def _set_access(
        self, unit: RegistryUnit, scope: ApiScope, consumer: str, state: AccessState, *, create: bool
    ) -> ScopeAccess:
        now = self.clock.now()
        current = await unit.accesses.get(scope.name, consumer)
        if current is None:
            if not create:
                raise ScopeAccessNotFound()
            access = ScopeAccess(
                scope.name, consumer, scope.owner_orgno, state, created=now, last_updated=now
            )
        elif current.state is state:
            return current
        else:
            access = replace(current, state=state, last_updated=now)
        await unit.accesses.save(access)
        action = "scope_access.grant" if state is AccessState.APPROVED else "scope_access.revoke"
        await self._audit(unit, action, before=current, after=access)
        return access

    async def list_accesses(
        self,
        scope_name: str,
        *,
        orgno: str | None = None,
        consumer_orgno: str | None = None,
        include_denied: bool = False,
    ) -> list[ScopeAccess]:
        async with self.store.transaction() as unit:
            scope = await self._owned_scope(unit, scope_name, orgno, change=False)
            rows = await unit.accesses.list_for_scope(scope.name, include_denied=include_denied)
        if consumer_orgno is not None:
            rows = [row for row in rows if row.consumer_orgno == consumer_orgno]
        return rows

    # -- clients (§4.4–§4.7) -----------------------------------------------------------------------

    async def create_client(
        self,
        settings: ClientSettings,
        *,
        orgno: str | None = None,
        generate_key: bool = False,
        jwks: Sequence[object] | None = None,
    ) -> CreatedClient:
        """§4.6 in order; `generate_key` adds a new RSA key and returns its private JWK (never stored)."""
        now = self.clock.now()
        async with self.store.transaction() as unit:
            acting = await self._acting_org(unit, orgno, change=True)
            client_orgno, supplier_orgno = await self._client_owner(unit, acting, settings.client_orgno)
            client = await self._checked_client(unit, settings, client_orgno, supplier_orgno, now)
            generated = None
            keys: list[dict[str, Any]] = []
            if generate_key or jwks is not None:
                if client.token_endpoint_auth_method != PRIVATE_KEY_JWT:
                    raise InvalidClientMetadata("Client does not use private_key_jwt")
                if jwks is not None:
                    keys = check_key_set(jwks)
                if generate_key:
                    generated = generate_rsa_key()
                    keys = check_key_set([*keys, generated.public_jwk])
                await self._check_kids_free(unit, client.client_id, keys)
            secret = None
            if client.token_endpoint_auth_method in SECRET_METHODS:
                secret = secrets.token_urlsafe(32)
                client = replace(
                    client,
                    client_secret_hash=_hash_secret(secret),
                    client_secret_expires_at=now + SECRET_LIFETIME,
                )
            await unit.clients.add(client)
            await self._audit(unit, "client.create", after=client)
            stored = tuple(self._registered(client.client_id, key, now) for key in keys)
            if stored:
                await unit.clients.replace_keys(client.client_id, stored)
                keyset = ClientKeys(client.client_id, client.client_orgno, stored)
                await self._audit(unit, "client.keys.replace", after=keyset)
        return CreatedClient(
            client=client,
            keys=stored,
            generated_key=generated,
            client_secret=secret,
        )

    async def _client_owner(
        self, unit: RegistryUnit, acting: Organisation, requested: str | None
    ) -> tuple[str, str | None]:
        """`client_orgno` defaults to the acting org; another org makes the acting org the supplier."""
        if requested is None or requested == acting.orgno:
            return acting.orgno, None
        try:
            target = str(parse_orgnr(requested))
        except InvalidOrgnr:
            raise InvalidClientMetadata(f"Unknown organisation: {requested}") from None
        organisation = await unit.organisations.get(target)
        if organisation is None or not organisation.active:
            raise InvalidClientMetadata(f"Unknown organisation: {requested}")
        return target, acting.orgno

    async def _checked_client(
        self,
        unit: RegistryUnit,
        settings: ClientSettings,
        client_orgno: str,
        supplier_orgno: str | None,
        now: datetime,
        *,
        kept_scopes: Collection[str] = (),
        trusted_uris: bool = False,
    ) -> ClientRegistration:
        """§4.6 field checks in order; `kept_scopes` (already on the client, PUT) skip the §4.5 check;
        `trusted_uris` (built-in clients: the platform's own configured URLs) skip the URI rules."""
        kind = settings.integration_type
        if not kind:
            raise InvalidClientMetadata("integration_type is required")
        if kind not in INTEGRATION_TYPES:
            raise InvalidClientMetadata(f"Unsupported integration_type: {kind}")
        application_type, auth_method, grant_types = _matrix(settings)
        name = (settings.client_name or "").strip()
        if not name:
            raise InvalidClientMetadata("client_name is required")
        if len(name) > 255:
            raise InvalidClientMetadata("client_name is out of range")
        description = settings.description.strip() if settings.description else None
        if kind in ("maskinporten", "krr") and not description:
            raise InvalidClientMetadata("description is required")
        if description is not None and len(description) > 1000:
            raise InvalidClientMetadata("description is out of range")
        if not trusted_uris:
            self._check_uris(settings, application_type, grant_types)
        self._check_lifetimes(settings, auth_method)
        scopes = _dedupe(settings.scopes if settings.scopes is not None else _default_scopes(kind))
        await self._check_registrable(unit, [s for s in scopes if s not in kept_scopes], kind, client_orgno)
        return ClientRegistration(
            client_id=str(uuid.uuid4()),
            client_name=name,
            description=description,
            client_orgno=client_orgno,
            supplier_orgno=supplier_orgno,
            integration_type=kind,
            application_type=application_type,
            token_endpoint_auth_method=auth_method,
            grant_types=grant_types,
            scopes=scopes,
            redirect_uris=_dedupe(settings.redirect_uris),
            post_logout_redirect_uris=_dedupe(settings.post_logout_redirect_uris),
            frontchannel_logout_uri=settings.frontchannel_logout_uri,
            frontchannel_logout_session_required=settings.frontchannel_logout_session_required,
            sso_disabled=settings.sso_disabled,
            client_uri=settings.client_uri,
            access_token_lifetime=settings.access_token_lifetime,
            refresh_token_lifetime=settings.refresh_token_lifetime,
            authorization_lifetime=settings.authorization_lifetime,
            refresh_token_usage=settings.refresh_token_usage,
            code_challenge_method=settings.code_challenge_method,
            active=True,
            created=now,
            last_updated=now,
        )

    def _check_uris(
        self, settings: ClientSettings, application_type: str, grant_types: tuple[str, ...]
    ) -> None:
        native = application_type == "native"
        for field_name, singular, uris in (
            ("redirect_uris", "redirect_uri", settings.redirect_uris),
            ("post_logout_redirect_uris", "post_logout_redirect_uri", settings.post_logout_redirect_uris),
        ):
            if len(uris) > MAX_URIS:
                raise InvalidClientMetadata(f"{field_name} is out of range")
            for uri in uris:
                if not _valid_uri(uri, native=native, prod=self.prod):
                    raise InvalidClientMetadata(f"Invalid {singular}: {uri}")
        if AUTHORIZATION_CODE in grant_types and not settings.redirect_uris:
            raise InvalidClientMetadata("redirect_uris is required")
        logout = settings.frontchannel_logout_uri
        if logout is not None:
            hosts = {urlsplit(uri).hostname for uri in settings.redirect_uris}
            if (
                not _valid_uri(logout, native=native, prod=self.prod)
                or urlsplit(logout).hostname not in hosts
            ):
                raise InvalidClientMetadata(f"Invalid frontchannel_logout_uri: {logout}")
        client_uri = settings.client_uri
        if client_uri is not None and not (
            _valid_uri(client_uri, native=False, prod=True) and urlsplit(client_uri).scheme == "https"
        ):
            raise InvalidClientMetadata(f"Invalid client_uri: {client_uri}")

    @staticmethod
    def _check_lifetimes(settings: ClientSettings, auth_method: str) -> None:
        for field_name, value, high in (
            ("access_token_lifetime", settings.access_token_lifetime, 7200),
            ("refresh_token_lifetime", settings.refresh_token_lifetime, 31536000),
            ("authorization_lifetime", settings.authorization_lifetime, 31536000),
        ):
            if not _int_in(value, 0, high):
                raise InvalidClientMetadata(f"{field_name} is out of range")
        if settings.integration_type in OIDC_INTEGRATION_TYPES:
            defaults = IDPORTEN_LIFETIME_DEFAULTS
            access = settings.access_token_lifetime or defaults[0]
            refresh = settings.refresh_token_lifetime or defaults[1]
            authorization = settings.authorization_lifetime or defaults[2]
            if access >= refresh:
                raise InvalidClientMetadata("access_token_lifetime must be less than refresh_token_lifetime")
            if refresh > authorization:
                raise InvalidClientMetadata("refresh_token_lifetime must not exceed authorization_lifetime")
        if settings.refresh_token_usage not in ("ONETIME", "REUSE"):
            raise InvalidClientMetadata(
                f"Invalid value for refresh_token_usage: {settings.refresh_token_usage}"
            )
        if settings.code_challenge_method not in ("S256", "none"):
            raise InvalidClientMetadata(
                f"Invalid value for code_challenge_method: {settings.code_challenge_method}"
            )
        if settings.code_challenge_method == "none" and auth_method == "none":
            raise InvalidClientMetadata(
                "code_challenge_method 'none' is not allowed with token_endpoint_auth_method 'none'"
            )

    async def _check_registrable(
        self, unit: RegistryUnit, scopes: Sequence[str], kind: str, client_orgno: str
    ) -> None:
        """§4.5 for each scope being added; the first offender's text."""
        registry_names = [
            s for s in scopes if not (s in OIDC_DEFAULT_SCOPES and kind in OIDC_INTEGRATION_TYPES)
        ]
        if not registry_names:
            return
        found = await unit.scopes.get_many(registry_names)
        approved = await unit.accesses.approved_scopes(client_orgno, registry_names)
        for name in registry_names:
            problem = registrable_problem(name, found.get(name), kind, client_orgno, approved)
            if problem is not None:
                raise InvalidClientMetadata(problem)

    async def registrable_scopes(
        self, kind: str, *, client_orgno: str | None = None, orgno: str | None = None
    ) -> list[tuple[str, ApiScope | None, str]]:
        """§4.5 as a list (the portal's "Legg til scopes"): every scope a client of type `kind` owned by
        `client_orgno` (default: the acting org) may register, each with why — `builtin` (openid, profile),
        `own`, `shared` (an `APPROVED` access), `open` (`accessible_for_all`) or `delegation`."""
        if kind not in INTEGRATION_TYPES:
            raise InvalidClientMetadata(f"Unsupported integration_type: {kind}")
        async with self.store.transaction() as unit:
            acting = await self._acting_org(unit, orgno, change=False)
            owner = acting.orgno if client_orgno is None else valid_orgno(client_orgno)
            candidates = await unit.scopes.list_active()
            approved = await unit.accesses.approved_scopes(owner, [scope.name for scope in candidates])
        found: list[tuple[str, ApiScope | None, str]] = []
        if kind in OIDC_INTEGRATION_TYPES:
            found.extend((name, None, "builtin") for name in OIDC_DEFAULT_SCOPES)
        for scope in candidates:
            if registrable_problem(scope.name, scope, kind, owner, approved) is not None:
                continue
            if scope.owner_orgno == owner:
                reason = "own"
            elif scope.name in approved:
                reason = "shared"
            elif scope.settings.accessible_for_all:
                reason = "open"
            else:
                reason = "delegation"
            found.append((scope.name, scope, reason))
        return found

    @staticmethod
    def _registered(client_id: str, jwk: Mapping[str, Any], now: datetime) -> RegisteredKey:
        return RegisteredKey(
            client_id=client_id,
            kid=str(jwk["kid"]),
            jwk=dict(jwk),
            expires_at=now + KEY_LIFETIME,
            created=now,
        )

    @staticmethod
    async def _check_kids_free(unit: RegistryUnit, client_id: str, keys: Sequence[Mapping[str, Any]]) -> None:
        kids = [str(key["kid"]) for key in keys]
        owners = await unit.clients.kid_owners(kids)
        for kid in kids:
            if owners.get(kid, client_id) != client_id:
                raise InvalidClientMetadata(f"kid '{kid}' is already in use by another client")

    async def get_client(self, client_id: str, *, orgno: str | None = None) -> ClientRegistration:
        async with self.store.transaction() as unit:
            return await self._managed_client(unit, client_id, orgno, change=False)

    async def client_with_kid(self, kid: str) -> ClientRegistration | None:
        """The client a key id is registered on (administrator only)."""
        self._require_admin()
        async with self.store.transaction() as unit:
            owner = (await unit.clients.kid_owners([kid])).get(kid)
            return await unit.clients.get(owner) if owner is not None else None

    async def client_keys(self, client_id: str, *, orgno: str | None = None) -> tuple[RegisteredKey, ...]:
        async with self.store.transaction() as unit:
            await self._managed_client(unit, client_id, orgno, change=False)
            return tuple(await unit.clients.keys(client_id))

    async def _keyed_client(
        self, unit: RegistryUnit, client_id: str, orgno: str | None
    ) -> ClientRegistration:
        client = await self._managed_client(unit, client_id, orgno)
        if not client.active:
            raise RegistryConflict("Client is deactivated")
        if client.token_endpoint_auth_method != PRIVATE_KEY_JWT:
            raise InvalidClientMetadata("Client does not use private_key_jwt")
        return client

    async def replace_client_keys(
        self, client_id: str, keys: Sequence[object], *, orgno: str | None = None
    ) -> tuple[RegisteredKey, ...]:
        """§4.7: the posted set replaces the whole set; every key gets `exp` = now + 365 days."""
        now = self.clock.now()
        async with self.store.transaction() as unit:
            client = await self._keyed_client(unit, client_id, orgno)
            checked = check_key_set(keys)
            await self._check_kids_free(unit, client.client_id, checked)
            stored = tuple(self._registered(client.client_id, key, now) for key in checked)
            previous = tuple(await unit.clients.keys(client.client_id))
            await unit.clients.replace_keys(client.client_id, stored)
            await self._audit(
                unit,
                "client.keys.replace",
                before=ClientKeys(client.client_id, client.client_orgno, previous),
                after=ClientKeys(client.client_id, client.client_orgno, stored),
            )
        return stored

    async def add_client_key(
        self, client_id: str, jwk: object, *, orgno: str | None = None
    ) -> tuple[RegisteredKey, ...]:
        """Add one public key to the client's set (§4.7 checks); the other keys keep their expiry."""
        now = self.clock.now()
        async with self.store.transaction() as unit:
            client = await self._keyed_client(unit, client_id, orgno)
            existing = await unit.clients.keys(client.client_id)
            checked = check_key(len(existing), jwk)
            check_key_set([*(key.jwk for key in existing), checked])
            await self._check_kids_free(unit, client.client_id, [checked])
            stored = (*existing, self._registered(client.client_id, checked, now))
            await unit.clients.replace_keys(client.client_id, stored)
            await self._audit(
                unit,
                "client.keys.add",
                before=ClientKeys(client.client_id, client.client_orgno, tuple(existing)),
                after=ClientKeys(client.client_id, client.client_orgno, stored),
            )
        return stored

    async def ensure_builtin_client(
        self, client_id: str, settings: ClientSettings, *, orgno: str, jwks: Sequence[Mapping[str, Any]]
    ) -> ClientRegistration:
        """A built-in client with a fixed id (§3.5, e.g. `selvbetjening-portal`), kept as `settings` say with
        `jwks` as its key set (renewed when it changes or expires within 30 days). Administrator only;
        idempotent, so every start may call it."""
        self._require_admin()
        now = self.clock.now()
        async with self.store.transaction() as unit:
            current = await unit.clients.get(client_id)
            checked = await self._checked_client(
                unit,
                settings,
                orgno,
                None,
                now,
                kept_scopes=current.scopes if current else (),
                trusted_uris=True,
            )
            client = replace(checked, client_id=client_id)
            if current is None:
                await unit.clients.add(client)
                await self._audit(unit, "client.create", after=client)
            elif replace(client, created=current.created, last_updated=current.last_updated) != current:
                client = replace(client, created=current.created)
                await unit.clients.update(client)
                await self._audit(unit, "client.update", before=current, after=client)
            else:
                client = current
            keys = check_key_set(list(jwks))
            existing = await unit.clients.keys(client_id)
            renew = any(key.expires_at - now < timedelta(days=30) for key in existing)
            if renew or sorted(key.kid for key in existing) != sorted(str(key["kid"]) for key in keys):
                await self._check_kids_free(unit, client_id, keys)
                stored = tuple(self._registered(client_id, key, now) for key in keys)
                await unit.clients.replace_keys(client_id, stored)
                await self._audit(
                    unit,
                    "client.keys.replace",
                    before=ClientKeys(client_id, client.client_orgno, tuple(existing)),
                    after=ClientKeys(client_id, client.client_orgno, stored),
                )
        return client

    # -- self-service API use cases (selvbetjening.md §2, §4, §5) ------------------------------------

    async def acting_organisation(self, *, change: bool) -> Organisation:
        """§2 step 2 for the actor's organisation: registered and active; `change` also needs the terms."""
        async with self.store.transaction() as unit:
            return await self._acting_org(unit, None, change=change)

    async def list_clients(
        self,
        *,
        orgno: str | None = None,
        own: bool = True,
        supplied: bool = False,
        include_inactive: bool = False,
    ) -> list[ClientRegistration]:
        """§5 `GET /clients`: the org's own clients and/or those it manages for customers."""
        async with self.store.transaction() as unit:
            acting = await self._acting_org(unit, orgno, change=False)
            return await unit.clients.list_for_org(
                acting.orgno, own=own, supplied=supplied, include_inactive=include_inactive
            )

    async def update_client(
        self, client_id: str, settings: ClientSettings, *, orgno: str | None = None
    ) -> CreatedClient:
        """§4.6 `PUT /clients/{id}`: full replacement in the create order; a switch to a secret method
        issues a secret (returned once), a switch away deletes it. `client_orgno` cannot change."""
        now = self.clock.now()
        async with self.store.transaction() as unit:
            current = await self._managed_client(unit, client_id, orgno)
            if not current.active:
                raise RegistryConflict("Client is deactivated")
            kind = settings.integration_type or current.integration_type
            if kind != current.integration_type:
                raise InvalidClientMetadata("integration_type cannot be changed")
            checked = await self._checked_client(
                unit,
                replace(settings, integration_type=kind),
                current.client_orgno,
                current.supplier_orgno,
                now,
                kept_scopes=current.scopes,
            )
            client = replace(
                checked,
                client_id=current.client_id,
                created=current.created,
                client_secret_hash=current.client_secret_hash,
                client_secret_expires_at=current.client_secret_expires_at,
            )
            secret = None
            if client.token_endpoint_auth_method not in SECRET_METHODS:
                client = replace(client, client_secret_hash=None, client_secret_expires_at=None)
            elif current.token_endpoint_auth_method not in SECRET_METHODS:
                secret, client = self._with_new_secret(client, now)
            await unit.clients.update(client)
            await self._audit(unit, "client.update", before=current, after=client)
        return CreatedClient(client=client, client_secret=secret)

    @staticmethod
    def _with_new_secret(client: ClientRegistration, now: datetime) -> tuple[str, ClientRegistration]:
        secret = secrets.token_urlsafe(32)  # 43 characters
        return secret, replace(
            client,
            client_secret_hash=_hash_secret(secret),
            client_secret_expires_at=now + SECRET_LIFETIME,
            last_updated=now,
        )

    async def rotate_client_secret(self, client_id: str, *, orgno: str | None = None) -> CreatedClient:
        """§4.6 `POST /clients/{id}/secret`: a new secret replaces the old one, returned once."""
        now = self.clock.now()
        async with self.store.transaction() as unit:
            client = await self._managed_client(unit, client_id, orgno)
            if not client.active:
                raise RegistryConflict("Client is deactivated")
            if client.token_endpoint_auth_method not in SECRET_METHODS:
                raise InvalidClientMetadata("Client does not use a client secret")
            before = client
            secret, client = self._with_new_secret(client, now)
            await unit.clients.update(client)
            await self._audit(unit, "client.rotate_secret", before=before, after=client)
        return CreatedClient(client=client, client_secret=secret)

    async def deactivate_client(self, client_id: str, *, orgno: str | None = None) -> ClientRegistration:
        """§4.6 `DELETE /clients/{id}`: `active=false` (idempotent); keys are kept, never reactivated."""
        async with self.store.transaction() as unit:
            client = await self._managed_client(unit, client_id, orgno)
            if not client.active:
                return client
            before = client
            client = replace(client, active=False, last_updated=self.clock.now())
            await unit.clients.update(client)
            await self._audit(unit, "client.deactivate", before=before, after=client)
        return client

    async def delete_client_keys(self, client_id: str, *, orgno: str | None = None) -> None:
        """§4.7 `DELETE /clients/{id}/jwks`: remove every key of the client."""
        async with self.store.transaction() as unit:
            client = await self._keyed_client(unit, client_id, orgno)
            before = ClientKeys(
                client.client_id, client.client_orgno, tuple(await unit.clients.keys(client_id))
            )
            await unit.clients.replace_keys(client.client_id, ())
            await self._audit(unit, "client.keys.delete", before=before)

    async def update_scope(
        self,
        name: str,
        settings: ScopeSettings,
        *,
        active: object = None,
        sent_name: object = None,
        sent_prefix: object = None,
        sent_subscope: object = None,
        orgno: str | None = None,
    ) -> ApiScope:
        """§4.1 `PUT /scopes?scope=`: full replacement of the mutable fields; `active` None = unchanged."""
        async with self.store.transaction() as unit:
            scope = await self._owned_scope(unit, name, orgno)
            prefix = (
                sent_prefix[:-1]
                if isinstance(sent_prefix, str) and sent_prefix.endswith(":")
                else sent_prefix
            )
            for sent, stored in (
                (sent_name, scope.name),
                (prefix, scope.prefix),
                (sent_subscope, scope.subscope),
            ):
                if sent is not None and sent != stored:
                    raise InvalidScopeMetadata("Scope name cannot be changed")
            checked = await self._checked_scope_settings(unit, settings, scope.owner_orgno)
            if active is not None and not isinstance(active, bool):
                raise InvalidScopeMetadata("Invalid value for active")
            before = scope
            scope = replace(
                scope,
                settings=checked,
                active=scope.active if active is None else active,
                last_updated=self.clock.now(),
            )
            await unit.scopes.update(scope)
            await self._audit(unit, "scope.update", before=before, after=scope)
        return scope

    async def public_scopes(
        self,
        *,
        accessible_for_all: bool | None = None,
        integration_type: str | None = None,
        prefix: str | None = None,
    ) -> list[ApiScope]:
        """§5 `GET /scopes/all`: active `PUBLIC` scopes of all organisations, filtered; an empty
        `allowed_integration_types` matches every integration type."""
        async with self.store.transaction() as unit:
            found = await unit.scopes.list_public()
        return [
            scope
            for scope in found
            if (accessible_for_all is None or scope.settings.accessible_for_all is accessible_for_all)
            and (
                integration_type is None
                or not scope.settings.allowed_integration_types
                or integration_type in scope.settings.allowed_integration_types
            )
            and (prefix is None or scope.prefix == prefix)
        ]

    async def consumer_accesses(self, *, orgno: str | None = None) -> list[tuple[ScopeAccess, ApiScope]]:
        """§5 `GET /scopes/access/all`: the acting org's `APPROVED` accesses to active scopes."""
        async with self.store.transaction() as unit:
            acting = await self._acting_org(unit, orgno, change=False)
            rows = await unit.accesses.list_for_consumer(acting.orgno)
            found = await unit.scopes.get_many([row.scope for row in rows])
        return [(row, found[row.scope]) for row in rows if row.scope in found and found[row.scope].active]


def registrable_problem(
    name: str, scope: ApiScope | None, kind: str, client_orgno: str, approved: Collection[str]
) -> str | None:
    """§4.5 (b) for one registry scope: None when registrable, else the error text."""
    if scope is None:
        return f"Scope '{name}' does not exist"
    if not scope.active:
        return f"Scope '{name}' is deactivated"
    allowed = scope.settings.allowed_integration_types
    by_matrix = kind in ("maskinporten", "api_klient") or (kind == "krr" and scope.prefix == "krr")
    if not by_matrix or (allowed and kind not in allowed):
        return f"Scope '{name}' is not allowed for integration_type '{kind}'"
    if not (
        scope.owner_orgno == client_orgno
        or scope.settings.accessible_for_all
        or name in approved
        or (kind == "maskinporten" and scope.settings.delegation_source is not None)
    ):
        return (
            f"Scope '{name}' is not shared with organisation {client_orgno} in this environment. "
            "Contact the API provider."
        )
    return None


def _default_scopes(kind: str) -> tuple[str, ...]:
    if kind in OIDC_INTEGRATION_TYPES:
        return OIDC_DEFAULT_SCOPES
    if kind == "krr":
        return KRR_DEFAULT_SCOPES
    return ()


def _matrix(settings: ClientSettings) -> tuple[str, str, tuple[str, ...]]:
    """§4.4: fill in the defaults, then check application type, auth method and grant types."""
    kind = settings.integration_type

    def not_allowed(field_name: str, value: str) -> InvalidClientMetadata:
        return InvalidClientMetadata(f"{field_name} '{value}' is not allowed for integration_type '{kind}'")

    application_types = _MATRIX_APPLICATION_TYPES[kind]
    application_type = settings.application_type or application_types[0]
    if application_type not in application_types:
        raise not_allowed("application_type", application_type)
    if kind in OIDC_INTEGRATION_TYPES:
        methods = _WEB_AUTH_METHODS if application_type == "web" else _PUBLIC_AUTH_METHODS
        grant_types_allowed: tuple[str, ...] = _OIDC_GRANT_TYPES
    else:
        methods = (PRIVATE_KEY_JWT,)
        grant_types_allowed = (JWT_BEARER,)
    auth_method = settings.token_endpoint_auth_method or methods[0]
    if auth_method not in methods:
        raise not_allowed("token_endpoint_auth_method", auth_method)
    grant_types = _dedupe(settings.grant_types or grant_types_allowed[:1])
    for grant_type in grant_types:
        if grant_type not in grant_types_allowed:
            raise not_allowed("grant_types", grant_type)
    if grant_types_allowed[0] not in grant_types:
        raise InvalidClientMetadata(f"grant_types must include {grant_types_allowed[0]}")
    return application_type, auth_method, grant_types
