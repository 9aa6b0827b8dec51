"""End to end in a real browser: the customer opens a one-click link from the survey mail on a
phone, changes the score with the keyboard, answers the NPS question and sends; a second visit
says the survey was answered. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.desk import services as desk
from steward.desk.models import OutboundMail
from steward.quality.models import SurveyResponse
from steward.quality.tasks import send_due_surveys
from steward.quality.tests.conftest import mail_links
from steward.testing import factories as f
from steward.tests.test_e2e_directory import ARTIFACTS, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture
def mailed_link(transactional_db, live_server, settings):
    settings.STEWARD_BASE_URL = live_server.url
    account = f.AccountFactory(name="Kunde Eins GmbH")
    agent = f.staff_user("agent", full_name="Erika Agent")
    requester = f.customer_user(account, full_name="Rita Requester")
    ticket = desk.ticket_create(
        actor=agent, account=account, subject="Boiler pressure drops", requester=requester
    )
    desk.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    assert send_due_surveys(timezone.now() + timedelta(hours=2))["sent"] == 1
    return mail_links(OutboundMail.objects.get(kind="survey").body)


def test_answer_a_survey_on_a_phone(browser, mailed_link):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    four = mailed_link[1]
    assert four.endswith("?csat=4")
    page.goto(four)
    assert page.is_checked("#id_csat_3"), "the one-click score is preselected"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    assert not SurveyResponse.objects.exists(), "opening the link stored nothing"

    # Real radio buttons: the arrow keys move the choice within the group.
    page.focus("#id_csat_3")
    page.keyboard.press("ArrowRight")
    assert page.is_checked("#id_csat_4")
    page.click("label[for=id_nps_9]")
    page.fill("#id_comment", "Fixed on the first visit.")
    page.screenshot(path=str(ARTIFACTS / "survey-answer-phone.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Thank you')")
    assert page.url.endswith("/thanks/")
    page.screenshot(path=str(ARTIFACTS / "survey-thanks-phone.png"), full_page=True)

    response = SurveyResponse.objects.get()
    assert (response.csat, response.nps, response.comment) == (5, 9, "Fixed on the first visit.")

    page.goto(mailed_link[4])  # another score's link, later
    assert "You have already answered" in page.inner_text("h1")
    assert SurveyResponse.objects.get().csat == 5
    page.close()
