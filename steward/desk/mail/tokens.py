"""Signed reply addresses: ``support+<ticket id>-<signature>@example.org`` names one ticket.

Every notification we send has such an address in Reply-To, so a reply finds its ticket even when
the customer's client drops In-Reply-To and References. The signature is Django's signing HMAC
(`django.core.signing.Signer`, keyed by SECRET_KEY, with a salt of its own so no other signed
value of Steward can stand in for it), re-encoded in lower-case base32 and cut to 26 characters
(130 bits): mail servers may lower-case a local part, and a local part has at most 64
characters. Anyone can read the ticket id; nobody without the secret key can make a valid token
for another id, and a changed id or signature fails verification.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

SALT = "steward.desk.mail.reply-token"
SIGNATURE_LENGTH = 26
_TOKEN = re.compile(rf"\+(\d{{1,18}})-([a-z2-7]{{{SIGNATURE_LENGTH}}})@", re.I)


def _signature(ticket_id: int) -> str:
    mac = signing.Signer(salt=SALT, algorithm="sha256").signature(str(ticket_id))
    digest = signing.b64_decode(mac.encode())
    return base64.b32encode(digest).decode().rstrip("=").lower()[:SIGNATURE_LENGTH]


def reply_token(ticket_id: int) -> str:
    return f"{int(ticket_id)}-{_signature(int(ticket_id))}"


def reply_address(ticket_id: int, *, mailbox: str | None = None) -> str:
    """The plus-address on the support mailbox that names this ticket."""
    local, _at, domain = (mailbox or settings.STEWARD_MAIL_ADDRESS).rpartition("@")
    return f"{local}+{reply_token(ticket_id)}@{domain}"


def verified_ticket_id(address: str) -> int | None:
    """The ticket an address names, if its token is genuine; None for any other address."""
    match = _TOKEN.search(address or "")
    if not match:
        return None
    ticket_id = int(match.group(1))
    if not constant_time_compare(_signature(ticket_id), match.group(2).lower()):
        return None
    return ticket_id


def ticket_id_from_addresses(addresses: Iterable[str]) -> int | None:
    """The first genuine token among these recipient addresses."""
    for address in addresses:
        ticket_id = verified_ticket_id(address)
        if ticket_id is not None:
            return ticket_id
    return None
