"""CLI: Platform administration (selvbetjening.md §7), on the same use cases as the APIs.

Positional arguments follow selvbetjening.md §7 (`prefix assign <prefix> <orgno>`); each also has an
option form (`--prefix`, `--orgno`/`--orgnr`) for scripts. Exit codes per `portvakt.commandline`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from portvakt.commandline import EXIT_USAGE, JsonOption, cli_errors, emit_json, fail, settings_or_exit, stdout
from portvakt.domain.clock import SystemClock
from portvakt.registry.admin import KEEP, AdminService, admin_service
from portvakt.registry.audit import AuditEvent, audit_event_json
from portvakt.registry.jwk import write_private_key
from portvakt.registry.model import (
    ClientSettings,
    ScopeSettings,
    access_json,
    client_json,
    delegation_source_json,
    format_timestamp,
    key_set_json,
    organisation_json,
    scope_json,
)
from portvakt.registry.service import Actor, RegistryService
from portvakt.registry.users import PortalUser, user_json
from portvakt.settings import Settings
from portvakt.storage.engine import Database, null_pool_sync_engine
from portvakt.storage.migrate import head_revision

T = TypeVar("T")

API_ACCESS_SCOPES: tuple[str, ...] = (
    "idporten:dcr.read",
    "idporten:dcr.modify",
    "idporten:dcr.write",
    "idporten:scopes.write",
)

admin_app = typer.Typer(help="Platform administration (selvbetjening.md §7).", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
prefix_app = typer.Typer(help="Scope prefixes.", no_args_is_help=True)
scope_app = typer.Typer(help="Scopes.", no_args_is_help=True)
access_app = typer.Typer(help="Scope access for consumer organisations.", no_args_is_help=True)
client_app = typer.Typer(help="Clients (integrations) and their keys.", no_args_is_help=True)
source_app = typer.Typer(help="Delegation sources.", no_args_is_help=True)
user_app = typer.Typer(help="Portal users and their rights.", no_args_is_help=True)
admin_app.add_typer(org_app, name="org")
admin_app.add_typer(prefix_app, name="prefix")
admin_app.add_typer(scope_app, name="scope")
admin_app.add_typer(access_app, name="access")
admin_app.add_typer(client_app, name="client")
admin_app.add_typer(source_app, name="delegation-source")
admin_app.add_typer(user_app, name="user")

OrgnoOption = Annotated[
    str | None, typer.Option("--orgno", "--orgnr", help="Organisation number (9 digits).", show_default=False)
]


def _schema_revision(url: str) -> str | None:
    """The database's Alembic revision, read without Alembic's runtime (which logs to stderr)."""
    engine = null_pool_sync_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            revision: str | None = connection.scalar(text("SELECT version_num FROM alembic_version"))
            return revision
    finally:
        engine.dispose()


def _run(work: Callable[[AdminService, Settings], Awaitable[T]]) -> T:
    """Run one use case on a fresh connection as the platform administrator (channel `cli`)."""
    settings = settings_or_exit()
    try:
        migrated = _schema_revision(settings.database_url) == head_revision()
    except SQLAlchemyError as exc:
        fail(f"portvakt: cannot use the database: {type(exc).__name__}", EXIT_USAGE)
    if not migrated:
        fail("portvakt: the database is not migrated; run `portvakt migrate` first", EXIT_USAGE)

    async def main() -> T:
        database = Database.connect(settings.database_url)
        try:
            service = admin_service(settings, database, SystemClock(), Actor.cli())
            return await work(service, settings)
        finally:
            await database.dispose()

    with cli_errors():
        return asyncio.run(main())


def _one(what: str, positional: str | None, option: str | None) -> str:
    if positional and option and positional != option:
        fail(f"Give {what} once (as an argument or an option, not both)", EXIT_USAGE)
    value = positional or option
    if not value:
        fail(f"Missing {what}", EXIT_USAGE)
    return value


def _show(document: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        emit_json(document)
    else:
        stdout.print(line, markup=False, highlight=False)


# -- bootstrap --------------------------------------------------------------------------------------


@admin_app.command()
def bootstrap(json_output: bool = JsonOption) -> None:
    """Create the platform organisation, prefixes, admin scopes and the `altinn` source (idempotent)."""

    async def work(service: RegistryService, settings: Settings) -> Any:
        return await service.bootstrap(altinn_issuer=settings.base_url("altinn") + "/")

    report = _run(work)
    organisation = report.organisation
    created = ", ".join(report.created) if report.created else "nothing (already up to date)"
    _show(
        {"organisation": organisation_json(organisation), "created": list(report.created)},
        json_output,
        f"Platform organisation {organisation.orgno} ({organisation.name}); created: {created}",
    )


# -- organisations ----------------------------------------------------------------------------------


@org_app.command("add")
def org_add(  # noqa: PLR0917 - one parameter per CLI option
    orgno_argument: Annotated[str | None, typer.Argument(metavar="[ORGNO]", show_default=False)] = None,
    orgno: OrgnoOption = None,
    name: Annotated[str, typer.Option("--name", help="Organisation name.")] = "",
    domains: Annotated[
        list[str] | None, typer.Option("--domain", help="E-mail domain (repeatable).", show_default=False)
    ] = None,
    terms_signed: Annotated[
        bool, typer.Option("--terms-signed", help="The terms of use are signed.")
    ] = False,
    api_access: Annotated[
        bool,
        typer.Option(
            "--api-access", help="Grant idporten:dcr.read/.modify/.write and idporten:scopes.write."
        ),
    ] = False,
    json_output: bool = JsonOption,
) -> None:
    """Register an organisation."""
    number = _one("the organisation number", orgno_argument, orgno)
    if not name:
        fail("Missing option --name", EXIT_USAGE)

    async def work(service: RegistryService, _settings: Settings) -> Any:
        organisation = await service.add_organisation(
            number, name, email_domains=domains or (), terms_signed=terms_signed
        )
        scopes = API_ACCESS_SCOPES if api_access else ()
        return organisation, [await service.grant_access(scope, organisation.orgno) for scope in scopes]

    organisation, granted = _run(work)
    document = organisation_json(organisation)
    document["access"] = [access.scope for access in granted]
    _show(document, json_output, f"Organisation {organisation.orgno} ({organisation.name}) added")


@org_app.command("show")
def org_show(
    orgno_argument: Annotated[str | None, typer.Argument(metavar="[ORGNO]", show_default=False)] = None,
    orgno: OrgnoOption = None,
    json_output: bool = JsonOption,
) -> None:
    """Show one organisation."""
    number = _one("the organisation number", orgno_argument, orgno)

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.get_organisation(number)

    organisation = _run(work)
    prefixes = ", ".join(organisation.prefixes) or "-"
    _show(
        organisation_json(organisation),
        json_output,
        f"{organisation.orgno}  {organisation.name}  prefixes: {prefixes}  "
        f"terms signed: {'yes' if organisation.terms_signed else 'no'}",
    )


@org_app.command("list")
def org_list(
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include deactivated organisations.")
    ] = False,
    json_output: bool = JsonOption,
) -> None:
    """List the active organisations (with --all also the deactivated ones)."""

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.list_organisations(include_inactive=include_inactive)

    organisations = _run(work)
    if json_output:
        emit_json([organisation_json(organisation) for organisation in organisations])
        return
    for organisation in organisations:
        state = "" if organisation.active else "  (deactivated)"
        stdout.print(f"{organisation.orgno}  {organisation.name}{state}", markup=False, highlight=False)


def _merged_mercantile(
    current: Any,
    reference: str | None,
    email: str | None,
    address: str | None,
    points: list[str] | None,
) -> Any:
    """The organisation's mercantile data with the given CLI options applied ("" clears a text)."""
    if reference is None and email is None and address is None and points is None:
        return KEEP
    document = dict(current or {})
    invoice = dict(document.get("invoice") or {})
    for member, value in (("reference", reference), ("email", email), ("address", address)):
        if value is not None:
            invoice[member] = value or None
    document["invoice"] = invoice
    if points is not None:
        document["notification_points"] = [point for point in points if point]
    return document


