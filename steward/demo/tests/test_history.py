"""The demo's service-desk history: its shape (seasonality, live backlog, surveys), determinism, and
that what the bulk builder stored is exactly what the services' clocks store for the same history."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import F

from steward.accounts.models import Team
from steward.core.models import AuditEvent
from steward.demo import generator
from steward.demo.history import BERLIN, plan_history
from steward.desk.clocks import recompute_sla
from steward.desk.models import (
    OPEN_STATUSES,
    InboundMail,
    SavedView,
    Ticket,
    TicketEscalation,
    TicketEvent,
    TicketLink,
    TicketSla,
)
from steward.desk.sweeper import sweep, sweep_autoclose, sweep_escalations
from steward.quality.models import Survey, SurveyResponse

TODAY = date(2026, 5, 6)  # a Wednesday: the load instant is 10:30 in Berlin
NOW = datetime.combine(TODAY, generator.DEMO_HOUR, ZoneInfo("Europe/Berlin"))
HISTORY = 2500
SMALL = {"accounts": 30, "agents": 5, "technicians": 6}

SLA_FIELDS = (
    "target",
    "cycle_opened_at",
    "deadline",
    "warning_at",
    "status",
    "met_at",
    "breached_at",
    "elapsed_business_seconds",
    "paused_business_seconds",
    "warning_claimed_at",
    "breach_claimed_at",
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo with history for the whole module, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = generator.load_demo(seed=5, today=TODAY, history=HISTORY, **SMALL)
        yield result
        transaction.set_rollback(True)


def _world():
    return generator._history_world(teams={t.name: t for t in Team.objects.all()})


def _stored(ticket_ids):
    slas = sorted(TicketSla.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", *SLA_FIELDS))
    escalations = sorted(
        TicketEscalation.objects.filter(ticket_id__in=ticket_ids).values_list(
            "ticket_id", "level_id", "target", "cycle_opened_at", "due_at", "fired_at"
        ),
        key=str,
    )
    summary = sorted(
        Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "sla_next_deadline", "sla_state"), key=str
    )
    return slas, escalations, summary


# --- shape -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_counts_are_in_range(demo):
    tickets = Ticket.objects.count()
    assert 0.85 * HISTORY <= tickets <= 1.15 * HISTORY
    assert demo.counts["tickets"] == tickets
    first = Ticket.objects.order_by("created_at").first().created_at
    assert (
        NOW - timedelta(days=generator.HISTORY_DAYS + 1)
        < first
        < NOW - timedelta(days=generator.HISTORY_DAYS - 3)
    )
    assert not Ticket.objects.filter(created_at__gt=NOW).exists()
    assert not TicketEvent.objects.filter(at__gt=NOW).exists()
    # Every ticket has a creation audit record by the demo, and its first event is "created".
    created = AuditEvent.objects.filter(action="ticket.create", object_type="desk.ticket", actor_label="demo")
    assert created.count() == tickets
    assert TicketEvent.objects.filter(type="created").count() == tickets
    # Channels, types, priorities: each used, none dominating absurdly.
    for field, values in (
        ("channel", {"portal", "email", "phone", "api"}),
        ("type", {"incident", "service_request", "complaint", "question"}),
        ("priority", {"P1", "P2", "P3", "P4"}),
    ):
        counts = Counter(Ticket.objects.values_list(field, flat=True))
        assert set(counts) == values, field
        assert max(counts.values()) < 0.8 * tickets, field
    # Overrides carry a reason; first-contact resolutions, reopens and escalations happened.
    assert (
        not Ticket.objects.exclude(priority_override_reason="").filter(priority_override_reason=" ").exists()
    )
    assert Ticket.objects.filter(first_contact_resolution=True).count() > 0.1 * tickets
    assert AuditEvent.objects.filter(action="ticket.reopen").exists()
    assert TicketEvent.objects.filter(type="escalation").count() > 0.02 * tickets
    assert TicketEvent.objects.filter(type="sla_breached").exists()
    assert TicketEscalation.objects.filter(fired_at__isnull=False).exists()
    # Teams come from the services; the service desk takes the rest; routing assigned agents.
    moved = Ticket.objects.filter(service__team__isnull=False).exclude(team=F("service__team"))
    assert moved.count() < 0.1 * tickets  # escalations reassign a few
    assert TicketEvent.objects.filter(type="assign", data__rule="round_robin").exists()
    assert TicketEvent.objects.filter(type="assign", data__rule="least_open").exists()


@pytest.mark.django_db
def test_seasonality_shows_in_the_data(demo):
    local = [t.astimezone(BERLIN) for t in Ticket.objects.values_list("created_at", flat=True)]
    by_weekday = Counter(t.weekday() for t in local)
    assert by_weekday[0] > by_weekday[2] > by_weekday[5] > by_weekday[6] * 0.8
    assert by_weekday[0] > 4 * by_weekday[6]
    office = sum(1 for t in local if 8 <= t.hour < 17 and t.weekday() < 5)
    night = sum(1 for t in local if t.hour < 6)
    assert office > 0.65 * len(local)
    assert night < 0.04 * len(local)
    by_hour = Counter(t.hour for t in local if t.weekday() < 5)
    assert by_hour[9] > 3 * by_hour[20] and by_hour[9] > by_hour[12]  # morning peak, lunch dip
    # Berlin holidays are quiet (1 May 2026 was a Friday).
    holiday = sum(1 for t in local if t.date() == date(2026, 5, 1))
    fridays = [sum(1 for t in local if t.date() == d) for d in (date(2026, 4, 17), date(2026, 4, 24))]
    assert holiday * 2 < statistics.mean(fridays)


@pytest.mark.django_db
def test_live_backlog_is_in_motion(demo):
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    assert open_tickets.count() >= 20
    states = Counter(open_tickets.values_list("sla_state", flat=True))
    assert states["warning"] >= 3 and states["breached"] >= 2 and states["running"] >= 5
    near = open_tickets.filter(sla_next_deadline__gt=NOW, sla_next_deadline__lte=NOW + timedelta(minutes=15))
    assert near.count() >= 3, "a few tickets within minutes of breach"
    # Every queue has work: unassigned, assigned to the demo agent, in several teams.
    agent_email = next(x["email"] for x in demo.logins if x["role"] == "agent")
    assert open_tickets.filter(assignee__isnull=True).exists()
    assert open_tickets.filter(assignee__email=agent_email).exists()
    assert open_tickets.values("team").distinct().count() >= 3  # the desk's teams (not the field's)
    # An agent who resolved a ticket took it: no resolution without an assignee, but for requests
    # the customer withdrew and duplicates merged away.
    unowned = Ticket.objects.filter(status__in=["resolved", "closed"], assignee__isnull=True)
    for ticket in unowned:
        reasons = set(
            ticket.events.filter(type="status", data__status="resolved").values_list(
                "data__reason", flat=True
            )
        )
        assert ticket.merged_into_id is not None or reasons <= {"withdrawn", "merged"}, ticket
    assert open_tickets.filter(status="pending").exists()
    # Nothing was left due at the load instant: the history's sweeper kept up...
    assert sweep(NOW) == {"warnings": 0, "breaches": 0, "skipped": 0}
    assert sweep_escalations(NOW) == {"escalations": 0, "skipped": 0}
    assert sweep_autoclose(NOW) == 0
    # ... and within a quarter of an hour the worker has breaches to record.
    assert sweep(NOW + timedelta(minutes=15))["breaches"] >= 3
    assert InboundMail.objects.filter(status="triage").count() >= 3
    assert SavedView.objects.filter(user__email=agent_email).exists()


@pytest.mark.django_db
def test_the_history_sweeper_acted_when_things_fell_due(demo):
    """Breaches are recorded within one worker tick of the breach (or at the change that caused
    it), escalation levels fire within a tick of their due instant, and nothing waited for the load."""
    tick = timedelta(seconds=15)
    breaches = TicketEvent.objects.filter(type="sla_breached")
    assert breaches.count() > 50
    for at, data in breaches.values_list("at", "data"):
        assert timedelta(0) <= at - datetime.fromisoformat(data["breached_at"]) <= tick
    fired = TicketEscalation.objects.filter(fired_at__isnull=False)
    assert fired.count() > 20
    for due_at, fired_at in fired.values_list("due_at", "fired_at"):
        assert timedelta(0) <= fired_at - due_at <= tick
    raised = TicketEvent.objects.filter(type="priority", data__reason__startswith="escalation:")
    assert raised.exists() and not raised.filter(actor__isnull=False).exists()


@pytest.mark.django_db
def test_surveys_belong_to_resolutions(demo):
    surveys = list(Survey.objects.all())
    assert len(surveys) > 0.5 * Ticket.objects.filter(status__in=["resolved", "closed"]).count()
    resolutions = {
        (ticket_id, at)
        for ticket_id, at in TicketEvent.objects.filter(type="status", data__status="resolved").values_list(
            "ticket_id", "at"
        )
    }
    for s in surveys:
        assert (s.ticket_id, s.resolved_at) in resolutions
        assert s.due_at > s.resolved_at and s.expires_at > s.due_at
        assert (s.sent_at is not None) == (s.due_at <= NOW)
    assert not Survey.objects.filter(ticket__merged_into__isnull=False).exists()
    responses = list(SurveyResponse.objects.select_related("survey"))
    assert 0.15 * len(surveys) < len(responses) < 0.5 * len(surveys)
    for r in responses:
        assert r.survey.sent_at is not None and r.survey.sent_at < r.answered_at <= NOW
        assert r.survey.answered_at == r.answered_at
        assert r.ticket_id == r.survey.ticket_id and r.team_id == r.survey.team_id
        assert 1 <= r.csat <= 5 and (r.nps is None or 0 <= r.nps <= 10)
    by_team: dict[int, list[int]] = {}
    for r in responses:
        by_team.setdefault(r.team_id, []).append(r.csat)
    means = [statistics.mean(v) for v in by_team.values() if len(v) >= 20]
    assert len(means) >= 2 and max(means) - min(means) > 0.05, "teams differ a little"
    assert 3.3 < statistics.mean(r.csat for r in responses) < 4.7


@pytest.mark.django_db
def test_links_and_merges_are_consistent(demo):
    for dup in Ticket.objects.filter(merged_into__isnull=False):
        assert dup.status == "closed" and dup.account_id == dup.merged_into.account_id
        assert TicketLink.objects.filter(
            from_ticket=dup, to_ticket=dup.merged_into, kind="duplicate"
        ).exists()
        assert dup.merged_into.events.filter(type="merge", data__merged=dup.pk).exists()
    for link in TicketLink.objects.filter(kind="related"):
        assert link.from_ticket.events.filter(type="link", data__other=link.to_ticket_id).exists()


# --- the stored clocks are the services' -----------------------------------------------------------


@pytest.mark.django_db
def test_bulk_built_clocks_equal_what_recompute_sla_stores(demo):
    """For a varied sample of histories (every status, reopened, re-prioritised, escalated, merged,
    breached, in warning, paused), running the services' recompute_sla afterwards at the same
    instant changes nothing and records nothing."""
    tickets = Ticket.objects.all()
    sample: set[int] = set()
    for queryset in (
        *(tickets.filter(status=s) for s in ("new", "open", "pending", "on_hold", "resolved", "closed")),
        *(tickets.filter(sla_state=s) for s in ("running", "warning", "breached", "paused", "met", "")),
        tickets.filter(merged_into__isnull=False),
        tickets.filter(events__type="priority"),
        tickets.filter(events__type="escalation"),
        tickets.filter(events__type="status", events__data__from="resolved"),
        tickets.filter(events__type="sla_warning"),
    ):
        sample.update(queryset.order_by("pk").values_list("pk", flat=True)[:25])
    sample.update(tickets.order_by("?").values_list("pk", flat=True)[:100])
    ids = sorted(sample)
    assert len(ids) > 200
    before = _stored(ids)
    with transaction.atomic():
        for ticket in Ticket.objects.filter(pk__in=ids):
            assert recompute_sla(ticket=ticket, now=NOW) == {"warnings": [], "breaches": []}
        after = _stored(ids)
    assert after == before


@pytest.mark.django_db
def test_plan_is_deterministic_for_a_seed(demo):
    world = _world()
    first = plan_history(world, seed=9, now=NOW, tickets=300)
    again = plan_history(world, seed=9, now=NOW, tickets=300)
    other = plan_history(world, seed=10, now=NOW, tickets=300)

    def digest(plan):
        return repr(
            [(d.fields, [(e.at, e.type, e.data, e.actor_id) for e in d.events], d.tags) for d in plan.tickets]
        ) + repr([(s.ticket, s.resolved_at, s.answer) for s in plan.surveys])

    assert digest(first) == digest(again)
    assert digest(first) != digest(other)
    assert first.counts() == again.counts()
