"""Every KPI in one place: its name, meaning, exact formula, unit, direction, the rows it counts,
and the ORM pieces that compute it in the database (`steward.analytics.series` runs them).

A KPI is one of these kinds:

- ``ratio``: the database counts/sums per (bucket, group) (`aggregates`), and a pure formula
  (`formulas`, `quality.scores`) turns the counts into the value; the counts are returned beside it.
- ``percentile``: the database ranks a measure per (bucket, group) and interpolates
  (`sqlkit.percentiles`, PostgreSQL's percentile_cont on both databases).
- ``backlog``, ``utilisation``, ``cost``: composed of a few grouped aggregates (see their functions
  in `series`).
- ``unavailable``: the data does not exist yet (billing, knowledge base); the API says so.

Each row source states its breakdown paths (`dims`) and the paths that scope it to the caller
(`scope`: account, team, agent, technician user). A row is bucketed by the instant named in
`when`. The rows behind a figure are `series.drill(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from steward.analytics import formulas
from steward.analytics.sqlkit import Seconds
from steward.quality import scores

DIMENSIONS = ("team", "agent", "technician", "service", "account", "priority", "channel")
REPEAT_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a KPI's rows come from: a base queryset, how each breakdown and scope reaches them."""

    name: str
    rows: Callable[[], QuerySet]
    dims: dict[str, str]
    scope: dict[str, str]  # "account", "team", "agent", "technician" -> a path to an id


@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    title: str
    meaning: str
    formula: str
    unit: str
    higher_is_better: bool
    counts_rows: str  # the rows it counts, in words
    kind: str  # ratio, percentile, backlog, utilisation, cost, unavailable
    source: Source | None = None
    when: str = ""  # the instant (field or annotation) that puts a row in a bucket
    where: Callable[[], Q] = lambda: Q()
    annotate: Callable[[], dict[str, Any]] = dict  # annotations the filter, measure or counts use
    aggregates: Callable[[], dict[str, Any]] = dict
    value: Callable[[dict[str, Any]], float | None] | None = None
    numerator: Callable[[], Q] | None = None  # the rows of the numerator, for "show me the failures"
    measure: Callable[[], Any] | None = None  # percentile: the measured quantity per row
    fraction: float = 0.5
    main: bool = False  # shown on the manager overview
    unavailable_reason: str = ""
    spc: str = "xmr"  # the control chart that fits: "p" (a share of counted rows) or "xmr"
    spc_counts: tuple[str, str] = ("", "")  # p-chart: (defectives-or-successes count, sample size)

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(self.source.dims) if self.source else ()


# --- row sources ----------------------------------------------------------------------------------


def _ticket_dims(prefix: str = "") -> dict[str, str]:
    return {
        "team": f"{prefix}team_id",
        "agent": f"{prefix}assignee_id",
        "service": f"{prefix}service_id",
        "account": f"{prefix}account_id",
        "priority": f"{prefix}priority",
        "channel": f"{prefix}channel",
    }


def _ticket_scope(prefix: str = "") -> dict[str, str]:
    return {"account": f"{prefix}account_id", "team": f"{prefix}team_id", "agent": f"{prefix}assignee_id"}


def _tickets() -> QuerySet:
    from steward.desk.models import Ticket

    return Ticket.objects.all()


def _responses() -> QuerySet:
    from steward.quality.models import SurveyResponse

    return SurveyResponse.objects.all()


def _clocks() -> QuerySet:
    from steward.desk.models import TicketSla

    return TicketSla.objects.all()


def _cycles() -> QuerySet:
    from steward.desk.models import TicketSlaCycle

    return TicketSlaCycle.objects.all()


def _first_replies() -> QuerySet:
    """A ticket's first public agent reply: an agent_reply event with no earlier one."""
    from steward.desk.models import TicketEvent

    earlier = TicketEvent.objects.filter(ticket_id=OuterRef("ticket_id"), type="agent_reply").filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), id__lt=OuterRef("id"))
    )
    return TicketEvent.objects.filter(type="agent_reply").filter(~Exists(earlier))


def _work_orders() -> QuerySet:
    from steward.field.models import WorkOrder

    return WorkOrder.objects.all()