@org_app.command("update")
def org_update(  # noqa: PLR0917 - one parameter per CLI option
    orgno_argument: Annotated[str | None, typer.Argument(metavar="[ORGNO]", show_default=False)] = None,
    orgno: OrgnoOption = None,
    name: Annotated[str | None, typer.Option("--name", show_default=False)] = None,
    domains: Annotated[
        list[str] | None,
        typer.Option("--domain", help="E-mail domain (repeatable; replaces the set).", show_default=False),
    ] = None,
    no_domains: Annotated[bool, typer.Option("--no-domains", help="Remove every e-mail domain.")] = False,
    terms_signed: Annotated[
        bool | None, typer.Option("--terms-signed/--terms-not-signed", show_default=False)
    ] = None,
    invoice_reference: Annotated[str | None, typer.Option("--invoice-reference", show_default=False)] = None,
    invoice_email: Annotated[str | None, typer.Option("--invoice-email", show_default=False)] = None,
    invoice_address: Annotated[str | None, typer.Option("--invoice-address", show_default=False)] = None,
    notification_points: Annotated[
        list[str] | None,
        typer.Option(
            "--notification-point",
            help="Notification e-mail (repeatable; replaces the list).",
            show_default=False,
        ),
    ] = None,
    json_output: bool = JsonOption,
) -> None:
    """Change an organisation's name, e-mail domains, terms or mercantile data."""
    number = _one("the organisation number", orgno_argument, orgno)
    if no_domains and domains:
        fail("Use either --domain or --no-domains", EXIT_USAGE)
    chosen_domains: Any = [] if no_domains else (domains if domains is not None else KEEP)

    async def work(service: AdminService, _settings: Settings) -> Any:
        current = await service.get_organisation(number)
        mercantile = _merged_mercantile(
            current.mercantile, invoice_reference, invoice_email, invoice_address, notification_points
        )
        return await service.update_organisation(
            number,
            name=name if name is not None else KEEP,
            email_domains=chosen_domains,
            terms_signed=terms_signed if terms_signed is not None else KEEP,
            mercantile=mercantile,
        )

    organisation = _run(work)
    _show(
        organisation_json(organisation),
        json_output,
        f"Organisation {organisation.orgno} ({organisation.name}) updated",
    )


