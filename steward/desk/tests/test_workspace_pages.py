"""The agent's workspace over HTTP: queues with filters, counts, saved views and bulk actions; the
ticket page and every action on it; a new ticket; team routing. Refused requests change nothing:
a ticket out of the caller's scope is a 404, a form error names its field."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from steward.core.models import AuditEvent
from steward.desk import services
from steward.desk.attachments import NewAttachment
from steward.desk.models import (
    Attachment,
    SavedView,
    TeamRouting,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
)
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk(world):
    """A 24/7 policy for every priority, a team the agent belongs to, and an agent's client."""
    policy = f.SlaPolicyFactory(name="Round the clock")
    for priority, minutes in (("P1", 30), ("P2", 60), ("P3", 240), ("P4", 480)):
        f.SlaTargetFactory(
            policy=policy,
            priority=priority,
            first_response_minutes=minutes,
            next_response_minutes=minutes * 2,
            resolution_minutes=minutes * 8,
        )
    team = f.TeamFactory(name="Service desk")
    team.members.add(world.users["agent"])
    other_team = f.TeamFactory(name="Field support")
    colleague = f.staff_user("agent", full_name="Carla Colleague")
    other_team.members.add(colleague)
    return SimpleNamespace(policy=policy, team=team, other_team=other_team, colleague=colleague, w=world)


def open_ticket(world, subject="The chiller is down", account=None, **kwargs):
    kwargs.setdefault("impact", "high")
    kwargs.setdefault("urgency", "medium")
    return services.ticket_create(
        actor=world.users["agent"], account=account or world.account_a, subject=subject, **kwargs
    )


