"""CLI: Altinn administration (altinn.md §9)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from portvakt.commandline import EXIT_USAGE, JsonOption, cli_errors, emit_json, fail, settings_or_exit, stdout

T = TypeVar("T")

altinn_app = typer.Typer(help="Altinn rights and delegations (altinn.md §9).", no_args_is_help=True)
owner_app = typer.Typer(help="Service owners (§2.2).", no_args_is_help=True)
key_app = typer.Typer(help="Service-owner API keys (§2.2).", no_args_is_help=True)
apps_app = typer.Typer(help="Apps and policies (§2.3).", no_args_is_help=True)
policy_app = typer.Typer(help="App policies (§2.3).", no_args_is_help=True)
delegation_app = typer.Typer(help="Direct delegations (§2.4).", no_args_is_help=True)
mp_app = typer.Typer(help="Maskinporten delegations (§7).", no_args_is_help=True)
altinn_app.add_typer(owner_app, name="service-owner")
altinn_app.add_typer(key_app, name="api-key")
altinn_app.add_typer(apps_app, name="app")
apps_app.add_typer(policy_app, name="policy")
altinn_app.add_typer(delegation_app, name="delegation")
altinn_app.add_typer(mp_app, name="mp-delegation")


def _run(work: Callable[[Any, Any], Awaitable[T]], *, write: bool = True) -> T:
    """Run `work(connection, settings)` in one transaction (commit on success)."""
    from portvakt.storage.engine import Database

    settings = settings_or_exit()

    async def main() -> T:
        database = Database.connect(settings.database_url)
        try:
            with cli_errors():
                if write:
                    async with database.engine.begin() as connection:
                        return await work(connection, settings)
                async with database.engine.connect() as connection:
                    return await work(connection, settings)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _now() -> Any:
    from portvakt.domain.clock import SystemClock

    return SystemClock().now()


@owner_app.command("create")
def owner_create(
    code: Annotated[str, typer.Option("--code", help="Service-owner code, e.g. ttd.")],
    name: Annotated[str, typer.Option("--name", help="Name.")],
    orgnr: Annotated[str, typer.Option("--orgno", "--orgnr", help="Organisation number.")],
    json_output: bool = JsonOption,
) -> None:
    """Register a service owner."""
    from portvakt.altinn.admin import create_service_owner

    owner = _run(lambda connection, _s: create_service_owner(connection, code, name, orgnr, _now()))
    if json_output:
        emit_json({"code": owner.code, "name": owner.name, "orgnr": owner.orgnr, "active": owner.active})
    else:
        stdout.print(f"Service owner {owner.code} ({owner.orgnr}) created", markup=False)


@owner_app.command("list")
def owner_list(json_output: bool = JsonOption) -> None:
    """List service owners."""
    from portvakt.altinn import store

    owners = _run(lambda connection, _s: store.service_owners(connection), write=False)
    rows = [{"code": o.code, "name": o.name, "orgnr": o.orgnr, "active": o.active} for o in owners]
    if json_output:
        emit_json(rows)
        return
    for row in rows:
        stdout.print(
            f"{row['code']}\t{row['orgnr']}\t{'active' if row['active'] else 'inactive'}\t{row['name']}"
        )


@owner_app.command("deactivate")
def owner_deactivate(code: Annotated[str, typer.Argument(help="Service-owner code.")]) -> None:
    """Deactivate a service owner: its keys stop working."""
    from portvakt.altinn.admin import deactivate_service_owner

    _run(lambda connection, _s: deactivate_service_owner(connection, code))
    stdout.print(f"Service owner {code} deactivated", markup=False)


@key_app.command("create")
def key_create(
    owner: Annotated[str, typer.Option("--owner", help="Service-owner code.")],
    label: Annotated[str | None, typer.Option("--label", help="Label.")] = None,
    json_output: bool = JsonOption,
) -> None:
    """Create an API key; the key is printed once and only its SHA-256 is stored."""
    from portvakt.altinn.admin import create_api_key

    key = _run(lambda connection, _s: create_api_key(connection, owner, label, _now()))
    if json_output:
        emit_json({"key_id": key.key_id, "key": key.key})
    else:
        stdout.print(key.key, markup=False)


@key_app.command("list")
def key_list(
    owner: Annotated[str, typer.Option("--owner", help="Service-owner code.")], json_output: bool = JsonOption
) -> None:
    """List an owner's keys (never the keys themselves)."""
    from portvakt.altinn import store

    keys = _run(lambda connection, _s: store.api_keys(connection, owner), write=False)
    rows = [
        {
            "key_id": k.key_id,
            "label": k.label,
            "created": k.created,
            "last_used_at": k.last_used_at,
            "revoked_at": k.revoked_at,
        }
        for k in keys
    ]
    if json_output:
        emit_json(rows)
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else "active"
        stdout.print(f"{row['key_id']}\t{state}\t{row['label'] or ''}", markup=False)


@key_app.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="Key id (the 8 characters after pvak_).")]) -> None:
    """Revoke an API key."""
    from portvakt.altinn.admin import revoke_api_key

    _run(lambda connection, _s: revoke_api_key(connection, key_id, _now()))
    stdout.print(f"API key {key_id} revoked", markup=False)


