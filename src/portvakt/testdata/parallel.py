"""Chunks generated in worker processes (spawn-safe), results handed to the writer in task order."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_ordered(
    function: Callable[[T], R],
    tasks: Iterable[T],
    *,
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    """`map` over worker processes with at most 2 × workers results in flight; results keep task order.

    With one worker everything runs in this process (no start-up cost, same results).
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        for task in tasks:
            yield function(task)
        return
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=initializer, initargs=initargs
    )
    pending: deque[Future[R]] = deque()
    try:
        iterator = iter(tasks)
        for task in iterator:
            pending.append(executor.submit(function, task))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result = pending.popleft().result()
            for task in iterator:
                pending.append(executor.submit(function, task))
                break
            yield result
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
