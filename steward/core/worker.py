"""The task worker's side jobs: a heartbeat that /healthz reads, and periodic work.

`steward worker` runs django-tasks-db's worker loop in the main thread and a ticker thread beside
it. Periodic jobs registered here must be safe with any number of workers running them at once:
they claim due rows with a conditional UPDATE (compare-and-set), never by reading then writing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.utils import timezone

from steward.core.models import WorkerHeartbeat

logger = logging.getLogger("steward.worker")

PERIODIC_JOBS: list[Callable[[], object]] = []


def periodic(func: Callable[[], object]) -> Callable[[], object]:
    """Register a job the ticker runs every tick (it must be cheap when nothing is due)."""
    PERIODIC_JOBS.append(func)
    return func


def beat(worker_id: str, started_at) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:200],
            pid=os.getpid(),
            started_at=started_at,
            last_seen=now,
        )


class Ticker(threading.Thread):
    def __init__(self, worker_id: str, interval: float) -> None:
        super().__init__(name="steward-ticker", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            close_old_connections()
            try:
                beat(self.worker_id, self.started_at)
                for job in PERIODIC_JOBS:
                    if self.stopping.is_set():
                        break
                    job()
            except Exception:  # a failing tick must not kill the worker; it is logged and retried
                logger.exception("worker tick failed")
            self.stopping.wait(self.interval)
        connection.close()

    def stop(self) -> None:
        """Stop after the job in progress and wait for it: a ticker left running would go on
        writing (and holding a database connection) after its worker has returned."""
        self.stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()
        # Leave the row behind: /healthz judges by age, and a restarted worker gets a new id.
