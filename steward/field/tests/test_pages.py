"""HTTP tests of the field pages: the technician's phone view (own jobs only, one tap per status,
signature, incomplete with reason, photos) and the staff pages (work orders, technicians, the
ticket page's "Create work order")."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from steward.accounts.models import UserSkill
from steward.field import services
from steward.field.models import WorkOrder
from steward.field.tests.helpers import JPEG, field_service, png, technician
from steward.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(world):
    tech = technician(world.users["technician"])
    wo = services.work_order_create(
        actor=world.users["dispatcher"], account=world.account_a, site=world.site_a, title="Chiller alarm"
    )
    services.work_order_schedule(
        actor=world.users["dispatcher"],
        work_order=wo,
        technician=tech,
        start=timezone.now() + timedelta(minutes=1),
    )
    services.work_order_transition(actor=world.users["dispatcher"], work_order=wo, to_status="dispatched")
    return wo


def test_today_lists_own_jobs_with_eta_and_map_link(world, job, client_for):
    html = client_for(world.users["technician"]).get("/tech/").content.decode()
    assert "Chiller alarm" in html and f"/tech/jobs/{job.pk}/" in html
    assert f"geo:{world.site_a.latitude}" in html


def test_another_technicians_job_is_not_found_and_untouched(world, job, client_for):
    stranger = technician()
    client = client_for(stranger.user)
    assert client.get(f"/tech/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/tech/jobs/{job.pk}/move/", {"to_status": "en_route"}).status_code == 404
    job.refresh_from_db()
    assert job.status == "dispatched"


def test_one_tap_per_status_then_complete_with_signature(world, job, client_for):
    client = client_for(world.users["technician"])
    assert "Start driving" in client.get(f"/tech/jobs/{job.pk}/").content.decode()
    client.post(f"/tech/jobs/{job.pk}/move/", {"to_status": "en_route", "lat": "52.5", "lon": "13.4"})
    page = client.get(f"/tech/jobs/{job.pk}/").content.decode()
    assert "Arrived on site" in page
    client.post(f"/tech/jobs/{job.pk}/move/", {"to_status": "on_site"})
    page = client.get(f"/tech/jobs/{job.pk}/").content.decode()
    assert 'id="signature-pad"' in page and 'capture="environment"' in page
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    response = client.post(
        f"/tech/jobs/{job.pk}/complete/", {"notes": "Fixed", "signed_by": "Anna", "signature": signature}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "completed" and job.signature and job.en_route_at and job.on_site_at


def test_a_refused_step_shows_its_message(world, job, client_for):
    client = client_for(world.users["technician"])
    response = client.post(f"/tech/jobs/{job.pk}/complete/", {"notes": "x"}, follow=True)
    assert "cannot become completed" in response.content.decode()


def test_incomplete_with_reason_and_photo(world, job, client_for):
    client = client_for(world.users["technician"])
    for status in ("en_route", "on_site"):
        client.post(f"/tech/jobs/{job.pk}/move/", {"to_status": status})
    client.post(
        f"/tech/jobs/{job.pk}/photo/",
        {"photo": SimpleUploadedFile("meter.jpg", JPEG, content_type="image/jpeg")},
    )
    response = client.post(f"/tech/jobs/{job.pk}/incomplete/", {"reason": "Part missing"}, follow=True)
    assert "follow-up visit was opened" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "incomplete" and job.photos.count() == 1 and job.follow_ups.count() == 1


def test_staff_pages(world, job, client_for):
    tech = job.technician
    UserSkill.objects.create(user=tech.user, skill="gas", level=4, certified_until=date(2020, 1, 1))
    client = client_for(world.users["dispatcher"])
    assert job.number in client.get("/field/?q=chiller").content.decode()
    assert "Chiller alarm" in client.get(f"/field/work-orders/{job.pk}/").content.decode()
    assert tech.user.full_name in client.get("/field/technicians/").content.decode()
    detail = client.get(f"/field/technicians/{tech.pk}/").content.decode()
    assert "gas" in detail and "expired" in detail
    assert client_for(world.users["customer_a_admin"]).get("/field/").status_code == 403


def test_ticket_page_offers_create_work_order_for_a_field_service(world, client_for):
    from steward.desk import services as desk

    ticket = desk.ticket_create(
        actor=world.users["agent"],
        account=world.account_a,
        subject="No cooling",
        service=field_service(),
        site=world.site_a,
    )
    client = client_for(world.users["agent"])
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Create work order" in page
    response = client.post(f"/field/from-ticket/{ticket.pk}/")
    wo = WorkOrder.objects.get(ticket=ticket)
    assert response.status_code == 302 and response["Location"] == f"/field/work-orders/{wo.pk}/"
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert wo.number in page
    # A customer cannot create one for another account's ticket.
    assert (
        client_for(world.users["customer_b_admin"]).post(f"/field/from-ticket/{ticket.pk}/").status_code
        == 404
    )
    assert WorkOrder.objects.count() == 1
    assert f.ServiceFactory().needs_field_visit is False


def test_field_staff_manage_technicians_shifts_and_absences(world, client_for):
    user = f.staff_user("technician", full_name="Nora Neu")
    client = client_for(world.users["dispatcher"])
    response = client.post(
        "/field/technicians/new/",
        {
            "user": user.pk,
            "starts_from": "home",
            "home_latitude": "52.5",
            "home_longitude": "13.4",
            "timezone": "Europe/Berlin",
            "hourly_cost": "50",
            "lunch_minutes": "30",
            "lunch_window_start": "11:30",
            "lunch_window_end": "14:00",
            "max_overtime_minutes": "60",
            "overtime_cost_factor": "1.5",
            "is_active": "on",
        },
    )
    tech = user.technician
    assert response.status_code == 302 and response["Location"] == f"/field/technicians/{tech.pk}/"
    client.post(
        f"/field/technicians/{tech.pk}/shifts/new/", {"weekday": "1", "start": "08:00", "end": "16:00"}
    )
    bad = client.post(
        f"/field/technicians/{tech.pk}/shifts/new/", {"weekday": "1", "start": "16:00", "end": "08:00"}
    )
    assert bad.status_code == 422 and "msg-error" in bad.content.decode()  # shown on the form, nothing saved
    client.post(
        f"/field/technicians/{tech.pk}/absences/new/",
        {"kind": "leave", "starts_at": "2026-03-10T00:00", "ends_at": "2026-03-11T00:00", "note": ""},
    )
    assert tech.shifts.count() == 1 and tech.absences.count() == 1
    assert selectors_day_is_free(tech)
    client.post(f"/field/shifts/{tech.shifts.get().pk}/delete/")
    assert tech.shifts.count() == 0
    # An agent sees technicians but may not change them.
    agent = client_for(world.users["agent"])
    assert agent.get(f"/field/technicians/{tech.pk}/edit/").status_code == 403
    assert agent.post(f"/field/absences/{tech.absences.get().pk}/delete/").status_code == 404
    assert tech.absences.count() == 1


def selectors_day_is_free(tech) -> bool:
    from steward.field.selectors import technician_shifts_on

    return technician_shifts_on(tech, date(2026, 3, 10)) == []
