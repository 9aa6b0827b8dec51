"""Attachment rules: size and type limits, safe names, storage under a random name.

A file's name is untrusted input: it is reduced to a safe download name (no path, no control
characters, no leading dots, at most 150 characters) and never used on disk, where the file is
stored under a random name. Types are judged by extension against a block list of executables
and active content (`STEWARD_ATTACHMENT_BLOCKED`), and the stored content type is derived from the
extension, never taken from the uploader. Downloads are always served as attachments with
``X-Content-Type-Options: nosniff`` (see `desk.views.attachment_download`), so nothing a customer
uploads is ever rendered by the browser in our origin.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile

from steward.core.errors import ValidationFailed
from steward.desk.models import Attachment, Ticket, TicketMessage

MAX_NAME = 150
MAX_FILES_PER_MESSAGE = 20


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach: the name it came with, its bytes, and the type it claimed (ignored for
    serving; kept only as a hint)."""

    filename: str
    content: bytes
    content_type: str = ""

    @classmethod
    def from_upload(cls, upload: Any) -> NewAttachment:
        """From a Django UploadedFile, refusing an oversize one before reading it."""
        limit = settings.STEWARD_ATTACHMENT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise ValidationFailed.for_field(
                "file", f"{safe_name(upload.name)} is larger than the limit of {_human(limit)}"
            )
        return cls(filename=upload.name or "", content=upload.read(), content_type=upload.content_type or "")


def safe_name(name: str) -> str:
    """A download name that is safe everywhere: the last path component, NFC-normalised, without
    control or reserved characters, leading dots or trailing dots/spaces, at most 150 characters
    (keeping the extension)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*;]', "_", name).strip().lstrip(".").rstrip(". ")
    name = re.sub(r"\s+", " ", name)
    if not name:
        return "attachment"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def served_type(name: str) -> str:
    """The content type we store and serve, from the (safe) name's extension."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def check_all(items: Sequence[NewAttachment]) -> list[NewAttachment]:
    """Validate a batch (all or nothing): count, size, blocked types, empty files."""
    if len(items) > MAX_FILES_PER_MESSAGE:
        raise ValidationFailed.for_field("file", f"at most {MAX_FILES_PER_MESSAGE} files at once")
    limit = settings.STEWARD_ATTACHMENT_MAX_BYTES
    blocked = {e.lower().lstrip(".") for e in settings.STEWARD_ATTACHMENT_BLOCKED}
    checked = []
    for item in items:
        name = safe_name(item.filename)
        if len(item.content) > limit:
            raise ValidationFailed.for_field("file", f"{name} is larger than the limit of {_human(limit)}")
        if not item.content:
            raise ValidationFailed.for_field("file", f"{name} is empty")
        if extension(name) in blocked:
            raise ValidationFailed.for_field(
                "file", f"{name}: files of type .{extension(name)} are not accepted"
            )
        checked.append(NewAttachment(filename=name, content=item.content, content_type=item.content_type))
    return checked


def store(
    *,
    ticket: Ticket,
    message: TicketMessage | None,
    item: NewAttachment,
    actor: Any,
    public: bool,
    at: datetime,
) -> Attachment:
    """Write one checked file to storage and its row (inside the caller's transaction; should the
    transaction roll back, the orphaned file on disk is harmless and unreachable)."""
    attachment = Attachment(
        ticket=ticket,
        message=message,
        filename=item.filename,
        content_type=served_type(item.filename),
        size=len(item.content),
        sha256=hashlib.sha256(item.content).hexdigest(),
        is_public=public,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=at,
    )
    attachment.file.save(item.filename, ContentFile(item.content), save=False)
    attachment.save()
    return attachment


def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return f"{size} bytes"