TICKETS = Source("tickets", _tickets, _ticket_dims(), _ticket_scope())
RESPONSES = Source(
    "survey responses",
    _responses,
    {
        "team": "team_id",
        "agent": "agent_id",
        "service": "service_id",
        "account": "account_id",
        "priority": "ticket__priority",
        "channel": "ticket__channel",
    },
    {"account": "account_id", "team": "team_id", "agent": "agent_id"},
)
CLOCKS = Source("ticket SLA clocks", _clocks, _ticket_dims("ticket__"), _ticket_scope("ticket__"))
CYCLES = Source("decided SLA cycles", _cycles, _ticket_dims("ticket__"), _ticket_scope("ticket__"))
FIRST_REPLIES = Source(
    "first agent replies", _first_replies, _ticket_dims("ticket__"), _ticket_scope("ticket__")
)
WORK_ORDERS = Source(
    "work orders",
    _work_orders,
    {
        "team": "ticket__team_id",
        "technician": "technician_id",
        "service": "service_id",
        "account": "account_id",
        "priority": "priority",
        "channel": "ticket__channel",
    },
    {"account": "account_id", "team": "ticket__team_id", "technician": "technician__user_id"},
)
TECHNICIANS = Source(
    "technicians' finished jobs and shifts",
    _work_orders,
    {"technician": "technician_id"},
    {"account": "account_id", "team": "ticket__team_id", "technician": "technician__user_id"},
)
INTERACTIONS = Source(
    "resolved tickets and finished jobs",
    _work_orders,
    {"account": "account_id", "service": "service_id", "priority": "priority"},
    {"account": "account_id", "team": "ticket__team_id", "technician": "technician__user_id"},
)


# --- shared row conditions ------------------------------------------------------------------------

DONE = ("resolved", "closed")
OPEN = ("new", "open", "pending", "on_hold")
FINISHED_VISIT = ("completed", "incomplete")


def _resolved() -> Q:
    # A duplicate closed by merging is not a resolution of its own.
    return Q(status__in=DONE, resolved_at__isnull=False, merged_into__isnull=True)


def _reopened() -> Q:
    """The ticket has a reopen (a status change from resolved/closed to an open status) in its
    timeline. A semi-join (IN over the reopen events), so the database reads the reopen events
    once instead of probing each ticket's timeline."""
    from steward.desk.models import TicketEvent

    reopens = TicketEvent.objects.filter(
        type="status", data__from__in=list(DONE), data__status__in=list(OPEN)
    ).values("ticket_id")
    return Q(pk__in=reopens)


def _visit_at() -> Any:
    """When a (later) visit happens: its arrival, else its planned start, else its creation (a
    follow-up created but not yet scheduled already says the first visit did not fix it)."""
    return Coalesce("on_site_at", "scheduled_start", "created_at")


def _revisited() -> Exists:
    """Another visit (not cancelled) to the same ticket or asset, or a follow-up of this one, that
    happens after this visit finished and no later than 30 days after (day 30 counts, day 31 not)."""
    from steward.field.models import WorkOrder

    return Exists(
        WorkOrder.objects.exclude(pk=OuterRef("pk"))
        .exclude(status="cancelled")
        .filter(
            Q(follow_up_of_id=OuterRef("pk"))
            | Q(ticket_id=OuterRef("ticket_id"))
            | Q(asset_id=OuterRef("asset_id"))
        )
        .annotate(visit_at=_visit_at())
        .filter(
            visit_at__gt=OuterRef("finished_at"),
            visit_at__lte=ExpressionWrapper(
                OuterRef("finished_at") + REPEAT_WINDOW, output_field=DateTimeField()
            ),
        )
    )


def _clock_joined(prefix: str, target: str) -> dict[str, Any]:
    """The row's ticket's clock of `target` joined in (a LEFT JOIN on the unique (ticket, target)),
    exposing its business seconds once the cycle is decided (met or breached)."""
    relation = f"{prefix}slas"
    return {
        "clock": FilteredRelation(
            relation,
            condition=Q(**{f"{relation}__target": target, f"{relation}__status__in": ("met", "breached")}),
        ),
        "business_seconds": F("clock__elapsed_business_seconds"),
    }


