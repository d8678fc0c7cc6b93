"""Postbox providers' encryption certificates (krr.md §3): one per provider, shared by its users.

In test a provider's certificate is issued by the built-in test CA for the provider's org number the first
time it is needed; in prod certificates come with imported data only.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from cryptography.hazmat.primitives import serialization

from portvakt.domain.clock import Clock, SystemClock
from portvakt.krr import store
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.testca import BuiltinCaStore

PROVIDER_NAMES: dict[str, str] = {"984661185": "DIGIPOST", "922020175": "E-BOKS"}


async def issue_provider_certificate(
    database: Database, settings: Settings, clock: Clock, orgnr: str
) -> bytes:
    """A new encryption certificate for the provider from the built-in test CA (DER)."""
    issued = await BuiltinCaStore(database, settings, clock).issue(
        orgno=orgnr, name=PROVIDER_NAMES.get(orgnr, f"POSTKASSELEVERANDØR {orgnr}"), seid=2
    )
    return issued.certificate.public_bytes(serialization.Encoding.DER)


async def ensure_provider_certificate(
    database: Database, settings: Settings, clock: Clock, orgnr: str
) -> int | None:
    """The id of the provider's certificate; issued by the test CA when missing (test only)."""
    async with database.engine.connect() as connection:
        found = await store.certificate_for(connection, orgnr)
    if found is not None or settings.is_prod:
        return found
    der = await issue_provider_certificate(database, settings, clock, orgnr)
    async with database.engine.begin() as connection:
        again = await store.certificate_for(connection, orgnr)
        if again is not None:
            return again
        return await store.add_certificate(connection, orgnr, der)


def issue_certificates_blocking(
    database_url: str, settings: Settings, orgnrs: Sequence[str]
) -> dict[str, bytes]:
    """`issue_provider_certificate` for synchronous callers (the generator): a thread with its own loop."""
    result: dict[str, bytes] = {}
    failure: list[BaseException] = []

    async def run() -> None:
        database = Database.connect(database_url)
        try:
            for orgnr in orgnrs:
                result[orgnr] = await issue_provider_certificate(database, settings, SystemClock(), orgnr)
        finally:
            await database.dispose()

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="krr-certificates")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result
