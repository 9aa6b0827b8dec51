"""A controllable clock for tests of time-driven rules (SLA clocks, surveys, auto-close)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Monday 2026-03-09 10:00 in Berlin (UTC+1): the instant the desk's worked examples start from.
MON = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


class Clock:
    """`timezone.now()` while the `clock` fixture is active; move it on with `advance`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now
