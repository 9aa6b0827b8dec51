"""Run one function in several threads at once, each with its own database connection, released
together by a barrier: how tests show that compare-and-set claims act once under a race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_concurrently(func: Callable[[], Any], threads: int = 2, *, timeout: float = 60) -> list[Any]:
    """Call `func` in `threads` threads started together; return their results (in finishing
    order). Any exception in a thread is re-raised here, so a failure cannot pass silently."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(func())
        except BaseException as exc:  # pragma: no cover - re-raised below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    if errors:
        raise errors[0]
    if len(results) != threads:
        raise TimeoutError(f"{threads - len(results)} of {threads} threads did not finish in {timeout} s")
    return results
