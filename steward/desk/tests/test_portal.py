"""The customer portal over HTTP: each page and action, and isolation as DESIGN.md says it.

A requester sees only the tickets they asked; a customer admin every ticket of their account;
another account's ticket (or, for a requester, a colleague's) is a 404 on every page and action,
and nothing changes. Staff are refused (403) on every portal page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from steward.core.models import AuditEvent
from steward.desk import conversation, selectors, services
from steward.desk.attachments import NewAttachment
from steward.desk.models import Attachment, Ticket, TicketEvent, TicketMessage
from steward.testing import factories as f
from steward.testing.clock import MON
from steward.testing.roles import STAFF

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
NOW = MON


@pytest.fixture
def people(world):
    """Account A's requester (Anna), a second requester of A (Colin), A's admin, B's admin."""
    users = dict(world.users)
    users["colleague"] = f.customer_user(world.account_a, "requester", full_name="Colin Colleague")
    return users


@pytest.fixture
def team():
    return f.TeamFactory(name="Facility Care")


@pytest.fixture
def service(team):
    return f.ServiceFactory(name="Heating repair", code="heating", category="HVAC", team=team)


def open_ticket(user, account, subject="The heating is off", clock=None, **kwargs) -> Ticket:
    kwargs.setdefault("impact", "medium")
    kwargs.setdefault("urgency", "medium")
    ticket = services.ticket_create(actor=user, account=account, subject=subject, **kwargs)
    if clock is not None:
        clock.advance(minutes=1)
    return ticket


def upload(name="photo.jpg", content=b"\xff\xd8\xff jpeg bytes", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def snapshot(ticket: Ticket) -> tuple:
    """Everything a refused action must leave as it was."""
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.updated_at,
        TicketMessage.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        Attachment.objects.filter(ticket=ticket).count(),
        AuditEvent.objects.count(),
    )


# --- who may use the portal ----------------------------------------------------------------------


PORTAL_PAGES = ["/portal/", "/portal/requests/", "/portal/requests/new/"]


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_anonymous_callers_are_sent_to_sign_in(client_for, path):
    response = client_for(None).get(path)
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize("role", STAFF)
def test_staff_are_refused_on_every_portal_page_and_action(world, client_for, role):
    ticket = open_ticket(world.users["customer_a_requester"], world.account_a)
    before = snapshot(ticket)
    client = client_for(world.users[role])
    for path in [*PORTAL_PAGES, f"/portal/requests/{ticket.pk}/"]:
        assert client.get(path).status_code == 403, path
    assert client.post("/portal/requests/new/", {"subject": "x"}).status_code == 403
    for action in ("reply", "close", "reopen"):
        assert client.post(f"/portal/requests/{ticket.pk}/{action}/", {"body": "hi"}).status_code == 403
    assert snapshot(ticket) == before


def test_navigation_leads_customers_to_their_requests(world, client_for):
    customer = client_for(world.users["customer_a_requester"]).get("/").content.decode()
    agent = client_for(world.users["agent"]).get("/").content.decode()
    assert '<a href="/portal/"' in customer and ">Requests<" in customer
    assert '<a href="/portal/requests/new/"' in customer and ">New request<" in customer
    assert "My account" in customer and ">Services<" in customer  # their other entries stay
    assert "/portal/" not in agent


# --- home ----------------------------------------------------------------------------------------


def test_home_shows_open_requests_and_recently_solved_with_reopen_in_the_window(
    world, people, client_for, clock, settings
):
    settings.STEWARD_REOPEN_WINDOW_DAYS = 14
    anna = people["customer_a_requester"]
    mine = open_ticket(anna, world.account_a, "Printer jams", clock=clock)
    theirs = open_ticket(people["colleague"], world.account_a, "Door sticks", clock=clock)
    solved = open_ticket(anna, world.account_a, "Lights flicker", clock=clock)
    services.ticket_change_status(ticket=solved, actor=world.users["agent"], status="resolved")
    old = open_ticket(anna, world.account_a, "Old leak", clock=clock)
    services.ticket_change_status(ticket=old, actor=world.users["agent"], status="resolved")
    clock.advance(days=15)
    services.ticket_change_status(ticket=solved, actor=world.users["agent"], status="open")
    services.ticket_change_status(ticket=solved, actor=world.users["agent"], status="resolved")

    page = client_for(anna).get("/portal/").content.decode()
    assert "New request" in page and "Printer jams" in page and "Door sticks" not in page
    assert "Lights flicker" in page and "Old leak" not in page  # solved 15 days ago: past the window
    assert f'action="/portal/requests/{solved.pk}/reopen/"' in page
    assert "Received" in page and mine.number in page  # statuses in customer words, not "new"

    admin_page = client_for(people["customer_a_admin"]).get("/portal/").content.decode()
    assert "Printer jams" in admin_page and "Door sticks" in admin_page
    b_page = client_for(people["customer_b_admin"]).get("/portal/").content.decode()
    assert "Printer jams" not in b_page and "Door sticks" not in b_page and theirs.subject not in b_page


