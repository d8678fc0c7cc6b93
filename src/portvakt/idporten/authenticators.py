"""Pluggable authenticators (idporten.md §5.4) and the built-in TestID authenticator (§5.3, test only).

An authenticator is a class registered under the entry-point group `portvakt.idporten.authenticators`
and enabled by name in `PORTVAKT_IDPORTEN_AUTHENTICATORS`. It is built with an `AuthenticatorContext`
and provides `start` (render a page or redirect to an external eID) and `complete` (continue, or an
`AuthResult`). The core then checks the identity number and the level (`IdportenService.complete_login`).
"""

from __future__ import annotations

import hmac
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.metadata import entry_points
from typing import Final, Protocol

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from portvakt.domain.clock import Clock
from portvakt.domain.identifiers import (
    InvalidNationalId,
    has_valid_national_id_format,
    individual_number_ranges,
    make_national_id,
    parse_national_id,
)
from portvakt.idporten.pages import Pages
from portvakt.idporten.protocol import ACR_VALUES, HIGH, SUBSTANTIAL, AuthResult, acr_rank
from portvakt.idporten.store import Transaction
from portvakt.idporten.texts import texts
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.population import persons

ENTRY_POINT_GROUP: Final = "portvakt.idporten.authenticators"
SUGGESTED_PERSONS: Final = 5


class LoginCancelled(Exception):
    """The user cancelled at the authenticator: `access_denied`, `User cancelled the login`."""


@dataclass(frozen=True)
class LoginContext:
    """One step of a login: the transaction, the UI language and where the step's form posts to."""

    transaction: Transaction
    locale: str
    action: str  # URL of this authenticator's page for the transaction
    switch_path: str

    def csrf_valid(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented, self.transaction.csrf)


@dataclass(frozen=True)
class AuthenticatorContext:
    settings: Settings
    database: Database
    clock: Clock
    pages: Pages


class Authenticator(Protocol):
    name: str
    display_name: Mapping[str, str]  # nb, en
    amr: tuple[str, ...]
    max_acr: str

    async def start(self, login: LoginContext, request: Request) -> Response: ...

    async def complete(self, login: LoginContext, request: Request) -> Response | AuthResult: ...


AuthenticatorFactory = Callable[[AuthenticatorContext], Authenticator]


class UnknownAuthenticator(ValueError):
    pass


def load_authenticators(names: Sequence[str], context: AuthenticatorContext) -> dict[str, Authenticator]:
    """The enabled authenticators in configured order: built-in `testid`, others from entry points."""
    available: dict[str, AuthenticatorFactory] = {"testid": TestIdAuthenticator}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        available.setdefault(entry.name, entry.load())
    enabled: dict[str, Authenticator] = {}
    for name in names:
        factory = available.get(name)
        if factory is None:
            raise UnknownAuthenticator(
                f"Unknown ID-porten authenticator {name!r} in PORTVAKT_IDPORTEN_AUTHENTICATORS"
            )
        if name == "testid" and context.settings.is_prod:
            raise UnknownAuthenticator("PORTVAKT_ENV=prod refuses the TestID authenticator")
        enabled[name] = factory(context)
    return enabled


# -- TestID ---------------------------------------------------------------------------------------------


def generate_synthetic_pid(rng: random.Random | None = None) -> str:
    """§11: a random date 1930–2005, month + 80, an individual number valid for the century; retry
    while a check digit would be 10."""
    rng = rng or random.SystemRandom()
    start = date(1930, 1, 1)
    days = (date(2005, 12, 31) - start).days
    while True:
        born = start + timedelta(days=rng.randint(0, days))
        ranges = individual_number_ranges(born.year)
        individual = rng.choice(rng.choice(ranges))
        number = make_national_id(born, individual, synthetic="tenor")
        if number is not None:
            return number


@dataclass(frozen=True)
class TestIdInput:
    pid: str
    acr: str


def check_testid_input(
    pid: str, acr: str, minimum: str, *, env: str, allow_non_synthetic: bool
) -> str | None:
    """§5.3: the error text key for the TestID form, or None when it is acceptable."""
    if not has_valid_national_id_format(pid):
        return "error_digits"
    try:
        parsed = parse_national_id(pid, env=env)
    except InvalidNationalId as exc:
        if exc.reason == "synthetic_in_prod":
            return "error_synthetic"
        return "error_invalid"
    if parsed.synthetic != "tenor" and not allow_non_synthetic:
        return "error_synthetic"
    if acr not in ACR_VALUES or acr_rank(acr) < acr_rank(minimum):
        return "error_level"
    return None


