"""Demo data for a new test installation: a consumer organisation with a ready-to-use Maskinporten client.

The demo scope `portvakt:demo/hello` lives under the platform's own `portvakt` prefix, so no real API
provider's prefix is taken; the platform owns it and grants access to the demo consumer, which shows the
access rule of maskinporten.md §7.1 at work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from portvakt.domain.clock import Clock
from portvakt.registry.jwk import write_private_key
from portvakt.registry.model import ClientSettings, ScopeSettings
from portvakt.registry.repository import bootstrap_platform, registry_service
from portvakt.registry.service import Actor, RegistryService
from portvakt.settings import Settings
from portvakt.storage.engine import Database

# Synthetic, valid check digit (39999999 → 5), starting with 3 like the generated population, and at
# the top of the block the generator never issues (identifiers-and-testdata.md §5), far from the scenario
# numbers 399900018…399900344: it can collide with neither.
DEMO_ORGNO = "399999995"
DEMO_ORGANISATION_NAME = "PORTVAKT DEMO AS"
DEMO_EMAIL_DOMAIN = "demo.portvakt.test"  # portal registration binds this domain to the demo organisation
DEMO_SCOPE_PREFIX = "portvakt"
DEMO_SUBSCOPE = "demo/hello"
DEMO_SCOPE = f"{DEMO_SCOPE_PREFIX}:{DEMO_SUBSCOPE}"
DEMO_CLIENT_NAME = "Demo-integrasjon"
DEMO_KEY_FILE = "demo-client.jwk.json"


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    kid: str
    key_file: Path
    scope: str
    orgno: str


async def ensure_demo_client(
    platform_settings: Settings, database: Database, clock: Clock
) -> DemoClient | None:
    """Bootstrap, then make sure the demo organisation, scope, access and client exist (test only;
    None in prod). Idempotent: a key file whose `kid` is registered on an active client is reused."""
    if platform_settings.is_prod:
        return None
    report = await bootstrap_platform(platform_settings, database, clock)
    service = registry_service(
        platform_settings, database, clock, Actor(channel="cli", name="demo", admin=True)
    )
    platform_orgno = report.organisation.orgno
    if DEMO_ORGNO not in {organisation.orgno for organisation in await service.list_organisations()}:
        await service.add_organisation(
            DEMO_ORGNO, DEMO_ORGANISATION_NAME, email_domains=(DEMO_EMAIL_DOMAIN,), terms_signed=True
        )
    if DEMO_SCOPE not in {scope.name for scope in await service.list_scopes(orgno=platform_orgno)}:
        await service.create_scope(
            DEMO_SCOPE_PREFIX,
            DEMO_SUBSCOPE,
            ScopeSettings(
                description="Demo-API: hent en hilsen fra portvakt",
                allowed_integration_types=("maskinporten",),
            ),
            orgno=platform_orgno,
        )
    await service.grant_access(DEMO_SCOPE, DEMO_ORGNO)
    key_file = platform_settings.data_dir / DEMO_KEY_FILE
    existing = await _existing_demo_client(service, key_file)
    if existing is not None:
        return existing
    created = await service.create_client(
        ClientSettings(
            client_name=DEMO_CLIENT_NAME,
            description="Demo-klient som henter token for portvakt:demo/hello",
            integration_type="maskinporten",
            scopes=(DEMO_SCOPE,),
        ),
        orgno=DEMO_ORGNO,
        generate_key=True,
    )
    assert created.generated_key is not None
    write_private_key(key_file, created.generated_key)
    return DemoClient(
        client_id=created.client.client_id,
        kid=created.generated_key.kid,
        key_file=key_file,
        scope=DEMO_SCOPE,
        orgno=DEMO_ORGNO,
    )


def _kid_in(key_file: Path) -> str | None:
    try:
        kid = json.loads(key_file.read_text(encoding="utf-8"))["kid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return kid if isinstance(kid, str) else None


async def _existing_demo_client(service: RegistryService, key_file: Path) -> DemoClient | None:
    kid = _kid_in(key_file)
    if kid is None:
        return None
    client = await service.client_with_kid(kid)
    if client is None or not client.active or client.client_orgno != DEMO_ORGNO:
        return None
    return DemoClient(
        client_id=client.client_id, kid=kid, key_file=key_file, scope=DEMO_SCOPE, orgno=DEMO_ORGNO
    )
