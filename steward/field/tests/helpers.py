"""Small builders for the field tests: technicians, field services, field tickets, PNGs."""

from __future__ import annotations

import struct
import zlib
from datetime import date, time
from decimal import Decimal

from steward.accounts.models import UserSkill
from steward.field.models import ShiftPattern, Technician
from steward.testing import factories as f


def technician(
    user=None,
    *,
    skills=(("hvac", 3, None),),
    tz="Europe/Berlin",
    weekdays=range(5),
    hours=(time(8), time(16)),
) -> Technician:
    """A technician (a new staff user with the technician role unless given) starting from home
    in Berlin, with skills [(name, level, certified_until)] and a Mon-Fri 08:00-16:00 shift."""
    user = user or f.staff_user("technician")
    tech = Technician.objects.create(
        user=user, home_latitude=Decimal("52.5"), home_longitude=Decimal("13.4"), timezone=tz
    )
    for name, level, until in skills:
        UserSkill.objects.create(user=user, skill=name, level=level, certified_until=until)
    for weekday in weekdays:
        ShiftPattern.objects.create(technician=tech, weekday=weekday, start=hours[0], end=hours[1])
    return tech


def field_service(**kw):
    kw.setdefault("needs_field_visit", True)
    kw.setdefault("required_skills", ["hvac"])
    kw.setdefault("standard_duration_minutes", 90)
    return f.ServiceFactory(**kw)


def png(width: int = 4, height: int = 2) -> bytes:
    """A valid (tiny, white) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DAY = date(2026, 3, 9)  # a Monday