# --- the definitions ------------------------------------------------------------------------------

KPIS: dict[str, Kpi] = {}


def _add(kpi: Kpi) -> None:
    assert kpi.name not in KPIS, kpi.name
    KPIS[kpi.name] = kpi


_add(
    Kpi(
        name="csat",
        title="Customer satisfaction (CSAT)",
        meaning="Share of survey answers that were satisfied (4 or 5 of 5).",
        formula="100 * count(csat ≥ 4) / count(csat answered)",
        unit="%",
        higher_is_better=True,
        counts_rows="survey responses with a CSAT score, by when they were answered",
        kind="ratio",
        source=RESPONSES,
        when="answered_at",
        where=lambda: Q(csat__isnull=False),
        aggregates=lambda: {"satisfied": Count("id", filter=Q(csat__gte=4)), "answered": Count("id")},
        value=lambda c: scores.csat_percent_from_counts(satisfied=c["satisfied"], answered=c["answered"]),
        numerator=lambda: Q(csat__gte=scores.CSAT_SATISFIED_MIN),
        main=True,
        spc="p",
        spc_counts=("satisfied", "answered"),
    )
)
_add(
    Kpi(
        name="nps",
        title="Net promoter score (NPS)",
        meaning="Promoters (9-10) minus detractors (0-6), in points.",
        formula="100 * (count(nps ≥ 9) - count(nps ≤ 6)) / count(nps answered)",
        unit="points",
        higher_is_better=True,
        counts_rows="survey responses with an NPS score, by when they were answered",
        kind="ratio",
        source=RESPONSES,
        when="answered_at",
        where=lambda: Q(nps__isnull=False),
        aggregates=lambda: {
            "promoters": Count("id", filter=Q(nps__gte=9)),
            "detractors": Count("id", filter=Q(nps__lte=6)),
            "answered": Count("id"),
        },
        value=lambda c: scores.nps_from_counts(
            promoters=c["promoters"], detractors=c["detractors"], answered=c["answered"]
        ),
        numerator=lambda: Q(nps__gte=scores.NPS_PROMOTER_MIN),
    )
)
_add(
    Kpi(
        name="first_contact_resolution",
        title="First contact resolution",
        meaning="Share of resolved tickets solved with one agent reply and no customer reply.",
        formula="100 * count(first_contact_resolution) / count(resolved)",
        unit="%",
        higher_is_better=True,
        counts_rows="resolved or closed tickets (not merged duplicates), by their resolution time",
        kind="ratio",
        source=TICKETS,
        when="resolved_at",
        where=_resolved,
        aggregates=lambda: {
            "first_contact": Count("id", filter=Q(first_contact_resolution=True)),
            "resolved": Count("id"),
        },
        value=lambda c: formulas.percent(c["first_contact"], c["resolved"]),
        numerator=lambda: Q(first_contact_resolution=True),
        main=True,
        spc="p",
        spc_counts=("first_contact", "resolved"),
    )
)
_add(
    Kpi(
        name="reopen_rate",
        title="Reopen rate",
        meaning="Share of resolved tickets that were reopened at least once before this resolution.",
        formula="100 * count(resolved with a reopen in their timeline) / count(resolved)",
        unit="%",
        higher_is_better=False,
        counts_rows="resolved or closed tickets (not merged duplicates), by their latest resolution time",
        kind="ratio",
        source=TICKETS,
        when="resolved_at",
        where=_resolved,
        aggregates=lambda: {
            "reopened": Count("id", filter=_reopened()),
            "resolved": Count("id"),
        },
        value=lambda c: formulas.percent(c["reopened"], c["resolved"]),
        numerator=_reopened,
        spc="p",
        spc_counts=("reopened", "resolved"),
    )
)

