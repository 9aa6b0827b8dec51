"""The built-in SMTP receiver (`steward smtpd`): direct delivery from an MX or a relay.

It is a receiving server, never a relay: RCPT is accepted only for addresses at our domains
(STEWARD_MAIL_DOMAINS), anything else is refused with 550. The message size limit
(STEWARD_MAIL_MAX_BYTES) is announced with the SIZE extension and enforced while DATA is read
(552). Each message goes through the intake (`desk.mail.intake.receive`) in a worker thread, and
the server answers 250 only once the intake has committed it: should the intake fail (the database
is down, a bug), the answer is 451 and the sending server tries again later; its retry of a
message that did commit is recognised as a duplicate and answered 250 without a second ticket. A
message the intake rejects for its parts limit gets 554 with the reason.

The server speaks plain SMTP: run it behind your MX (for example Postfix relaying the support
domain to it) or on a private network; STARTTLS and authentication are the front MX's business.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections

from steward.desk.models import InboundStatus

logger = logging.getLogger("steward.desk.mail.smtpd")


def _receive_committed(raw: bytes, rcpt_tos: list[str]) -> Any:
    from steward.desk.mail.intake import receive

    close_old_connections()
    try:
        return receive(raw, source="smtp", rcpt_to=rcpt_tos)
    finally:
        close_old_connections()


class IntakeHandler:
    """aiosmtpd handler: RCPT for our domains only, DATA through the intake."""

    def __init__(self, *, domains: list[str], workers: int = 4) -> None:
        self.domains = {d.lower().strip() for d in domains if d.strip()}
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="steward-smtpd")

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        domain = address.rpartition("@")[2].lower().strip(">")
        if domain not in self.domains:
            return "550 5.7.1 Relaying denied: this server accepts mail for its own domains only"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            row = await loop.run_in_executor(
                self.executor, _receive_committed, bytes(raw), list(envelope.rcpt_tos)
            )
        except Exception:
            logger.exception("intake failed for a message from %s; the sender will retry", envelope.mail_from)
            return "451 4.3.0 Temporary failure in the mail intake, please try again later"
        if row.status == InboundStatus.REJECTED:
            return f"554 5.6.0 Message rejected: {row.reason}"[:500]
        return f"250 OK: received as {row.pk}"

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def make_controller(host: str, port: int) -> Controller:
    """An SMTP server on host:port feeding the intake (start() it; stop() it)."""
    handler = IntakeHandler(domains=settings.STEWARD_MAIL_DOMAINS)
    return Controller(
        handler,
        hostname=host,
        port=port,
        server_hostname=settings.STEWARD_MAIL_ADDRESS.rpartition("@")[2] or "steward",
        ident="Steward smtpd",
        data_size_limit=settings.STEWARD_MAIL_MAX_BYTES,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
