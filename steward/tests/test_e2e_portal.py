"""End to end in a real browser: a requester signs in to the portal, raises a request with an
attachment, finds it in their list (live search), replies, and withdraws it; at desktop and at
phone width. Screenshots of every portal page go to test-artifacts/."""

from __future__ import annotations

import pytest

from steward.desk.models import Ticket
from steward.testing import factories as f
from steward.tests.test_e2e_directory import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def requester(transactional_db):
    account = f.AccountFactory(name="Kreusel KG", tier="silver")
    site = f.SiteFactory(account=account, name="Rechenzentrum Marzahn")
    f.AssetFactory(account=account, site=site)
    team = f.TeamFactory(name="Facility Care")
    f.ServiceFactory(name="Heating repair", code="heating", category="HVAC", team=team)
    user = f.customer_user(account, "requester", email="tibor@kreusel.example", full_name="Tibor Matthäi")
    f.ContactFactory(account=account, user=user, full_name="Tibor Matthäi")
    # Someone else's request at another account, which must never show.
    other = f.AccountFactory(name="Other GmbH")
    f.TicketFactory(account=other, subject="Another account's secret")
    return user


@pytest.mark.parametrize(
    ("label", "viewport"),
    [("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})],
)
def test_requester_raises_follows_replies_and_withdraws_a_request(
    browser,  # noqa: F811 - the fixture imported above
    requester,
    live_server,
    tmp_path,
    label,
    viewport,
):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"portal-{name}-{label}.png"), full_page=True)  # noqa: E731
    photo = tmp_path / "leak-photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a small jpeg")
    page = browser.new_page(viewport=viewport)

    page.goto(f"{live_server.url}/portal/")
    assert "/login/" in page.url
    page.fill("input[name=username]", requester.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "Nothing open" in page.inner_text("main")
    shot("home-empty")

    # Raise a request with a photo.
    page.click("main a.button.primary:has-text('New request')")
    page.wait_for_selector("h1:has-text('New request')")
    page.check("input[name=type][value=incident]")
    page.fill("input[name=subject]", "Water dripping from the AC unit")
    page.fill("textarea[name=description]", "Next to rack B4, since this morning.")
    page.select_option("select[name=service]", label="Heating repair (HVAC)")
    page.check("input[name=impact][value=medium]")
    page.check("input[name=urgency][value=high]")
    page.select_option("select[name=site]", label="Rechenzentrum Marzahn, Berlin")
    page.set_input_files("input[name=file]", str(photo))
    shot("new-request")
    page.click("button:has-text('Send request')")
    page.wait_for_selector("text=Thank you: we have your request")
    ticket = Ticket.objects.get(subject="Water dripping from the AC unit")
    assert (ticket.requester_id, ticket.priority, ticket.channel) == (requester.pk, "P2", "portal")
    assert "leak-photo.jpg" in page.inner_text("main") and "Facility Care" in page.inner_text("main")
    assert ticket.attachments.get().filename == "leak-photo.jpg"
    shot("request")

    # It is in the list; live search narrows the list without a page load.
    page.goto(f"{live_server.url}/portal/requests/")
    assert "Water dripping from the AC unit" in page.inner_text("#request-list")
    assert "Another account's secret" not in page.content()
    page.fill("input[name=q]", "no such words")
    page.wait_for_function("document.querySelector('#request-list').innerText.includes('No requests match')")
    assert "q=no%20such%20words" in page.url
    page.fill("input[name=q]", "dripping")
    page.wait_for_function("document.querySelector('#request-list').innerText.includes('Water dripping')")
    shot("list")
    page.click("#request-list a:has-text('Water dripping from the AC unit')")
    page.wait_for_selector("h1:has-text('Water dripping from the AC unit')")

    # Reply.
    page.fill("textarea[name=body]", "The bucket is full, please hurry.")
    page.click("button:has-text('Send reply')")
    page.wait_for_selector("text=Your reply was sent.")
    assert "The bucket is full, please hurry." in page.inner_text(".conversation")
    assert ticket.messages.get().body == "The bucket is full, please hurry."

    # Withdraw it: solved on our side.
    page.click("summary:has-text('Solved on your side')")
    page.click("button:has-text('Withdraw this request')")
    page.wait_for_selector("text=You withdrew this request; it is closed.")
    assert "Closed" in page.inner_text(".req-state")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    shot("request-closed")

    page.goto(f"{live_server.url}/portal/")
    assert "Water dripping from the AC unit" in page.inner_text("#done-heading + ul")
    shot("home")
    page.close()
