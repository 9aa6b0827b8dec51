"""Work orders: numbering, creation (by hand, from a ticket), scheduling, the status flow with its
stamps and events, completion with signature, incomplete with follow-up, photos, cancellation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from steward.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from steward.desk import services as desk
from steward.desk.models import TicketEvent
from steward.field import selectors, services
from steward.field.models import WORK_ORDER_TRANSITIONS, WorkOrder, WorkOrderEvent
from steward.field.tests.helpers import JPEG, field_service, png, technician
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # Tuesday 09:00 Berlin


def _wo(world, **kw):
    kw.setdefault("title", "Fix the rooftop unit")
    kw.setdefault("account", world.account_a)
    kw.setdefault("site", world.site_a)
    return services.work_order_create(actor=world.users["dispatcher"], **kw)


def test_numbers_are_sequential(world):
    numbers = [_wo(world).number for _ in range(3)]
    assert numbers == ["WO-000001", "WO-000002", "WO-000003"]


def test_a_rolled_back_creation_leaves_no_gap(world):
    _wo(world)
    with pytest.raises(ValidationFailed):
        _wo(world, priority="P9")  # invalid: the whole creation, counter included, rolls back
    assert _wo(world).number == "WO-000002"


def test_create_takes_the_service_skills_and_duration(world):
    service = field_service(required_skills=["hvac", "gas"], standard_duration_minutes=120)
    wo = _wo(world, service=service)
    assert (wo.required_skills, wo.duration_minutes, wo.status) == (["gas", "hvac"], 120, "unscheduled")
    assert WorkOrderEvent.objects.filter(work_order=wo, to_status="unscheduled").count() == 1


def test_create_refuses_another_accounts_site_naming_the_field(world):
    with pytest.raises(ValidationFailed) as err:
        _wo(world, site=world.site_b)
    assert "site" in err.value.fields


def test_customers_and_technicians_cannot_create(world):
    for role in ("customer_a_admin", "technician"):
        with pytest.raises(Forbidden):
            services.work_order_create(
                actor=world.users[role], account=world.account_a, site=world.site_a, title="x"
            )
    assert WorkOrder.objects.count() == 0


def _field_ticket(world, *, onsite=240, calendar=None, priority="P2"):
    service = field_service()
    policy = f.SlaPolicyFactory(calendar=calendar)
    f.SlaTargetFactory(policy=policy, priority=priority, onsite_minutes=onsite)
    policy.services.add(service)
    ticket = desk.ticket_create(
        actor=world.users["agent"],
        account=world.account_a,
        subject="Cooling down",
        service=service,
        priority=priority,
        priority_override_reason="test",
        site=world.site_a,
        asset=world.asset_a,
    )
    return ticket


def test_from_ticket_takes_site_asset_service_and_the_onsite_deadline(world, clock):
    ticket = _field_ticket(world, onsite=240)
    assert ticket.sla_policy_id is not None
    wo = services.work_order_create_from_ticket(actor=world.users["agent"], ticket=ticket)
    assert (wo.site, wo.asset, wo.service, wo.ticket, wo.origin) == (
        world.site_a,
        world.asset_a,
        ticket.service,
        ticket,
        "ticket",
    )
    assert wo.priority == "P2" and wo.required_skills == ["hvac"] and wo.duration_minutes == 90
    # 24/7 policy: four hours after the ticket was opened.
    assert wo.window_kind == "sla"
    assert wo.sla_deadline == wo.window_end == clock.now + timedelta(hours=4)
    timeline = list(
        TicketEvent.objects.filter(ticket=ticket, type="field_visit").values_list("data", flat=True)
    )
    assert timeline[0]["number"] == wo.number and timeline[0]["status"] == "unscheduled"


def test_from_ticket_without_onsite_target_has_no_window(world, clock):
    ticket = _field_ticket(world, onsite=None)
    wo = services.work_order_create_from_ticket(actor=world.users["agent"], ticket=ticket)
    assert (wo.window_kind, wo.window_end, wo.sla_deadline) == ("", None, None)


def test_from_ticket_of_another_account_is_not_found_for_a_customer(world):
    ticket = f.TicketFactory(account=world.account_b, site=world.site_b)
    with pytest.raises(Forbidden):
        services.work_order_create_from_ticket(actor=world.users["customer_a_admin"], ticket=ticket)
    assert WorkOrder.objects.count() == 0


def test_from_ticket_without_site_asks_for_one(world):
    ticket = f.TicketFactory(account=world.account_a)
    with pytest.raises(ValidationFailed) as err:
        services.work_order_create_from_ticket(actor=world.users["agent"], ticket=ticket)
    assert "site" in err.value.fields
    wo = services.work_order_create_from_ticket(actor=world.users["agent"], ticket=ticket, site=world.site_a)
    assert wo.site == world.site_a


def _scheduled(world, tech, **kw):
    wo = _wo(world, required_skills=["hvac"], **kw)
    return services.work_order_schedule(
        actor=world.users["dispatcher"], work_order=wo, technician=tech, start=START
    )


def test_schedule_sets_technician_times_and_stamp(world):
    tech = technician()
    wo = _scheduled(world, tech)
    assert wo.status == "scheduled" and wo.technician == tech
    assert wo.scheduled_end == START + timedelta(minutes=60)
    assert wo.scheduled_at is not None


def test_schedule_refuses_a_technician_without_the_skill(world):
    tech = technician(skills=[("electrical", 3, None)])
    wo = _wo(world, required_skills=["hvac"])
    with pytest.raises(ValidationFailed) as err:
        services.work_order_schedule(
            actor=world.users["dispatcher"], work_order=wo, technician=tech, start=START
        )
    assert "hvac" in err.value.message and "technician" in err.value.fields
    wo.refresh_from_db()
    assert wo.status == "unscheduled"


def test_an_expired_certification_is_not_a_skill(world):
    tech = technician(skills=[("hvac", 4, date(2026, 3, 9))])  # valid through Monday only
    wo = _wo(world, required_skills=["hvac"])
    with pytest.raises(ValidationFailed):
        services.work_order_schedule(
            actor=world.users["dispatcher"], work_order=wo, technician=tech, start=START
        )
    monday = START - timedelta(days=1)
    services.work_order_schedule(
        actor=world.users["dispatcher"], work_order=wo, technician=tech, start=monday
    )
    assert wo.status == "scheduled"


def test_unschedule_clears_the_assignment(world):
    wo = _scheduled(world, technician())
    services.work_order_unschedule(actor=world.users["dispatcher"], work_order=wo)
    wo.refresh_from_db()
    assert (wo.status, wo.technician, wo.scheduled_start) == ("unscheduled", None, None)
    assert wo.scheduled_at is not None  # the first time it was scheduled is kept


def test_the_whole_flow_stamps_each_first_time_and_records_events(world):
    tech = technician()
    wo = _scheduled(world, tech)
    me = tech.user
    t = START - timedelta(minutes=30)
    services.work_order_transition(
        actor=world.users["dispatcher"], work_order=wo, to_status="dispatched", at=t
    )
    services.work_order_transition(actor=me, work_order=wo, to_status="en_route", at=t + timedelta(minutes=5))
    services.work_order_transition(
        actor=me, work_order=wo, to_status="dispatched", at=t + timedelta(minutes=6)
    )
    services.work_order_transition(
        actor=me, work_order=wo, to_status="en_route", at=t + timedelta(minutes=7), lat="52.52", lon=13.4
    )
    services.work_order_transition(actor=me, work_order=wo, to_status="on_site", at=t + timedelta(minutes=30))
    services.work_order_complete(
        actor=me,
        work_order=wo,
        notes="Replaced the filter",
        signature_png=png(),
        signed_by="Anna Alpha",
        at=t + timedelta(minutes=95),
    )
    wo.refresh_from_db()
    assert wo.status == "completed"
    assert wo.dispatched_at == t
    assert wo.en_route_at == t + timedelta(minutes=5)  # the first time, not the second
    assert wo.on_site_at == t + timedelta(minutes=30)
    assert wo.finished_at == t + timedelta(minutes=95)
    assert wo.signature.name.endswith(".png") and wo.signed_by == "Anna Alpha"
    assert wo.signature.read()[:8] == b"\x89PNG\r\n\x1a\n"
    moves = list(wo.events.order_by("id").values_list("from_status", "to_status"))
    assert moves[-6:] == [
        ("scheduled", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "on_site"),
        ("on_site", "completed"),
    ]
    located = wo.events.get(to_status="en_route", at=t + timedelta(minutes=7))
    assert float(located.latitude) == 52.52


@pytest.mark.parametrize(
    "start,to_status",
    [
        (s, t)
        for s in WORK_ORDER_TRANSITIONS
        for t in WORK_ORDER_TRANSITIONS
        if t not in WORK_ORDER_TRANSITIONS[s]
    ],
)
def test_every_move_outside_the_flow_is_refused_clearly(world, start, to_status):
    wo = _wo(world)
    WorkOrder.objects.filter(pk=wo.pk).update(status=start)
    wo.refresh_from_db()
    with pytest.raises(Conflict) as err:
        services.work_order_transition(
            actor=world.users["admin"], work_order=wo, to_status=to_status, reason="r", note="n"
        )
    assert f"is {start} and cannot become {to_status}" in err.value.message
    wo.refresh_from_db()
    assert wo.status == start


def test_unknown_status_names_the_field(world):
    with pytest.raises(ValidationFailed) as err:
        services.work_order_transition(actor=world.users["admin"], work_order=_wo(world), to_status="done")
    assert "to_status" in err.value.fields


def test_a_technician_moves_only_their_own_jobs(world):
    mine, other = technician(), technician()
    wo = _scheduled(world, other)
    services.work_order_transition(actor=world.users["dispatcher"], work_order=wo, to_status="dispatched")
    with pytest.raises(Forbidden):
        services.work_order_transition(actor=mine.user, work_order=wo, to_status="en_route")
    with pytest.raises(Forbidden):  # and never plans
        services.work_order_transition(actor=other.user, work_order=wo, to_status="cancelled", reason="x")
    wo.refresh_from_db()
    assert wo.status == "dispatched"


def _on_site(world, tech, **kw):
    wo = _scheduled(world, tech, **kw)
    for status in ("dispatched", "en_route", "on_site"):
        services.work_order_transition(actor=world.users["dispatcher"], work_order=wo, to_status=status)
    return wo


def test_incomplete_needs_a_reason_and_opens_a_follow_up(world):
    tech = technician()
    wo = _on_site(world, tech)
    with pytest.raises(ValidationFailed) as err:
        services.work_order_incomplete(actor=tech.user, work_order=wo, reason=" ")
    assert "reason" in err.value.fields
    services.work_order_incomplete(actor=tech.user, work_order=wo, reason="Compressor part missing")
    wo.refresh_from_db()
    assert wo.status == "incomplete" and wo.incomplete_reason == "Compressor part missing"
    follow = wo.follow_ups.get()
    assert (follow.origin, follow.status, follow.required_skills, follow.site) == (
        "follow_up",
        "unscheduled",
        ["hvac"],
        wo.site,
    )
    assert follow.number != wo.number


def test_incomplete_without_follow_up(world):
    tech = technician()
    wo = _on_site(world, tech)
    services.work_order_incomplete(actor=tech.user, work_order=wo, reason="Customer absent", follow_up=False)
    assert not wo.follow_ups.exists()


def test_cancel_needs_a_reason(world):
    wo = _wo(world)
    with pytest.raises(ValidationFailed):
        services.work_order_cancel(actor=world.users["agent"], work_order=wo, reason="")
    services.work_order_cancel(actor=world.users["agent"], work_order=wo, reason="Customer fixed it")
    wo.refresh_from_db()
    assert (wo.status, wo.cancel_reason) == ("cancelled", "Customer fixed it")


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "required"),
        (b"GIF89a" + b"\x00" * 40, "PNG"),
        (png()[:-12], "truncated"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (600 * 1024), "limit"),
    ],
)
def test_signature_must_be_a_sound_png(world, data, message):
    tech = technician()
    wo = _on_site(world, tech)
    with pytest.raises(ValidationFailed) as err:
        services.work_order_complete(
            actor=tech.user, work_order=wo, notes="done", signature_png=data, signed_by="A"
        )
    assert message in err.value.message and "signature" in err.value.fields
    wo.refresh_from_db()
    assert wo.status == "on_site"


def test_complete_needs_notes_and_a_signer(world):
    tech = technician()
    wo = _on_site(world, tech)
    with pytest.raises(ValidationFailed) as err:
        services.work_order_complete(
            actor=tech.user, work_order=wo, notes="", signature_png=None, signed_by=""
        )
    assert "notes" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.work_order_complete(
            actor=tech.user, work_order=wo, notes="ok", signature_png=png(), signed_by=""
        )
    assert "signed_by" in err.value.fields


def test_photos_are_checked_and_stored_under_a_safe_name(world):
    tech = technician()
    wo = _on_site(world, tech)
    photo = services.work_order_photo_add(
        actor=tech.user, work_order=wo, filename="../../etc/unit.JPG", content=JPEG
    )
    assert photo.original_name == "unit.JPG" and photo.content_type == "image/jpeg"
    assert "etc" not in photo.file.name
    with pytest.raises(ValidationFailed) as err:
        services.work_order_photo_add(actor=tech.user, work_order=wo, filename="x.jpg", content=b"MZ\x90\x00")
    assert "file" in err.value.fields
    with pytest.raises(ValidationFailed):
        services.work_order_photo_add(actor=tech.user, work_order=wo, filename="run.exe", content=JPEG)
    stranger = technician()
    with pytest.raises(Forbidden):
        services.work_order_photo_add(actor=stranger.user, work_order=wo, filename="a.jpg", content=JPEG)
    assert wo.photos.count() == 1


def test_every_transition_of_a_ticket_work_order_is_on_the_timeline(world, clock):
    ticket = _field_ticket(world)
    tech = technician()
    wo = services.work_order_create_from_ticket(actor=world.users["agent"], ticket=ticket)
    services.work_order_schedule(actor=world.users["dispatcher"], work_order=wo, technician=tech, start=START)
    for status in ("dispatched", "en_route", "on_site"):
        services.work_order_transition(actor=world.users["dispatcher"], work_order=wo, to_status=status)
    services.work_order_complete(
        actor=tech.user, work_order=wo, notes="Fixed", signature_png=png(), signed_by="A"
    )
    statuses = [
        d["status"]
        for d in TicketEvent.objects.filter(ticket=ticket, type="field_visit").values_list("data", flat=True)
    ]
    assert statuses == ["unscheduled", "scheduled", "dispatched", "en_route", "on_site", "completed"]
    assert TicketEvent.objects.filter(ticket=ticket, type="onsite").count() == 1


# --- scoping -------------------------------------------------------------------------------------


def test_scope_technician_own_jobs_customer_account_requester_own_tickets(world):
    tech_user = world.users["technician"]
    tech = technician(tech_user)
    own = _scheduled(world, tech)
    other = _scheduled(world, technician())
    b = _wo(world, account=world.account_b, site=world.site_b)
    requester = world.users["customer_a_requester"]
    own_ticket = f.TicketFactory(account=world.account_a, requester=requester, site=world.site_a)
    mine_via_ticket = services.work_order_create_from_ticket(actor=world.users["agent"], ticket=own_ticket)

    def visible(user):
        return set(selectors.work_orders_for(user).values_list("pk", flat=True))

    assert visible(tech_user) == {own.pk}
    assert visible(world.users["customer_a_admin"]) == {own.pk, other.pk, mine_via_ticket.pk}
    assert visible(requester) == {mine_via_ticket.pk}
    assert visible(world.users["customer_b_admin"]) == {b.pk}
    assert visible(world.users["agent"]) == set(WorkOrder.objects.values_list("pk", flat=True))
    with pytest.raises(NotFound):
        selectors.work_order_get(world.users["customer_b_admin"], own.pk)


def test_technician_day_in_route_order(world):
    tech = technician(world.users["technician"])
    late = _wo(world, required_skills=["hvac"])
    early = _wo(world, required_skills=["hvac"])
    services.work_order_schedule(
        actor=world.users["dispatcher"], work_order=late, technician=tech, start=START + timedelta(hours=3)
    )
    services.work_order_schedule(
        actor=world.users["dispatcher"], work_order=early, technician=tech, start=START
    )
    tomorrow = _wo(world, required_skills=["hvac"])
    services.work_order_schedule(
        actor=world.users["dispatcher"], work_order=tomorrow, technician=tech, start=START + timedelta(days=1)
    )
    day = selectors.technician_day(world.users["technician"], date(2026, 3, 10))
    assert [w.pk for w in day] == [early.pk, late.pk]
    with pytest.raises(Forbidden):
        selectors.technician_day(world.users["agent"], date(2026, 3, 10))


# --- booking an appointment ------------------------------------------------------------------------

SLOT = (START + timedelta(days=1), START + timedelta(days=1, hours=2))


def test_a_customer_books_their_own_visit_and_it_is_audited(world):
    from steward.core.models import AuditEvent

    wo = _wo(world)
    booked = services.work_order_book(
        actor=world.users["customer_a_requester"], work_order=wo, window_start=SLOT[0], window_end=SLOT[1]
    )
    booked.refresh_from_db()
    assert (booked.window_kind, booked.window_start, booked.window_end) == ("booked", *SLOT)
    assert booked.pinned_technician is None
    event = AuditEvent.objects.get(action="work_order.book")
    assert event.actor_id == world.users["customer_a_requester"].pk


def test_another_accounts_customer_gets_404_and_nothing_changes(world):
    wo = _wo(world)
    with pytest.raises(NotFound):
        services.work_order_book(
            actor=world.users["customer_b_admin"], work_order=wo, window_start=SLOT[0], window_end=SLOT[1]
        )
    wo.refresh_from_db()
    assert wo.window_start is None and wo.window_kind != "booked"


def test_customers_choose_a_time_staff_may_also_choose_the_person(world):
    tech = technician()
    wo = _wo(world)
    with pytest.raises(Forbidden):
        services.work_order_book(
            actor=world.users["customer_a_admin"],
            work_order=wo,
            window_start=SLOT[0],
            window_end=SLOT[1],
            pinned_technician=tech,
        )
    booked = services.work_order_book(
        actor=world.users["dispatcher"],
        work_order=wo,
        window_start=SLOT[0],
        window_end=SLOT[1],
        pinned_technician=tech,
    )
    assert booked.pinned_technician == tech and booked.window_kind == "booked"
    with pytest.raises(Forbidden):
        services.work_order_book(
            actor=world.users["technician"], work_order=wo, window_start=SLOT[0], window_end=SLOT[1]
        )


def test_a_slot_must_end_after_it_starts(world):
    wo = _wo(world)
    with pytest.raises(ValidationFailed) as err:
        services.work_order_book(
            actor=world.users["dispatcher"], work_order=wo, window_start=SLOT[1], window_end=SLOT[0]
        )
    assert "window_end" in err.value.fields


def test_a_visit_under_way_or_closed_can_no_longer_be_booked(world):
    wo = _wo(world)
    services.work_order_cancel(actor=world.users["dispatcher"], work_order=wo, reason="customer cancelled")
    with pytest.raises(Conflict):
        services.work_order_book(
            actor=world.users["customer_a_admin"], work_order=wo, window_start=SLOT[0], window_end=SLOT[1]
        )
