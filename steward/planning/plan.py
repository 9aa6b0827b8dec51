"""From a forecast to staff, pure: per interval, the heads a channel needs, and what the rostered
heads would achieve. The channel's rule is a parameter: Erlang C (no abandonment), Erlang A
(phone/chat-like work where callers give up), or the backlog rule (email-like work answered within
an SLA of hours)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from steward.planning import staffing

ERLANG_C = "erlang_c"
ERLANG_A = "erlang_a"
BACKLOG = "backlog"
RULES = (ERLANG_C, ERLANG_A, BACKLOG)

# Defaults per desk channel; every run stores the values it used (PlanningRun.parameters).
DEFAULT_CHANNELS: dict[str, dict] = {
    "phone": {"rule": ERLANG_A, "aht_seconds": 360, "target_seconds": 20, "patience_seconds": 180},
    "email": {"rule": BACKLOG, "aht_seconds": 600, "sla_hours": 4},
    "portal": {"rule": BACKLOG, "aht_seconds": 600, "sla_hours": 4},
    "api": {"rule": BACKLOG, "aht_seconds": 300, "sla_hours": 8},
}
DEFAULTS = {"service_level": 0.8, "shrinkage": 0.3, "max_occupancy": 0.85, "interval_seconds": 3600}


@dataclass(frozen=True)
class IntervalNeed:
    arrivals: float
    on_floor: int  # agents needed working
    required: int  # rostered heads needed (after shrinkage)
    rostered: int
    expected_service_level: float | None  # what the rostered heads achieve (None: backlog rule)


def channel_settings(channel: str, overrides: Mapping[str, Mapping] | None = None) -> dict:
    merged = dict(DEFAULT_CHANNELS.get(channel, {"rule": BACKLOG, "aht_seconds": 600, "sla_hours": 4}))
    merged.update((overrides or {}).get(channel, {}))
    if merged["rule"] not in RULES:
        raise staffing.StaffingError(f"rule must be one of {RULES}, got {merged['rule']!r}")
    return merged


def staff_intervals(
    *,
    arrivals: Sequence[float],
    rostered: Sequence[int],
    channel: Mapping,
    service_level: float,
    shrinkage: float,
    max_occupancy: float,
    interval_seconds: float,
) -> list[IntervalNeed]:
    """Heads per interval for one queue/channel, and the service the roster would give."""
    if len(arrivals) != len(rostered):
        raise staffing.StaffingError("arrivals and rostered must have the same length")
    rule = channel["rule"]
    aht = float(channel["aht_seconds"])
    needs: list[IntervalNeed] = []
    if rule == BACKLOG:
        sla_intervals = max(1, round(float(channel["sla_hours"]) * 3600 / interval_seconds))
        floor = staffing.agents_for_backlog(
            arrivals=list(arrivals),
            aht_seconds=aht,
            interval_seconds=interval_seconds,
            sla_intervals=sla_intervals,
            max_occupancy=max_occupancy,
        )
        for count, on_floor, heads in zip(arrivals, floor, rostered, strict=True):
            needs.append(
                IntervalNeed(count, on_floor, staffing.with_shrinkage(on_floor, shrinkage), heads, None)
            )
        return needs
    target = float(channel["target_seconds"])
    for count, heads in zip(arrivals, rostered, strict=True):
        working = int(heads * (1 - shrinkage))
        if rule == ERLANG_C:
            load = staffing.offered_load(arrivals=count, aht_seconds=aht, interval_seconds=interval_seconds)
            on_floor = staffing.agents_on_floor_erlang_c(
                load=load,
                aht_seconds=aht,
                target_seconds=target,
                service_level=service_level,
                max_occupancy=max_occupancy,
            )
            achieved = staffing.erlang_c_metrics(
                agents=working, load=load, aht_seconds=aht, target_seconds=target
            )
        else:
            rate = count / interval_seconds
            patience = float(channel["patience_seconds"])
            on_floor = staffing.agents_on_floor_erlang_a(
                arrival_rate=rate,
                aht_seconds=aht,
                patience_seconds=patience,
                target_seconds=target,
                service_level=service_level,
                max_occupancy=max_occupancy,
            )
            achieved = staffing.erlang_a_metrics(
                agents=working,
                arrival_rate=rate,
                aht_seconds=aht,
                patience_seconds=patience,
                target_seconds=target,
            )
        needs.append(
            IntervalNeed(
                count, on_floor, staffing.with_shrinkage(on_floor, shrinkage), heads, achieved.service_level
            )
        )
    return needs


def heads_per_interval(shifts: Sequence[tuple], starts: Sequence, interval_seconds: float) -> list[int]:
    """How many shifts cover each whole interval [start, start + length): a half-covered hour
    does not count, since the agent cannot take that hour's work."""
    from datetime import timedelta

    length = timedelta(seconds=interval_seconds)
    return [sum(1 for s, e in shifts if s <= start and start + length <= e) for start in starts]
