"""The customer's words for the desk's states and types (the portal never shows desk jargon)."""

from __future__ import annotations

from django import template

register = template.Library()

STATUS_WORDS = {
    "new": "Received",
    "open": "In progress",
    "pending": "Waiting for you",
    "on_hold": "On hold",
    "resolved": "Solved",
    "closed": "Closed",
}
STATUS_HINTS = {
    "new": "We have your request and will pick it up shortly.",
    "open": "We are working on it.",
    "pending": "We need something from you to go on: please reply below.",
    "on_hold": "Paused while we wait for something outside our hands, such as a part or a visit.",
    "resolved": "We think this is solved. If it is, close it; if not, reply and it opens again.",
    "closed": "This request is closed.",
}
TYPE_WORDS = {
    "incident": "Something is broken",
    "service_request": "I need something",
    "complaint": "Complaint",
    "question": "Question",
}


@register.filter
def customer_status(status: str) -> str:
    return STATUS_WORDS.get(status, status)


@register.filter
def status_hint(status: str) -> str:
    return STATUS_HINTS.get(status, "")


@register.filter
def request_type(kind: str) -> str:
    return TYPE_WORDS.get(kind, kind)