for _target, _label, _cycles_of in (
    ("first_response", "first response", ""),
    ("next_response", "next response", " (a ticket has one per customer follow-up)"),
    ("resolution", "resolution", " (a ticket has one per reopen)"),
):
    _add(
        Kpi(
            name=f"sla_compliance_{_target}",
            title=f"SLA compliance: {_label}",
            meaning=f"Share of {_label} targets met, by the period their deadline fell in.",
            formula="100 * count(met) / (count(met) + count(breached))",
            unit="%",
            higher_is_better=True,
            counts_rows=f"every {_label} SLA cycle that is met or breached{_cycles_of}, by its deadline",
            kind="ratio",
            source=CYCLES,
            when="deadline",
            where=(lambda t=_target: Q(target=t, status__in=("met", "breached"))),
            aggregates=lambda: {
                "met": Count("id", filter=Q(status="met")),
                "breached": Count("id", filter=Q(status="breached")),
                "clocks": Count("id"),
            },
            value=lambda c: formulas.percent(c["met"], c["met"] + c["breached"]),
            numerator=lambda: Q(status="met"),
            main=_target == "resolution",
            spc="p",
            spc_counts=("met", "clocks"),
        )
    )

for _stat, _fraction in (("median", 0.5), ("p90", 0.9)):
    _pct = "median" if _stat == "median" else "90th percentile"
    _add(
        Kpi(
            name=f"first_response_business_{_stat}",
            title=f"First response time, business hours ({_pct})",
            meaning=f"The {_pct} of business time from creation to the first agent reply (pauses excluded).",
            formula=f"{_pct} (linear interpolation) of the first-response clock's elapsed business seconds / 3600",
            unit="business hours",
            higher_is_better=False,
            counts_rows="tickets' first public agent replies whose first-response clock is met or breached, "
            "by the reply's time",
            kind="percentile",
            source=FIRST_REPLIES,
            when="at",
            annotate=lambda: _clock_joined("ticket__", "first_response"),
            where=lambda: Q(business_seconds__isnull=False),
            measure=lambda: F("business_seconds") / 3600.0,
            fraction=_fraction,
            main=_stat == "median",
        )
    )
    _add(
        Kpi(
            name=f"first_response_calendar_{_stat}",
            title=f"First response time, calendar hours ({_pct})",
            meaning=f"The {_pct} of wall-clock time from creation to the first agent reply.",
            formula=f"{_pct} (linear interpolation) of (first agent reply - created) in hours",
            unit="hours",
            higher_is_better=False,
            counts_rows="tickets' first public agent replies, by the reply's time",
            kind="percentile",
            source=FIRST_REPLIES,
            when="at",
            measure=lambda: Seconds(F("at"), F("ticket__created_at")) / 3600.0,
            fraction=_fraction,
        )
    )
    _add(
        Kpi(
            name=f"resolution_business_{_stat}",
            title=f"Resolution time, business hours ({_pct})",
            meaning=f"The {_pct} of business time to resolution (pauses excluded, reopens carried).",
            formula=f"{_pct} (linear interpolation) of the resolution clock's elapsed business seconds / 3600",
            unit="business hours",
            higher_is_better=False,
            counts_rows="resolved tickets whose resolution clock is met or breached, by resolution time",
            kind="percentile",
            source=TICKETS,
            when="resolved_at",
            annotate=lambda: _clock_joined("", "resolution"),
            where=lambda: _resolved() & Q(business_seconds__isnull=False),
            measure=lambda: F("business_seconds") / 3600.0,
            fraction=_fraction,
        )
    )
    _add(
        Kpi(
            name=f"resolution_calendar_{_stat}",
            title=f"Resolution time, calendar hours ({_pct})",
            meaning=f"The {_pct} of wall-clock time from creation to the (latest) resolution.",
            formula=f"{_pct} (linear interpolation) of (resolved - created) in hours",
            unit="hours",
            higher_is_better=False,
            counts_rows="resolved or closed tickets (not merged duplicates), by resolution time",
            kind="percentile",
            source=TICKETS,
            when="resolved_at",
            where=_resolved,
            measure=lambda: Seconds(F("resolved_at"), F("created_at")) / 3600.0,
            fraction=_fraction,
        )
    )