@org_app.command("deactivate")
def org_deactivate(
    orgno_argument: Annotated[str | None, typer.Argument(metavar="[ORGNO]", show_default=False)] = None,
    orgno: OrgnoOption = None,
    json_output: bool = JsonOption,
) -> None:
    """Deactivate an organisation (nothing is deleted)."""
    number = _one("the organisation number", orgno_argument, orgno)

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.deactivate_organisation(number)

    organisation = _run(work)
    _show(
        organisation_json(organisation),
        json_output,
        f"Organisation {organisation.orgno} ({organisation.name}) is deactivated",
    )


# -- prefixes ---------------------------------------------------------------------------------------


@prefix_app.command("assign")
def prefix_assign(
    prefix_argument: Annotated[str | None, typer.Argument(metavar="[PREFIX]", show_default=False)] = None,
    orgno_argument: Annotated[str | None, typer.Argument(metavar="[ORGNO]", show_default=False)] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", show_default=False)] = None,
    orgno: OrgnoOption = None,
    json_output: bool = JsonOption,
) -> None:
    """Assign a scope prefix to an organisation."""
    chosen_prefix = _one("the prefix", prefix_argument, prefix)
    number = _one("the organisation number", orgno_argument, orgno)

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.assign_prefix(chosen_prefix, number)

    assigned = _run(work)
    _show(
        {"prefix": assigned.prefix, "orgno": assigned.orgno},
        json_output,
        f"Prefix '{assigned.prefix}' is assigned to organisation {assigned.orgno}",
    )


