"""How a stored SLA clock reads at a given instant, for the agent's pages. Pure: no ORM.

`TicketSla` rows hold what the last recompute or sweep found. Between sweeps time passes, so a
page must not show a stale "running" for a clock whose warning instant or deadline has gone by:
`status_at` reads a stored clock at `now` with the sweeper's own comparisons (warning when
``now >= warning_at``; breached when ``now > deadline``, because a reply at the deadline instant
itself still meets the target). The browser (static/js/desk.js) applies the same two comparisons
every second, so the colour changes without a reload. A clock is never read as better than it
was stored: met, paused and breached stay as they are.

Worked examples (deadline 12:00, warning at 11:36):

* stored running, now 11:00 -> running; now 11:36 -> warning; now 12:00 -> warning (the deadline
  instant still meets); now 12:00:01 -> breached.
* stored warning, now 12:30 -> breached. Stored paused or met, any now -> unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Worst first when summarising a ticket's clocks (the order of `desk.clocks._STATE_RANK`).
RANK = {"breached": 5, "warning": 4, "running": 3, "paused": 2, "met": 1}
LABELS = {
    "breached": "Breached",
    "warning": "Warning",
    "running": "On track",
    "paused": "Paused",
    "met": "Met",
}
TICKING = ("running", "warning")


def status_at(status: str, *, warning_at: datetime | None, deadline: datetime | None, now: datetime) -> str:
    """The stored status as it reads at `now` (see the module docstring)."""
    if status in TICKING:
        if deadline is not None and now > deadline:
            return "breached"
        if status == "running" and warning_at is not None and now >= warning_at:
            return "warning"
    return status


def worst(statuses: Iterable[str]) -> str:
    """The most urgent of several states ("" for none)."""
    return max(statuses, key=lambda s: RANK.get(s, 0), default="")


@dataclass(frozen=True)
class Clock:
    """One target's clock as a page shows it."""

    target: str
    stored: str
    state: str
    deadline: datetime | None
    warning_at: datetime | None
    met_at: datetime | None = None
    breached_at: datetime | None = None

    @property
    def ticking(self) -> bool:
        """Whether the countdown moves: the clock was running (or in warning) when stored. One
        that has passed its deadline since keeps counting how late it is. A clock stored as
        breached shows when it breached instead (the stored row does not say whether that cycle
        has been answered since)."""
        return self.deadline is not None and self.stored in TICKING

    @property
    def label(self) -> str:
        return LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class Summary:
    """A ticket's clocks in one badge: the worst state, and the nearest deadline still open (with
    that clock's warning instant, so the browser can move the badge on as time passes)."""

    state: str
    deadline: datetime | None
    warning_at: datetime | None
    # The state of the clock the deadline belongs to: when it is better than `state`, another
    # clock made the badge what it is, and the countdown is "next".
    deadline_state: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.state, self.state)

    @property
    def deadline_is_next(self) -> bool:
        return self.deadline is not None and self.deadline_state != self.state


def clock(
    *,
    target: str,
    status: str,
    deadline: datetime | None,
    warning_at: datetime | None,
    met_at: datetime | None,
    breached_at: datetime | None,
    now: datetime,
) -> Clock:
    state = status_at(status, warning_at=warning_at, deadline=deadline, now=now)
    # A breach read from the clock (not yet swept) happened at the deadline.
    if state == "breached" and breached_at is None and status != "breached":
        breached_at = deadline
    return Clock(target, status, state, deadline, warning_at, met_at, breached_at)


def summarise(clocks: Iterable[Clock]) -> Summary | None:
    """The badge for a list row: None when no SLA governs the ticket."""
    clocks = list(clocks)
    if not clocks:
        return None
    # The nearest deadline among the clocks running (or in warning) when stored: what
    # `Ticket.sla_next_deadline` indexes.
    nearest = min((c for c in clocks if c.ticking), key=lambda c: c.deadline, default=None)
    return Summary(
        state=worst(c.state for c in clocks),
        deadline=nearest.deadline if nearest else None,
        warning_at=nearest.warning_at if nearest else None,
        deadline_state=nearest.state if nearest else "",
    )


def age(seconds: float) -> str:
    """How long ago, compactly: "just now", "12m", "5h", "3d", "6w"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "just now"
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def countdown(seconds: float) -> str:
    """A relative countdown, e.g. "in 2h 05m", "in 4m 09s", "1d 3h overdue". desk.js formats
    the same way every second."""
    late = seconds < 0
    total = int(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes:02d}m"
    else:
        text = f"{minutes}m {secs:02d}s"
    return f"{text} overdue" if late else f"in {text}"
