"""An inbound mail message, parsed into what the intake needs (pure: no Django, no ORM).

``parse(raw, *, max_bytes, max_parts, loop_id="") -> ParsedMail`` reads raw RFC 5322 bytes with
the standard library (``email.parser.BytesParser`` with ``policy.default``) and never raises
anything but `MailRejected`, and that only for the limits: a message over `max_bytes` or with
more than `max_parts` MIME parts (or nested too deeply to walk). Anything else, however
malformed, gives a `ParsedMail`: a header that cannot be decoded is read raw, a body in an unknown
charset is decoded leniently, an unreadable part is skipped.

What it extracts:

* Message-ID, In-Reply-To and References as normalised ids ``<local@domain>`` (`normalise_ids`);
* From (address lower-cased, and the display name), To, Cc and Delivered-To addresses;
* the decoded Subject and the Date (aware; a zone-less date is taken as UTC);
* the text: the first text/plain body part, else the first text/html one converted to text
  (`htmltext.html_to_text`), and `body`, that text without the quoted earlier conversation
  (`quoting.strip_quoted`);
* attachments: every leaf part that is not the chosen body text (named or not, inline images
  included), and a forwarded message (message/rfc822) as one .eml file;
* `auto_reason`, why the message was written by a machine, or "" (`auto_reason_for`);
* `loop`: the message carries our own loop header (`LOOP_HEADER` with our `loop_id`);
* `content_hash`, the deduplication key for copies that lack or change a Message-ID
  (`content_hash`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from steward.desk.mail.htmltext import html_to_text
from steward.desk.mail.quoting import is_forward, strip_quoted

# The header every mail we send carries (with our own address as its value): a message that comes
# back with it is our own notification looping back, and is ignored.
LOOP_HEADER = "X-Steward-Loop"

MAX_ID_LENGTH = 255
MAX_IDS = 50  # References beyond this are noise (and a cost): the most recent ones are kept.
MAX_DEPTH = 50  # MIME nesting deeper than this is not a real mail


class MailRejected(Exception):
    """The message is over a limit; `reason` says which (it is stored with the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content: bytes
    content_type: str
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_address: str = ""
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    body: str = ""
    attachments: tuple[ParsedAttachment, ...] = ()
    auto_reason: str = ""
    loop: bool = False
    content_hash: str = ""
    size: int = 0
    part_count: int = 0
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def is_auto(self) -> bool:
        return bool(self.auto_reason)

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address the message names as a recipient (To, Cc, Delivered-To), in that order."""
        seen: dict[str, None] = {}
        for address in (*self.to, *self.cc, *self.delivered_to):
            seen.setdefault(address, None)
        return tuple(seen)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The ids this message answers, most specific first: In-Reply-To, then References from the
        newest (last) to the oldest."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


# --- message ids ----------------------------------------------------------------------------------

_ID = re.compile(r"<([^<>\s]{1,998})>")


def normalise_id(value: str) -> str:
    """One id as ``<…>``, or "" for nothing usable. An id longer than the column is replaced by a
    stable digest of itself, so it still matches the same id elsewhere."""
    value = value.strip()
    match = _ID.search(value)
    core = match.group(1) if match else value.strip("<>").split()[0] if value.strip("<>").split() else ""
    if not core:
        return ""
    normalised = f"<{core}>"
    if len(normalised) > MAX_ID_LENGTH:
        normalised = f"<{hashlib.sha256(core.encode('utf-8', 'surrogatepass')).hexdigest()}@long-id.invalid>"
    return normalised


def normalise_ids(value: str) -> tuple[str, ...]:
    """All ids in a References/In-Reply-To value, in order, without repeats (the last MAX_IDS)."""
    found = [normalise_id(f"<{m}>") for m in _ID.findall(value)]
    if not found and value.strip():
        one = normalise_id(value)
        found = [one] if one else []
    unique = list(dict.fromkeys(x for x in found if x))
    return tuple(unique[-MAX_IDS:])


# --- headers --------------------------------------------------------------------------------------


def _raw_headers(msg: Message) -> dict[str, tuple[str, ...]]:
    """Header values as they arrived (unfolded, undecoded), by lower-case name."""
    out: dict[str, list[str]] = {}
    try:
        items = list(msg.raw_items())
    except Exception:
        items = []
    for name, value in items:
        text = value if isinstance(value, str) else str(value)
        out.setdefault(str(name).strip().lower(), []).append(re.sub(r"\r?\n[ \t]", " ", text).strip())
    return {k: tuple(v) for k, v in out.items()}


def _decoded(msg: Message, name: str, raw: dict[str, tuple[str, ...]]) -> str:
    """The first value of a header, decoded (RFC 2047) where the library can, else raw."""
    with contextlib.suppress(Exception):
        value = msg.get(name)
        if value is not None:
            return re.sub(r"\s+", " ", str(value)).strip()
    values = raw.get(name.lower(), ())
    return re.sub(r"\s+", " ", values[0]).strip() if values else ""


def _valid_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool((at and local and domain and "." in domain) or (at and local and domain == "localhost"))


def _addresses(msg: Message, name: str, raw: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header, invalid ones dropped."""
    pairs: list[tuple[str, str]] = []
    try:
        for header in msg.get_all(name) or []:
            for address in getattr(header, "addresses", ()):
                pairs.append((str(address.display_name or ""), str(address.addr_spec or "")))
    except Exception:  # fall back to the lenient compat parser on the raw value
        pairs = list(getaddresses(list(raw.get(name.lower(), ()))))
    out = []
    for display, address in pairs:
        address = address.strip().strip("<>").lower()
        if _valid_address(address) and not any(c.isspace() for c in address):
            out.append((display.strip(), address))
    return out


def _date(msg: Message, raw: dict[str, tuple[str, ...]]) -> datetime | None:
    value = None
    try:
        header = msg.get("Date")
        value = getattr(header, "datetime", None)
    except Exception:
        value = None
    if value is None and raw.get("date"):
        try:
            value = parsedate_to_datetime(raw["date"][0])
        except Exception:
            value = None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- machine-written mail (RFC 3834 and common practice) ----------------------------------------


def auto_reason_for(headers: dict[str, tuple[str, ...]], content_type: str = "") -> str:
    """Why a message was written by a machine (an out-of-office reply, a bounce, a list mail), or
    "" if nothing says so. `headers` are raw values by lower-case name.

    * ``Auto-Submitted`` with any value but "no" (RFC 3834: auto-replied, auto-generated, …);
    * ``Precedence: bulk``, ``junk`` or ``list``;
    * ``X-Autoreply`` or ``X-Autorespond`` (older autoresponders), whatever the value;
    * ``List-Id`` together with a ``Precedence`` header (list traffic);
    * an empty ``Return-Path: <>`` (bounces and other delivery notifications);
    * a ``multipart/report`` body (delivery and read reports)."""
    for value in headers.get("auto-submitted", ()):
        token = value.split(";", 1)[0].strip().lower()
        if token and token != "no":
            return f"Auto-Submitted: {token}"[:120]
    precedence = [v.strip().lower() for v in headers.get("precedence", ())]
    for value in precedence:
        if value in ("bulk", "junk", "list"):
            return f"Precedence: {value}"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return f"{name.title()} header"
    if headers.get("list-id") and precedence:
        return "mailing list (List-Id with Precedence)"
    if any(v.strip().replace(" ", "") == "<>" for v in headers.get("return-path", ())):
        return "empty Return-Path (a bounce)"
    if content_type.lower() == "multipart/report":
        return "delivery or read report"
    return ""


def is_loop(headers: dict[str, tuple[str, ...]], loop_id: str) -> bool:
    """The message carries our own loop header: it is one of our notifications come back."""
    if not loop_id:
        return False
    return any(v.strip().lower() == loop_id.strip().lower() for v in headers.get(LOOP_HEADER.lower(), ()))


# --- the MIME tree --------------------------------------------------------------------------------


def _walk(msg: Message) -> Iterator[tuple[Message, int]]:
    """Every part with its depth, without recursion (so a hostile nesting cannot blow the stack)."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        yield part, depth
        if depth >= MAX_DEPTH:
            continue
        try:
            payload = part.get_payload() if part.is_multipart() else None
        except Exception:
            payload = None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))


def _count_parts(msg: Message, max_parts: int) -> int:
    count = 0
    for _part, depth in _walk(msg):
        count += 1
        if count > max_parts:
            raise MailRejected(f"more than {max_parts} MIME parts")
        if depth >= MAX_DEPTH:
            raise MailRejected(f"MIME parts nested more than {MAX_DEPTH} deep")
    return count


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the library left undecoded
        name = name[2] if len(name) == 3 else ""
    return re.sub(r"\s+", " ", str(name)).strip()


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        raw = part.get_payload()
    except Exception:
        return b""
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _part_text(part: Message) -> str:
    # An unknown charset or a broken encoding makes the library give up: decode by hand below.
    with contextlib.suppress(Exception):
        content = part.get_content()
        if isinstance(content, str):
            return content
    data = _payload_bytes(part)
    try:
        charset = part.get_content_charset() or "utf-8"
        return data.decode(charset, "replace")
    except Exception:
        return data.decode("utf-8", "replace")


def _is_body_candidate(part: Message) -> bool:
    return (
        _content_type(part) in ("text/plain", "text/html")
        and _disposition(part) != "attachment"
        and not _filename(part)
    )


def _body_and_attachments(msg: Message) -> tuple[str, list[ParsedAttachment]]:
    leaves: list[Message] = []
    forwarded: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        ctype = _content_type(part)
        if ctype == "message/rfc822" and depth > 0:
            forwarded.append(part)
            continue
        try:
            payload = part.get_payload() if part.is_multipart() else None
        except Exception:
            payload = None
        if isinstance(payload, list):
            if depth < MAX_DEPTH:
                stack.extend((c, depth + 1) for c in reversed(payload) if isinstance(c, Message))
            continue
        leaves.append(part)

    plain = next((p for p in leaves if _is_body_candidate(p) and _content_type(p) == "text/plain"), None)
    html = next((p for p in leaves if _is_body_candidate(p) and _content_type(p) == "text/html"), None)
    if plain is not None:
        text = _part_text(plain)
    elif html is not None:
        text = html_to_text(_part_text(html))
    else:
        text = ""
    attachments = []
    for part in leaves:
        if part is plain or (part is html) or _is_body_candidate(part):
            # The other alternative of the body (the HTML twin of the text) is not a file.
            continue
        ctype = _content_type(part)
        name = _filename(part) or _default_name(ctype, len(attachments) + 1)
        attachments.append(
            ParsedAttachment(
                filename=name,
                content=_payload_bytes(part),
                content_type=ctype,
                inline=_disposition(part) == "inline" or not _disposition(part),
            )
        )
    for index, part in enumerate(forwarded, 1):
        attachments.append(
            ParsedAttachment(
                filename=_filename(part) or f"forwarded-{index}.eml",
                content=_forwarded_bytes(part),
                content_type="message/rfc822",
            )
        )
    return _normalise_newlines(text), attachments


def _forwarded_bytes(part: Message) -> bytes:
    with contextlib.suppress(Exception):
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            return inner[0].as_bytes(policy=policy.SMTP)
    return _payload_bytes(part)


_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/calendar": "ics",
}


def _default_name(content_type: str, index: int) -> str:
    return f"part-{index}.{_EXTENSIONS.get(content_type, 'bin')}"


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- dedup ----------------------------------------------------------------------------------------


def content_hash(
    *, from_address: str, date: datetime | None, subject: str, text: str, attachments: Iterable[bytes]
) -> str:
    """The deduplication key of a message, over what its author wrote, not how it travelled.

    SHA-256 of: the sender address (lower case), the Date (as a UTC instant), the Subject (decoded,
    whitespace collapsed), the text body (decoded; line endings and trailing spaces normalised) and
    the SHA-256 of each attachment (sorted). Left out on purpose: Message-ID (a copy that had none
    gets a different one from each relay it passed), the trace headers Received, Return-Path and
    Delivered-To, every X- header, header order, folding and the transfer encoding (base64 or
    quoted-printable) and charset of each part. So the same message fetched twice, or delivered by
    two routes, hashes the same; two messages differing in any of those authored fields do not."""
    lines = [line.rstrip() for line in _normalise_newlines(text).split("\n")]
    canonical = "\x00".join(
        [
            "from:" + from_address.strip().lower(),
            "date:" + (date.astimezone(UTC).isoformat() if date is not None else ""),
            "subject:" + " ".join(subject.split()),
            "body:" + "\n".join(lines).strip("\n"),
            "files:" + ",".join(sorted(hashlib.sha256(a).hexdigest() for a in attachments)),
        ]
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def raw_hash(raw: bytes) -> str:
    """The key of a message we could not read into fields (over a limit): its bytes."""
    return hashlib.sha256(b"raw\x00" + raw).hexdigest()


# --- the whole message ----------------------------------------------------------------------------


def parse_headers(raw: bytes) -> ParsedMail:
    """Only the headers (Message-ID, From, Subject, Date), for a message we will not read whole:
    cheap on any size, and as lenient as `parse`."""
    head, _sep, _rest = raw.partition(b"\r\n\r\n")
    if len(head) == len(raw):
        head, _sep, _rest = raw.partition(b"\n\n")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(head[: 256 * 1024], headersonly=True)
    except Exception:
        return ParsedMail(size=len(raw), content_hash=raw_hash(raw))
    raw_headers = _raw_headers(msg)
    senders = _addresses(msg, "From", raw_headers)
    return ParsedMail(
        message_id=normalise_id(_decoded(msg, "Message-ID", raw_headers)),
        from_address=senders[0][1] if senders else "",
        from_name=senders[0][0] if senders else "",
        subject=_decoded(msg, "Subject", raw_headers),
        date=_date(msg, raw_headers),
        size=len(raw),
        content_hash=raw_hash(raw),
        headers=raw_headers,
    )


def parse(raw: bytes, *, max_bytes: int, max_parts: int, loop_id: str = "") -> ParsedMail:
    """Read one message (see the module docstring). Raises `MailRejected` only for the limits."""
    if len(raw) > max_bytes:
        raise MailRejected(f"larger than the limit of {max_bytes} bytes")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        raise MailRejected(f"MIME parts nested more than {MAX_DEPTH} deep") from None
    part_count = _count_parts(msg, max_parts)
    raw_headers = _raw_headers(msg)
    senders = _addresses(msg, "From", raw_headers)
    from_name, from_address = senders[0] if senders else ("", "")
    subject = _decoded(msg, "Subject", raw_headers)
    date = _date(msg, raw_headers)
    text, attachments = _body_and_attachments(msg)
    message_ids = normalise_ids(_decoded(msg, "Message-ID", raw_headers))
    return ParsedMail(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=normalise_ids(" ".join(raw_headers.get("in-reply-to", ()))),
        references=normalise_ids(" ".join(raw_headers.get("references", ()))),
        from_address=from_address,
        from_name=from_name,
        to=tuple(a for _n, a in _addresses(msg, "To", raw_headers)),
        cc=tuple(a for _n, a in _addresses(msg, "Cc", raw_headers)),
        delivered_to=tuple(
            a.lower()
            for value in raw_headers.get("delivered-to", ()) + raw_headers.get("x-original-to", ())
            for _n, a in getaddresses([value])
            if _valid_address(a.lower())
        ),
        subject=subject,
        date=date,
        text=text,
        body=text.strip() if is_forward(subject) else strip_quoted(text),
        attachments=tuple(attachments),
        auto_reason=auto_reason_for(raw_headers, _content_type(msg)),
        loop=is_loop(raw_headers, loop_id),
        content_hash=content_hash(
            from_address=from_address,
            date=date,
            subject=subject,
            text=text,
            attachments=[a.content for a in attachments],
        ),
        size=len(raw),
        part_count=part_count,
        headers=raw_headers,
    )


# --- the subject's ticket number -----------------------------------------------------------------

_NUMBER = re.compile(r"\[T-(\d{1,12})\]", re.I)


def subject_ticket_number(subject: str) -> int | None:
    """The ticket number in a subject such as "Re: [T-000123] Heating", or None."""
    match = _NUMBER.search(subject or "")
    return int(match.group(1)) if match else None