@key_app.command("testdata-file")
def key_testdata_file() -> None:
    """Write the generator's seeded keys to `<data dir>/testdata-apikeys.json` (mode 0600; test only)."""
    import json

    from sqlalchemy import select

    from portvakt.altinn.testdata_stages import OWNERS, seeded_api_keys
    from portvakt.registry.jwk import write_private_file
    from portvakt.storage.tables.population import population_generation

    async def seed_of(connection: Any, settings: Any) -> tuple[int | None, Path]:
        row = (await connection.execute(select(population_generation.c.seed))).first()
        return (None if row is None else int(row.seed)), settings.data_dir

    settings = settings_or_exit()
    if settings.is_prod:
        fail("Test API keys are not written in the prod environment", EXIT_USAGE)
    seed, data_dir = _run(seed_of, write=False)
    if seed is None:
        fail("No generated test data in this database")
    keys = {code: key.key for code, key in seeded_api_keys(seed, OWNERS).items()}
    path = data_dir / "testdata-apikeys.json"
    write_private_file(path, (json.dumps(keys, indent=2) + "\n").encode())
    stdout.print(str(path), markup=False)


def _policy(path: Path | None) -> Any:
    from portvakt.altinn.policy import load_policy

    if path is None:
        return None
    if not path.is_file():
        fail(f"No such file: {path}", EXIT_USAGE)
    with cli_errors():
        return load_policy(path.read_bytes())


@apps_app.command("create")
def app_create(  # noqa: PLR0917
    org: Annotated[str, typer.Option("--org", help="Service-owner code.")],
    app: Annotated[str, typer.Option("--app", help="App name.")],
    title: Annotated[str | None, typer.Option("--title", help="Title.")] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy JSON (default policy without).")
    ] = None,
    min_auth_level: Annotated[int, typer.Option("--min-auth-level", help="0–4.")] = 3,
    json_output: bool = JsonOption,
) -> None:
    """Register an app."""
    from portvakt.altinn.admin import create_app

    parsed = _policy(policy)
    created = _run(
        lambda connection, _s: create_app(
            connection, org, app, title=title, policy=parsed, min_auth_level=min_auth_level, now=_now()
        )
    )
    if json_output:
        emit_json(
            {
                "app_id": created.app_id,
                "resource_id": created.resource_id,
                "policy": created.policy.document(),
            }
        )
    else:
        stdout.print(f"App {created.app_id} created", markup=False)


@policy_app.command("set")
def policy_set(
    app_id: Annotated[str, typer.Argument(help="org/app")],
    policy: Annotated[Path, typer.Option("--policy", help="Policy JSON.")],
) -> None:
    """Replace an app's policy."""
    from portvakt.altinn.admin import set_policy

    parsed = _policy(policy)
    org, _, name = app_id.partition("/")
    _run(lambda connection, _s: set_policy(connection, org, name, parsed))
    stdout.print(f"Policy of {app_id} replaced", markup=False)


@apps_app.command("list")
def app_list(json_output: bool = JsonOption) -> None:
    """List apps in registration order."""
    from portvakt.altinn import store

    apps = _run(lambda connection, _s: store.all_apps(connection), write=False)
    rows = [{"app_id": a.app_id, "title": a.title, "min_auth_level": a.min_auth_level} for a in apps]
    if json_output:
        emit_json(rows)
        return
    for row in rows:
        stdout.print(f"{row['app_id']}\t{row['min_auth_level']}\t{row['title']}", markup=False)


@delegation_app.command("create")
def delegation_create(  # noqa: PLR0917
    offered_by: Annotated[str, typer.Option("--from", help="Reportee: organisation or person number.")],
    covered_by: Annotated[str, typer.Option("--to", help="Person or organisation number.")],
    app_id: Annotated[str, typer.Option("--app", help="org/app")],
    action: Annotated[list[str], typer.Option("--action", help="Action (repeatable).")],
    by: Annotated[str, typer.Option("--by", help="The person delegating.")],
    task: Annotated[str | None, typer.Option("--task", help="Task id.")] = None,
    end_event: Annotated[str | None, typer.Option("--end-event", help="End-event id.")] = None,
    not_delegatable: Annotated[bool, typer.Option("--not-delegatable")] = False,
    json_output: bool = JsonOption,
) -> None:
    """Delegate actions on an app (one RuleGuid per action, printed)."""
    from portvakt.altinn.admin import create_delegations
    from portvakt.altinn.policy import END_EVENT, TASK, Resource

    if task is not None and end_event is not None:
        fail("Give at most one of --task and --end-event", EXIT_USAGE)
    resource = Resource(TASK, task) if task else Resource(END_EVENT, end_event) if end_event else None
    guids = _run(
        lambda connection, settings: create_delegations(
            connection,
            offered_by=offered_by,
            covered_by=covered_by,
            app_id=app_id,
            resource=resource,
            actions=action,
            delegated_by=by,
            delegatable=not not_delegatable,
            env=settings.env.value,
            now=_now(),
        )
    )
    if json_output:
        emit_json(guids)
    else:
        for guid in guids:
            stdout.print(guid, markup=False)


