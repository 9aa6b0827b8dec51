"""Appointment booking: the offered slots are computed from the plan (a qualified technician can
still fit the visit without breaking it), booking one sets the booked window (and, for staff,
the technician pin), a slot no longer on offer is refused, and each caller sees only their own
account's work orders. Pages: the agent's "Offer slots" panel on the ticket, the portal page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.core.errors import Conflict, NotFound
from steward.dispatch import booking, building, storage
from steward.dispatch.building import job_key
from steward.dispatch.optimiser.schedule import best_insertion
from steward.dispatch.tests.plans_world import technician, work_order
from steward.testing import factories as f

pytest.importorskip("steward.dispatch.optimiser.slots")


@pytest.fixture
def setup(world):
    ana = technician("Ana Field", skills=("hvac",))
    ticket = f.TicketFactory(account=world.account_a, requester=world.users["customer_a_requester"])
    wo = work_order(
        world.account_a, lat=52.53, lon=13.41, ticket=ticket, required_skills=["hvac"], duration_minutes=60
    )
    return ana, ticket, wo


@pytest.mark.django_db
def test_every_offered_slot_fits_the_plan(setup, world):
    ana, _ticket, wo = setup
    now = timezone.now()
    slots = booking.offer_slots(actor=world.users["agent"], work_order=wo, days=2, now=now)
    assert slots, "a free technician must have slots"
    assert all(s["start"] >= now + timedelta(minutes=booking.LEAD_MINUTES) for s in slots)
    assert all(s["start"].minute == 0 and s["end"] - s["start"] == timedelta(minutes=120) for s in slots)
    assert {s["technician_id"] for s in slots} == {ana.pk}
    # Each slot, as the job's window, leaves a feasible insertion into the (empty) plan.
    built = building.build_problem(timezone.localdate(now), 2, now=now)
    plan = storage.load(built, {})
    job = built.problem.job(job_key(wo.pk))
    import dataclasses

    from steward.dispatch.optimiser.problem import TimeWindow

    for s in slots[:6]:
        window = TimeWindow(built.to_seconds(s["start"]), built.to_seconds(s["end"]))
        probe = dataclasses.replace(job, window=window)
        built.problem.jobs = [probe if j.id == job.id else j for j in built.problem.jobs]
        assert best_insertion(built.problem, plan, job.id) is not None


@pytest.mark.django_db
def test_no_qualified_technician_means_no_slots(setup, world):
    wo = work_order(world.account_a, required_skills=["gas"])
    assert booking.offer_slots(actor=world.users["agent"], work_order=wo, days=3) == []


@pytest.mark.django_db
def test_customers_see_times_without_names_and_book_their_own(setup, world):
    _ana, _ticket, wo = setup
    customer = world.users["customer_a_requester"]
    slots = booking.offer_slots(actor=customer, work_order=wo, days=2)
    assert slots and all(s["technician_id"] is None and s["technician_name"] == "" for s in slots)
    chosen = slots[-1]
    booked = booking.appointment_book(actor=customer, work_order=wo, start=chosen["start"], end=chosen["end"])
    assert (booked.window_kind, booked.window_start, booked.window_end) == (
        "booked",
        chosen["start"],
        chosen["end"],
    )
    assert booked.pinned_technician is None

    other = work_order(world.account_b)
    with pytest.raises(NotFound):
        booking.appointment_book(actor=customer, work_order=other, start=chosen["start"], end=chosen["end"])


@pytest.mark.django_db
def test_staff_booking_pins_the_technician_and_a_slot_off_offer_is_refused(setup, world):
    ana, _ticket, wo = setup
    agent = world.users["agent"]
    s = booking.offer_slots(actor=agent, work_order=wo, days=2)[0]
    with pytest.raises(Conflict):
        booking.appointment_book(
            actor=agent,
            work_order=wo,
            start=s["start"] + timedelta(minutes=7),
            end=s["end"],
            technician_id=ana.pk,
        )
    wo.refresh_from_db()
    assert wo.window_kind == ""
    booked = booking.appointment_book(
        actor=agent, work_order=wo, start=s["start"], end=s["end"], technician_id=ana.pk
    )
    assert booked.pinned_technician == ana and booked.window_kind == "booked"


@pytest.mark.django_db
def test_agent_panel_on_the_ticket_and_the_portal_booking_page(setup, world, client_for):
    _ana, ticket, wo = setup
    agent = client_for(world.users["agent"])
    page = agent.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Offer slots" in page and f"/dispatch/work-orders/{wo.pk}/slots/" in page
    panel = agent.get(f"/dispatch/work-orders/{wo.pk}/slots/").content.decode()
    assert "Slots for" in panel and "Ana Field" in panel

    customer = client_for(world.users["customer_a_requester"])
    assert "Book a visit" in customer.get(f"/portal/requests/{ticket.pk}/").content.decode()
    page = customer.get(f"/portal/visits/{wo.pk}/book/")
    assert page.status_code == 200 and "Ana Field" not in page.content.decode()
    slot = booking.offer_slots(actor=world.users["customer_a_requester"], work_order=wo, days=3)[0]
    done = customer.post(
        f"/portal/visits/{wo.pk}/book/", {"start": slot["start"].isoformat(), "end": slot["end"].isoformat()}
    )
    assert "Your visit is booked" in done.content.decode()
    wo.refresh_from_db()
    assert wo.window_start == slot["start"]
    assert client_for(world.users["customer_b_admin"]).get(f"/portal/visits/{wo.pk}/book/").status_code == 404