@prefix_app.command("revoke")
def prefix_revoke(
    prefix_argument: Annotated[str | None, typer.Argument(metavar="[PREFIX]", show_default=False)] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", show_default=False)] = None,
    json_output: bool = JsonOption,
) -> None:
    """Take a prefix back from its organisation (refused while scopes use it)."""
    chosen_prefix = _one("the prefix", prefix_argument, prefix)

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.unassign_prefix(chosen_prefix)

    organisation = _run(work)
    _show(
        {"prefix": chosen_prefix.strip().rstrip(":"), "orgno": organisation.orgno},
        json_output,
        f"Prefix '{chosen_prefix}' is no longer assigned to organisation {organisation.orgno}",
    )


# -- scopes -----------------------------------------------------------------------------------------


@scope_app.command("create")
def scope_create(  # noqa: PLR0917 - one parameter per CLI option
    name_argument: Annotated[
        str | None, typer.Argument(metavar="[PREFIX:SUBSCOPE]", show_default=False)
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", show_default=False)] = None,
    subscope: Annotated[str | None, typer.Option("--subscope", show_default=False)] = None,
    orgno: OrgnoOption = None,
    description: Annotated[str, typer.Option("--description", help="Shown in consent dialogs.")] = "",
    long_description: Annotated[str | None, typer.Option("--long-description", show_default=False)] = None,
    integration_types: Annotated[
        list[str] | None,
        typer.Option(
            "--integration-type",
            "--allowed-integration-types",
            help="Allowed integration type (repeatable); none = any.",
            show_default=False,
        ),
    ] = None,
    accessible_for_all: Annotated[bool, typer.Option("--accessible-for-all")] = False,
    at_max_age: Annotated[int, typer.Option("--at-max-age", help="Max token lifetime (s); 0 = no cap.")] = 0,
    delegation_source: Annotated[str | None, typer.Option("--delegation-source", show_default=False)] = None,
    visibility: Annotated[str, typer.Option("--visibility", help="PUBLIC, PRIVATE or INTERNAL.")] = "PUBLIC",
    json_output: bool = JsonOption,
) -> None:
    """Create a scope under a prefix its owner has been assigned."""
    if name_argument is not None:
        if prefix is not None or subscope is not None:
            fail("Give the scope as PREFIX:SUBSCOPE or with --prefix/--subscope, not both", EXIT_USAGE)
        prefix, _, subscope = name_argument.partition(":")
    types = [part.strip() for value in integration_types or () for part in value.split(",") if part.strip()]
    settings = ScopeSettings(
        description=description,
        long_description=long_description,
        visibility=visibility,
        at_max_age=at_max_age,
        accessible_for_all=accessible_for_all,
        allowed_integration_types=tuple(types),
        delegation_source=delegation_source,
    )

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.create_scope(prefix, subscope, settings, orgno=orgno)

    scope = _run(work)
    _show(scope_json(scope), json_output, f"Scope {scope.name} created (owner {scope.owner_orgno})")


@scope_app.command("deactivate")
def scope_deactivate(
    name_argument: Annotated[str | None, typer.Argument(metavar="[SCOPE]", show_default=False)] = None,
    scope: Annotated[str | None, typer.Option("--scope", show_default=False)] = None,
    json_output: bool = JsonOption,
) -> None:
    """Deactivate a scope (accesses and client registrations are kept)."""
    name = _one("the scope", name_argument, scope)

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.deactivate_scope(name)

    deactivated = _run(work)
    _show(scope_json(deactivated), json_output, f"Scope {deactivated.name} is deactivated")


@scope_app.command("show")
def scope_show(
    name_argument: Annotated[str | None, typer.Argument(metavar="[SCOPE]", show_default=False)] = None,
    scope: Annotated[str | None, typer.Option("--scope", show_default=False)] = None,
    json_output: bool = JsonOption,
) -> None:
    """Show one scope."""
    name = _one("the scope", name_argument, scope)

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.get_scope(name)

    found = _run(work)
    state = "active" if found.active else "deactivated"
    _show(scope_json(found), json_output, f"{found.name}  owner {found.owner_orgno}  {state}")


# -- access -----------------------------------------------------------------------------------------


def _access_command(grant: bool) -> Callable[..., None]:
    def command(
        scope_argument: Annotated[str | None, typer.Argument(metavar="[SCOPE]", show_default=False)] = None,
        orgno_argument: Annotated[str | None, typer.Argument(metavar="[ORGNO]", show_default=False)] = None,
        scope: Annotated[str | None, typer.Option("--scope", show_default=False)] = None,
        orgno: OrgnoOption = None,
        json_output: bool = JsonOption,
    ) -> None:
        name = _one("the scope", scope_argument, scope)
        consumer = _one("the organisation number", orgno_argument, orgno)

        async def work(service: RegistryService, _settings: Settings) -> Any:
            if grant:
                return await service.grant_access(name, consumer)
            return await service.revoke_access(name, consumer)

        access = _run(work)
        _show(
            access_json(access),
            json_output,
            f"Access to {access.scope} for {access.consumer_orgno}: {access.state.value}",
        )

    command.__doc__ = (
        "Grant an organisation access to a scope (APPROVED)."
        if grant
        else "Revoke an organisation's access to a scope (DENIED)."
    )
    return command


access_app.command("grant")(_access_command(grant=True))
access_app.command("revoke")(_access_command(grant=False))


# -- clients ----------------------------------------------------------------------------------------


def _read_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"Cannot read {path}: {exc}", EXIT_USAGE)