class TestIdAuthenticator:
    """A form: type or pick a synthetic identity number, choose a level (test environment only)."""

    __test__ = False  # not a pytest test class

    name: str = "testid"
    display_name: Mapping[str, str] = {"nb": "TestID", "en": "TestID"}
    amr: tuple[str, ...] = ("TestID",)
    max_acr: str = HIGH

    def __init__(self, context: AuthenticatorContext) -> None:
        self.context = context

    async def start(self, login: LoginContext, request: Request) -> Response:
        minimum = login.transaction.request.acr_min
        return await self._page(login, pid="", acr=minimum, error=None)

    async def complete(self, login: LoginContext, request: Request) -> Response | AuthResult:
        form = await request.form()
        if not login.csrf_valid(_text(form.get("csrf"))):
            return self.context.pages.error(login.locale, "invalid_request", "Invalid or missing CSRF token")
        if _text(form.get("action")) == "cancel":
            raise LoginCancelled()
        suggestion = _text(form.get("suggestion"))
        pid = (suggestion or _text(form.get("pid")) or "").strip()
        minimum = login.transaction.request.acr_min
        acr = _text(form.get("acr")) or minimum
        settings = self.context.settings
        error = check_testid_input(
            pid,
            acr,
            minimum,
            env=settings.env.value,
            allow_non_synthetic=settings.idporten_testid_allow_non_synthetic,
        )
        if error is not None:
            return await self._page(
                login, pid=pid, acr=acr if acr in ACR_VALUES else minimum, error=error, status=400
            )
        return AuthResult(pid=pid, acr=acr, amr=self.amr, auth_time=self.context.clock.timestamp())

    async def _page(
        self, login: LoginContext, *, pid: str, acr: str, error: str | None, status: int = 200
    ) -> Response:
        t = texts(login.locale)
        minimum = login.transaction.request.acr_min
        levels = [
            (value, t["level_substantial"] if value == SUBSTANTIAL else t["level_high"])
            for value in ACR_VALUES
            if acr_rank(value) >= acr_rank(minimum)
        ]
        return self.context.pages.render(
            "testid.html",
            login.locale,
            status_code=status,
            switch_path=login.switch_path,
            action=login.action,
            tx=login.transaction.tx,
            csrf=login.transaction.csrf,
            pid=pid,
            acr=acr,
            levels=levels,
            error=t[error] if error else None,
            suggestions=await self.suggestions(),
        )

    async def suggestions(self) -> list[tuple[str, str | None]]:
        """The configured numbers, then 5 living Tenor-synthetic persons (freshly generated when none)."""
        configured: list[tuple[str, str | None]] = [
            (n, None) for n in self.context.settings.idporten_testid_suggestions
        ]
        people = await self._population_sample()
        if not people:
            people = [(generate_synthetic_pid(), None) for _ in range(SUGGESTED_PERSONS)]
        return configured + people

    async def _population_sample(self) -> list[tuple[str, str | None]]:
        living = (persons.c.synthetic == "tenor") & persons.c.date_of_death.is_(None)
        async with self.context.database.engine.connect() as connection:
            top = await connection.scalar(
                select(persons.c.ordinal).where(living).order_by(persons.c.ordinal.desc()).limit(1)
            )
            if top is None:
                return []
            start = secrets.randbelow(int(top) + 1)
            query = (
                select(persons.c.national_id, persons.c.first_name, persons.c.last_name)
                .where(living & (persons.c.ordinal >= start))
                .order_by(persons.c.ordinal)
                .limit(SUGGESTED_PERSONS)
            )
            rows = list((await connection.execute(query)).all())
            if len(rows) < SUGGESTED_PERSONS:
                rows += (
                    await connection.execute(
                        select(persons.c.national_id, persons.c.first_name, persons.c.last_name)
                        .where(living & (persons.c.ordinal < start))
                        .order_by(persons.c.ordinal)
                        .limit(SUGGESTED_PERSONS - len(rows))
                    )
                ).all()
        return [(row.national_id, f"{row.first_name} {row.last_name}") for row in rows]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