# --- new request ---------------------------------------------------------------------------------


def test_new_request_form_asks_in_plain_words_and_offers_only_portal_services(world, client_for, service):
    hidden = f.ServiceFactory(name="Internal audit", portal_visible=False)
    retired = f.ServiceFactory(name="Retired thing", is_active=False)
    page = client_for(world.users["customer_a_requester"]).get("/portal/requests/new/").content.decode()
    for words in (
        "Something is broken",
        "How many people are affected?",
        "How soon do you need it?",
        "Heating repair",
        "Alpha HQ",
    ):
        assert words in page, words
    assert hidden.name not in page and retired.name not in page
    assert world.site_b.name not in page and world.asset_b.serial_number not in page
    assert 'type="file" name="file"' in page and "multiple" in page
    assert '<label for="id_subject">' in page and "<legend>How soon do you need it?" in page


def test_request_this_service_prefills_the_form(world, client_for, service):
    client = client_for(world.users["customer_a_requester"])
    catalog = client.get("/catalog/").content.decode()
    link = f"/portal/requests/new/?service={service.pk}"
    assert link in catalog
    detail = client.get(f"/catalog/services/{service.pk}/").content.decode()
    assert link in detail and "Request this service" in detail
    form = client.get(link).content.decode()
    assert f'<option value="{service.pk}" selected>' in form
    assert 'value="service_request" required id="id_type_1" checked' in form
    # Staff catalogue pages are unchanged: no request links.
    staff = client_for(world.users["agent"])
    assert "/portal/requests/new/" not in staff.get("/catalog/").content.decode()
    assert "Request this service" not in staff.get(f"/catalog/services/{service.pk}/").content.decode()


def valid_request(**overrides):
    data = {
        "type": "incident",
        "subject": "No heating in meeting room 2",
        "description": "Cold since this morning.",
        "impact": "medium",
        "urgency": "high",
    }
    data.update(overrides)
    return data


def test_a_new_request_with_files_opens_a_ticket_and_shows_it(world, client_for, service, team):
    anna = world.users["customer_a_requester"]
    client = client_for(anna)
    response = client.post(
        "/portal/requests/new/",
        valid_request(
            service=service.pk,
            site=world.site_a.pk,
            asset=world.asset_a.pk,
            file=[upload("photo.jpg"), upload("notes.txt", b"it clicks", "text/plain")],
        ),
    )
    ticket = Ticket.objects.get(subject="No heating in meeting room 2")
    assert response.status_code == 302 and response.url == f"/portal/requests/{ticket.pk}/"
    assert (ticket.account, ticket.requester, ticket.channel, ticket.type) == (
        world.account_a,
        anna,
        "portal",
        "incident",
    )
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("medium", "high", "P2")
    assert (ticket.service, ticket.site, ticket.asset, ticket.team) == (
        service,
        world.site_a,
        world.asset_a,
        team,
    )
    files = list(ticket.attachments.order_by("filename"))
    assert [a.filename for a in files] == ["notes.txt", "photo.jpg"]
    assert all(a.is_public and a.created_at == ticket.created_at for a in files)
    page = client.get(response.url).content.decode()
    assert "Thank you: we have your request" in page and ticket.number in page
    assert "Cold since this morning." in page and "photo.jpg" in page and "notes.txt" in page
    assert f"/desk/attachments/{files[1].pk}/" in page
    assert client.get(f"/desk/attachments/{files[1].pk}/").status_code == 200