def _jwks_from_file(path: Path) -> list[Any]:
    document = _read_json_file(path)
    if isinstance(document, dict) and isinstance(document.get("keys"), list):
        return list(document["keys"])
    return [document]


@client_app.command("create")
def client_create(  # noqa: PLR0917 - one parameter per CLI option
    key_out_argument: Annotated[
        Path | None,
        typer.Argument(metavar="[KEY_OUT]", help="With --generate-key: where to write the private JWK."),
    ] = None,
    orgno: OrgnoOption = None,
    name: Annotated[str, typer.Option("--name", help="Client name.")] = "",
    description: Annotated[
        str | None, typer.Option("--description", help="Default: the name.", show_default=False)
    ] = None,
    integration_type: Annotated[
        str, typer.Option("--integration-type", help="maskinporten, krr, idporten or api_klient.")
    ] = "maskinporten",
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Scope (repeatable).", show_default=False)
    ] = None,
    scopes: Annotated[
        str | None, typer.Option("--scopes", help="Comma list of scopes.", show_default=False)
    ] = None,
    generate_key: Annotated[
        bool, typer.Option("--generate-key", help="Generate an RSA key and register its public half.")
    ] = False,
    key_out: Annotated[
        Path | None, typer.Option("--key-out", help="Private JWK file (mode 0600).", show_default=False)
    ] = None,
    jwk_file: Annotated[
        Path | None, typer.Option("--jwk-file", help="Public JWK or JWKS to register.", show_default=False)
    ] = None,
    redirect_uris: Annotated[list[str] | None, typer.Option("--redirect-uri", show_default=False)] = None,
    post_logout_redirect_uris: Annotated[
        list[str] | None, typer.Option("--post-logout-redirect-uri", show_default=False)
    ] = None,
    auth_method: Annotated[str | None, typer.Option("--auth-method", show_default=False)] = None,
    application_type: Annotated[str | None, typer.Option("--application-type", show_default=False)] = None,
    json_output: bool = JsonOption,
) -> None:
    """Create a client; prints client_id, kid and (for secret-based clients) the secret, once."""
    owner = _one("the organisation number (--orgno)", None, orgno)
    if not name:
        fail("Missing option --name", EXIT_USAGE)
    key_path = key_out or key_out_argument
    if key_out is not None and key_out_argument is not None and key_out != key_out_argument:
        fail("Give the key file once", EXIT_USAGE)
    if generate_key and key_path is None:
        fail("--generate-key needs a file for the private key (--key-out FILE)", EXIT_USAGE)
    if key_path is not None and not generate_key:
        fail("A key file is only written with --generate-key", EXIT_USAGE)
    if generate_key and jwk_file is not None:
        fail("Use either --generate-key or --jwk-file", EXIT_USAGE)
    chosen = [*(scope or ()), *(part.strip() for part in (scopes or "").split(",") if part.strip())]
    jwks = _jwks_from_file(jwk_file) if jwk_file is not None else None
    settings = ClientSettings(
        client_name=name,
        description=description if description is not None else name,
        integration_type=integration_type,
        application_type=application_type,
        token_endpoint_auth_method=auth_method,
        scopes=tuple(chosen) if chosen or scope is not None or scopes is not None else None,
        redirect_uris=tuple(redirect_uris or ()),
        post_logout_redirect_uris=tuple(post_logout_redirect_uris or ()),
    )

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.create_client(settings, orgno=owner, generate_key=generate_key, jwks=jwks)

    created = _run(work)
    document = client_json(created.client, client_secret=created.client_secret)
    document["jwks"] = key_set_json(created.keys)
    kid = (
        created.generated_key.kid
        if created.generated_key
        else (created.keys[0].kid if created.keys else None)
    )
    document["kid"] = kid
    lines = [f"client_id: {created.client.client_id}"]
    if kid is not None:
        lines.append(f"kid: {kid}")
    if created.generated_key is not None and key_path is not None:
        pem = write_private_key(key_path, created.generated_key)
        document["key_file"] = str(key_path)
        document["pem_file"] = str(pem)
        lines.append(f"private key: {key_path} (JWK), {pem} (PEM)")
    if created.client_secret is not None:
        lines.append(f"client_secret: {created.client_secret}  (shown once)")
    _show(document, json_output, "\n".join(lines))


