"""Demand history and rosters read from the desk and field data, aggregated in the database.

Arrivals are counted by SQL (GROUP BY team, channel, hour of created_at; GROUP BY day and skills
for work orders), so months of tickets come back as a few thousand rows, then are laid on a
regular grid (hours with no ticket are zeros, which the forecast needs)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from django.db.models import Avg, Count, Sum
from django.db.models.functions import Substr, TruncDate, TruncHour

from steward.desk.models import Ticket
from steward.field.models import Absence, ShiftPattern, WorkOrder
from steward.planning.models import AgentShift


def desk_arrivals(*, start: datetime, end: datetime) -> dict[tuple[int | None, str], pd.Series]:
    """Tickets created per (team id, channel) per hour in [start, end), hours without any as 0."""
    rows = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("team_id", "channel", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    index = pd.date_range(start, end, freq="h", inclusive="left", tz=UTC).tz_localize(None)
    counts: dict[tuple, dict] = defaultdict(dict)
    for row in rows:
        hour = (
            pd.Timestamp(row["hour"]).tz_convert(UTC).tz_localize(None)
            if row["hour"].tzinfo
            else pd.Timestamp(row["hour"])
        )
        counts[(row["team_id"], row["channel"])][hour] = row["n"]
    return {
        key: pd.Series(values, dtype=float).reindex(index, fill_value=0.0) for key, values in counts.items()
    }


def planned_travel(*, start: datetime, end: datetime) -> tuple[float | None, int]:
    """Mean travel leg to a job, in hours, as the published dispatch plans scheduled it for the
    jobs scheduled in [start, end), and how many jobs that mean is over."""
    row = WorkOrder.objects.filter(
        scheduled_start__gte=start, scheduled_start__lt=end, planned_travel_seconds__isnull=False
    ).aggregate(mean=Avg("planned_travel_seconds"), n=Count("id"))
    return (None if row["mean"] is None else float(row["mean"]) / 3600), row["n"]


def area_of(postcode: str, city: str) -> str:
    """A site's area: its postcode district (the first two digits), else its city."""
    code = (postcode or "").strip()
    if len(code) >= 2:
        return f"{code[:2]}…"
    return (city or "").strip() or "unknown"


def field_work_by_area(*, start: datetime, end: datetime) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """Work orders created per area per day, and each area's mean duration in hours."""
    rows = (
        WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=UTC), district=Substr("site__postcode", 1, 2))
        .values("day", "district", "site__city")
        .annotate(n=Count("id"), minutes=Sum("duration_minutes"))
        .order_by()
    )
    index = pd.date_range(start.date(), end.date(), freq="D", inclusive="left")
    per_area: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    minutes: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        area = area_of(row["district"] or "", row["site__city"] or "")
        per_area[area][pd.Timestamp(row["day"])] += row["n"]
        minutes[area][0] += row["minutes"] or 0
        minutes[area][1] += row["n"]
    series = {
        area: pd.Series(days, dtype=float).reindex(index, fill_value=0.0) for area, days in per_area.items()
    }
    return series, {area: (m / n / 60 if n else 1.0) for area, (m, n) in minutes.items()}


def field_jobs(*, start: datetime, end: datetime) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """Work orders created per skill per day (an order needing two skills counts for both), and
    each skill's mean duration in hours."""
    rows = (
        WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "required_skills")
        .annotate(n=Count("id"), minutes=Sum("duration_minutes"))
        .order_by()
    )
    index = pd.date_range(start.date(), end.date(), freq="D", inclusive="left")
    per_skill: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    minutes: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        for skill in row["required_skills"] or ["general"]:
            per_skill[skill][pd.Timestamp(row["day"])] += row["n"]
            minutes[skill][0] += row["minutes"] or 0
            minutes[skill][1] += row["n"]
    series = {
        skill: pd.Series(days, dtype=float).reindex(index, fill_value=0.0)
        for skill, days in per_skill.items()
    }
    mean_hours = {skill: (m / n / 60 if n else 1.0) for skill, (m, n) in minutes.items()}
    return series, mean_hours


def agent_shifts(*, start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Desk agents' shifts overlapping [start, end), per team id."""
    shifts: dict[int, list] = defaultdict(list)
    for team_id, s, e in AgentShift.objects.filter(starts_at__lt=end, ends_at__gt=start).values_list(
        "team_id", "starts_at", "ends_at"
    ):
        shifts[team_id].append(
            (s.astimezone(UTC).replace(tzinfo=None), e.astimezone(UTC).replace(tzinfo=None))
        )
    return shifts


def technician_skills() -> dict[int, set[str]]:
    """Each technician's current skills (an expired certification is not a skill)."""
    from django.db.models import Q
    from django.utils import timezone

    from steward.accounts.models import UserSkill
    from steward.field.models import Technician

    users = dict(Technician.objects.values_list("user_id", "pk"))
    skills: dict[int, set[str]] = defaultdict(set)
    today = timezone.now().date()
    valid = Q(certified_until__isnull=True) | Q(certified_until__gte=today)
    for user_id, skill in UserSkill.objects.filter(valid, user_id__in=users).values_list("user_id", "skill"):
        skills[users[user_id]].add(skill)
    return skills


def technicians_on_shift(*, days: list[date]) -> dict[date, set[int]]:
    """Active technicians rostered on each local date: their weekly shifts valid that day, in
    their own timezone, minus absences (`field.rules.shifts_on`). A technician counts for a day
    when at least half of the day's shift time is left after absences."""
    from steward.field.models import Technician
    from steward.field.rules import WeeklyShift, shifts_on

    if not days:
        return {}
    zones = dict(Technician.objects.filter(is_active=True).values_list("pk", "timezone"))
    patterns: dict[int, list[WeeklyShift]] = defaultdict(list)
    for tech_id, weekday, s, e, valid_from, valid_until in ShiftPattern.objects.filter(
        technician_id__in=zones
    ).values_list("technician_id", "weekday", "start", "end", "valid_from", "valid_until"):
        patterns[tech_id].append(WeeklyShift(weekday, s, e, valid_from, valid_until))
    # a day's bounds in any timezone lie within a day either side of its UTC midnights
    first = datetime.combine(min(days) - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    last = datetime.combine(max(days) + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    absences = defaultdict(list)
    for tech_id, s, e in Absence.objects.filter(starts_at__lt=last, ends_at__gt=first).values_list(
        "technician_id", "starts_at", "ends_at"
    ):
        absences[tech_id].append((s, e))
    out: dict[date, set[int]] = {day: set() for day in days}
    for tech_id, shifts in patterns.items():
        for day in days:
            planned = shifts_on(day, shifts, (), zones[tech_id])
            if not planned:
                continue
            left = shifts_on(day, shifts, absences[tech_id], zones[tech_id])
            if 2 * _seconds(left) >= _seconds(planned):
                out[day].add(tech_id)
    return out


def _seconds(intervals) -> float:
    return sum((end - start).total_seconds() for start, end in intervals)


def desk_holidays() -> list[date]:
    """Holidays of the teams' business calendars (their union: one list serves all the series of
    a run; a team without a calendar has none of its own)."""
    from steward.accounts.models import Team

    days: set[date] = set()
    for spec in Team.objects.filter(calendar__isnull=False).values_list("calendar__spec", flat=True):
        for value in (spec or {}).get("holidays", []) or []:
            try:
                days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
            except ValueError:
                continue  # the calendar's own validation reports it
    return sorted(days)
