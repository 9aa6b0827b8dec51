from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError


def validate_timezone(value: str) -> None:
    """An IANA time zone name such as Europe/Berlin."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
        ) from None
