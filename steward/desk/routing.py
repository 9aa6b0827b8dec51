"""Which agent gets a new ticket of a team: pure rules, no ORM.

Strategies (per team, `desk.TeamRouting`):

* ``manual``: nobody; agents pick from the team's queue.
* ``round_robin``: the candidates in a fixed order (by user id); the next one after the last
  assignee, wrapping around. A last assignee who left the team is skipped naturally: the next
  id after theirs is taken.
* ``least_open``: the candidate with the fewest open tickets; ties go to the lowest user id, so
  the choice is deterministic.

With required skills (the service's, when the team matches skills), only candidates holding every
one of them are eligible; with none eligible, nobody is chosen (the ticket waits in the team's
queue rather than going to someone who cannot do it).

Worked example: candidates 3 (2 open, {hvac}), 5 (0 open, {}), 9 (1 open, {hvac, electrical}).
Round-robin after 5 → 9; after 9 → 3 (wrap). Least open → 5; least open needing {hvac} → 9.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Candidate", "choose_assignee"]


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: int
    open_tickets: int = 0
    skills: frozenset[str] = field(default_factory=frozenset)


def choose_assignee(
    strategy: str,
    candidates: Iterable[Candidate],
    *,
    required_skills: frozenset[str] = frozenset(),
    last_assignee_id: int | None = None,
) -> int | None:
    """The user id the strategy picks, or None (manual, or nobody eligible)."""
    eligible = sorted((c for c in candidates if required_skills <= c.skills), key=lambda c: c.user_id)
    if not eligible or strategy == "manual":
        return None
    if strategy == "round_robin":
        if last_assignee_id is not None:
            for c in eligible:
                if c.user_id > last_assignee_id:
                    return c.user_id
        return eligible[0].user_id
    if strategy == "least_open":
        return min(eligible, key=lambda c: (c.open_tickets, c.user_id)).user_id
    raise ValueError(f"unknown strategy {strategy!r}")
