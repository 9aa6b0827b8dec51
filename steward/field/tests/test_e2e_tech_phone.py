"""End to end on a phone (Chromium at 390x844): a technician opens today's route, taps "Start
driving", "Arrived on site", writes what was done, the customer signs on the canvas, and the job
is completed with the signature stored as a PNG. Screenshot: /tmp/tech_phone.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from steward.field import services
from steward.field.models import WorkOrder
from steward.field.tests.helpers import technician
from steward.testing import factories as f
from steward.tests.test_e2e_directory import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

# The brief asks for the screenshot at this fixed path, to be looked at after the run.
SHOT = Path("/tmp") / "tech_phone.png"  # noqa: S108 - the fixed path the brief asks for


@pytest.fixture
def day(transactional_db):
    account = f.AccountFactory(name="Kreusel KG")
    site = f.SiteFactory(account=account, name="Rechenzentrum Marzahn", address="Allee der Kosmonauten 32")
    other_site = f.SiteFactory(account=account, name="Lager Lichtenberg", address="Herzbergstraße 55")
    dispatcher = f.staff_user("dispatcher")
    tech = technician(f.staff_user("technician", email="tom@steward.test", full_name="Tom Techniker"))
    # Today in the technician's timezone, from "now" on (so both jobs are on today's page).
    start = timezone.now() + timedelta(minutes=5)
    jobs = []
    for offset, (title, where) in enumerate([("Chiller alarm", site), ("Filter change", other_site)]):
        wo = services.work_order_create(actor=dispatcher, account=account, site=where, title=title)
        services.work_order_schedule(
            actor=dispatcher, work_order=wo, technician=tech, start=start + timedelta(minutes=2 * offset)
        )
        services.work_order_transition(actor=dispatcher, work_order=wo, to_status="dispatched")
        jobs.append(wo)
    return tech, jobs


def test_technician_walks_a_job_to_completed_with_a_signature(browser, day, live_server):  # noqa: F811
    tech, (first, second) = day
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True)
    page.goto(f"{live_server.url}/tech/")
    page.fill("input[name=username]", tech.user.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tech/")

    stops = page.locator(".tech-route .tech-stop")
    assert stops.count() == 2
    assert "Chiller alarm" in stops.nth(0).inner_text() and "Filter change" in stops.nth(1).inner_text()
    assert "Allee der Kosmonauten 32" in stops.nth(0).inner_text()
    assert page.locator(".tech-map").first.get_attribute("href").startswith("geo:52.52")
    page.screenshot(path=str(SHOT.with_name("tech_phone_route.png")), full_page=True)

    stops.nth(0).locator(".tech-stop-link").click()
    page.click("button:has-text('Start driving')")
    page.wait_for_selector("#job-status:has-text('En route')")
    page.click("button:has-text('Arrived on site')")
    page.wait_for_selector("#job-status:has-text('On site')")

    page.fill("textarea[name=notes]", "Reset the compressor, replaced the pressure sensor.")
    page.fill("input[name=signed_by]", "Tibor Matthäi")
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(box["x"] + 20 + i * 12, box["y"] + box["height"] * (0.7 - 0.4 * ((i % 6) / 6)))
    page.mouse.up()
    page.screenshot(path=str(SHOT), full_page=True)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tech-phone-signature.png"), full_page=True)

    page.click("#complete-form button[type=submit]")
    page.wait_for_selector("#job-status:has-text('Completed')")
    page.screenshot(path=str(ARTIFACTS / "tech-phone-completed.png"), full_page=True)

    job = WorkOrder.objects.get(pk=first.pk)
    assert job.status == "completed" and job.signed_by == "Tibor Matthäi"
    assert job.en_route_at and job.on_site_at and job.finished_at
    data = job.signature.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000  # the strokes are in it
    assert WorkOrder.objects.get(pk=second.pk).status == "dispatched"
