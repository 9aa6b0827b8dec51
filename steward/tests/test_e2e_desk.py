"""End to end in a real browser: an agent signs in, goes to a queue and opens a ticket with the
keyboard, replies with an attachment, changes the status; on a ticket whose SLA warning instant is a
few seconds away, the clock's badge turns from "on track" to "warning" without a reload.
Screenshots (desktop and phone width) go to test-artifacts/."""

from __future__ import annotations

import os

import pytest

from steward.desk import services
from steward.desk.models import Attachment, TicketMessage
from steward.testing import factories as f
from steward.tests.test_e2e_directory import ARTIFACTS, CHROMIUM, FLAGS, _require_browser

pytestmark = pytest.mark.e2e


@pytest.fixture
def chromium():
    _require_browser()
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def desk(transactional_db):
    """An agent, a customer account, a 24/7 policy whose P1 clocks warn after 10 % of one minute
    (6 seconds), and one ordinary P3 ticket in the queue."""
    agent = f.staff_user("agent", email="e2e.desk@steward.test", full_name="Erika Agent")
    account = f.AccountFactory(name="Hochbahn Wartung AG", tier="gold")
    policy = f.SlaPolicyFactory(name="Fast lane", warning_percent=10)
    f.SlaTargetFactory(
        policy=policy, priority="P1", first_response_minutes=1, next_response_minutes=1, resolution_minutes=1
    )
    f.SlaTargetFactory(
        policy=policy,
        priority="P3",
        first_response_minutes=240,
        next_response_minutes=480,
        resolution_minutes=2400,
    )
    ticket = services.ticket_create(
        actor=agent, account=account, subject="Escalator 3 stops", impact="medium", urgency="medium"
    )
    return agent, account, ticket


def test_agent_works_a_ticket_and_sees_the_sla_warning_arrive(chromium, desk, live_server, tmp_path):
    agent, account, ticket = desk
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/desk/")
    assert "/login/" in page.url
    page.fill("input[name=username]", agent.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")

    # "g a" jumps to the queue of all tickets; "j" selects the first row, "o" opens it.
    page.keyboard.press("g")
    page.keyboard.press("a")
    page.wait_for_url(f"{live_server.url}/desk/queues/all/")
    assert "Escalator 3 stops" in page.inner_text("#ticket-list")
    page.screenshot(path=str(ARTIFACTS / "desk-queue-desktop.png"), full_page=True)
    page.keyboard.press("j")
    assert page.evaluate("document.querySelector('tr.current') !== null")
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server.url}/desk/tickets/{ticket.pk}/")

    # "r" focuses the reply box; a reply with a file.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "id_body"
    page.keyboard.type("A technician is on the way.")
    upload = tmp_path / "site-photo.txt"
    upload.write_text("photo of the control panel")
    page.set_input_files("#id_file", str(upload))
    page.click("form#reply button[type=submit]")
    page.wait_for_selector("text=Reply sent.")
    timeline = page.inner_text("#timeline")
    assert "A technician is on the way." in timeline and "site-photo.txt" in timeline
    message = TicketMessage.objects.get(ticket=ticket, body="A technician is on the way.")
    assert (
        message.is_public and Attachment.objects.filter(message=message, filename="site-photo.txt").exists()
    )

    # The status: the reply opened it; now put it on hold.
    page.select_option("#status_status", "on_hold")
    page.click("form[action$='/status/'] button[type=submit]")
    page.wait_for_selector("text=Status set to On hold.")
    assert "changed the status from Open to On hold" in page.inner_text("#timeline")
    assert page.inner_text(".ticket-head .badges").count("On hold") == 1

    # A P1 ticket whose first-response warning comes 6 seconds after it opens.
    urgent = services.ticket_create(
        actor=agent, account=account, subject="Escalator 1 smoking", impact="high", urgency="high"
    )
    page.goto(f"{live_server.url}/desk/tickets/{urgent.pk}/")
    clock = page.locator("[data-target=first_response]")
    assert "sla-running" in clock.get_attribute("class"), clock.get_attribute("class")
    assert clock.locator("[data-sla-label]").inner_text() == "On track"
    page.evaluate("window.__sameDocument = true")
    page.wait_for_selector("[data-target=first_response].sla-warning", timeout=20_000)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert clock.locator("[data-sla-label]").inner_text() == "Warning"
    assert "sla-running" not in clock.get_attribute("class")
    page.screenshot(path=str(ARTIFACTS / "desk-ticket-desktop.png"), full_page=True)

    # The same pages at phone width, signed in with the same session.
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{live_server.url}/desk/queues/all/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(ARTIFACTS / "desk-queue-phone.png"), full_page=True)
    phone.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(ARTIFACTS / "desk-ticket-phone.png"), full_page=True)
    context.close()
