"""Builders for the KPI tests' small fixed data sets: rows written directly (not through the desk
or field services) so each stored instant is exactly the one the hand computation uses.

Instants are UTC. The organisation's timezone in the tests is Europe/Berlin: UTC+1 until the
clocks go forward on Sunday 2026-03-29 at 01:00 UTC, UTC+2 after."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from steward.desk.models import Ticket, TicketEvent, TicketSla, TicketSlaCycle
from steward.field.models import Technician, WorkOrder
from steward.quality.models import Survey, SurveyResponse
from steward.testing import factories as f

_numbers = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ticket(account, *, created: datetime, **fields) -> Ticket:
    fields.setdefault("priority", "P3")
    fields.setdefault("subject", f"ticket {next(_numbers)}")
    t = Ticket.objects.create(account=account, created_at=created, **fields)
    TicketEvent.objects.create(ticket=t, at=created, type="created", data={"status": "new"})
    return t


def event(t: Ticket, type: str, at: datetime, **data) -> TicketEvent:
    return TicketEvent.objects.create(ticket=t, at=at, type=type, data=data)


def clock(
    t: Ticket, target: str, *, status: str, deadline: datetime, elapsed: float = 0, **fields
) -> TicketSla:
    row = TicketSla.objects.create(
        ticket=t,
        target=target,
        cycle_opened_at=t.created_at,
        deadline=deadline,
        status=status,
        elapsed_business_seconds=elapsed,
        **fields,
    )
    if status in ("met", "breached"):  # the latest cycle is decided: it is also a cycle row
        cycle(t, target, status=status, deadline=deadline)
    return row


def cycle(t: Ticket, target: str, *, status: str, deadline: datetime) -> TicketSlaCycle:
    number = TicketSlaCycle.objects.filter(ticket=t, target=target).count() + 1
    return TicketSlaCycle.objects.create(
        ticket=t,
        target=target,
        number=number,
        opened_at=t.created_at,
        deadline=deadline,
        status=status,
    )


def response(t: Ticket, *, at: datetime, csat: int | None = None, nps: int | None = None, **fields):
    survey = Survey.objects.create(
        ticket=t,
        resolved_at=at - timedelta(seconds=next(_numbers)),  # one survey per resolution: distinct
        account=t.account,
        email=f"r{next(_numbers)}@example.org",
        created_at=at,
        due_at=at,
        sent_at=at,
        answered_at=at,
        expires_at=at.replace(year=at.year + 1),
    )
    return SurveyResponse.objects.create(
        survey=survey,
        ticket=t,
        account=t.account,
        agent=fields.get("agent", t.assignee),
        team=fields.get("team", t.team),
        service=fields.get("service", t.service),
        csat=csat,
        nps=nps,
        answered_at=at,
    )


def technician(**fields) -> Technician:
    user = f.staff_user("technician")
    return Technician.objects.create(user=user, home_latitude=52.5, home_longitude=13.4, **fields)


def work_order(account, site, **fields) -> WorkOrder:
    n = next(_numbers)
    return WorkOrder.objects.create(
        number=f"WO-{n:06d}", account=account, site=site, title=f"job {n}", **fields
    )
