"""The IMAP poller (`steward fetchmail`): a mailbox the support address delivers to.

Each poll connects (IMAPS by default), logs in, selects STEWARD_IMAP_FOLDER, asks for the unseen
messages by UID (``UID SEARCH UNSEEN``) and, one at a time, fetches one without marking it
(``UID FETCH <uid> (BODY.PEEK[])``), runs it through the intake, and only once the intake has
committed marks it read (``UID STORE <uid> +FLAGS (\\Seen)``). A message whose intake fails stays
unread and is fetched again by the next poll; one processed but not yet marked (a crash between
the two) is fetched again too, and deduplicated by the intake. Nothing is ever deleted from the
mailbox, so it also serves as the archive.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger("steward.desk.mail.imap")

TIMEOUT_SECONDS = 60
BATCH = 200  # messages per poll at most: a huge backlog is worked off over several polls


class FetchError(Exception):
    """The mailbox cannot be used (unreachable, login refused, no such folder): a message for the
    operator, and a non-zero exit."""


class LoginRefused(FetchError):
    """The server refused our credentials: nothing a retry would fix."""


@dataclass
class PollResult:
    unseen: int = 0
    processed: int = 0
    failed: int = 0


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _message_bytes(data: list[Any]) -> bytes | None:
    """The literal of a FETCH answer: [(b'1 (UID 7 BODY[] {123}', b'<raw>'), b')']."""
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def connect(
    *, host: str | None = None, port: int | None = None, use_ssl: bool | None = None
) -> imaplib.IMAP4:
    """Connect, log in and select the folder, or raise FetchError saying what went wrong."""
    host = host if host is not None else settings.STEWARD_IMAP_HOST
    port = port if port is not None else settings.STEWARD_IMAP_PORT
    use_ssl = settings.STEWARD_IMAP_SSL if use_ssl is None else use_ssl
    user, folder = settings.STEWARD_IMAP_USER, settings.STEWARD_IMAP_FOLDER
    if not host:
        raise FetchError("STEWARD_IMAP_HOST is not set: there is no mailbox to fetch from")
    try:
        if use_ssl:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
            )
        else:
            client = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise FetchError(f"cannot reach the IMAP server {host}:{port}: {exc}") from None
    try:
        client.login(_quoted(user), settings.STEWARD_IMAP_PASSWORD)
    except (imaplib.IMAP4.error, OSError) as exc:
        _close(client)
        raise LoginRefused(f"IMAP login as {user!r} at {host}:{port} failed: {_text(exc)}") from None
    try:
        status, data = client.select(_quoted(folder))
    except (imaplib.IMAP4.error, OSError) as exc:
        status, data = "NO", [str(exc).encode()]
    if status != "OK":
        _close(client)
        raise FetchError(f"cannot open the IMAP folder {folder!r}: {_text(data)}")
    return client


def _text(value: Any) -> str:
    if isinstance(value, list) and value:
        value = value[-1]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _close(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        client.logout()


def poll(client: imaplib.IMAP4, *, receive: Callable[..., Any] | None = None) -> PollResult:
    """Take in the folder's unseen messages (see the module docstring)."""
    if receive is None:
        from steward.desk.mail.intake import receive
    result = PollResult()
    status, data = client.uid("SEARCH", "UNSEEN")
    if status != "OK":
        raise FetchError(f"the IMAP server refused to search the folder: {_text(data)}")
    uids = [u for u in re.split(rb"\s+", (data[0] or b"").strip()) if u.isdigit()] if data else []
    result.unseen = len(uids)
    for uid in uids[:BATCH]:
        uid_text = uid.decode()
        status, fetched = client.uid("FETCH", uid_text, "(BODY.PEEK[])")
        raw = _message_bytes(fetched) if status == "OK" else None
        if raw is None:
            result.failed += 1
            logger.warning("IMAP message %s could not be fetched: %s", uid_text, _text(fetched))
            continue
        try:
            row = receive(raw, source="imap")
        except Exception:
            # Left unread: the next poll fetches it again.
            result.failed += 1
            logger.exception("IMAP message %s: the intake failed; it stays unread", uid_text)
            continue
        status, stored = client.uid("STORE", uid_text, "+FLAGS", "(\\Seen)")
        if status != "OK":
            logger.warning(
                "IMAP message %s taken in (mail %s) but not marked read: %s", uid_text, row.pk, _text(stored)
            )
        result.processed += 1
    return result


def poll_mailbox(*, receive: Callable[..., Any] | None = None) -> PollResult:
    """One poll from connect to logout."""
    client = connect()
    try:
        return poll(client, receive=receive)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise FetchError(f"the IMAP connection failed during the poll: {exc}") from None
    finally:
        _close(client)
