"""`steward worker`: run background tasks from the database queue, with a heartbeat."""

from __future__ import annotations

import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from steward.core.worker import Ticker


class Command(BaseCommand):
    help = "Run the task worker (django-tasks-db) with a heartbeat for /healthz. Safe to run several."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--queue-name", default="default")

    def handle(self, *args, interval: float, batch: bool, queue_name: str, **options):
        worker_id = f"{socket.gethostname()[:40]}-{get_random_string(8)}"
        ticker = Ticker(worker_id, settings.STEWARD_WORKER_HEARTBEAT_SECONDS)
        ticker.start()
        self.stdout.write(f"steward worker {worker_id} started (queue {queue_name})")
        try:
            call_command(
                "db_worker",
                queue_name=queue_name,
                interval=interval,
                batch=batch,
                reload=False,
                worker_id=worker_id[:64],
                verbosity=options.get("verbosity", 1),
            )
        finally:
            ticker.stop()