@client_app.command("add-key")
def client_add_key(
    client_id: Annotated[str, typer.Option("--client-id", help="The client.")] = "",
    jwk_file: Annotated[
        Path | None, typer.Option("--jwk-file", help="Public JWK.", show_default=False)
    ] = None,
    json_output: bool = JsonOption,
) -> None:
    """Add a public key to a private_key_jwt client (expires one year after upload)."""
    if not client_id or jwk_file is None:
        fail("Missing option --client-id or --jwk-file", EXIT_USAGE)
    jwk = _read_json_file(jwk_file)

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.add_client_key(client_id, jwk)

    keys = _run(work)
    _show(key_set_json(keys), json_output, f"Key {keys[-1].kid} added; the client has {len(keys)} key(s)")


# -- delegation sources -----------------------------------------------------------------------------


@source_app.command("list")
def source_list(json_output: bool = JsonOption) -> None:
    """List the known delegation sources."""

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.list_delegation_sources()

    sources = _run(work)
    if json_output:
        emit_json([delegation_source_json(source) for source in sources])
        return
    for source in sources:
        stdout.print(f"{source.name}  {source.issuer}", markup=False, highlight=False)


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(help="Short name, e.g. altinn.")],
    issuer: Annotated[str, typer.Argument(help="Issuer URL.")],
    json_output: bool = JsonOption,
) -> None:
    """Register a delegation source."""

    async def work(service: RegistryService, _settings: Settings) -> Any:
        return await service.add_delegation_source(name, issuer)

    source = _run(work)
    _show(delegation_source_json(source), json_output, f"Delegation source {source.name} ({source.issuer})")


# -- portal users -----------------------------------------------------------------------------------