@delegation_app.command("revoke")
def delegation_revoke(rule_guid: Annotated[str, typer.Argument(help="RuleGuid.")]) -> None:
    """Revoke a delegation."""
    from portvakt.altinn.admin import revoke_delegation

    _run(lambda connection, _s: revoke_delegation(connection, rule_guid, _now()))
    stdout.print(f"Delegation {rule_guid} revoked", markup=False)


@delegation_app.command("list")
def delegation_list(
    offered_by: Annotated[str | None, typer.Option("--from", help="Reportee.")] = None,
    covered_by: Annotated[str | None, typer.Option("--to", help="Receiver.")] = None,
) -> None:
    """List active delegations from or to a party (JSON)."""
    from portvakt.altinn import store

    if (offered_by is None) == (covered_by is None):
        fail("Give exactly one of --from and --to", EXIT_USAGE)

    async def work(connection: Any, _s: Any) -> list[Any]:
        if offered_by is not None:
            return await store.delegations_from(connection, offered_by)
        assert covered_by is not None
        return await store.delegations_to(connection, covered_by)

    found = _run(work, write=False)
    emit_json(
        [
            {
                "RuleGuid": d.rule_guid,
                "from": d.offered_by,
                "to": d.covered_by,
                "app": d.app_id,
                "resource": None if d.resource is None else {"id": d.resource.id, "value": d.resource.value},
                "action": d.action,
                "delegatable": d.is_delegatable,
            }
            for d in found
        ]
    )


@altinn_app.command("rights")
def rights(
    subject: Annotated[str, typer.Argument(help="Fødselsnummer or D-number.")],
    reportee: Annotated[str, typer.Argument(help="Organisation or person number.")],
    owner: Annotated[str, typer.Option("--owner", help="Service-owner code.")],
) -> None:
    """The §4 computation, with the rule (or delegation) behind each right (JSON)."""
    from portvakt.altinn import store
    from portvakt.altinn.apprights import app_rights_for, right_document
    from portvakt.altinn.errors import LegacyError

    async def work(connection: Any, settings: Any) -> Any:
        found = await store.service_owner(connection, owner)
        if found is None:
            fail(f"No service owner '{owner}'")
        try:
            return await app_rights_for(
                connection, found, {"subject": subject, "reportee": reportee}, settings.env.value
            )
        except LegacyError as exc:
            fail(exc.message)

    result = _run(work, write=False)
    emit_json([{**right_document(right), "rule": right.rule_id} for right in result.rights])


@mp_app.command("create")
def mp_create(
    consumer: Annotated[str, typer.Option("--consumer", help="Consumer organisation number.")],
    supplier: Annotated[str, typer.Option("--supplier", help="Supplier organisation number.")],
    scope: Annotated[str | None, typer.Option("--scope", help="A scope of the scheme.")] = None,
    resourceid: Annotated[str | None, typer.Option("--resourceid", help="The scheme.")] = None,
) -> None:
    """Delegate a scheme from the consumer to the supplier (the §7.3 checks apply; JSON)."""
    from portvakt.altinn import mp_delegations
    from portvakt.altinn.errors import BadRequest

    body: dict[str, Any] = {"supplierOrg": supplier}
    if scope is not None:
        body["scope"] = scope
    if resourceid is not None:
        body["resourceid"] = resourceid

    async def work(connection: Any, settings: Any) -> Any:
        try:
            return await mp_delegations.create(
                connection,
                consumer,
                body,
                altinn_issuer=settings.base_url("altinn") + "/",
                created_by="cli",
                now=_now(),
            )
        except BadRequest as exc:
            fail(exc.message)

    _created, document = _run(work)
    emit_json(document)


@mp_app.command("revoke")
def mp_revoke(
    consumer: Annotated[str, typer.Option("--consumer", help="Consumer organisation number.")],
    supplier: Annotated[str, typer.Option("--supplier", help="Supplier organisation number.")],
    scope: Annotated[str | None, typer.Option("--scope", help="A scope of the scheme.")] = None,
    resourceid: Annotated[str | None, typer.Option("--resourceid", help="The scheme.")] = None,
) -> None:
    """Revoke the consumer's delegation to the supplier."""
    from portvakt.altinn import mp_delegations

    parameters = {"supplierOrg": supplier, "scope": scope or "", "resourceid": resourceid or ""}
    _run(lambda connection, _s: mp_delegations.revoke(connection, consumer, parameters, _now()))
    stdout.print("Delegation revoked", markup=False)


@mp_app.command("list")
def mp_list(
    consumer: Annotated[str | None, typer.Option("--consumer")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier")] = None,
    scope: Annotated[str | None, typer.Option("--scope")] = None,
) -> None:
    """Active Maskinporten delegations matching the filters (JSON)."""
    from portvakt.altinn import mp_delegations

    found = _run(
        lambda connection, _s: mp_delegations.find(
            connection, consumer=consumer, supplier=supplier, scope=scope
        ),
        write=False,
    )
    emit_json([mp_delegations.document(delegation) for delegation in found])