@pytest.mark.parametrize(
    ("field", "value_of", "message"),
    [
        ("site", lambda w: w.site_b.pk, "No such site at your account."),
        ("asset", lambda w: w.asset_b.pk, "No such equipment at your account."),
        ("service", lambda w: f.ServiceFactory(portal_visible=False).pk, "No such service in our catalogue."),
    ],
)
def test_a_foreign_or_hidden_choice_is_an_error_on_its_field_and_opens_nothing(
    world, client_for, field, value_of, message
):
    before = (Ticket.objects.count(), AuditEvent.objects.count())
    response = client_for(world.users["customer_a_admin"]).post(
        "/portal/requests/new/", valid_request(**{field: value_of(world)})
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span class="field-error" id="id_{field}_error">{message}</span>' in html
    assert f'aria-invalid="true" aria-describedby="id_{field}_error" id="id_{field}"' in html
    assert (Ticket.objects.count(), AuditEvent.objects.count()) == before


def test_missing_answers_are_errors_next_to_their_fields(world, client_for):
    response = client_for(world.users["customer_a_requester"]).post(
        "/portal/requests/new/", {"subject": "", "type": "incident"}
    )
    html = response.content.decode()
    for field in ("subject", "impact", "urgency"):
        assert f'id="id_{field}_error"' in html, field
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (lambda: [upload("setup.exe", b"MZ")], "setup.exe: files of type .exe are not accepted"),
        (lambda: [upload("empty.txt", b"")], None),  # the browser sends an empty file: refused
        (lambda: [upload("big.pdf", b"x" * 2048)], "big.pdf is larger than the limit of 1 KiB"),
        (lambda: [upload(f"f{i}.txt", b"x") for i in range(21)], "at most 20 files at once"),
    ],
)
def test_attachment_limits_are_errors_next_to_the_file_field_and_nothing_is_opened(
    world, client_for, settings, files, message
):
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024
    before = (Ticket.objects.count(), Attachment.objects.count(), AuditEvent.objects.count())
    response = client_for(world.users["customer_a_requester"]).post(
        "/portal/requests/new/", valid_request(file=files())
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_file_error"' in html
    assert "please choose them again" in html  # the browser dropped the chosen files
    if message:
        assert message in html
    assert (Ticket.objects.count(), Attachment.objects.count(), AuditEvent.objects.count()) == before


# --- the list ------------------------------------------------------------------------------------


def test_requesters_see_their_own_requests_and_admins_their_accounts(world, people, client_for, clock):
    anna, colin = people["customer_a_requester"], people["colleague"]
    open_ticket(anna, world.account_a, "Anna printer", clock=clock)
    open_ticket(colin, world.account_a, "Colin door", clock=clock)
    open_ticket(people["customer_b_admin"], world.account_b, "Beta boiler", clock=clock)

    def subjects(user, query=""):
        html = client_for(user).get(f"/portal/requests/{query}").content.decode()
        return {s for s in ("Anna printer", "Colin door", "Beta boiler") if s in html}

    assert subjects(anna) == {"Anna printer"}
    assert subjects(colin) == {"Colin door"}
    assert subjects(people["customer_a_admin"]) == {"Anna printer", "Colin door"}
    assert subjects(people["customer_b_admin"]) == {"Beta boiler"}
    # The admin's requester filter; a requester cannot use it to see a colleague's requests.
    assert subjects(people["customer_a_admin"], f"?requester={colin.pk}") == {"Colin door"}
    assert subjects(anna, f"?requester={colin.pk}") == {"Anna printer"}
    assert subjects(people["customer_b_admin"], f"?requester={anna.pk}") == set()
    admin_html = client_for(people["customer_a_admin"]).get("/portal/requests/").content.decode()
    assert 'name="requester"' in admin_html and "Colin Colleague" in admin_html
    assert 'name="requester"' not in client_for(anna).get("/portal/requests/").content.decode()


def test_list_filters_by_state_and_text_sorted_by_last_update_and_paged(world, client_for, clock, settings):
    settings.STEWARD_PAGE_SIZE = 5
    anna = world.users["customer_a_requester"]
    tickets = [open_ticket(anna, world.account_a, f"Request {i:02d}", clock=clock) for i in range(7)]
    services.ticket_change_status(ticket=tickets[0], actor=world.users["agent"], status="resolved")
    clock.advance(minutes=5)
    services.ticket_reply(ticket=tickets[3], actor=anna, body="any news?")  # the latest update
    client = client_for(anna)

    first = client.get("/portal/requests/", **HX).content.decode()
    assert "<html" not in first and "Page 1 of 2" in first
    # 03 has the newest reply, 00 was resolved after the others were opened
    order = [first.index(f"Request {i:02d}") for i in (3, 0, 6, 5, 4)]
    assert order == sorted(order), "last updated first"
    second = client.get("/portal/requests/?page=2", **HX).content.decode()
    assert "Request 02" in second and "Request 01" in second and "Request 03" not in second

    done = client.get("/portal/requests/?status=done", **HX).content.decode()
    assert "Request 00" in done and "Request 01" not in done
    open_ = client.get("/portal/requests/?status=open", **HX).content.decode()
    assert "Request 00" not in open_ and "Request 06" in open_ and "6 in all" in open_
    by_text = client.get("/portal/requests/?q=request+04", **HX).content.decode()
    assert "Request 04" in by_text and "Request 05" not in by_text
    by_number = client.get(f"/portal/requests/?q={tickets[2].number}", **HX).content.decode()
    assert "Request 02" in by_number and "Request 03" not in by_number
    full = client.get("/portal/requests/?status=open&q=x").content.decode()
    assert "<html" in full and 'hx-target="#request-list"' in full


# --- one request ---------------------------------------------------------------------------------


def test_request_page_shows_the_public_conversation_only(world, client_for, service, team, clock):
    anna, agent = world.users["customer_a_requester"], f.staff_user("agent", full_name="Erika Agent")
    team.memberships.create(user=agent)
    ticket = open_ticket(anna, world.account_a, "Boiler noise", service=service, clock=clock)
    services.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    services.ticket_reply(
        ticket=ticket,
        actor=agent,
        body="SECRET-NOTE: customer is difficult",
        public=False,
        attachments=[NewAttachment("internal-plan.pdf", b"%PDF-")],
    )
    services.ticket_set_tags(ticket=ticket, actor=agent, tags=["vip-secret-tag"])
    services.ticket_reply(
        ticket=ticket,
        actor=agent,
        body="We will visit tomorrow.",
        attachments=[NewAttachment("visit.pdf", b"%PDF")],
    )
    services.ticket_change_status(ticket=ticket, actor=agent, status="pending")

    page = client_for(anna).get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "We will visit tomorrow." in page and "visit.pdf" in page and "Erika Agent" in page
    assert "SECRET-NOTE" not in page and "internal-plan.pdf" not in page and "vip-secret-tag" not in page
    assert "Waiting for you" in page and "We are waiting for your reply" in page
    assert "Facility Care" in page  # who works on it: the team
    assert "P3" not in page and "SLA" not in page  # no desk internals
    note_file = Attachment.objects.get(filename="internal-plan.pdf")
    assert client_for(anna).get(f"/desk/attachments/{note_file.pk}/").status_code == 404


def test_customers_do_not_see_the_files_of_internal_notes_on_the_timeline(world):
    anna, agent = world.users["customer_a_requester"], world.users["agent"]
    ticket = open_ticket(anna, world.account_a)
    services.ticket_note(
        ticket=ticket, actor=agent, body="internal", attachments=[NewAttachment("plan.pdf", b"%PDF")]
    )
    services.attachment_add(ticket=ticket, actor=agent, items=[NewAttachment("public.pdf", b"%PDF")])
    customer_view = [
        e.data.get("names") for e in selectors.ticket_timeline(anna, ticket) if e.type == "attachment"
    ]
    staff_view = [
        e.data.get("names") for e in selectors.ticket_timeline(agent, ticket) if e.type == "attachment"
    ]
    assert customer_view == [["public.pdf"]]
    assert staff_view == [["plan.pdf"], ["public.pdf"]]


def test_reply_with_files_puts_a_pending_request_back_to_open(world, client_for, clock):
    anna, agent = world.users["customer_a_requester"], world.users["agent"]
    ticket = open_ticket(anna, world.account_a, clock=clock)
    services.ticket_change_status(ticket=ticket, actor=agent, status="pending")
    clock.advance(minutes=5)
    client = client_for(anna)
    response = client.post(
        f"/portal/requests/{ticket.pk}/reply/", {"body": "Here is the photo.", "file": [upload("meter.jpg")]}
    )
    assert response.status_code == 302 and response.url == f"/portal/requests/{ticket.pk}/#latest"
    ticket.refresh_from_db()
    message = ticket.messages.get()
    assert (message.body, message.from_customer, message.author, ticket.status) == (
        "Here is the photo.",
        True,
        anna,
        "open",
    )
    assert [a.filename for a in message.attachments.all()] == ["meter.jpg"]
    page = client.get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "Here is the photo." in page and "meter.jpg" in page and "Your reply was sent." in page


def test_an_empty_or_refused_reply_is_an_error_at_its_field_and_changes_nothing(world, client_for, settings):
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024
    anna = world.users["customer_a_requester"]
    ticket = open_ticket(anna, world.account_a)
    before = snapshot(ticket)
    client = client_for(anna)
    empty = client.post(f"/portal/requests/{ticket.pk}/reply/", {"body": "  "})
    assert empty.status_code == 200 and 'id="id_body_error"' in empty.content.decode()
    refused = client.post(
        f"/portal/requests/{ticket.pk}/reply/", {"body": "see file", "file": [upload("a.exe", b"MZ")]}
    )
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="id_file_error"' in html and "a.exe" in html
    assert "see file" in html  # what they wrote is kept
    assert snapshot(ticket) == before


def test_withdraw_an_open_request(world, client_for, clock):
    anna = world.users["customer_a_requester"]
    ticket = open_ticket(anna, world.account_a, clock=clock)
    client = client_for(anna)
    assert "Withdraw this request" in client.get(f"/portal/requests/{ticket.pk}/").content.decode()
    response = client.post(f"/portal/requests/{ticket.pk}/close/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at == clock.now
    page = client.get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "You withdrew this request" in page and "You withdrew the request" in page
    assert f'action="/portal/requests/{ticket.pk}/reopen/"' in page


def test_confirm_a_resolved_request_is_solved_or_reopen_it(world, client_for, clock):
    anna, agent = world.users["customer_a_requester"], world.users["agent"]
    solved = open_ticket(anna, world.account_a, "Solved one", clock=clock)
    again = open_ticket(anna, world.account_a, "Not solved", clock=clock)
    for t in (solved, again):
        services.ticket_change_status(ticket=t, actor=agent, status="resolved")
    clock.advance(days=3)
    client = client_for(anna)
    page = client.get(f"/portal/requests/{solved.pk}/").content.decode()
    assert "Is it solved?" in page and "Yes, this is solved" in page and "No, reopen it" in page
    client.post(f"/portal/requests/{solved.pk}/close/")
    client.post(f"/portal/requests/{again.pk}/reopen/")
    solved.refresh_from_db()
    again.refresh_from_db()
    assert (solved.status, again.status) == ("closed", "open")
    assert (
        "Reopened: we will look at it again." in client.get(f"/portal/requests/{again.pk}/").content.decode()
    )


def test_after_the_reopen_window_the_page_says_open_a_new_request(
    world, client_for, clock, settings, service
):
    settings.STEWARD_REOPEN_WINDOW_DAYS = 7
    anna, agent = world.users["customer_a_requester"], world.users["agent"]
    ticket = open_ticket(anna, world.account_a, "Old problem", clock=clock, service=service)
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    services.ticket_change_status(ticket=ticket, actor=agent, status="closed")
    clock.advance(days=8)
    client = client_for(anna)
    page = client.get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "can no longer be reopened" in page and "Open a new request" in page
    assert f"service={service.pk}" in page and "Follow-up+to+" in page
    assert f'action="/portal/requests/{ticket.pk}/reopen/"' not in page
    assert f'action="/portal/requests/{ticket.pk}/reply/"' not in page
    before = snapshot(ticket)
    response = client.post(f"/portal/requests/{ticket.pk}/reopen/", follow=True)
    assert "please open a new request" in response.content.decode()
    assert snapshot(ticket) == before


def test_a_reply_reopens_a_solved_request_within_the_window_and_is_refused_after_it(
    world, client_for, clock, settings
):
    settings.STEWARD_REOPEN_WINDOW_DAYS = 7
    anna, agent = world.users["customer_a_requester"], world.users["agent"]
    recent = open_ticket(anna, world.account_a, "Recent", clock=clock)
    old = open_ticket(anna, world.account_a, "Old", clock=clock)
    services.ticket_change_status(ticket=old, actor=agent, status="resolved")
    clock.advance(days=6)
    services.ticket_change_status(ticket=recent, actor=agent, status="resolved")
    clock.advance(days=2)  # old: resolved 8 days ago; recent: 2 days ago
    client = client_for(anna)
    page = client.get(f"/portal/requests/{recent.pk}/").content.decode()
    assert "Replying opens this request again." in page
    client.post(f"/portal/requests/{recent.pk}/reply/", {"body": "Still broken."})
    recent.refresh_from_db()
    assert recent.status == "open" and recent.messages.get().body == "Still broken."

    before = snapshot(old)
    refused = client.post(f"/portal/requests/{old.pk}/reply/", {"body": "Still broken."})
    assert refused.status_code == 200 and "please open a new request" in refused.content.decode()
    assert snapshot(old) == before


def test_a_merged_request_points_to_the_one_it_was_merged_into(world, client_for):
    anna, agent = world.users["customer_a_requester"], world.users["agent"]
    duplicate = open_ticket(anna, world.account_a, "Heating off (again)")
    survivor = open_ticket(anna, world.account_a, "Heating off")
    services.ticket_merge(ticket=duplicate, actor=agent, into=survivor)
    page = client_for(anna).get(f"/portal/requests/{duplicate.pk}/").content.decode()
    assert f'href="/portal/requests/{survivor.pk}/"' in page and "merged" in page
    assert "cannot be reopened" in page
    assert f'action="/portal/requests/{duplicate.pk}/reply/"' not in page


# --- isolation: another's request is a 404 on every page and action, and nothing changes --------


@pytest.mark.parametrize(
    ("viewer", "owner"),
    [
        ("customer_a_requester", "colleague"),  # a colleague's request
        ("customer_a_requester", "customer_b_admin"),  # another account's
        ("customer_a_admin", "customer_b_admin"),
        ("customer_b_admin", "customer_a_requester"),
    ],
)
def test_another_persons_request_is_not_found_everywhere_and_nothing_changes(
    world, people, client_for, viewer, owner
):
    owner_user = people[owner]
    ticket = open_ticket(owner_user, owner_user.customer_account, "Private matter")
    services.ticket_reply(
        ticket=ticket, actor=owner_user, body="details", attachments=[NewAttachment("private.pdf", b"%PDF")]
    )
    file = ticket.attachments.get()
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="resolved")
    before = snapshot(ticket)
    client = client_for(people[viewer])
    assert client.get(f"/portal/requests/{ticket.pk}/").status_code == 404
    assert client.post(f"/portal/requests/{ticket.pk}/reply/", {"body": "hijack"}).status_code == 404
    assert client.post(f"/portal/requests/{ticket.pk}/close/").status_code == 404
    assert client.post(f"/portal/requests/{ticket.pk}/reopen/").status_code == 404
    assert client.get(f"/desk/attachments/{file.pk}/").status_code == 404
    assert "Private matter" not in client.get("/portal/").content.decode()
    assert "Private matter" not in client.get("/portal/requests/?status=done").content.decode()
    assert snapshot(ticket) == before


def test_an_unknown_request_number_is_not_found(world, client_for):
    client = client_for(world.users["customer_a_admin"])
    assert client.get("/portal/requests/999999/").status_code == 404
    assert client.post("/portal/requests/999999/close/").status_code == 404


def test_actions_answer_get_with_405_and_change_nothing(world, client_for):
    anna = world.users["customer_a_requester"]
    ticket = open_ticket(anna, world.account_a)
    before = snapshot(ticket)
    for action in ("reply", "close", "reopen"):
        assert client_for(anna).get(f"/portal/requests/{ticket.pk}/{action}/").status_code == 405
    assert snapshot(ticket) == before


# --- the conversation, as a pure function ---------------------------------------------------------


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_conversation_reads_in_order_with_the_requests_files_on_the_request():
    t0 = NOW
    anna = Obj(pk=1, full_name="Anna Alpha", email="a@x")
    erika = Obj(pk=2, full_name="Erika Agent", email="e@x")
    ticket = Obj(created_at=t0, requester=anna, contact=None, description="It is cold.")
    files = [
        Obj(message_id=None, created_at=t0, filename="photo.jpg", uploaded_by=anna),
        Obj(message_id=7, created_at=t0 + timedelta(hours=1), filename="offer.pdf", uploaded_by=erika),
        Obj(message_id=None, created_at=t0 + timedelta(hours=3), filename="later.pdf", uploaded_by=erika),
    ]
    messages = [
        Obj(
            pk=7,
            created_at=t0 + timedelta(hours=1),
            author=erika,
            contact=None,
            from_customer=False,
            body="On it",
        ),
        Obj(
            pk=8,
            created_at=t0 + timedelta(hours=2),
            author=anna,
            contact=None,
            from_customer=True,
            body="Thanks",
        ),
    ]
    events = [
        Obj(type="created", at=t0, actor=anna, actor_id=1, data={}),
        Obj(type="status", at=t0 + timedelta(hours=1), actor=erika, actor_id=2, data={"status": "open"}),
        Obj(type="priority", at=t0 + timedelta(hours=1), actor=erika, actor_id=2, data={"priority": "P1"}),
        # Withdrawn: two steps at one instant by one person read as one.
        Obj(
            type="status",
            at=t0 + timedelta(hours=4),
            actor=anna,
            actor_id=1,
            data={"status": "resolved", "reason": "withdrawn"},
        ),
        Obj(type="status", at=t0 + timedelta(hours=4), actor=anna, actor_id=1, data={"status": "closed"}),
    ]
    entries = conversation.build(
        ticket=ticket, events=events, messages=messages, attachments=files, viewer_id=1
    )
    assert [(e.kind, e.author) for e in entries] == [
        ("opened", "You"),
        ("message", "Erika Agent"),
        ("status", "Erika Agent"),
        ("message", "You"),
        ("files", "Erika Agent"),
        ("status", "You"),
    ]
    assert [a.filename for a in entries[0].files] == ["photo.jpg"]
    assert [a.filename for a in entries[1].files] == ["offer.pdf"]
    assert (entries[5].status, entries[5].reason) == ("closed", "withdrawn")
    assert entries[0].mine and not entries[1].mine and entries[3].from_customer


def test_conversation_keeps_separate_acts_at_one_instant_apart():
    """Two status changes at the same instant by different people are two entries."""
    t0 = NOW
    ticket = Obj(created_at=t0, requester=None, contact=Obj(full_name="Bernd Beta"), description="")
    events = [
        Obj(type="status", at=t0, actor=None, actor_id=None, data={"status": "resolved"}),
        Obj(
            type="status",
            at=t0,
            actor=Obj(pk=3, full_name="Anna", email=""),
            actor_id=3,
            data={"status": "open"},
        ),
    ]
    entries = conversation.build(ticket=ticket, events=events, messages=[], attachments=[], viewer_id=3)
    assert [(e.kind, e.status, e.author) for e in entries] == [
        ("opened", "", "Bernd Beta"),
        ("status", "resolved", ""),
        ("status", "open", "You"),
    ]


# --- cost ----------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_portal_pages_cost_the_same_for_few_or_many_rows(world, people, client_for, clock):
    admin, anna, agent = people["customer_a_admin"], people["customer_a_requester"], world.users["agent"]
    client = client_for(admin)
    ticket = open_ticket(anna, world.account_a, "Long conversation", clock=clock)

    def grow(n):
        for i in range(n):
            open_ticket(people["colleague"] if i % 2 else anna, world.account_a, f"Filler {i}", clock=clock)
            services.ticket_reply(
                ticket=ticket, actor=agent, body=f"answer {i}", attachments=[NewAttachment(f"a{i}.txt", b"x")]
            )
            services.ticket_reply(ticket=ticket, actor=anna, body=f"question {i}")

    urls = ["/portal/", "/portal/requests/", f"/portal/requests/{ticket.pk}/"]
    grow(2)
    small = [_queries(client, url) for url in urls]
    grow(12)
    large = [_queries(client, url) for url in urls]
    assert large == small