_add(
    Kpi(
        name="backlog",
        title="Backlog",
        meaning="Open tickets at the end of each period.",
        formula="count(created before the period's end and not resolved before it); "
        "computed as open at the start + Σ(created) - Σ(resolved) per period",
        unit="tickets",
        higher_is_better=False,
        counts_rows="tickets, by creation and by (latest) resolution time; a reopened ticket that is open "
        "now counts as open since its creation",
        kind="backlog",
        source=TICKETS,
        when="created_at",
        main=True,
    )
)
_add(
    Kpi(
        name="first_time_fix",
        title="First-time fix rate",
        meaning="Share of first visits completed with no further visit to the same ticket or asset "
        "within 30 days.",
        formula="100 * count(first visits completed and not revisited within 30 days) / count(first visits "
        "finished)",
        unit="%",
        higher_is_better=True,
        counts_rows="finished work orders (completed or incomplete) that are not follow-ups, by finish time",
        kind="ratio",
        source=WORK_ORDERS,
        when="finished_at",
        where=lambda: Q(status__in=FINISHED_VISIT, finished_at__isnull=False, follow_up_of__isnull=True),
        annotate=lambda: {"revisited": _revisited()},
        aggregates=lambda: {
            "fixed": Count("id", filter=Q(status="completed", revisited=False)),
            "visits": Count("id"),
        },
        value=lambda c: formulas.percent(c["fixed"], c["visits"]),
        numerator=lambda: Q(status="completed", revisited=False),
        main=True,
        spc="p",
        spc_counts=("fixed", "visits"),
    )
)
_add(
    Kpi(
        name="repeat_visit_rate",
        title="Repeat visits within 30 days",
        meaning="Share of finished visits followed by another visit to the same ticket or asset within "
        "30 days.",
        formula="100 * count(finished visits revisited within 30 days) / count(finished visits)",
        unit="%",
        higher_is_better=False,
        counts_rows="finished work orders (completed or incomplete), by finish time",
        kind="ratio",
        source=WORK_ORDERS,
        when="finished_at",
        where=lambda: Q(status__in=FINISHED_VISIT, finished_at__isnull=False),
        annotate=lambda: {"revisited": _revisited()},
        aggregates=lambda: {"revisited": Count("id", filter=Q(revisited=True)), "visits": Count("id")},
        value=lambda c: formulas.percent(c["revisited"], c["visits"]),
        numerator=lambda: Q(revisited=True),
        spc="p",
        spc_counts=("revisited", "visits"),
    )
)
_add(
    Kpi(
        name="job_completion_rate",
        title="Job completion rate",
        meaning="Share of finished jobs that were completed (not left incomplete).",
        formula="100 * count(completed) / count(completed or incomplete)",
        unit="%",
        higher_is_better=True,
        counts_rows="finished work orders, by finish time",
        kind="ratio",
        source=WORK_ORDERS,
        when="finished_at",
        where=lambda: Q(status__in=FINISHED_VISIT, finished_at__isnull=False),
        aggregates=lambda: {"completed": Count("id", filter=Q(status="completed")), "finished": Count("id")},
        value=lambda c: formulas.percent(c["completed"], c["finished"]),
        numerator=lambda: Q(status="completed"),
        spc="p",
        spc_counts=("completed", "finished"),
    )
)
_add(
    Kpi(
        name="travel_time_per_job",
        title="Average travel time per job",
        meaning="Mean time from setting off (en route) to arriving on site.",
        formula="Σ(on_site_at - en_route_at) / count(jobs) / 60",
        unit="minutes",
        higher_is_better=False,
        counts_rows="work orders with both an en-route and an arrival time, by arrival time",
        kind="ratio",
        source=WORK_ORDERS,
        when="on_site_at",
        where=lambda: Q(en_route_at__isnull=False, on_site_at__isnull=False),
        aggregates=lambda: {
            "travel_seconds": Sum(Seconds(F("on_site_at"), F("en_route_at"))),
            "jobs": Count("id"),
        },
        value=lambda c: formulas.mean(c["travel_seconds"], c["jobs"], 60.0),
    )
)
_add(
    Kpi(
        name="travel_distance_per_job",
        title="Average travel distance per job",
        meaning="Mean planned driving distance of the leg that leads to a job.",
        formula="Σ(planned_travel_meters) / count(jobs) / 1000",
        unit="km",
        higher_is_better=False,
        counts_rows="finished work orders with a planned travel leg, by finish time",
        kind="ratio",
        source=WORK_ORDERS,
        when="finished_at",
        where=lambda: Q(
            status__in=FINISHED_VISIT, finished_at__isnull=False, planned_travel_meters__isnull=False
        ),
        aggregates=lambda: {"travel_meters": Sum("planned_travel_meters"), "jobs": Count("id")},
        value=lambda c: formulas.mean(c["travel_meters"], c["jobs"], 1000.0),
    )
)
_add(
    Kpi(
        name="on_time_arrival",
        title="On-time arrival",
        meaning="Share of booked visits where the technician arrived within the booked window.",
        formula="100 * count(window_start ≤ on_site_at ≤ window_end) / count(arrived, booked window)",
        unit="%",
        higher_is_better=True,
        counts_rows="work orders with a booked window and an arrival time, by arrival time",
        kind="ratio",
        source=WORK_ORDERS,
        when="on_site_at",
        where=lambda: Q(
            window_kind="booked",
            window_start__isnull=False,
            window_end__isnull=False,
            on_site_at__isnull=False,
        ),
        aggregates=lambda: {
            "on_time": Count(
                "id", filter=Q(on_site_at__gte=F("window_start"), on_site_at__lte=F("window_end"))
            ),
            "arrived": Count("id"),
        },
        value=lambda c: formulas.percent(c["on_time"], c["arrived"]),
        numerator=lambda: Q(on_site_at__gte=F("window_start"), on_site_at__lte=F("window_end")),
        main=True,
        spc="p",
        spc_counts=("on_time", "arrived"),
    )
)
_add(
    Kpi(
        name="utilisation",
        title="Technician utilisation",
        meaning="Share of available shift time spent travelling to and working on jobs.",
        formula="100 * Σ(finished_at - en_route_at of finished jobs) / Σ(shift time on days without an "
        "absence)",
        unit="%",
        higher_is_better=True,
        counts_rows="finished work orders with an en-route time, by finish time; technicians' weekly shift "
        "patterns (a day with any absence is not available). Tickets carry no time records yet, so desk "
        "time is not counted until billing's time entries exist",
        kind="utilisation",
        source=TECHNICIANS,
        when="finished_at",
        where=lambda: Q(
            status__in=FINISHED_VISIT,
            finished_at__isnull=False,
            en_route_at__isnull=False,
            technician__isnull=False,
        ),
    )
)
_add(
    Kpi(
        name="cost_per_interaction",
        title="Cost per interaction",
        meaning="Technicians' labour cost divided by the tickets resolved and jobs finished.",
        formula="Σ(hours from en route to finish * technician.hourly_cost) / (count(resolved tickets) + "
        "count(finished jobs))",
        unit="cost units per interaction",
        higher_is_better=False,
        counts_rows="finished work orders (cost and count) and resolved tickets (count), by finish and "
        "resolution time; agents' cost is not recorded yet",
        kind="cost",
        source=INTERACTIONS,
        when="finished_at",
        where=lambda: Q(status__in=FINISHED_VISIT, finished_at__isnull=False),
    )
)
_add(
    Kpi(
        name="billable_ratio",
        title="Billable ratio",
        meaning="Share of recorded time that is billable.",
        formula="100 * billable hours / recorded hours",
        unit="%",
        higher_is_better=True,
        counts_rows="time entries (billing)",
        kind="unavailable",
        unavailable_reason="not yet available: billing (time entries) does not exist yet",
    )
)
_add(
    Kpi(
        name="self_service_deflection",
        title="Self-service deflection",
        meaning="Share of help-seeking sessions solved by the knowledge base without a ticket.",
        formula="100 * sessions without a ticket / sessions with a knowledge search",
        unit="%",
        higher_is_better=True,
        counts_rows="knowledge-base sessions",
        kind="unavailable",
        unavailable_reason="not yet available: the knowledge base does not exist yet",
    )
)


def get(name: str) -> Kpi:
    """The KPI called `name`; KeyError if there is none."""
    return KPIS[name]


__all__ = ["DIMENSIONS", "KPIS", "Kpi", "Source", "get"]