def _user_line(user: PortalUser) -> str:
    rights = ", ".join(user.rights) or "-"
    state = "" if user.active else "  (deactivated)"
    pid = "  pid: set" if user.pid else ""
    return f"{user.email}  {user.name}  org {user.orgno}  rights: {rights}{pid}{state}"


@user_app.command("list")
def user_list(orgno: OrgnoOption = None, json_output: bool = JsonOption) -> None:
    """List portal users, optionally of one organisation."""

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.list_users(orgno=orgno)

    users = _run(work)
    if json_output:
        emit_json([user_json(user) for user in users])
        return
    for user in users:
        stdout.print(_user_line(user), markup=False, highlight=False)


@user_app.command("show")
def user_show(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    json_output: bool = JsonOption,
) -> None:
    """Show one portal user."""

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.get_user(email, by_email=True)

    user = _run(work)
    _show(user_json(user), json_output, _user_line(user))


@user_app.command("set-pid")
def user_set_pid(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    pid: Annotated[str, typer.Argument(help="National identity number (11 digits).")],
    json_output: bool = JsonOption,
) -> None:
    """Bind a national identity number to a user (needed for ID-porten login)."""

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.set_user_pid(email, pid)

    user = _run(work)
    _show(user_json(user), json_output, f"National identity number set for {user.email}")


def _right_command(grant: bool) -> Callable[..., None]:
    def command(
        email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
        right: Annotated[str, typer.Argument(metavar="RIGHT", help="APIer, integrasjoner or leverandør.")],
        json_output: bool = JsonOption,
    ) -> None:
        async def work(service: AdminService, _settings: Settings) -> Any:
            if grant:
                return await service.grant_right(email, right)
            return await service.revoke_right(email, right)

        user = _run(work)
        rights = ", ".join(user.rights) or "none"
        _show(user_json(user), json_output, f"Rights of {user.email}: {rights}")

    command.__doc__ = (
        "Grant a right (APIer, integrasjoner, leverandør; ASCII aliases apier, leverandor)."
        if grant
        else "Revoke a right (APIer, integrasjoner, leverandør; ASCII aliases apier, leverandor)."
    )
    return command


user_app.command("grant")(_right_command(grant=True))
user_app.command("revoke")(_right_command(grant=False))


@user_app.command("set-org")
def user_set_org(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    orgno: Annotated[str, typer.Argument(metavar="ORGNO", help="Organisation number.")],
    json_output: bool = JsonOption,
) -> None:
    """Move a user to another organisation."""

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.set_user_org(email, orgno)

    user = _run(work)
    _show(user_json(user), json_output, f"{user.email} now represents organisation {user.orgno}")


@user_app.command("deactivate")
def user_deactivate(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    json_output: bool = JsonOption,
) -> None:
    """Deactivate a portal user."""

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.deactivate_user(email, by_email=True)

    user = _run(work)
    _show(user_json(user), json_output, f"User {user.email} is deactivated")


# -- change log -------------------------------------------------------------------------------------


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(
            f"Invalid --since: {value} (use an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00Z)",
            EXIT_USAGE,
        )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _event_line(event: AuditEvent) -> str:
    org = event.acting_orgno or "-"
    return (
        f"{format_timestamp(event.occurred)}  {event.channel}  {event.actor} ({org})  {event.action}  "
        f"{event.entity_type} {event.entity_id}"
    )


@admin_app.command("audit")
def audit(
    orgno: OrgnoOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only changes at or after this ISO 8601 date/time (UTC).")
    ] = None,
    json_output: bool = JsonOption,
) -> None:
    """The change log (selvbetjening.md §9), oldest first; --orgno: changes by or of that organisation."""
    start = _parse_since(since)

    async def work(service: AdminService, _settings: Settings) -> Any:
        return await service.audit_events(orgno=orgno, since=start)

    events = _run(work)
    if json_output:
        emit_json([audit_event_json(event) for event in events])
        return
    for event in events:
        stdout.print(_event_line(event), markup=False, highlight=False)
