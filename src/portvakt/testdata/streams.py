"""Seeded random streams (§7): one `random.Random` per (stream, chunk), seeded from SHA-256."""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Sequence
from itertools import accumulate
from typing import Final, Generic, TypeVar

STREAMS: Final = ("persons", "names", "addresses", "entities", "roles", "ownership", "rrh", "krr", "altinn")

T = TypeVar("T")


def stream_seed(seed: int, stream: str, chunk: str | int) -> int:
    digest = hashlib.sha256(f"{seed}|{stream}|{chunk}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def rng_for(seed: int, stream: str, chunk: str | int) -> random.Random:
    """The random stream `stream` of chunk `chunk`: identical on every machine, worker and backend."""
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}")
    return random.Random(stream_seed(seed, stream, chunk))  # noqa: S311 — deterministic test data


class Weighted(Generic[T]):
    """A categorical distribution sampled with one `random()` call and a bisection."""

    def __init__(self, items: Sequence[tuple[T, float]]) -> None:
        self.values = tuple(value for value, _ in items)
        self._cumulative = list(accumulate(weight for _, weight in items))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        index = bisect.bisect_right(self._cumulative, rng.random() * self._total)
        return self.values[min(index, len(self.values) - 1)]


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights`, rounding by largest remainder (ties: first index)."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * weight / weight_sum for weight in weights]
    counts = [int(value) for value in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
