"""Key sets (maskinporten.md §14): discovery, max age, min refresh on an unknown kid, failed fetch keeps the
cache, in-process key providers, several issuers each with its own key set."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from portvakt.domain.clock import FixedClock
from portvakt.resource_server import AsyncTokenValidator, InvalidToken, Issuer, TokenValidator
from tests.resource_server.conftest import MakeValidator
from tests.resource_server.fakes import (
    CONSUMER,
    IDP_ISSUER,
    MP_ISSUER,
    FakeIssuer,
    public_jwk,
    rsa_key,
    sign,
    transport,
)


async def test_metadata_discovery_maskinporten(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator()
    await validator.validate(mp.token(clock.timestamp()))
    assert [r.url.path for r in mp.requests] == ["/.well-known/oauth-authorization-server", "/jwk"]


async def test_metadata_discovery_idporten(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator(IDP_ISSUER)
    await validator.validate(idp.token(clock.timestamp()))
    assert [str(r.url) for r in idp.requests] == [
        "https://idporten.test/.well-known/openid-configuration",
        "https://idporten.test/jwks.json",
    ]


async def test_metadata_naming_another_issuer_gives_no_keys(
    make_validator: MakeValidator, clock: FixedClock
) -> None:
    impostor = FakeIssuer(MP_ISSUER)
    lying = FakeIssuer("https://maskinporten.test/other/")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/oauth-authorization-server":
            return httpx.Response(200, json={"issuer": lying.issuer, "jwks_uri": impostor.jwks_uri})
        return impostor.handle(request) or httpx.Response(404)

    validator = make_validator(transport=httpx.MockTransport(handler))
    with pytest.raises(InvalidToken, match="not a known signing key"):
        await validator.validate(impostor.token(clock.timestamp()))


async def test_explicit_jwks_uri_skips_metadata(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    await make_validator(jwks_uri=mp.jwks_uri).validate(mp.token(clock.timestamp()))
    assert [r.url.path for r in mp.requests] == ["/jwk"]


async def test_keys_are_cached_until_max_age(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator(jwks_max_age=3600)
    for _ in range(3):
        await validator.validate(mp.token(clock.timestamp()))
    assert mp.jwks_fetches() == 1
    clock.advance(3599)
    await validator.validate(mp.token(clock.timestamp()))
    assert mp.jwks_fetches() == 1
    clock.advance(1)
    await validator.validate(mp.token(clock.timestamp()))
    assert mp.jwks_fetches() == 2


async def test_unknown_kid_refetches_at_most_once_per_min_refresh(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator(jwks_min_refresh=60)
    await validator.validate(mp.token(clock.timestamp()))
    clock.advance(60)
    stranger = sign(mp.claims(clock.timestamp()), rsa_key("stranger"), "k-new")
    with pytest.raises(InvalidToken, match="not a known signing key"):
        await validator.validate(stranger)
    assert mp.jwks_fetches() == 2  # refetched once, still unknown
    for _ in range(3):
        with pytest.raises(InvalidToken):
            await validator.validate(stranger)
    assert mp.jwks_fetches() == 2  # no more fetches within min_refresh
    clock.advance(60)
    with pytest.raises(InvalidToken):
        await validator.validate(stranger)
    assert mp.jwks_fetches() == 3


async def test_rotated_key_is_found_by_refetch(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator()
    await validator.validate(mp.token(clock.timestamp()))
    clock.advance(120)
    mp.kids.append("k2")
    result = await validator.validate(mp.token(clock.timestamp(), kid="k2"))
    assert result.consumer_orgno == CONSUMER
    assert mp.jwks_fetches() == 2


async def test_failed_fetch_keeps_cached_keys(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator(jwks_max_age=3600)
    await validator.validate(mp.token(clock.timestamp()))
    mp.fail = True
    clock.advance(3600)  # stale: refetch fails, the cached set is still used
    await validator.validate(mp.token(clock.timestamp()))
    assert mp.jwks_fetches() == 2
    await validator.validate(mp.token(clock.timestamp()))
    assert mp.jwks_fetches() == 2  # the failure counts as an attempt: no retry within min_refresh
    clock.advance(60)
    mp.fail = False
    await validator.validate(mp.token(clock.timestamp()))
    assert mp.jwks_fetches() == 3


async def test_first_fetch_failing_is_retried_after_min_refresh(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator(jwks_uri=mp.jwks_uri)
    mp.fail = True
    with pytest.raises(InvalidToken, match="not a known signing key"):
        await validator.validate(mp.token(clock.timestamp()))
    mp.fail = False
    with pytest.raises(InvalidToken):
        await validator.validate(mp.token(clock.timestamp()))
    clock.advance(60)
    assert (await validator.validate(mp.token(clock.timestamp()))).consumer_orgno == CONSUMER


async def test_jwks_skips_unusable_keys(make_validator: MakeValidator, clock: FixedClock) -> None:
    good = rsa_key("good")
    keys = [
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        public_jwk(rsa_key("enc"), "enc") | {"use": "enc"},
        public_jwk(rsa_key("rs512"), "rs512") | {"alg": "RS512"},
        {"kty": "RSA", "kid": "broken", "n": 5},
        public_jwk(good, "good"),
    ]
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"keys": keys}))
    validator = make_validator(jwks_uri="https://keys.test/jwks", transport=mock)
    claims = FakeIssuer(MP_ISSUER).claims(clock.timestamp())
    assert (await validator.validate(sign(claims, good, "good"))).consumer_orgno == CONSUMER
    with pytest.raises(InvalidToken, match="not a known signing key"):
        await validator.validate(sign(claims, rsa_key("enc"), "enc"))


async def test_key_provider_in_process(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    calls: list[int] = []

    def public_jwks() -> dict[str, Any]:
        calls.append(1)
        return mp.jwks()

    validator = make_validator(key_provider=public_jwks, transport=transport())
    for _ in range(2):
        await validator.validate(mp.token(clock.timestamp()))
    assert len(calls) == 1
    assert mp.requests == []


async def test_async_validator_accepts_async_key_provider(mp: FakeIssuer, clock: FixedClock) -> None:
    async def public_jwks() -> dict[str, Any]:
        return mp.jwks()

    async with AsyncTokenValidator(MP_ISSUER, key_provider=public_jwks, clock=clock) as validator:
        assert (await validator.validate(mp.token(clock.timestamp()))).issuer == MP_ISSUER


async def test_several_issuers_each_with_own_keys(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    second = FakeIssuer("https://mp2.test/", kids=["k1"])  # same kid, other key
    validator = make_validator([MP_ISSUER, second.issuer], transport=transport(mp, second))
    now = clock.timestamp()
    assert (await validator.validate(mp.token(now))).issuer == MP_ISSUER
    assert (await validator.validate(second.token(now))).issuer == second.issuer
    # signed with the second issuer's key but claiming the first: the first's key set has no such key
    forged = sign(mp.claims(now), second.key("k1"), "k1")
    with pytest.raises(InvalidToken, match="signature is invalid"):
        await validator.validate(forged)
    # an issuer that is not configured: keys are looked up everywhere, then `iss` fails
    stranger = sign(mp.claims(now, iss="https://other.test/"), second.key("k1"), "k1")
    with pytest.raises(InvalidToken, match="issuer is not accepted"):
        await validator.validate(stranger)


async def test_several_issuers_with_explicit_sources(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    second = FakeIssuer("https://mp2.test/")
    issuers = [Issuer(MP_ISSUER, key_provider=mp.jwks), Issuer(second.issuer, jwks_uri=second.jwks_uri)]
    validator = make_validator(issuers, transport=transport(second))
    assert (await validator.validate(second.token(clock.timestamp()))).issuer == second.issuer
    assert [r.url.path for r in second.requests] == ["/jwk"]


def test_single_issuer_options_need_one_issuer() -> None:
    with pytest.raises(ValueError, match="jwks_uri"):
        TokenValidator([MP_ISSUER, "https://mp2.test/"], jwks_uri="https://x.test/jwk")
    with pytest.raises(ValueError, match="once"):
        TokenValidator([MP_ISSUER, MP_ISSUER])


async def test_concurrent_validations_fetch_once(mp: FakeIssuer, clock: FixedClock) -> None:
    async with AsyncTokenValidator(MP_ISSUER, clock=clock, transport=transport(mp)) as validator:
        tokens = [mp.token(clock.timestamp()) for _ in range(10)]
        results = await asyncio.gather(*(validator.validate(t) for t in tokens))
    assert {r.consumer_orgno for r in results} == {CONSUMER}
    assert mp.hits == {"/.well-known/oauth-authorization-server": 1, "/jwk": 1}
