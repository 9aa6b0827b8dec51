"""Background work helpers. Tasks are enqueued only once the writing transaction commits, so a
worker never sees a task for a row that was rolled back; every task is written to be idempotent."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
