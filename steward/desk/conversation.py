"""A ticket's conversation as the customer reads it, built from what the selectors let them see.

Pure (no queries): it takes the ticket, its visible timeline events, messages and attachments
(already scoped by `desk.selectors`: no internal notes, no staff-only events, no files of
internal notes) and puts them in reading order:

* "opened": the request itself (subject, description) with the files sent with it (those
  without a message, stamped with the ticket's creation instant);
* "message": each public message with its files, from the customer's side or ours;
* "status": each status change, in the customer's words (the template words it);
* "files": files added later without a message;
* "merged": the ticket was merged into another one.

Anything else on the timeline (priority and SLA-policy changes, surveys) is the desk's business
and is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Entries at the same instant read in this order: the request, then what was said, then what
# happened because of it (a reply that reopens a ticket comes before the reopening).
_ORDER = {"opened": 0, "message": 1, "files": 2, "status": 3, "merged": 4}


@dataclass
class Entry:
    kind: str
    at: datetime
    author: str = ""
    mine: bool = False
    from_customer: bool = False
    body: str = ""
    files: list[Any] = field(default_factory=list)
    status: str = ""
    reason: str = ""
    other: int | None = None
    actor_id: int | None = None


def author_label(user: Any, contact: Any, *, viewer_id: int | None) -> tuple[str, bool]:
    """Who wrote it, as the reader sees it: "You" for their own words, else the person's name."""
    if user is not None and user.pk == viewer_id:
        return "You", True
    if user is not None:
        return (user.full_name or user.email), False
    if contact is not None:
        return contact.full_name, False
    return "", False


def build(
    *,
    ticket: Any,
    events: Iterable[Any],
    messages: Iterable[Any],
    attachments: Iterable[Any],
    viewer_id: int | None,
) -> list[Entry]:
    files_by_message: dict[int | None, list[Any]] = defaultdict(list)
    for attachment in attachments:
        files_by_message[attachment.message_id].append(attachment)

    requester, mine = author_label(ticket.requester, ticket.contact, viewer_id=viewer_id)
    loose = files_by_message.pop(None, [])
    with_request = [a for a in loose if a.created_at == ticket.created_at]
    entries = [
        Entry(
            kind="opened",
            at=ticket.created_at,
            author=requester,
            mine=mine,
            from_customer=True,
            body=ticket.description,
            files=with_request,
        )
    ]
    later: dict[datetime, list[Any]] = defaultdict(list)
    for attachment in loose:
        if attachment.created_at != ticket.created_at:
            later[attachment.created_at].append(attachment)
    for at, files in later.items():
        who, mine = author_label(files[0].uploaded_by, None, viewer_id=viewer_id)
        entries.append(Entry(kind="files", at=at, author=who, mine=mine, files=files))

    for message in messages:
        who, mine = author_label(message.author, message.contact, viewer_id=viewer_id)
        entries.append(
            Entry(
                kind="message",
                at=message.created_at,
                author=who,
                mine=mine,
                from_customer=message.from_customer,
                body=message.body,
                files=files_by_message.get(message.pk, []),
            )
        )

    last_status: Entry | None = None
    for event in events:
        if event.type == "status":
            if (
                last_status is not None
                and last_status.at == event.at
                and last_status.actor_id == event.actor_id
            ):
                # One act, several steps (withdrawn: resolved then closed): the reader sees the end.
                last_status.status = event.data.get("status", "")
                last_status.reason = last_status.reason or event.data.get("reason", "")
                continue
            who, mine = author_label(event.actor, None, viewer_id=viewer_id)
            last_status = Entry(
                kind="status",
                at=event.at,
                author=who,
                mine=mine,
                status=event.data.get("status", ""),
                reason=event.data.get("reason", ""),
                actor_id=event.actor_id,
            )
            entries.append(last_status)
        elif event.type == "merge" and event.data.get("into"):
            entries.append(Entry(kind="merged", at=event.at, other=event.data["into"]))

    return sorted(entries, key=lambda e: (e.at, _ORDER[e.kind]))
