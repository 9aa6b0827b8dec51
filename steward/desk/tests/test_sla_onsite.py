"""The on-site arrival target (rule 12 of desk.sla): worked examples and properties, plus the
clocks stored for a ticket whose work order arrives on site (desk.clocks through the field app)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.desk.sla import ALL_TARGETS, TARGETS, parse_policy, replay, replay_cycles
from steward.desk.tests.test_sla import MON, PROPS, H, agent, b, created, policy, status

ONSITE_POLICY = policy(
    targets={"first_response": {"P1": 60}, "resolution": {"P1": 480}, "onsite": {"P1": 240, "P2": 480}}
)


def onsite(at) -> dict[str, Any]:
    return {"at": at, "type": "onsite"}


def test_onsite_is_a_target_beside_the_desk_ones():
    assert (*TARGETS, "onsite") == ALL_TARGETS
    parse_policy(ONSITE_POLICY)  # accepted


def test_running_from_creation_over_business_hours():
    result = replay(ONSITE_POLICY, [created(b(*MON, 9), "P1")], b(*MON, 10))
    # 240 business minutes from Mon 09:00: 09-12 and 13-14 (lunch does not count).
    assert result["onsite"]["deadline"] == b(*MON, 14).astimezone(UTC)
    assert result["onsite"]["status"] == "running"


def test_met_by_arrival():
    events = [created(b(*MON, 9), "P1"), agent(b(*MON, 9, 30)), onsite(b(*MON, 13, 30))]
    result = replay(ONSITE_POLICY, events, b(*MON, 16))
    assert result["onsite"]["status"] == "met"
    assert result["onsite"]["met_at"] == b(*MON, 13, 30).astimezone(UTC)
    assert result["onsite"]["elapsed_business_seconds"] == 3.5 * H
    assert result["resolution"]["status"] == "running"  # arriving resolves nothing


def test_late_arrival_is_breached_at_the_deadline_and_a_second_arrival_changes_nothing():
    events = [created(b(*MON, 9), "P1"), onsite(b(*MON, 14, 30)), onsite(b(*MON, 15))]
    result = replay(ONSITE_POLICY, events, b(*MON, 16))
    assert result["onsite"]["status"] == "breached"
    assert result["onsite"]["breached_at"] == b(*MON, 14).astimezone(UTC)
    assert result["onsite"]["elapsed_business_seconds"] == 4.5 * H


def test_arrival_at_the_deadline_instant_meets():
    result = replay(ONSITE_POLICY, [created(b(*MON, 9), "P1"), onsite(b(*MON, 14))], b(*MON, 15))
    assert result["onsite"]["status"] == "met"


def test_resolution_meets_it_like_the_response_targets():
    events = [created(b(*MON, 9), "P1"), status(b(*MON, 11), "resolved")]
    result = replay(ONSITE_POLICY, events, b(*MON, 12))
    assert result["onsite"]["status"] == "met" and result["onsite"]["met_at"] == b(*MON, 11).astimezone(UTC)
    # A reopen does not start it again.
    reopened = replay(ONSITE_POLICY, [*events, status(b(*MON, 11, 30), "open")], b(*MON, 16))
    assert reopened["onsite"]["status"] == "met"


def test_pause_moves_the_deadline():
    events = [created(b(*MON, 9), "P1"), status(b(*MON, 10), "pending"), status(b(*MON, 11), "open")]
    result = replay(ONSITE_POLICY, events, b(*MON, 11))
    assert result["onsite"]["deadline"] == b(*MON, 15).astimezone(UTC)
    assert result["onsite"]["paused_business_seconds"] == H


def test_priority_without_onsite_target_reports_none_and_a_policy_without_it_changes_nothing():
    assert "onsite" not in replay(ONSITE_POLICY, [created(b(*MON, 9), "P3")], b(*MON, 10))
    desk_only = policy()
    events = [created(b(*MON, 9), "P2"), onsite(b(*MON, 10)), agent(b(*MON, 11))]
    with_event = replay(desk_only, events, b(*MON, 12))
    without = replay(desk_only, [e for e in events if e["type"] != "onsite"], b(*MON, 12))
    assert with_event == without


@PROPS
@given(arrive=st.integers(0, 3 * 24 * 60), now_after=st.integers(0, 600))
def test_24_7_met_iff_arrival_within_target(arrive: int, now_after: int) -> None:
    pol = policy(calendar=None, targets={"onsite": {"P2": 240}})
    start = b(*MON, 9)
    at = start + timedelta(minutes=arrive)
    result = replay_cycles(pol, [created(start, "P2"), onsite(at)], at + timedelta(minutes=now_after))
    (cycle,) = result["onsite"]
    assert cycle["status"] == ("met" if arrive <= 240 else "breached")
    assert cycle["elapsed_business_seconds"] == arrive * 60
    assert cycle["closed_at"] == at.astimezone(UTC)


@pytest.mark.django_db
def test_a_work_order_arriving_on_site_meets_the_tickets_stored_onsite_clock(world, clock):
    from steward.desk import services as desk
    from steward.desk.models import TicketSla
    from steward.field import services as field
    from steward.field.tests.helpers import field_service, technician
    from steward.testing import factories as f

    service = field_service()
    pol = f.SlaPolicyFactory()
    f.SlaTargetFactory(policy=pol, priority="P2", onsite_minutes=240)
    pol.services.add(service)
    ticket = desk.ticket_create(
        actor=world.users["agent"],
        account=world.account_a,
        subject="No cooling",
        service=service,
        site=world.site_a,
        priority="P2",
        priority_override_reason="field",
    )
    row = TicketSla.objects.get(ticket=ticket, target="onsite")
    assert row.status == "running" and row.deadline == clock.now + timedelta(hours=4)
    wo = field.work_order_create_from_ticket(actor=world.users["agent"], ticket=ticket)
    assert wo.sla_deadline == row.deadline
    tech = technician()
    field.work_order_schedule(
        actor=world.users["dispatcher"], work_order=wo, technician=tech, start=clock.now
    )
    for step in ("dispatched", "en_route"):
        field.work_order_transition(actor=world.users["dispatcher"], work_order=wo, to_status=step)
    clock.advance(hours=3)
    field.work_order_transition(actor=tech.user, work_order=wo, to_status="on_site")
    row.refresh_from_db()
    assert (row.status, row.met_at) == ("met", clock.now)