def state(ticket) -> tuple:
    """Everything a refused request must leave as it was."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.status,
        ticket.priority,
        ticket.team_id,
        ticket.assignee_id,
        ticket.merged_into_id,
        sorted(ticket.tags.values_list("name", flat=True)),
        TicketEvent.objects.filter(ticket=ticket).count(),
        TicketMessage.objects.filter(ticket=ticket).count(),
        Attachment.objects.filter(ticket=ticket).count(),
    )


# --- queues --------------------------------------------------------------------------------------


def test_each_queue_lists_its_tickets(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    mine = open_ticket(w, "Mine", assignee=agent, team=desk.team)
    team_unassigned = open_ticket(w, "Team, nobody", team=desk.team)
    elsewhere = open_ticket(w, "Elsewhere", team=desk.other_team, assignee=desk.colleague)
    done = open_ticket(w, "Done", assignee=agent)
    services.ticket_change_status(ticket=done, actor=agent, status="resolved")
    client = client_for(agent)

    def subjects(url):
        html = client.get(url).content.decode()
        return {t.subject for t in (mine, team_unassigned, elsewhere, done) if f"> {t.subject}</a>" in html}

    assert subjects("/desk/") == {"Mine"}  # "mine" is the default queue, open tickets by default
    assert subjects("/desk/queues/mine/?status=any") == {"Mine", "Done"}
    assert subjects("/desk/queues/my_teams/") == {"Mine", "Team, nobody"}
    assert subjects("/desk/queues/unassigned/") == {"Team, nobody"}
    assert subjects("/desk/queues/all/") == {"Mine", "Team, nobody", "Elsewhere"}
    assert subjects("/desk/queues/all/?status=done") == {"Done"}
    assert client.get("/desk/queues/nonsense/").status_code == 404


def test_breaching_soon_is_ordered_by_the_nearest_deadline(desk, client_for):
    w = desk.w
    p4 = open_ticket(w, "Low", impact="low", urgency="low")  # first response in 8 h
    p1 = open_ticket(w, "Critical", impact="high", urgency="high")  # first response in 30 min
    p3 = open_ticket(w, "Normal", impact="medium", urgency="medium")  # in 4 h
    html = client_for(w.users["agent"]).get("/desk/queues/breaching_soon/").content.decode()
    positions = [html.index(f"{t.number}</span> {t.subject}") for t in (p1, p3, p4)]
    assert positions == sorted(positions)
    assert "in 29m" in html or "in 30m" in html  # the P1's countdown, rendered on the server


def test_filters_narrow_the_list_and_a_bad_value_names_the_filter(desk, client_for):
    w = desk.w
    chiller = open_ticket(w, "Chiller alarm", impact="high", urgency="high", channel="email")
    lift = open_ticket(w, "Lift stuck", account=w.account_b, impact="low", urgency="low")
    services.ticket_set_tags(ticket=lift, actor=w.users["agent"], tags=["lift"])
    client = client_for(w.users["agent"])

    def listed(query):
        html = client.get(f"/desk/queues/all/?{query}").content.decode()
        return {t.subject for t in (chiller, lift) if f"> {t.subject}</a>" in html}

    assert listed("priority=P1") == {"Chiller alarm"}
    assert listed("channel=email") == {"Chiller alarm"}
    assert listed(f"account={w.account_b.pk}") == {"Lift stuck"}
    assert listed("tag=lift") == {"Lift stuck"}
    assert listed("q=chiller") == {"Chiller alarm"}
    assert listed(f"q={lift.number}") == {"Lift stuck"}
    assert listed("sla=running") == {"Chiller alarm", "Lift stuck"}
    assert listed("sla=breached") == set()
    assert listed("assignee=none&team=none") == {"Chiller alarm", "Lift stuck"}
    bad = client.get("/desk/queues/all/?priority=P9")
    assert bad.status_code == 200 and "priority: must be one of" in bad.content.decode()
    assert "No tickets match" in bad.content.decode()


def test_live_filtering_returns_the_list_fragment_with_paging_that_keeps_the_filters(
    desk, client_for, settings
):
    settings.STEWARD_PAGE_SIZE = 5
    w = desk.w
    for i in range(12):
        open_ticket(w, f"Boiler {i:02d}", impact="low", urgency="low")
    client = client_for(w.users["agent"])
    full = client.get("/desk/queues/all/").content.decode()
    assert 'hx-push-url="true"' in full and 'hx-target="#ticket-list"' in full
    fragment = client.get("/desk/queues/all/?q=boiler&page=2", **HX).content.decode()
    assert "<html" not in fragment
    assert "Page 2 of 3" in fragment and "q=boiler" in fragment
    assert fragment.count("data-row") == 5


def test_sidebar_counts_open_tickets_per_queue(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    open_ticket(w, "Mine", assignee=agent, team=desk.team)
    open_ticket(w, "Unassigned")
    open_ticket(w, "Team", team=desk.team)
    closed = open_ticket(w, "Closed", assignee=agent)
    services.ticket_change_status(ticket=closed, actor=agent, status="resolved")
    html = client_for(agent).get("/desk/").content.decode()
    counts = {
        q: html.split(f'href="/desk/queues/{q}/"', 1)[1].split('class="count">', 1)[1].split("<", 1)[0]
        for q in ("mine", "my_teams", "unassigned", "breaching_soon", "all")
    }
    assert counts == {"mine": "1", "my_teams": "2", "unassigned": "2", "breaching_soon": "3", "all": "3"}


def test_list_rows_show_the_facts_and_the_sla_badge(desk, client_for):
    w = desk.w
    ticket = open_ticket(w, "Chiller", assignee=w.users["agent"], team=desk.team, contact=w.contact_a)
    services.ticket_set_tags(ticket=ticket, actor=w.users["agent"], tags=["hvac"])
    html = client_for(w.users["agent"]).get("/desk/queues/all/").content.decode()
    row = html.split(f'data-href="/desk/tickets/{ticket.pk}/"', 1)[1].split("</tr>", 1)[0]
    for text in (ticket.number, "Chiller", w.account_a.name, "Anna Alpha", "#hvac", "prio-P2", "tstatus-new"):
        assert text in row, text
    assert w.users["agent"].full_name in row and "Service desk" in row
    assert 'class="sla sla-running"' in row and "data-deadline=" in row and "data-warning-at=" in row
    assert "in 59m" in row  # P2: first response in 60 minutes


# --- saved views ---------------------------------------------------------------------------------


def test_save_list_open_and_delete_a_view(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    client = client_for(agent)
    response = client.post(
        "/desk/queues/my_teams/?priority=P1&order=deadline", {"form": "save_view", "name": "P1s"}
    )
    view = SavedView.objects.get(user=agent)
    assert (view.name, view.queue, view.filters) == (
        "P1s",
        "my_teams",
        {"status": "open", "priority": "P1", "order": "deadline"},
    )
    assert response.status_code == 302 and response.url == "/desk/queues/my_teams/?priority=P1&order=deadline"
    html = client.get("/desk/").content.decode()
    assert 'href="/desk/queues/my_teams/?priority=P1&amp;order=deadline">P1s</a>' in html
    # The same name again: the error sits at the name field, nothing is saved.
    again = client.post("/desk/queues/all/", {"form": "save_view", "name": "P1s"})
    assert again.status_code == 200 and 'id="id_name-error"' in again.content.decode()
    assert SavedView.objects.filter(user=agent).count() == 1
    # Another agent cannot delete it (404), the owner can.
    assert client_for(desk.colleague).post(f"/desk/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert (
        client.post(f"/desk/views/{view.pk}/delete/", {"next": "/desk/queues/all/"}).url
        == "/desk/queues/all/"
    )
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_view_over_any_status_opens_with_any_status(desk, client_for):
    client = client_for(desk.w.users["agent"])
    client.post("/desk/queues/all/?status=any&tag=vip", {"form": "save_view", "name": "VIP"})
    view = SavedView.objects.get(name="VIP")
    assert view.filters == {"tag": "vip"}
    assert 'href="/desk/queues/all/?tag=vip&amp;status=any"' in client.get("/desk/").content.decode()


# --- bulk actions --------------------------------------------------------------------------------


def test_bulk_assign_to_me_status_priority_and_tag(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    a, b = open_ticket(w, "A"), open_ticket(w, "B")
    client = client_for(agent)
    url = "/desk/queues/all/?q=&page=1"
    response = client.post(url, {"form": "bulk", "action": "assign_me", "ids": [a.pk, b.pk]})
    assert response.status_code == 302 and response.url == url
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {agent.pk}
    client.post(url, {"form": "bulk", "action": "status", "status": "on_hold", "ids": [a.pk, b.pk]})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"on_hold"}
    client.post(
        url, {"form": "bulk", "action": "priority", "priority": "P1", "reason": "outage", "ids": [a.pk]}
    )
    assert Ticket.objects.get(pk=a.pk).priority == "P1" and Ticket.objects.get(pk=b.pk).priority == "P2"
    client.post(url, {"form": "bulk", "action": "tag", "tag": "Outage 7", "ids": [a.pk, b.pk]})
    assert {t.name for t in Ticket.objects.get(pk=b.pk).tags.all()} == {"outage-7"}
    client.post(url, {"form": "bulk", "action": "assign_team", "team": desk.team.pk, "ids": [b.pk]})
    assert Ticket.objects.get(pk=b.pk).team_id == desk.team.pk


def test_bulk_is_all_or_nothing_and_names_the_ticket(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    fine, closed = open_ticket(w, "Fine"), open_ticket(w, "Closed")
    services.ticket_change_status(ticket=closed, actor=agent, status="resolved")
    services.ticket_change_status(ticket=closed, actor=agent, status="closed")
    before = (state(fine), state(closed))
    response = client_for(agent).post(
        "/desk/queues/all/?status=any",
        {"form": "bulk", "action": "status", "status": "pending", "ids": [fine.pk, closed.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{closed.number}: status: a ticket cannot go from closed to pending" in html
    assert (state(fine), state(closed)) == before
    # The ticked rows stay ticked for another try.
    assert f'value="{fine.pk}" form="bulk-form" aria-label="Tick {fine.number}" checked' in html


def test_bulk_refuses_unknown_tickets_missing_choices_and_an_assignee_outside_the_team(desk, client_for):
    w = desk.w
    ticket = open_ticket(w, "Team ticket", team=desk.team)
    before = state(ticket)
    client = client_for(w.users["agent"])
    unknown = client.post(
        "/desk/queues/all/", {"form": "bulk", "action": "assign_me", "ids": [ticket.pk, 999999]}
    )
    assert "no such ticket: 999999" in unknown.content.decode()
    nothing = client.post("/desk/queues/all/", {"form": "bulk", "action": "assign_me"})
    assert "tick at least one ticket" in nothing.content.decode()
    no_reason = client.post(
        "/desk/queues/all/", {"form": "bulk", "action": "priority", "priority": "P1", "ids": [ticket.pk]}
    )
    assert f"{ticket.number}: reason: this field cannot be blank" in no_reason.content.decode()
    outsider = client.post(
        "/desk/queues/all/",
        {"form": "bulk", "action": "assign_person", "assignee": desk.colleague.pk, "ids": [ticket.pk]},
    )
    assert "the assignee is not a member of the team" in outsider.content.decode()
    assert state(ticket) == before


def test_customers_cannot_use_bulk_actions(desk, client_for):
    ticket = open_ticket(desk.w, "Theirs", account=desk.w.account_b)
    before = state(ticket)
    response = client_for(desk.w.users["customer_b_admin"]).post(
        "/desk/queues/all/", {"form": "bulk", "action": "status", "status": "pending", "ids": [ticket.pk]}
    )
    assert response.status_code == 403 and state(ticket) == before


# --- the ticket page -----------------------------------------------------------------------------


def test_ticket_page_shows_facts_clocks_timeline_links_and_files(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    ticket = open_ticket(
        w,
        "Chiller",
        contact=w.contact_a,
        site=w.site_a,
        asset=w.asset_a,
        team=desk.team,
        assignee=agent,
        priority="P1",
        priority_override_reason="hospital",
    )
    services.ticket_reply(
        ticket=ticket,
        actor=agent,
        body="On our way",
        attachments=[NewAttachment("plan.pdf", b"%PDF-1.4 plan")],
    )
    services.ticket_note(ticket=ticket, actor=agent, body="Customer is grumpy")
    services.ticket_set_tags(ticket=ticket, actor=agent, tags=["hvac"])
    other = open_ticket(w, "Same chiller")
    services.ticket_link(ticket=other, actor=agent, other=ticket, kind="duplicate")
    services.attachment_add(
        ticket=ticket, actor=agent, items=[NewAttachment("log.txt", b"boom")], public=False
    )
    html = client_for(agent).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    for text in (
        ticket.number,
        w.account_a.name,
        "Anna Alpha",
        w.site_a.name,
        w.asset_a.serial_number,
        "High / Medium",
        "override: hospital",
        "Service desk",
        "Round the clock",
        "#hvac",
        "First response",
        "Resolution",
        "On our way",
        "plan.pdf",
        "Customer is grumpy",
        "added tag hvac",
        "has duplicate",
        other.number,
        "attached log.txt (internal)",
    ):
        assert text in html, text
    assert 'class="entry entry-note"' in html and 'class="entry entry-reply"' in html
    assert "changed the status from New to Open" in html
    # Met first response, running resolution with the instants desk.js needs.
    assert 'class="clock sla sla-met"' in html
    resolution = html.split('data-target="resolution"', 1)[1].split("</li>", 1)[0]
    assert "data-deadline=" in resolution and "data-warning-at=" in resolution
    assert 'class="sla-countdown" data-countdown>in ' in resolution
    assert "linked knowledge" not in html.lower()


def test_clocks_read_warning_and_breach_from_their_instants_without_a_sweep(desk, client_for, monkeypatch):
    w = desk.w
    ticket = open_ticket(w, "Urgent", impact="high", urgency="high")  # P1: first response 30 min
    later = timezone.now() + timedelta(minutes=25)  # past the 80 % warning instant (24 min)
    monkeypatch.setattr(timezone, "now", lambda: later)
    html = client_for(w.users["agent"]).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    first = html.split('data-target="first_response"', 1)[0].rsplit("<li", 1)[1]
    assert "sla-warning" in first
    much_later = later + timedelta(minutes=10)
    monkeypatch.setattr(timezone, "now", lambda: much_later)
    html = client_for(w.users["agent"]).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    block = html.split('data-target="first_response"', 1)[1].split("</li>", 1)[0]
    assert "overdue" in block
    assert 'sla-breached" data-sla data-state="breached" data-target="first_response"' in html


def test_paused_clock_shows_paused(desk, client_for):
    w = desk.w
    ticket = open_ticket(w, "Waiting")
    services.ticket_change_status(ticket=ticket, actor=w.users["agent"], status="pending")
    html = client_for(w.users["agent"]).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'class="clock sla sla-paused"' in html and "clock stopped" in html


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("customer_a_admin", 404),
        ("customer_a_requester", 404),
        ("technician", 404),
        ("customer_b_admin", 403),
    ],
)
def test_ticket_page_and_actions_out_of_scope_change_nothing(desk, client_for, actor, status):
    w = desk.w
    ticket = open_ticket(w, "Beta's", account=w.account_b)
    other = open_ticket(w, "Another of Beta's", account=w.account_b)
    before, other_before = state(ticket), state(other)
    client = client_for(w.users[actor])
    assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == status
    posts = {
        "reply": {"kind": "reply", "body": "hi"},
        "status": {"status": "pending"},
        "priority": {"priority": "P1", "reason": "x"},
        "assign": {"assignee": w.users["agent"].pk},
        "tags": {"tags": "x"},
        "link": {"other": other.number, "kind": "related"},
        "unlink": {"other": other.pk},
        "merge": {"into": other.number, "confirm": "yes"},
    }
    for action, data in posts.items():
        assert client.post(f"/desk/tickets/{ticket.pk}/{action}/", data).status_code == status, action
    assert state(ticket) == before and state(other) == other_before
    assert client_for(w.users["agent"]).get("/desk/tickets/999999/").status_code == 404


def test_reply_with_several_attachments_and_a_note(desk, client_for):
    w = desk.w
    ticket = open_ticket(w)
    client = client_for(w.users["agent"])
    files = [SimpleUploadedFile("photo.jpg", b"\xff\xd8jpeg"), SimpleUploadedFile("notes.txt", b"text")]
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply/", {"kind": "reply", "body": "Fixed it", "file": files}
    )
    assert response.status_code == 302 and response.url == f"/desk/tickets/{ticket.pk}/#timeline-end"
    message = TicketMessage.objects.get(ticket=ticket, body="Fixed it")
    assert message.is_public and sorted(a.filename for a in message.attachments.all()) == [
        "notes.txt",
        "photo.jpg",
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    client.post(f"/desk/tickets/{ticket.pk}/reply/", {"kind": "note", "body": "Only for us"})
    note = TicketMessage.objects.get(ticket=ticket, body="Only for us")
    assert not note.is_public
    html = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Reply sent." in html or "Internal note added." in html


def test_reply_errors_sit_next_to_their_fields_and_change_nothing(desk, client_for, settings):
    w = desk.w
    ticket = open_ticket(w)
    before = state(ticket)
    client = client_for(w.users["agent"])
    blank = client.post(f"/desk/tickets/{ticket.pk}/reply/", {"kind": "reply", "body": "  "})
    assert blank.status_code == 200 and 'id="id_body-error"' in blank.content.decode()
    blocked = client.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"kind": "reply", "body": "see file", "file": [SimpleUploadedFile("run.exe", b"MZ")]},
    )
    html = blocked.content.decode()
    assert 'id="id_file-error"' in html and "run.exe: files of type .exe are not accepted" in html
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024
    big = client.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"kind": "reply", "body": "big", "file": [SimpleUploadedFile("big.bin", b"x" * 2048)]},
    )
    assert 'id="id_file-error"' in big.content.decode()
    assert state(ticket) == before


def test_status_change_and_a_refused_transition(desk, client_for):
    w = desk.w
    ticket = open_ticket(w)
    client = client_for(w.users["agent"])
    assert client.post(f"/desk/tickets/{ticket.pk}/status/", {"status": "pending"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"
    services.ticket_change_status(ticket=ticket, actor=w.users["agent"], status="resolved")
    services.ticket_change_status(ticket=ticket, actor=w.users["agent"], status="closed")
    before = state(ticket)
    refused = client.post(f"/desk/tickets/{ticket.pk}/status/", {"status": "on_hold"})
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="status_status-error"' in html
    assert "a ticket cannot go from closed to on_hold" in html
    assert state(ticket) == before
    # The status form offers only the moves the service allows from here (reopen).
    assert '<option value="open">Open</option>' in html and '<option value="pending">' not in html


def test_priority_needs_a_reason(desk, client_for):
    w = desk.w
    ticket = open_ticket(w)
    before = state(ticket)
    client = client_for(w.users["agent"])
    refused = client.post(f"/desk/tickets/{ticket.pk}/priority/", {"priority": "P1", "reason": ""})
    assert 'id="priority_reason-error"' in refused.content.decode()
    assert state(ticket) == before
    client.post(f"/desk/tickets/{ticket.pk}/priority/", {"priority": "P1", "reason": "whole ward down"})
    ticket.refresh_from_db()
    assert ticket.priority == "P1" and ticket.priority_override_reason == "whole ward down"
    html = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "changed the priority from P2 high to P1 critical: whole ward down" in html


def test_assign_team_and_person(desk, client_for):
    w = desk.w
    ticket = open_ticket(w)
    client = client_for(w.users["agent"])
    client.post(f"/desk/tickets/{ticket.pk}/assign/", {"team": desk.team.pk, "assignee": w.users["agent"].pk})
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (desk.team.pk, w.users["agent"].pk)
    before = state(ticket)
    outsider = client.post(
        f"/desk/tickets/{ticket.pk}/assign/", {"team": desk.team.pk, "assignee": desk.colleague.pk}
    )
    html = outsider.content.decode()
    assert 'id="assign_assignee-error"' in html and "not a member of the team" in html
    customer = client.post(
        f"/desk/tickets/{ticket.pk}/assign/",
        {"team": desk.team.pk, "assignee": w.users["customer_a_admin"].pk},
    )
    assert "no such assignee" in customer.content.decode()
    assert state(ticket) == before
    html = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f"assigned to {w.users['agent'].full_name} (Service desk)" in html


def test_tags_are_replaced_normalised(desk, client_for):
    w = desk.w
    ticket = open_ticket(w)
    client_for(w.users["agent"]).post(f"/desk/tickets/{ticket.pk}/tags/", {"tags": "HVAC, Roof Unit, hvac"})
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["hvac", "roof-unit"]


def test_link_by_number_and_unlink(desk, client_for):
    w = desk.w
    ticket, other = open_ticket(w, "One"), open_ticket(w, "Two")
    client = client_for(w.users["agent"])
    response = client.post(
        f"/desk/tickets/{ticket.pk}/link/", {"other": other.number.lower(), "kind": "caused_by"}
    )
    assert response.status_code == 302
    assert TicketLink.objects.filter(from_ticket=ticket, to_ticket=other, kind="caused_by").exists()
    assert "causes" in client.get(f"/desk/tickets/{other.pk}/").content.decode()
    before = state(ticket)
    for value, error in (
        ("T-999999", "no such ticket"),
        ("banana", "enter a ticket number"),
        (ticket.number, "itself"),
    ):
        html = client.post(
            f"/desk/tickets/{ticket.pk}/link/", {"other": value, "kind": "related"}
        ).content.decode()
        assert 'id="link_other-error"' in html and error in html, value
    assert state(ticket) == before
    client.post(f"/desk/tickets/{ticket.pk}/unlink/", {"other": other.pk})
    assert not TicketLink.objects.exists()
    assert "removed the link to" in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()


def test_merge_asks_for_confirmation_first(desk, client_for):
    w = desk.w
    duplicate, survivor = open_ticket(w, "Duplicate"), open_ticket(w, "Survivor")
    client = client_for(w.users["agent"])
    before = state(duplicate)
    confirm = client.post(f"/desk/tickets/{duplicate.pk}/merge/", {"into": survivor.number})
    html = confirm.content.decode()
    assert confirm.status_code == 200 and f"Merge {duplicate.number} into {survivor.number}?" in html
    assert 'name="confirm" value="yes"' in html
    assert state(duplicate) == before
    done = client.post(f"/desk/tickets/{duplicate.pk}/merge/", {"into": survivor.number, "confirm": "yes"})
    assert done.status_code == 302 and done.url == f"/desk/tickets/{survivor.pk}/"
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk and duplicate.status == "closed"
    page = client.get(f"/desk/tickets/{survivor.pk}/").content.decode()
    assert f"merged {duplicate.number}" in page.replace("</a>", "").replace(
        f'<a href="/desk/tickets/{duplicate.pk}/">', ""
    )
    # The merged ticket offers no reply form any more.
    assert (
        f'action="/desk/tickets/{duplicate.pk}/reply/"'
        not in client.get(f"/desk/tickets/{duplicate.pk}/").content.decode()
    )


def test_merge_errors_name_the_field(desk, client_for):
    w = desk.w
    ticket = open_ticket(w, "A")
    elsewhere = open_ticket(w, "B", account=w.account_b)
    before = state(ticket)
    client = client_for(w.users["agent"])
    for value, error in (
        ("T-999999", "no such ticket"),
        (ticket.number, "cannot be merged into itself"),
        (elsewhere.number, "only tickets of the same customer account can be merged"),
    ):
        html = client.post(
            f"/desk/tickets/{ticket.pk}/merge/", {"into": value, "confirm": "yes"}
        ).content.decode()
        assert 'id="merge_into-error"' in html and error in html, value
    assert state(ticket) == before


def test_get_on_an_action_goes_back_to_the_ticket(desk, client_for):
    ticket = open_ticket(desk.w)
    response = client_for(desk.w.users["agent"]).get(f"/desk/tickets/{ticket.pk}/reply/")
    assert response.status_code == 302 and response.url == f"/desk/tickets/{ticket.pk}/"


# --- a new ticket --------------------------------------------------------------------------------


def test_new_ticket_for_a_phone_call(desk, client_for):
    w = desk.w
    client = client_for(w.users["agent"])
    assert client.get("/desk/tickets/new/").status_code == 200
    response = client.post(
        "/desk/tickets/new/",
        {
            "account": w.account_a.pk,
            "contact": w.contact_a.pk,
            "subject": "Heating failed",
            "description": "Called in",
            "type": "incident",
            "channel": "phone",
            "impact": "high",
            "urgency": "high",
            "site": w.site_a.pk,
            "asset": w.asset_a.pk,
            "team": desk.team.pk,
            "assignee": w.users["agent"].pk,
        },
    )
    ticket = Ticket.objects.get(subject="Heating failed")
    assert response.status_code == 302 and response.url == f"/desk/tickets/{ticket.pk}/"
    assert (ticket.account, ticket.contact, ticket.site, ticket.asset, ticket.priority, ticket.channel) == (
        w.account_a,
        w.contact_a,
        w.site_a,
        w.asset_a,
        "P1",
        "phone",
    )
    assert ticket.slas.count() == 2  # first response and resolution under the 24/7 policy


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contact", "contact_b"),
        ("site", "site_b"),
        ("asset", "asset_b"),
        ("account", 999999),
        ("service", 999999),
        ("team", 999999),
        ("assignee", "customer"),
    ],
)
def test_new_ticket_refuses_a_foreign_key_outside_scope_naming_the_field(desk, client_for, field, value):
    w = desk.w
    data = {
        "account": w.account_a.pk,
        "subject": "S",
        "type": "incident",
        "channel": "phone",
        "impact": "low",
        "urgency": "low",
    }
    ids = {
        "contact_b": w.contact_b.pk,
        "site_b": w.site_b.pk,
        "asset_b": w.asset_b.pk,
        "customer": w.users["customer_a_admin"].pk,
    }
    data[field] = ids.get(value, value)
    response = client_for(w.users["agent"]).post("/desk/tickets/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}-error"' in html and "no such" in html
    assert not Ticket.objects.exists()


def test_new_ticket_priority_override_needs_a_reason(desk, client_for):
    w = desk.w
    data = {"account": w.account_a.pk, "subject": "S", "type": "incident", "channel": "phone"}
    data.update(impact="low", urgency="low", priority="P1")
    client = client_for(w.users["agent"])
    html = client.post("/desk/tickets/new/", data).content.decode()
    assert 'id="id_priority_override_reason-error"' in html
    assert not Ticket.objects.exists()
    client.post("/desk/tickets/new/", {**data, "priority_override_reason": "CEO's office"})
    assert Ticket.objects.get().priority == "P1"


def test_new_ticket_helpers_autocomplete_account_fields_and_priority_preview(desk, client_for):
    w = desk.w
    client = client_for(w.users["agent"])
    found = client.get("/desk/tickets/new/accounts/?account_q=beta", **HX).content.decode()
    assert w.account_b.name in found and w.account_a.name not in found
    assert f"/desk/tickets/new/account/?account={w.account_b.pk}" in found
    fields = client.get(f"/desk/tickets/new/account/?account={w.account_b.pk}", **HX).content.decode()
    assert f'name="account" value="{w.account_b.pk}"' in fields
    assert "Bernd Beta" in fields and w.site_b.name in fields and "Anna Alpha" not in fields
    assert 'hx-swap-oob="true"' in fields
    assert client.get("/desk/tickets/new/account/?account=999999").status_code == 404
    assert (
        "P1 critical" in client.get("/desk/tickets/new/priority/?impact=high&urgency=high").content.decode()
    )
    assert "P4 low" in client.get("/desk/tickets/new/priority/?impact=low&urgency=medium").content.decode()
    assert "P" not in client.get("/desk/tickets/new/priority/?impact=huge&urgency=low").content.decode()
    # Customers and technicians get none of it.
    for actor in ("customer_a_admin", "technician"):
        assert client_for(w.users[actor]).get("/desk/tickets/new/accounts/?account_q=a").status_code == 403


# --- team routing --------------------------------------------------------------------------------


def test_team_routing_for_managers(desk, client_for):
    w = desk.w
    client = client_for(w.users["manager"])
    assert client.get(f"/desk/teams/{desk.team.pk}/routing/").status_code == 200
    response = client.post(
        f"/desk/teams/{desk.team.pk}/routing/", {"strategy": "round_robin", "match_skills": "on"}
    )
    assert response.status_code == 302 and response.url == f"/teams/{desk.team.pk}/"
    routing = TeamRouting.objects.get(team=desk.team)
    assert (routing.strategy, routing.match_skills) == ("round_robin", True)
    assert AuditEvent.objects.filter(action="team_routing.create").exists()
    bad = client.post(f"/desk/teams/{desk.team.pk}/routing/", {"strategy": "lottery"})
    assert 'id="id_strategy-error"' in bad.content.decode()
    assert (
        client_for(w.users["agent"])
        .post(f"/desk/teams/{desk.team.pk}/routing/", {"strategy": "manual"})
        .status_code
        == 403
    )
    assert TeamRouting.objects.get(team=desk.team).strategy == "round_robin"
    assert "Ticket routing" in client.get(f"/teams/{desk.team.pk}/").content.decode()


# --- navigation and home -------------------------------------------------------------------------


def test_desk_in_the_navigation_for_desk_staff_only(desk, client_for):
    w = desk.w
    for role in ("admin", "manager", "dispatcher", "agent"):
        assert 'href="/desk/"' in client_for(w.users[role]).get("/").content.decode(), role
    for actor in ("technician", "customer_a_admin"):
        assert 'href="/desk/"' not in client_for(w.users[actor]).get("/").content.decode(), actor


def test_home_shows_the_agents_queue_counts(desk, client_for):
    w = desk.w
    open_ticket(w, "Mine", assignee=w.users["agent"])
    html = client_for(w.users["agent"]).get("/").content.decode()
    assert "Your desk" in html
    mine = html.split('href="/desk/queues/mine/"', 1)[1].split("</a>", 1)[0]
    assert '<span class="num">1</span>' in mine
    assert "Your desk" not in client_for(w.users["technician"]).get("/").content.decode()


def test_a_new_team_alone_lets_the_teams_routing_choose(desk, client_for):
    w = desk.w
    agent = w.users["agent"]
    services.team_routing_set(actor=w.users["manager"], team=desk.other_team, strategy="round_robin")
    ticket = open_ticket(w, team=desk.team, assignee=agent)
    client = client_for(agent)
    # The form posts both fields; only the team changed, so the agent (not a member) makes way for
    # the other team's member chosen by round-robin.
    client.post(f"/desk/tickets/{ticket.pk}/assign/", {"team": desk.other_team.pk, "assignee": agent.pk})
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (desk.other_team.pk, desk.colleague.pk)
    before = state(ticket)
    unchanged = client.post(
        f"/desk/tickets/{ticket.pk}/assign/", {"team": desk.other_team.pk, "assignee": desk.colleague.pk}
    )
    assert unchanged.status_code == 302 and state(ticket) == before
    same_status = client.post(f"/desk/tickets/{ticket.pk}/status/", {"status": ticket.status})
    assert same_status.status_code == 302 and state(ticket) == before


def test_sidebar_and_home_count_breached_and_warning_tickets_as_swept(desk, client_for):
    from steward.desk.sweeper import sweep

    w = desk.w
    breached = open_ticket(w, "Late", impact="high", urgency="high")  # P1: first response 30 min
    open_ticket(w, "Fine", impact="low", urgency="low")  # P4: 8 h
    sweep(now=timezone.now() + timedelta(minutes=31))
    assert Ticket.objects.get(pk=breached.pk).sla_state == "breached"
    client = client_for(w.users["agent"])
    html = client.get("/desk/").content.decode()
    assert 'href="/desk/queues/all/?sla=breached&amp;order=priority" class="bad">1 open breached</a>' in html
    listed = client.get("/desk/queues/all/?sla=breached&order=priority").content.decode()
    assert "> Late</a>" in listed and "> Fine</a>" not in listed
    home = client.get("/").content.decode()
    assert '<span class="num">1</span><span>open with a breached SLA</span>' in home


def test_every_element_id_on_the_ticket_and_queue_pages_is_unique(desk, client_for):
    """Several forms share a page: labels must point at their own fields."""
    import re
    from collections import Counter

    ticket = open_ticket(desk.w)
    client = client_for(desk.w.users["agent"])
    for url in (f"/desk/tickets/{ticket.pk}/", "/desk/queues/all/", "/desk/tickets/new/"):
        ids = Counter(re.findall(r'\sid="([^"]+)"', client.get(url).content.decode()))
        assert [i for i, n in ids.items() if n > 1] == [], url
