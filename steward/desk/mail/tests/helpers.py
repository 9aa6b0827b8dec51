"""Building test mail messages as a customer's mail client would send them."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

_counter = itertools.count(1)

SUPPORT = "support@steward.test"


def customer_mail(
    *,
    sender: str,
    subject: str = "The heating is off",
    body: str = "Room 4 has been cold since this morning.",
    to: str = SUPPORT,
    in_reply_to: str = "",
    references: str = "",
    message_id: str | None = None,
    headers: dict | None = None,
    files: list[tuple[str, bytes, str]] = (),
    date=None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or timezone.now())
    msg["Message-ID"] = message_id if message_id is not None else f"<c{next(_counter)}@client.example>"
    if not msg["Message-ID"]:
        del msg["Message-ID"]
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data, ctype in files:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()
