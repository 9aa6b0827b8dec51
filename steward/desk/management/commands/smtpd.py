"""`steward smtpd`: receive mail over SMTP into the service desk (see steward.desk.mail.smtpd)."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from steward.desk.mail.smtpd import make_controller


class Command(BaseCommand):
    help = (
        "Receive mail for the service desk over SMTP (for your MX to deliver to). Accepts mail for "
        "STEWARD_MAIL_DOMAINS only; answers 250 once the message is stored."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop = threading.Event()

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="address to listen on (default STEWARD_SMTPD_HOST)")
        parser.add_argument("--port", type=int, default=None, help="port (default STEWARD_SMTPD_PORT)")

    def handle(self, *args, host: str | None, port: int | None, **options):
        host = host or settings.STEWARD_SMTPD_HOST
        port = port if port is not None else settings.STEWARD_SMTPD_PORT
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}")
        controller = make_controller(host, port)
        try:
            controller.start()
        except Exception as exc:
            raise CommandError(f"steward smtpd cannot listen on {host}:{port}: {exc}") from None
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop.set())
        domains = ", ".join(settings.STEWARD_MAIL_DOMAINS)
        self.stdout.write(
            f"steward smtpd listening on {host}:{port} for {domains} "
            f"(messages up to {settings.STEWARD_MAIL_MAX_BYTES} bytes)"
        )
        try:
            self.stop.wait()
        finally:
            controller.stop()
            controller.handler.close()
            self.stdout.write("steward smtpd stopped")
