"""Ticket operations beyond the SLA clocks: attachments, tags, links, merge, the customer's close and
reopen, replies that move the status, bulk updates and saved views (worked examples)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.core.models import AuditEvent
from steward.desk import selectors, services
from steward.desk.attachments import NewAttachment, safe_name
from steward.desk.models import Attachment, SavedView, Ticket, TicketLink
from steward.desk.tests.test_tickets import make_policy, new_ticket, sla
from steward.testing.clock import MON


@pytest.fixture
def policy(world):
    return make_policy()


def customer_ticket(world, **kwargs) -> Ticket:
    return services.ticket_create(
        actor=world.users["customer_a_requester"], account=world.account_a, subject="Heating is off", **kwargs
    )


# --- attachments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,safe",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\scan 1.png", "scan 1.png"),
        (".htaccess", "htaccess"),
        ('a<b>:"c"|d?.txt', "a_b___c__d_.txt"),
        ("name\x00with\x07controls.doc", "namewithcontrols.doc"),
        ("", "attachment"),
        ("....", "attachment"),
    ],
)
def test_safe_names(raw, safe):
    assert safe_name(raw) == safe


@given(st.text(max_size=400))
def test_safe_names_are_always_safe(raw):
    name = safe_name(raw)
    assert name and len(name) <= 150
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert all(ord(c) >= 32 for c in name)


def test_reply_with_attachments_and_their_visibility(world, policy, clock):
    agent, requester = world.users["agent"], world.users["customer_a_requester"]
    ticket = customer_ticket(world)
    services.ticket_reply(
        ticket=ticket,
        actor=requester,
        body="Photo attached",
        attachments=[NewAttachment("../boiler.JPG", b"\xff\xd8jpeg", "text/html")],
    )
    services.ticket_note(
        ticket=ticket, actor=agent, body="internal", attachments=[NewAttachment("notes.txt", b"secret")]
    )
    photo = Attachment.objects.get(filename="boiler.JPG")
    assert photo.content_type == "image/jpeg"  # from the name, never from the uploader
    assert photo.size == 6 and photo.is_public and photo.uploaded_by == requester
    assert photo.file.name.startswith("attachments/") and "boiler" not in photo.file.name
    assert list(selectors.ticket_attachments(requester, ticket)) == [photo]
    assert len(selectors.ticket_attachments(agent, ticket)) == 2
    internal = Attachment.objects.get(filename="notes.txt")
    with pytest.raises(NotFound):
        selectors.attachment_get(requester, internal.pk)
    with pytest.raises(NotFound):
        selectors.attachment_get(world.users["customer_b_admin"], photo.pk)


def test_attachment_limits_refuse_the_whole_message(world, policy, clock, settings):
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024
    agent = world.users["agent"]
    ticket = new_ticket(world)
    before = (ticket.messages.count(), Attachment.objects.count())
    cases = [
        [NewAttachment("ok.txt", b"x"), NewAttachment("big.bin", b"x" * 1025)],
        [NewAttachment("setup.exe", b"MZ")],
        [NewAttachment("empty.txt", b"")],
    ]
    for items in cases:
        with pytest.raises(ValidationFailed) as err:
            services.ticket_reply(ticket=ticket, actor=agent, body="see attached", attachments=items)
        assert "file" in err.value.fields
    assert (ticket.messages.count(), Attachment.objects.count()) == before


def test_the_download_is_a_nosniff_attachment(world, policy, client_for, clock):
    ticket = customer_ticket(world)
    services.ticket_reply(
        ticket=ticket,
        actor=world.users["customer_a_requester"],
        body="page",
        attachments=[NewAttachment("page.html.txt", b"<script>alert(1)</script>")],
    )
    attachment = Attachment.objects.get()
    response = client_for(world.users["agent"]).get(f"/desk/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"].startswith("text/plain")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert (
        client_for(world.users["customer_b_admin"]).get(f"/desk/attachments/{attachment.pk}/").status_code
        == 404
    )


# --- replies move the status ---------------------------------------------------------------------


def test_agent_reply_opens_and_customer_reply_resumes_a_pending_ticket(world, policy, clock):
    agent, requester = world.users["agent"], world.users["customer_a_requester"]
    ticket = customer_ticket(world)
    clock.advance(minutes=10)
    services.ticket_reply(ticket=ticket, actor=agent, body="Which floor?")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    services.ticket_change_status(ticket=ticket, actor=agent, status="pending")
    assert sla(ticket, "resolution").status == "paused"
    clock.advance(hours=2)
    services.ticket_reply(ticket=ticket, actor=requester, body="Third floor")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    resolution = sla(ticket, "resolution")
    assert resolution.status == "running" and resolution.paused_business_seconds == 7200


def test_customer_close_and_reopen_window(world, policy, clock, settings):
    settings.STEWARD_REOPEN_WINDOW_DAYS = 14
    agent, requester = world.users["agent"], world.users["customer_a_requester"]
    ticket = customer_ticket(world)
    with pytest.raises(Forbidden):
        services.ticket_change_status(ticket=ticket, actor=requester, status="resolved")
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    services.ticket_change_status(ticket=ticket, actor=requester, status="closed")  # accepts the resolution
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    clock.advance(days=3)
    services.ticket_change_status(ticket=ticket, actor=requester, status="open")
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.resolved_at is None
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    clock.advance(days=15)
    with pytest.raises(ValidationFailed) as err:
        services.ticket_change_status(ticket=ticket, actor=requester, status="open")
    assert "14 days" in err.value.fields["status"][0]
    # A late customer reply is refused (open a new request), and nothing changes.
    messages = ticket.messages.count()
    with pytest.raises(ValidationFailed) as err:
        services.ticket_reply(ticket=ticket, actor=requester, body="It broke again")
    assert "new request" in err.value.message
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.messages.count() == messages


def test_customer_withdraws_an_open_ticket(world, policy, clock):
    requester = world.users["customer_a_requester"]
    ticket = customer_ticket(world)
    services.ticket_change_status(ticket=ticket, actor=requester, status="closed")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.resolved_at == MON and ticket.closed_at == MON
    assert [e.data.get("reason") for e in ticket.events.filter(type="status")] == ["withdrawn", None]
    assert not ticket.surveys.exists()  # a withdrawn request is not surveyed


def test_resolving_schedules_one_survey_per_resolution(world, policy, clock, settings):
    settings.STEWARD_SURVEY_DELAY_MINUTES = 60
    agent = world.users["agent"]
    ticket = customer_ticket(world)
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    survey = ticket.surveys.get()
    assert survey.email == world.users["customer_a_requester"].email
    assert survey.due_at == MON + timedelta(hours=1) and survey.agent is None
    clock.advance(hours=1)
    services.ticket_change_status(ticket=ticket, actor=agent, status="open")
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    assert ticket.surveys.count() == 2


# --- tags and links ------------------------------------------------------------------------------


def test_tags_are_normalised_and_replaced(world, policy, clock):
    agent = world.users["agent"]
    ticket = new_ticket(world)
    assert services.ticket_set_tags(
        ticket=ticket, actor=agent, tags=["Boiler", "  No Heat ", "boiler", ""]
    ) == [
        "boiler",
        "no-heat",
    ]
    assert services.ticket_set_tags(ticket=ticket, actor=agent, tags=["vip"]) == ["vip"]
    event = ticket.events.filter(type="tags").last()
    assert event.data == {"added": ["vip"], "removed": ["boiler", "no-heat"]}
    assert list(selectors.ticket_queue(agent, tag="vip")) == [ticket]
    with pytest.raises(ValidationFailed):
        services.ticket_set_tags(ticket=ticket, actor=agent, tags="vip")
    with pytest.raises(Forbidden):
        services.ticket_set_tags(ticket=ticket, actor=world.users["customer_a_admin"], tags=["x"])


def test_links_both_ways_and_isolation(world, policy, clock):
    agent = world.users["agent"]
    a, b = new_ticket(world, subject="one"), new_ticket(world, subject="two")
    services.ticket_link(ticket=a, actor=agent, other=b, kind="caused_by")
    assert selectors.ticket_links(agent, a) == [("caused by", b)]
    assert selectors.ticket_links(agent, b) == [("causes", a)]
    with pytest.raises(ValidationFailed):
        services.ticket_link(ticket=b, actor=agent, other=a)  # already linked (either way)
    with pytest.raises(ValidationFailed):
        services.ticket_link(ticket=a, actor=agent, other=a)
    services.ticket_unlink(ticket=b, actor=agent, other=a)
    assert not TicketLink.objects.exists()


def test_merge_closes_the_duplicate_and_points_to_the_survivor(world, policy, clock):
    agent, requester = world.users["agent"], world.users["customer_a_requester"]
    original = customer_ticket(world)
    duplicate = customer_ticket(world)
    other_account = new_ticket(world, account=world.account_b)
    with pytest.raises(ValidationFailed) as err:
        services.ticket_merge(ticket=duplicate, actor=agent, into=other_account)
    assert "into" in err.value.fields
    assert services.ticket_merge(ticket=duplicate, actor=agent, into=original) == original
    duplicate.refresh_from_db()
    assert duplicate.status == "closed" and duplicate.merged_into == original
    assert TicketLink.objects.get().kind == "duplicate"
    assert original.messages.get(is_public=False).body.startswith(f"Merged {duplicate.number}")
    assert not duplicate.surveys.exists()
    with pytest.raises(ValidationFailed):
        services.ticket_reply(ticket=duplicate, actor=requester, body="hello?")
    with pytest.raises(ValidationFailed):
        services.ticket_change_status(ticket=duplicate, actor=agent, status="open")
    with pytest.raises(ValidationFailed):
        services.ticket_merge(ticket=original, actor=agent, into=duplicate)
    assert selectors.effective_ticket(duplicate) == original


# --- bulk and saved views ------------------------------------------------------------------------


def test_bulk_update_is_all_or_nothing(world, policy, clock):
    agent = world.users["agent"]
    a, b = new_ticket(world), new_ticket(world)
    hidden = new_ticket(world, account=world.account_b)
    assert (
        services.ticket_bulk_update(actor=agent, ticket_ids=[a.pk, b.pk], action="assign", assignee=agent)
        == 2
    )
    assert set(Ticket.objects.filter(assignee=agent)) == {a, b}
    services.ticket_change_status(ticket=b, actor=agent, status="resolved")
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as err:
        # a can go pending, b (resolved) cannot: neither changes
        services.ticket_bulk_update(actor=agent, ticket_ids=[a.pk, b.pk], action="status", status="pending")
    assert err.value.message.startswith(b.number)
    a.refresh_from_db()
    assert a.status == "new" and AuditEvent.objects.count() == audits
    requester = world.users["customer_a_admin"]
    with pytest.raises(Forbidden):
        services.ticket_bulk_update(actor=requester, ticket_ids=[a.pk], action="tags", add_tags=["x"])
    assert (
        services.ticket_bulk_update(actor=agent, ticket_ids=[hidden.pk], action="tags", add_tags=["x"]) == 1
    )


def test_saved_views_are_validated_and_private(world, policy, clock):
    agent = world.users["agent"]
    view = services.saved_view_create(
        actor=agent, name="P1 breaching", queue="breaching_soon", filters={"priority": "P1", "team": ""}
    )
    assert view.filters == {"priority": "P1"}
    with pytest.raises(ValidationFailed) as err:
        services.saved_view_create(actor=agent, name="bad", queue="all", filters={"priority": "P9"})
    assert "priority" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.saved_view_create(actor=agent, name="P1 breaching", queue="all")
    assert "name" in err.value.fields
    with pytest.raises(NotFound):
        services.saved_view_delete(actor=world.users["manager"], view=view)
    services.saved_view_delete(actor=agent, view=view)
    assert not SavedView.objects.exists()


def test_queue_filters_and_ticket_number_search(world, policy, clock):
    agent = world.users["agent"]
    a = new_ticket(world, subject="Chiller noise", impact="high", urgency="high")
    b = new_ticket(world, subject="Lift stuck", account=world.account_b)
    assert list(selectors.ticket_queue(agent, priority="P1")) == [a]
    assert list(selectors.ticket_queue(agent, q=b.number)) == [b]
    assert list(selectors.ticket_queue(agent, q=f"t{b.pk}")) == [b]
    assert list(selectors.ticket_queue(agent, account=world.account_b.pk)) == [b]
    assert list(selectors.ticket_queue(agent, status="open")) == [b, a]
    assert list(selectors.ticket_queue(agent, sla="running", order="oldest")) == [a, b]
    for bad in ({"priority": "P9"}, {"team": "x"}, {"status": "gone"}, {"colour": "red"}):
        with pytest.raises(ValueError) as err:
            list(selectors.ticket_queue(agent, **bad))
        assert str(err.value).startswith(next(iter(bad)))
