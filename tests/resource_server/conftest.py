from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import pytest

from portvakt.domain.clock import FixedClock
from portvakt.resource_server import AsyncTokenValidator, TokenValidator, ValidatedToken
from tests.resource_server.fakes import IDP_ISSUER, MP_ISSUER, FakeIssuer, transport


class Runner(Protocol):
    async def validate(self, token: str | None, *args: Any, **kwargs: Any) -> ValidatedToken: ...


class SyncRunner:
    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    async def validate(self, token: str | None, *args: Any, **kwargs: Any) -> ValidatedToken:
        return self.validator.validate(token, *args, **kwargs)


class AsyncRunner:
    def __init__(self, validator: AsyncTokenValidator) -> None:
        self.validator = validator

    async def validate(self, token: str | None, *args: Any, **kwargs: Any) -> ValidatedToken:
        return await self.validator.validate(token, *args, **kwargs)


MakeValidator = Callable[..., Runner]


@pytest.fixture
def mp() -> FakeIssuer:
    return FakeIssuer(MP_ISSUER)


@pytest.fixture
def idp() -> FakeIssuer:
    return FakeIssuer(IDP_ISSUER)


@pytest.fixture(params=["sync", "async"])
async def make_validator(
    request: pytest.FixtureRequest, clock: FixedClock, mp: FakeIssuer, idp: FakeIssuer
) -> AsyncIterator[MakeValidator]:
    """Builds a TokenValidator or AsyncTokenValidator (both flavours run every test) on the fake issuers."""
    made: list[TokenValidator | AsyncTokenValidator] = []

    def build(issuer: Any = MP_ISSUER, **options: Any) -> Runner:
        options.setdefault("clock", clock)
        options.setdefault("transport", transport(mp, idp))
        if request.param == "sync":
            validator = TokenValidator(issuer, **options)
            made.append(validator)
            return SyncRunner(validator)
        async_validator = AsyncTokenValidator(issuer, **options)
        made.append(async_validator)
        return AsyncRunner(async_validator)

    yield build
    for validator in made:
        if isinstance(validator, TokenValidator):
            validator.close()
        else:
            await validator.aclose()
