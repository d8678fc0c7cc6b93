"""Replay keys and retention (maskinporten.md §11)."""

from __future__ import annotations

import hashlib

import pytest

from portvakt.oauth.replay import IDPORTEN_PREFIX, replay_expiry, replay_key


@pytest.mark.parametrize(
    ("args", "prefix", "expected"),
    [
        pytest.param(("client-1", "abc", "x.y.z"), "mp", "mp:client-1:abc", id="jti"),
        pytest.param(
            ("client-1", None, "x.y.z"),
            "mp",
            "mp:client-1:sha256:" + hashlib.sha256(b"x.y.z").hexdigest(),
            id="no-jti-hash-of-assertion",
        ),
        pytest.param(
            ("client-1", "", "x.y.z"),
            "mp",
            "mp:client-1:sha256:" + hashlib.sha256(b"x.y.z").hexdigest(),
            id="empty-jti-hash-of-assertion",
        ),
        pytest.param(("client-1", "abc", "x.y.z"), IDPORTEN_PREFIX, "idp:client-1:abc", id="idporten-prefix"),
    ],
)
def test_replay_key(args: tuple[str, str | None, str], prefix: str, expected: str) -> None:
    client_id, jti, assertion = args
    assert replay_key(client_id, jti, assertion, prefix=prefix) == expected


@pytest.mark.parametrize(
    ("exp", "now", "expected"),
    [
        pytest.param(1_000, 900, 1_010, id="exp-plus-10s"),
        pytest.param(1_000, 1_009, 1_010, id="still-exp-plus-10s"),
        pytest.param(1_000, 1_020, 1_021, id="at-least-1s"),
    ],
)
def test_replay_expiry(exp: int, now: int, expected: int) -> None:
    assert replay_expiry(exp, now) == expected
