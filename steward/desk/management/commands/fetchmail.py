"""`steward fetchmail`: poll the support mailbox over IMAP into the service desk
(see steward.desk.mail.imap)."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from steward.desk.mail.imap import FetchError, LoginRefused, poll_mailbox

logger = logging.getLogger("steward.desk.mail.imap")


class Command(BaseCommand):
    help = (
        "Fetch unread mail from the IMAP mailbox (STEWARD_IMAP_*) into the service desk; each message "
        "is marked read only once it is stored. --once polls once; otherwise it polls every --interval "
        "seconds."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop = threading.Event()

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="poll once and exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between polls (default 60)")

    def handle(self, *args, once: bool, interval: float, **options):
        if interval < 1:
            raise CommandError(f"--interval must be at least 1 second, got {interval:g}")
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop.set())
        where = f"{settings.STEWARD_IMAP_USER}@{settings.STEWARD_IMAP_HOST}/{settings.STEWARD_IMAP_FOLDER}"
        polls = 0
        while True:
            if polls:
                close_old_connections()  # a long-running poller must not keep a stale connection
            try:
                result = poll_mailbox()
            except FetchError as exc:
                # The first poll shows a misconfiguration at once; later a passing outage is retried.
                if once or polls == 0 or isinstance(exc, LoginRefused):
                    raise CommandError(str(exc)) from None
                logger.warning("%s; trying again in %g s", exc, interval)
            else:
                self.stdout.write(
                    f"{where}: {result.unseen} unread, {result.processed} taken in, {result.failed} failed"
                )
                if once and result.failed:
                    raise CommandError(
                        f"{result.failed} message(s) could not be taken in; they stay unread and are "
                        "fetched again by the next poll"
                    )
            polls += 1
            if once or self.stop.wait(interval):
                return
