"""The demo's desk roster and its first planning runs.

`plan_roster` (pure) rosters every desk agent on one of their teams' queues for the coming
fortnight, inside the team's opening hours: an early and a late shift split the day, agents in
several teams alternate between them, and a team open on Saturdays takes its agents in turn.
`load_roster` writes it through the planning service and then runs the desk and field plans and
one what-if at the load instant, so `make run` opens /planning/ on real forecasts and gaps
rather than on an empty page waiting for the nightly job.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHIFT = timedelta(hours=8, minutes=30)  # eight hours' work and a half-hour break
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUND_THE_CLOCK = (time(7), time(23))  # a 24/7 team is staffed from early to late; nights are on call
ROSTER_DAYS = 15  # the desk plan's 14 days, from the load day


@dataclass(frozen=True)
class AgentInfo:
    user_id: int
    teams: tuple[str, ...]  # team names, the agent's home team first


@dataclass(frozen=True)
class RosterShift:
    user_id: int
    team: str
    starts_at: datetime
    ends_at: datetime


def opening_hours(spec: Mapping, day: date) -> tuple[time, time] | None:
    """(first opening, last closing) of a calendar spec on a day, or None when closed."""
    if spec.get("always"):
        return ROUND_THE_CLOCK
    if day.isoformat() in set(spec.get("holidays", ())):
        return None
    spans = spec.get("hours", {}).get(WEEKDAYS[day.weekday()], [])
    if not spans:
        return None
    first = min(time.fromisoformat(s) for s, _ in spans)
    last = max(time.fromisoformat(e) for _, e in spans)
    return first, last


def plan_roster(
    agents: Sequence[AgentInfo], team_specs: Mapping[str, Mapping], days: Sequence[date], tz: str
) -> list[RosterShift]:
    """One shift a day at most per agent, five days a week (six when their team's Saturday is
    their turn), early or late within the team's hours."""
    zone = ZoneInfo(tz)
    shifts: list[RosterShift] = []
    for day in days:
        week = day.isocalendar().week
        on_team: dict[str, list[AgentInfo]] = {}
        for i, agent in enumerate(agents):
            teams = [t for t in agent.teams if t in team_specs]
            if not teams:
                continue
            team = teams[(day.toordinal() + i) % len(teams)] if day.weekday() < 5 else teams[0]
            on_team.setdefault(team, []).append(agent)
        for team, members in sorted(on_team.items()):
            hours = opening_hours(team_specs[team], day)
            if hours is None:
                continue
            if day.weekday() >= 5:  # weekends: one agent in turn, or two for a 24/7 queue
                take = 2 if team_specs[team].get("always") else 1
                members = [members[(week + k) % len(members)] for k in range(min(take, len(members)))]
            opens = datetime.combine(day, hours[0], tzinfo=zone)
            closes = datetime.combine(day, hours[1], tzinfo=zone)
            for k, agent in enumerate(members):
                if closes - opens <= SHIFT:
                    start, end = opens, closes
                elif (k + week) % 2 == 0:
                    start, end = opens, opens + SHIFT
                else:
                    start, end = closes - SHIFT, closes
                shifts.append(RosterShift(agent.user_id, team, start, end))
    return shifts


def load_roster(*, now: datetime, admin, teams: dict, counts: dict, say: Callable[[str], None]) -> None:
    from steward.accounts.models import TeamMembership, User
    from steward.planning import services as planning

    t0 = clock.monotonic()
    manager = User.objects.filter(role_grants__role="manager", is_active=True).order_by("id").first() or admin
    by_user: dict[int, list[tuple[bool, str]]] = {}
    for m in (
        TeamMembership.objects.filter(user__role_grants__role="agent", user__is_active=True)
        .select_related("team")
        .order_by("user_id", "team_id")
    ):
        by_user.setdefault(m.user_id, []).append((not m.is_lead, m.team.name))
    agents = [
        AgentInfo(uid, tuple(name for _, name in sorted(names))) for uid, names in sorted(by_user.items())
    ]
    specs = {name: team.calendar.spec for name, team in teams.items()}
    today = now.astimezone(ZoneInfo("Europe/Berlin")).date()
    days = [today + timedelta(days=i) for i in range(ROSTER_DAYS)]
    users = User.objects.in_bulk([a.user_id for a in agents])
    for s in plan_roster(agents, specs, days, "Europe/Berlin"):
        planning.agent_shift_create(
            actor=manager,
            agent=users[s.user_id],
            team=teams[s.team],
            starts_at=s.starts_at,
            ends_at=s.ends_at,
        )
        counts["agent_shifts"] = counts.get("agent_shifts", 0) + 1
    say(
        f"roster: {counts.get('agent_shifts', 0)} desk shifts for {len(agents)} agents over {ROSTER_DAYS} days"
    )
    _first_plans(now=now, manager=manager, counts=counts, say=say, started=t0)


def _first_plans(*, now: datetime, manager, counts: dict, say: Callable[[str], None], started: float) -> None:
    """The desk and field plans and a what-if (+20% arrivals, as a campaign would bring), at the
    load instant. A plan the history cannot support is reported and skipped, not fatal."""
    from steward.core.errors import ValidationFailed
    from steward.planning import services as planning

    try:
        desk = planning.plan_desk(actor=manager, now=now)
        planning.scenario_create(actor=manager, base_run=desk, changes={"arrivals_factor": 1.2})
        counts["planning_runs"] = counts.get("planning_runs", 0) + 2
    except ValidationFailed as exc:
        say(f"planning: no desk plan ({exc})")
    try:
        planning.plan_field(actor=manager, now=now)
        counts["planning_runs"] = counts.get("planning_runs", 0) + 1
    except ValidationFailed as exc:
        say(f"planning: no field plan ({exc})")
    say(f"planning: {counts.get('planning_runs', 0)} runs in {clock.monotonic() - started:.1f}s")
