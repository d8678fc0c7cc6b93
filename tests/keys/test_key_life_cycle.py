"""Key states, successor planning and the RFC 7638 thumbprint (maskinporten.md §12.3): pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from joserfc.jwk import RSAKey

from portvakt.oauth.keys import (
    KeyState,
    KeyTimes,
    NewKey,
    Retirement,
    generate_private_key,
    jwk_thumbprint,
    key_states,
    plan_new_key,
    plan_retirements,
    public_jwk,
    rsa_kid,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ROTATION = timedelta(days=90)
PREPUBLISH = timedelta(hours=24)
LIFETIME = timedelta(seconds=600)


def key(
    generation: int,
    activate_at: datetime,
    *,
    publish_at: datetime | None = None,
    retire_at: datetime | None = None,
    remove_at: datetime | None = None,
) -> KeyTimes:
    return KeyTimes(
        generation=generation,
        kid=f"k{generation}",
        publish_at=publish_at or activate_at,
        activate_at=activate_at,
        retire_at=retire_at,
        remove_at=remove_at,
    )


FIRST = key(1, T0)
SUCCESSOR = key(2, T0 + 91 * DAY, publish_at=T0 + 90 * DAY)


@pytest.mark.parametrize(
    ("keys", "now", "expected"),
    [
        pytest.param([FIRST], T0, {1: KeyState.ACTIVE}, id="first-key-active-at-once"),
        pytest.param([FIRST], T0 - HOUR, {1: KeyState.PENDING}, id="before-publish-pending"),
        pytest.param(
            [FIRST, SUCCESSOR],
            T0 + 90 * DAY,
            {1: KeyState.ACTIVE, 2: KeyState.NEXT},
            id="successor-published-not-active",
        ),
        pytest.param(
            [FIRST, SUCCESSOR],
            T0 + 91 * DAY,
            {1: KeyState.RETIRED, 2: KeyState.ACTIVE},
            id="successor-active-at-activate_at",
        ),
        pytest.param(
            [
                key(1, T0, retire_at=T0 + 91 * DAY, remove_at=T0 + 91 * DAY + LIFETIME),
                SUCCESSOR,
            ],
            T0 + 91 * DAY + LIFETIME - timedelta(seconds=1),
            {1: KeyState.RETIRED, 2: KeyState.ACTIVE},
            id="retired-until-remove_at",
        ),
        pytest.param(
            [
                key(1, T0, retire_at=T0 + 91 * DAY, remove_at=T0 + 91 * DAY + LIFETIME),
                SUCCESSOR,
            ],
            T0 + 91 * DAY + LIFETIME,
            {1: KeyState.REMOVED, 2: KeyState.ACTIVE},
            id="removed-at-remove_at",
        ),
        pytest.param(
            [key(1, T0, retire_at=T0 + DAY, remove_at=T0 + 2 * DAY), key(2, T0 + DAY)],
            T0 + DAY,
            {1: KeyState.RETIRED, 2: KeyState.ACTIVE},
            id="emergency-retired-at-once",
        ),
        pytest.param(
            [key(1, T0), key(2, T0 + DAY, publish_at=T0, retire_at=T0, remove_at=T0)],
            T0,
            {1: KeyState.ACTIVE, 2: KeyState.REMOVED},
            id="withdrawn-successor-removed",
        ),
        pytest.param(
            [key(1, T0), key(2, T0)],
            T0,
            {1: KeyState.RETIRED, 2: KeyState.ACTIVE},
            id="same-activate_at-later-generation-wins",
        ),
    ],
)
def test_state_follows_the_timestamps(
    keys: list[KeyTimes], now: datetime, expected: dict[int, KeyState]
) -> None:
    assert key_states(keys, now) == expected


@pytest.mark.parametrize(
    ("keys", "now", "expected"),
    [
        pytest.param([], T0, NewKey(1, T0, T0), id="empty-first-key-active-now"),
        pytest.param([FIRST], T0 + 89 * DAY, None, id="active-key-young"),
        pytest.param([FIRST], T0 + 90 * DAY, NewKey(2, T0 + 90 * DAY, T0 + 91 * DAY), id="rotation-due"),
        pytest.param([FIRST, SUCCESSOR], T0 + 90 * DAY, None, id="successor-already-scheduled"),
        pytest.param(
            [key(1, T0, retire_at=T0, remove_at=T0)], T0, NewKey(2, T0, T0), id="no-active-key-left"
        ),
    ],
)
def test_new_key_plan(keys: list[KeyTimes], now: datetime, expected: NewKey | None) -> None:
    assert plan_new_key(keys, now, ROTATION, PREPUBLISH) == expected


def test_predecessor_is_retired_when_the_successor_activates() -> None:
    activation = T0 + 91 * DAY
    assert plan_retirements([FIRST, SUCCESSOR], activation - timedelta(seconds=1), LIFETIME) == []
    assert plan_retirements([FIRST, SUCCESSOR], activation, LIFETIME) == [
        Retirement(1, retire_at=activation, remove_at=activation + LIFETIME + timedelta(seconds=10))
    ]


def test_retirement_is_planned_once() -> None:
    retired = key(1, T0, retire_at=T0 + 91 * DAY, remove_at=T0 + 92 * DAY)
    assert plan_retirements([retired, SUCCESSOR], T0 + 91 * DAY, LIFETIME) == []


def test_thumbprint_matches_rfc7638_example() -> None:
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPeb"
        "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQM"
        "icAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRw"
        "r3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_generated_key_is_rsa_2048_with_thumbprint_kid_and_public_members_only() -> None:
    private_key = generate_private_key()
    assert private_key.key_size == 2048
    kid = rsa_kid(private_key.public_key())
    jwk: dict[str, str | list[str]] = {**public_jwk(private_key.public_key(), kid)}
    assert list(jwk) == ["kty", "kid", "use", "alg", "n", "e"]
    assert jwk["e"] == "AQAB"
    assert jwk["use"] == "sig"
    assert jwk["alg"] == "RS256"
    assert RSAKey.import_key(dict(jwk)).thumbprint() == kid
