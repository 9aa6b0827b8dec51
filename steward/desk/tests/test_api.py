"""The service desk over HTTP (/api/v1/desk/): worked examples of each endpoint, the SLA moving
with replies and priority changes, filters and orders, all-or-nothing bulk actions, upload limits,
customer isolation, and a query-count baseline for the queue."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from steward.accounts.services import token_create
from steward.core.models import AuditEvent
from steward.desk import services
from steward.desk.attachments import NewAttachment
from steward.desk.models import Attachment, SavedView, Ticket, TicketEvent, TicketMessage
from steward.testing import factories as f
from steward.testing.clock import MON

pytestmark = pytest.mark.django_db

BASE = "/api/v1/desk"


@pytest.fixture
def policy(world):
    """A 24/7 fallback policy: P1 30/60/180 minutes, P2 60/120/480, P3 240/480/1440."""
    policy = f.SlaPolicyFactory(name="Standard")
    for priority, first, nxt, resolution in (
        ("P1", 30, 60, 180),
        ("P2", 60, 120, 480),
        ("P3", 240, 480, 1440),
    ):
        f.SlaTargetFactory(
            policy=policy,
            priority=priority,
            first_response_minutes=first,
            next_response_minutes=nxt,
            resolution_minutes=resolution,
        )
    return policy


def call(client: Client, method: str, path: str, body=None, **headers):
    return client.generic(
        method,
        path,
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        **headers,
    )


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, name='script')[1]}"}


def new_ticket(world, actor=None, **kwargs) -> Ticket:
    kwargs.setdefault("impact", "high")
    kwargs.setdefault("urgency", "medium")  # P2
    return services.ticket_create(
        actor=actor or world.users["agent"],
        account=kwargs.pop("account", world.account_a),
        subject=kwargs.pop("subject", "The chiller is down"),
        **kwargs,
    )


def slas(detail: dict) -> dict[str, dict]:
    return {row["target"]: row for row in detail["slas"]}


def iso(moment: datetime) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment


def error_fields(response) -> dict:
    assert set(response.json()["error"]) == {"code", "message", "fields"}, response.content
    return response.json()["error"]["fields"]


# --- create, reply, SLA --------------------------------------------------------------------------


def test_a_program_opens_a_ticket_and_a_reply_meets_the_first_response(world, policy, clock, client_for):
    program = Client()
    auth = bearer(world.users["agent"])
    created = call(
        program,
        "POST",
        f"{BASE}/tickets",
        {"account_id": world.account_a.pk, "subject": "Chiller down", "impact": "high"},
        **auth,
    )
    assert created.status_code == 201, created.content
    ticket = created.json()
    assert ticket["channel"] == "api" and ticket["priority"] == "P2" and ticket["status"] == "new"
    assert ticket["number"] == f"T-{ticket['id']:06d}" and ticket["sla_policy_name"] == "Standard"
    clocks = slas(ticket)
    assert set(clocks) == {"first_response", "resolution"}
    assert iso(clocks["first_response"]["deadline"]) == MON + timedelta(minutes=60)
    assert iso(clocks["first_response"]["warning_at"]) == MON + timedelta(minutes=48)
    assert iso(clocks["resolution"]["deadline"]) == MON + timedelta(minutes=480)
    assert clocks["first_response"]["status"] == "running"

    clock.advance(minutes=20)
    reply = call(program, "POST", f"{BASE}/tickets/{ticket['id']}/replies", {"body": "On our way."}, **auth)
    assert reply.status_code == 201, reply.content
    message = reply.json()
    assert message["is_public"] and not message["from_customer"] and message["via"] == "api"
    assert message["author_name"] == world.users["agent"].full_name

    detail = program.get(f"{BASE}/tickets/{ticket['id']}", **auth).json()
    first = slas(detail)["first_response"]
    assert first["status"] == "met" and iso(first["met_at"]) == clock.now
    assert first["elapsed_business_seconds"] == 1200 and first["breached_at"] is None
    assert slas(detail)["resolution"]["status"] == "running"
    assert detail["status"] == "open"  # answered: work has started
    assert detail["counts"] == {"messages": 1, "attachments": 0, "events": 3}

    # A session caller's ticket keeps the service's default channel.
    by_phone = call(
        client_for(world.users["agent"]),
        "POST",
        f"{BASE}/tickets",
        {"account_id": world.account_a.pk, "subject": "Phoned in"},
    )
    assert by_phone.json()["channel"] == "phone" and by_phone.json()["priority"] == "P3"


def test_customer_reply_opens_next_response_and_agent_answer_meets_it(world, policy, clock, client_for):
    customer, agent = client_for(world.users["customer_a_requester"]), client_for(world.users["agent"])
    created = call(customer, "POST", f"{BASE}/tickets", {"subject": "No heating", "impact": "high"})
    assert created.status_code == 201, created.content
    tid = created.json()["id"]
    assert created.json()["channel"] == "portal" and created.json()["account_id"] == world.account_a.pk
    clock.advance(minutes=5)
    call(agent, "POST", f"{BASE}/tickets/{tid}/replies", {"body": "Which floor?"})
    clock.advance(minutes=10)
    asked = call(customer, "POST", f"{BASE}/tickets/{tid}/replies", {"body": "Third floor"})
    assert asked.status_code == 201 and asked.json()["from_customer"]
    nxt = slas(customer.get(f"{BASE}/tickets/{tid}").json())["next_response"]
    assert nxt["status"] == "running" and iso(nxt["deadline"]) == clock.now + timedelta(minutes=120)
    clock.advance(minutes=7)
    call(agent, "POST", f"{BASE}/tickets/{tid}/replies", {"body": "Technician booked"})
    nxt = slas(customer.get(f"{BASE}/tickets/{tid}").json())["next_response"]
    assert nxt["status"] == "met" and iso(nxt["met_at"]) == clock.now
    # A customer's message is always public.
    note = call(customer, "POST", f"{BASE}/tickets/{tid}/replies", {"body": "psst", "public": False})
    assert note.status_code == 422 and "public" in error_fields(note)


def test_priority_change_moves_the_deadline_and_needs_a_reason(world, policy, clock, client_for):
    agent = client_for(world.users["agent"])
    ticket = new_ticket(world)  # P2: first response 60, resolution 480
    clock.advance(minutes=40)
    path = f"{BASE}/tickets/{ticket.pk}/priority"
    for body, field in (({"priority": "P1"}, "reason"), ({"priority": "P1", "reason": "   "}, "reason")):
        refused = call(agent, "POST", path, body)
        assert refused.status_code == 422 and field in error_fields(refused)
    assert call(agent, "POST", path, {"priority": "P0", "reason": "x"}).status_code == 422
    ticket.refresh_from_db()
    assert ticket.priority == "P2"

    changed = call(agent, "POST", path, {"priority": "P1", "reason": "whole ward without cooling"})
    assert changed.status_code == 200, changed.content
    detail = changed.json()
    assert detail["priority"] == "P1" and detail["priority_override_reason"] == "whole ward without cooling"
    clocks = slas(detail)
    # The 40 minutes already spent are kept: P1 resolution is 180, so the deadline is now
    # created + 180; first response (P1: 30) was already exceeded, so it is breached at the change.
    assert iso(clocks["resolution"]["deadline"]) == MON + timedelta(minutes=180)
    assert clocks["first_response"]["status"] == "breached"
    assert iso(clocks["first_response"]["breached_at"]) == clock.now
    events = agent.get(f"{BASE}/tickets/{ticket.pk}/timeline").json()["items"]
    assert [e["data"] for e in events if e["type"] == "priority"] == [
        {"priority": "P1", "from": "P2", "reason": "whole ward without cooling"}
    ]
    # Customers do not read the desk's reasons.
    customer = client_for(world.users["customer_a_admin"]).get(f"{BASE}/tickets/{ticket.pk}").json()
    assert customer["priority"] == "P1" and customer["priority_override_reason"] == ""


def test_create_resolves_every_id_in_the_callers_scope(world, policy, client_for):
    agent, requester = client_for(world.users["agent"]), client_for(world.users["customer_a_requester"])
    team = f.TeamFactory()
    outsider = f.staff_user("agent")
    service = f.ServiceFactory(team=team)
    base = {"account_id": world.account_a.pk, "subject": "x"}
    cases = [
        (agent, {**base, "site_id": world.site_b.pk}, "site_id"),  # another account's site
        (agent, {**base, "asset_id": world.asset_b.pk}, "asset_id"),
        (agent, {**base, "contact_id": world.contact_b.pk}, "contact_id"),
        (agent, {**base, "assignee_id": world.users["customer_a_admin"].pk}, "assignee_id"),
        (agent, {**base, "team_id": team.pk, "assignee_id": outsider.pk}, "assignee_id"),  # not a member
        (agent, {**base, "service_id": 999_999}, "service_id"),
        (agent, {**base, "priority": "P1"}, "priority_override_reason"),
        (agent, {"subject": "x"}, "account_id"),
        (requester, {"subject": "x", "account_id": world.account_b.pk}, "account_id"),
        (requester, {"subject": "x", "contact_id": world.contact_b.pk}, "contact_id"),
        (requester, {"subject": "x", "team_id": team.pk}, "team_id"),
        (requester, {"subject": "x", "priority": "P1", "priority_override_reason": "me"}, "priority"),
        (requester, {"subject": "x", "channel": "phone"}, "channel"),
        (requester, {"subject": "   "}, "subject"),
    ]
    before = (Ticket.objects.count(), AuditEvent.objects.count())
    for client, body, field in cases:
        response = call(client, "POST", f"{BASE}/tickets", body)
        assert response.status_code == 422, (body, response.content)
        assert field in error_fields(response), (body, response.json())
        assert response.json()["error"]["message"].startswith(field)
    assert (Ticket.objects.count(), AuditEvent.objects.count()) == before

    ok = call(
        agent,
        "POST",
        f"{BASE}/tickets",
        {
            **base,
            "asset_id": world.asset_a.pk,
            "contact_id": world.contact_a.pk,
            "team_id": team.pk,
            "type": "service_request",
            "priority": "P1",
            "priority_override_reason": "hospital",
            "service_id": service.pk,
        },
    )
    assert ok.status_code == 201, ok.content
    body = ok.json()
    # The asset's site comes with it.
    assert (body["site_id"], body["asset_id"], body["team_id"]) == (
        world.site_a.pk,
        world.asset_a.pk,
        team.pk,
    )
    assert body["priority"] == "P1" and body["type"] == "service_request"


# --- lists ---------------------------------------------------------------------------------------


def test_queue_filters_orders_and_pages(world, policy, clock, client_for):
    agent_user = world.users["agent"]
    agent = client_for(agent_user)
    team = f.TeamFactory()
    team.members.add(agent_user)
    slow = new_ticket(world, impact="medium", urgency="medium", subject="slow printer")  # P3
    clock.advance(minutes=1)
    down = new_ticket(world, impact="high", urgency="high", subject="server down", team=team)  # P1
    clock.advance(minutes=1)
    broken = new_ticket(world, subject="broken door", assignee=agent_user)  # P2
    clock.advance(minutes=1)
    other = new_ticket(world, account=world.account_b, subject="beta", channel="email")  # P2
    clock.advance(minutes=1)
    done = new_ticket(world, impact="low", urgency="high", subject="done already")  # P3
    services.ticket_change_status(ticket=done, actor=agent_user, status="resolved")
    services.ticket_set_tags(ticket=down, actor=agent_user, tags=["Outage"])

    def ids(query: str) -> list[int]:
        response = agent.get(f"{BASE}/tickets?{query}")
        assert response.status_code == 200, (query, response.content)
        return [t["id"] for t in response.json()["items"]]

    assert ids("") == [done.pk, other.pk, broken.pk, down.pk, slow.pk]  # newest first
    assert ids("order=oldest") == [slow.pk, down.pk, broken.pk, other.pk, done.pk]
    assert ids("queue=breaching_soon") == [down.pk, broken.pk, other.pk, slow.pk]  # nearest deadline
    assert ids("order=priority&status=open") == [down.pk, broken.pk, other.pk, slow.pk]
    assert ids("queue=mine") == [broken.pk]
    assert ids("queue=my_teams") == [down.pk]
    assert ids("queue=unassigned&order=oldest") == [slow.pk, down.pk, other.pk]
    assert ids("status=done") == [done.pk]
    assert ids("status=resolved") == [done.pk]
    assert ids("priority=P2&order=oldest") == [broken.pk, other.pk]
    assert ids(f"account={world.account_b.pk}") == [other.pk]
    assert ids("channel=email") == [other.pk]
    assert ids(f"team={team.pk}") == [down.pk]
    assert ids("team=none&status=open&order=oldest") == [slow.pk, broken.pk, other.pk]
    assert ids(f"assignee={agent_user.pk}") == [broken.pk]
    assert ids("tag=outage") == [down.pk]
    assert ids("q=PRINTER") == [slow.pk]
    assert ids(f"q={down.number}") == [down.pk]
    assert ids("sla=met") == [done.pk]
    assert ids("sla=running&type=incident&order=oldest") == [slow.pk, down.pk, broken.pk, other.pk]

    page = agent.get(f"{BASE}/tickets?order=oldest&limit=2&offset=2").json()
    assert page["count"] == 5 and page["limit"] == 2 and page["offset"] == 2
    assert [t["id"] for t in page["items"]] == [broken.pk, other.pk]
    row = next(t for t in agent.get(f"{BASE}/tickets?tag=outage").json()["items"])
    assert row["tags"] == ["outage"] and row["team_name"] == team.name and row["priority"] == "P1"
    assert iso(row["sla_next_deadline"]) == MON + timedelta(minutes=1, seconds=30 * 60)
    assert row["sla_state"] == "running" and row["account_name"] == world.account_a.name


@pytest.mark.parametrize(
    "query,field",
    [
        ("priority=P9", "priority"),
        ("status=sleeping", "status"),
        ("queue=everything", "queue"),
        ("order=random", "order"),
        ("team=abc", "team"),
        ("assignee=-3", "assignee"),
        ("sla=late", "sla"),
        ("type=rant", "type"),
        ("channel=fax", "channel"),
        ("q=a%00b", "q"),
        ("limit=0", "limit"),
        ("view_id=999999", "view_id"),
    ],
)
def test_a_bad_filter_value_is_a_422_naming_it(query, field, world, client_for):
    response = client_for(world.users["agent"]).get(f"{BASE}/tickets?{query}")
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert response.json()["error"]["message"].startswith(field)


def test_customers_see_their_scope_and_not_the_desks_internals(world, policy, client_for):
    agent = world.users["agent"]
    own = new_ticket(world, actor=world.users["customer_a_requester"], subject="mine")
    phoned = new_ticket(world, subject="phoned in for A")
    beta = new_ticket(world, account=world.account_b, subject="beta")
    services.ticket_set_tags(ticket=own, actor=agent, tags=["grumpy"])
    services.ticket_link(ticket=own, actor=agent, other=phoned)
    services.ticket_reply(ticket=own, actor=agent, body="Hello")
    services.ticket_note(ticket=own, actor=agent, body="Customer is grumpy")
    services.attachment_add(
        ticket=own, actor=agent, items=[NewAttachment("internal.txt", b"secret")], public=False
    )
    services.attachment_add(ticket=own, actor=agent, items=[NewAttachment("manual.pdf", b"%PDF-1.4")])

    def listed(user) -> set[int]:
        return {t["id"] for t in client_for(user).get(f"{BASE}/tickets").json()["items"]}

    assert listed(world.users["customer_a_requester"]) == {own.pk}
    assert listed(world.users["customer_a_admin"]) == {own.pk, phoned.pk}
    assert listed(world.users["customer_b_admin"]) == {beta.pk}
    assert listed(world.users["technician"]) == set()
    assert listed(agent) == {own.pk, phoned.pk, beta.pk}
    # Filtering by another account reveals nothing either.
    customer = client_for(world.users["customer_a_admin"])
    assert customer.get(f"{BASE}/tickets?account={world.account_b.pk}").json()["count"] == 0

    detail = customer.get(f"{BASE}/tickets/{own.pk}").json()
    assert detail["tags"] == [] and detail["links"] == []
    assert detail["counts"] == {"messages": 1, "attachments": 1, "events": 4}
    messages = customer.get(f"{BASE}/tickets/{own.pk}/messages").json()["items"]
    assert [m["body"] for m in messages] == ["Hello"]
    files = customer.get(f"{BASE}/tickets/{own.pk}/attachments").json()["items"]
    assert [a["filename"] for a in files] == ["manual.pdf"]
    events = customer.get(f"{BASE}/tickets/{own.pk}/timeline").json()["items"]
    assert [e["type"] for e in events] == ["created", "agent_reply", "status", "attachment"]
    assert events[-1]["data"]["names"] == ["manual.pdf"]

    staff = client_for(agent).get(f"{BASE}/tickets/{own.pk}").json()
    assert staff["tags"] == ["grumpy"]
    assert staff["links"] == [
        {
            "relation": "related to",
            "ticket_id": phoned.pk,
            "number": phoned.number,
            "subject": "phoned in for A",
            "status": "new",
        }
    ]
    assert staff["counts"]["messages"] == 2 and staff["counts"]["attachments"] == 2
    staff_events = client_for(agent).get(f"{BASE}/tickets/{own.pk}/timeline?limit=3&offset=2").json()
    assert staff_events["count"] == 8 and [e["type"] for e in staff_events["items"]] == [
        "link",
        "agent_reply",
        "status",
    ]
    for other_user in ("customer_b_admin", "technician"):
        assert client_for(world.users[other_user]).get(f"{BASE}/tickets/{own.pk}").status_code == 404


# --- status: customers close and reopen ----------------------------------------------------------


def test_customer_closes_and_reopens_within_the_window_only(world, policy, clock, client_for, settings):
    settings.STEWARD_REOPEN_WINDOW_DAYS = 2
    requester = client_for(world.users["customer_a_requester"])
    agent = client_for(world.users["agent"])
    withdrawn = new_ticket(world, actor=world.users["customer_a_requester"], subject="never mind")
    closed = call(requester, "POST", f"{BASE}/tickets/{withdrawn.pk}/status", {"status": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    ticket = new_ticket(world, actor=world.users["customer_a_requester"])
    before = (TicketEvent.objects.count(), AuditEvent.objects.count())
    refused = call(requester, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "pending"})
    assert refused.status_code == 403
    assert (TicketEvent.objects.count(), AuditEvent.objects.count()) == before
    assert (
        call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "resolved"}).status_code == 200
    )
    clock.advance(days=1)
    reopened = call(requester, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "open"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert reopened.json()["resolved_at"] is None
    call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "resolved"})
    clock.advance(days=3)
    late = call(requester, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "open"})
    assert late.status_code == 422 and "status" in error_fields(late)
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    # Staff moves follow the allowed transitions.
    bad = call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "pending"})
    assert bad.status_code == 422 and "status" in error_fields(bad)
    assert call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/status", {"status": "paused"}).status_code == 422


# --- notes, assignment, tags, links, merge -------------------------------------------------------


def test_note_and_internal_reply_are_staff_only_and_leave_the_sla(world, policy, clock, client_for):
    agent = client_for(world.users["agent"])
    ticket = new_ticket(world)
    clock.advance(minutes=10)
    note = call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/notes", {"body": "Check the fuse"})
    assert note.status_code == 201 and note.json()["is_public"] is False
    internal = call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/replies", {"body": "FYI", "public": False})
    assert internal.status_code == 201 and internal.json()["is_public"] is False
    detail = agent.get(f"{BASE}/tickets/{ticket.pk}").json()
    assert slas(detail)["first_response"]["status"] == "running" and detail["status"] == "new"
    blank = call(agent, "POST", f"{BASE}/tickets/{ticket.pk}/notes", {"body": "  "})
    assert blank.status_code == 422 and "body" in error_fields(blank)


def test_assignment_changes_only_the_fields_present(world, policy, client_for):
    agent_user = world.users["agent"]
    agent = client_for(world.users["dispatcher"])
    team, other_team = f.TeamFactory(), f.TeamFactory()
    team.members.add(agent_user)
    ticket = new_ticket(world)
    path = f"{BASE}/tickets/{ticket.pk}/assignment"

    both = call(agent, "PATCH", path, {"team_id": team.pk, "assignee_id": agent_user.pk})
    assert both.status_code == 200, both.content
    assert (both.json()["team_id"], both.json()["assignee_id"]) == (team.pk, agent_user.pk)
    assert both.json()["assignee_name"] == agent_user.full_name

    events = TicketEvent.objects.count()
    unchanged = call(agent, "PATCH", path, {})
    assert (unchanged.json()["team_id"], unchanged.json()["assignee_id"]) == (team.pk, agent_user.pk)
    assert TicketEvent.objects.count() == events

    cleared = call(agent, "PATCH", path, {"assignee_id": None})
    assert (cleared.json()["team_id"], cleared.json()["assignee_id"]) == (team.pk, None)
    again = call(agent, "PATCH", path, {"assignee_id": agent_user.pk})
    assert (again.json()["team_id"], again.json()["assignee_id"]) == (team.pk, agent_user.pk)

    # The assignee must be in the (kept) team; nothing changes when refused.
    refused = call(agent, "PATCH", path, {"team_id": other_team.pk, "assignee_id": agent_user.pk})
    assert refused.status_code == 422 and "assignee_id" in error_fields(refused)
    assert refused.json()["error"]["message"].startswith("assignee_id: ")
    for body, field in (({"team_id": 999_999}, "team_id"), ({"assignee_id": 999_999}, "assignee_id")):
        missing = call(agent, "PATCH", path, body)
        assert missing.status_code == 422 and field in error_fields(missing)
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (team.pk, agent_user.pk)

    no_team = call(agent, "PATCH", path, {"team_id": None})
    assert no_team.json()["team_id"] is None and no_team.json()["assignee_id"] == agent_user.pk


def test_tags_are_replaced_as_a_set(world, policy, client_for):
    agent = client_for(world.users["agent"])
    ticket = new_ticket(world)
    path = f"{BASE}/tickets/{ticket.pk}/tags"
    first = call(agent, "PUT", path, {"tags": ["Lift", "safety issue", "lift"]})
    assert first.status_code == 200 and first.json() == {"tags": ["lift", "safety-issue"]}
    second = call(agent, "PUT", path, {"tags": ["vip"]})
    assert second.json() == {"tags": ["vip"]}
    assert agent.get(f"{BASE}/tickets/{ticket.pk}").json()["tags"] == ["vip"]
    assert call(agent, "PUT", path, {"tags": "vip"}).status_code == 422
    too_many = call(agent, "PUT", path, {"tags": [f"t{i}" for i in range(21)]})
    assert too_many.status_code == 422 and "tags" in error_fields(too_many)
    assert call(agent, "PUT", path, {"tags": []}).json() == {"tags": []}


def test_link_unlink_and_merge(world, policy, client_for):
    agent = client_for(world.users["agent"])
    first, dup, other = new_ticket(world), new_ticket(world, subject="dup"), new_ticket(world, subject="o")
    beta = new_ticket(world, account=world.account_b)
    linked = call(
        agent, "POST", f"{BASE}/tickets/{first.pk}/links", {"ticket_id": other.pk, "kind": "caused_by"}
    )
    assert linked.status_code == 201, linked.content
    assert linked.json()["relation"] == "caused by" and linked.json()["ticket_id"] == other.pk
    seen_from_other = agent.get(f"{BASE}/tickets/{other.pk}").json()["links"]
    assert [(link["relation"], link["ticket_id"]) for link in seen_from_other] == [("causes", first.pk)]
    for body, field in (
        ({"ticket_id": other.pk}, "ticket_id"),  # already linked
        ({"ticket_id": first.pk}, "ticket_id"),  # itself
        ({"ticket_id": 999_999}, "ticket_id"),
    ):
        refused = call(agent, "POST", f"{BASE}/tickets/{first.pk}/links", body)
        assert refused.status_code == 422 and field in error_fields(refused), body
    assert call(agent, "DELETE", f"{BASE}/tickets/{other.pk}/links/{first.pk}").status_code == 204
    assert agent.get(f"{BASE}/tickets/{first.pk}").json()["links"] == []
    again = call(agent, "DELETE", f"{BASE}/tickets/{other.pk}/links/{first.pk}")
    assert again.status_code == 422 and "ticket_id" in error_fields(again)
    assert call(agent, "DELETE", f"{BASE}/tickets/{other.pk}/links/999999").status_code == 404

    cross = call(agent, "POST", f"{BASE}/tickets/{dup.pk}/merge", {"into_id": beta.pk})
    assert cross.status_code == 422 and "into_id" in error_fields(cross)
    merged = call(agent, "POST", f"{BASE}/tickets/{dup.pk}/merge", {"into_id": first.pk})
    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == first.pk
    assert [(link["relation"], link["ticket_id"]) for link in merged.json()["links"]] == [
        ("has duplicate", dup.pk)
    ]
    duplicate = agent.get(f"{BASE}/tickets/{dup.pk}").json()
    assert duplicate["status"] == "closed" and duplicate["merged_into_id"] == first.pk
    notes = agent.get(f"{BASE}/tickets/{first.pk}/messages").json()["items"]
    assert notes[-1]["is_public"] is False and dup.number in notes[-1]["body"]
    late = call(agent, "POST", f"{BASE}/tickets/{dup.pk}/replies", {"body": "hello?"})
    assert late.status_code == 422 and "ticket" in error_fields(late)


# --- bulk ----------------------------------------------------------------------------------------


def test_bulk_actions_are_all_or_nothing(world, policy, client_for):
    agent_user = world.users["agent"]
    agent = client_for(agent_user)
    one, two = new_ticket(world), new_ticket(world)
    done = new_ticket(world)
    services.ticket_change_status(ticket=done, actor=agent_user, status="resolved")
    services.ticket_change_status(ticket=done, actor=agent_user, status="closed")
    path = f"{BASE}/tickets/bulk"
    before = (TicketEvent.objects.count(), AuditEvent.objects.count())

    # closed -> pending is not allowed: the whole batch is refused, naming the ticket and field.
    refused = call(
        agent,
        "POST",
        path,
        {"ticket_ids": [one.pk, two.pk, done.pk], "action": "status", "status": "pending"},
    )
    assert refused.status_code == 422, refused.content
    assert "status" in error_fields(refused) and refused.json()["error"]["message"].startswith(done.number)
    missing = call(
        agent, "POST", path, {"ticket_ids": [one.pk, 999_999], "action": "status", "status": "pending"}
    )
    assert missing.status_code == 422 and "ticket_ids" in error_fields(missing)
    unknown = call(agent, "POST", path, {"ticket_ids": [one.pk], "action": "explode"})
    assert unknown.status_code == 422 and "action" in error_fields(unknown)
    no_reason = call(
        agent, "POST", path, {"ticket_ids": [one.pk, two.pk], "action": "priority", "priority": "P1"}
    )
    assert no_reason.status_code == 422 and "reason" in error_fields(no_reason)
    assert (TicketEvent.objects.count(), AuditEvent.objects.count()) == before
    assert set(Ticket.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True)) == {"new"}

    ok = call(agent, "POST", path, {"ticket_ids": [one.pk, two.pk], "action": "status", "status": "pending"})
    assert ok.status_code == 200 and ok.json() == {"updated": 2}
    assert set(Ticket.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True)) == {"pending"}
    assigned = call(
        agent,
        "POST",
        path,
        {"ticket_ids": [one.pk, two.pk], "action": "assign", "assignee_id": agent_user.pk},
    )
    assert assigned.json() == {"updated": 2}
    assert set(Ticket.objects.filter(pk__in=[one.pk, two.pk]).values_list("assignee_id", flat=True)) == {
        agent_user.pk
    }
    tagged = call(agent, "POST", path, {"ticket_ids": [one.pk], "action": "tags", "add_tags": ["Storm"]})
    assert tagged.json() == {"updated": 1}
    assert list(one.tags.values_list("name", flat=True)) == ["storm"]
    raised = call(
        agent,
        "POST",
        path,
        {"ticket_ids": [one.pk, two.pk], "action": "priority", "priority": "P1", "reason": "storm"},
    )
    assert raised.json() == {"updated": 2}
    assert set(Ticket.objects.filter(pk__in=[one.pk, two.pk]).values_list("priority", flat=True)) == {"P1"}
    assert (
        call(
            client_for(world.users["customer_a_admin"]),
            "POST",
            path,
            {"ticket_ids": [one.pk], "action": "tags"},
        ).status_code
        == 403
    )


# --- attachments ---------------------------------------------------------------------------------


def _upload(client, ticket, *files, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    return client.post(f"{BASE}/tickets/{ticket.pk}/attachments", {"file": uploads, **extra})


def test_upload_limits_and_downloads(world, policy, client_for, settings):
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 2048
    agent = client_for(world.users["agent"])
    ticket = new_ticket(world, actor=world.users["customer_a_requester"])
    before = Attachment.objects.count()
    for files, message in (
        ([("big.log", b"x" * 3000)], "larger than the limit"),
        ([("tool.exe", b"MZ")], "not accepted"),
        ([("empty.txt", b"")], "empty"),
        ([("fine.txt", b"ok"), ("setup.bat", b"echo")], "not accepted"),  # all or nothing
    ):
        refused = _upload(agent, ticket, *files)
        assert refused.status_code == 422, refused.content
        assert "file" in error_fields(refused) and message in refused.json()["error"]["message"]
    assert Attachment.objects.count() == before
    missing = agent.post(f"{BASE}/tickets/{ticket.pk}/attachments", {})
    assert missing.status_code == 422 and "file" in error_fields(missing)

    stored = _upload(agent, ticket, ("../../etc/report 1.txt", b"line\n"), ("plan.pdf", b"%PDF-1.4"))
    assert stored.status_code == 201, stored.content
    first, second = stored.json()
    assert first["filename"] == "report 1.txt" and first["content_type"] == "text/plain"
    assert first["size"] == 5 and first["is_public"] and second["content_type"] == "application/pdf"
    assert first["url"] == f"http://testserver/desk/attachments/{first['id']}/"
    assert first["api_url"] == f"http://testserver/api/v1/desk/attachments/{first['id']}/download"

    internal = _upload(agent, ticket, ("notes.txt", b"internal"), public="false")
    assert internal.status_code == 201 and internal.json()[0]["is_public"] is False

    # A program downloads with its token; the file is never rendered inline.
    program = Client()
    download = program.get(
        f"/api/v1/desk/attachments/{first['id']}/download", **bearer(world.users["customer_a_requester"])
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"line\n"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    customer_files = (
        client_for(world.users["customer_a_requester"]).get(f"{BASE}/tickets/{ticket.pk}/attachments").json()
    )
    assert [a["filename"] for a in customer_files["items"]] == ["report 1.txt", "plan.pdf"]
    hidden = internal.json()[0]["id"]
    assert (
        program.get(
            f"/api/v1/desk/attachments/{hidden}/download", **bearer(world.users["customer_a_admin"])
        ).status_code
        == 404
    )
    # A customer's own upload is always public.
    theirs = _upload(
        client_for(world.users["customer_a_requester"]), ticket, ("photo.jpg", b"\xff\xd8"), public="false"
    )
    assert theirs.status_code == 201 and theirs.json()[0]["is_public"] is True


# --- saved views ---------------------------------------------------------------------------------


def test_saved_views_are_personal_and_drive_the_list(world, policy, client_for):
    agent_user = world.users["agent"]
    agent, dispatcher = client_for(agent_user), client_for(world.users["dispatcher"])
    p1 = new_ticket(world, impact="high", urgency="high", subject="p1")
    new_ticket(world, subject="p2")
    mine = new_ticket(world, impact="high", urgency="high", subject="p1 mine", assignee=agent_user)

    created = call(
        agent,
        "POST",
        f"{BASE}/saved-views",
        {"name": "Urgent", "queue": "unassigned", "order": "oldest", "filters": {"priority": "P1"}},
    )
    assert created.status_code == 201, created.content
    view = created.json()
    assert view["filters"] == {"priority": "P1", "order": "oldest"} and view["queue"] == "unassigned"
    listed = agent.get(f"{BASE}/tickets?view_id={view['id']}").json()["items"]
    assert [t["id"] for t in listed] == [p1.pk]
    # Parameters given override the view's.
    overridden = agent.get(f"{BASE}/tickets?view_id={view['id']}&queue=all").json()["items"]
    assert [t["id"] for t in overridden] == [p1.pk, mine.pk]

    for body, field in (
        ({"name": "Bad", "filters": {"priority": "P7"}}, "filters.priority"),
        ({"name": "Bad", "filters": {"colour": "red"}}, "filters.colour"),
        ({"name": "Bad", "queue": "elsewhere"}, "queue"),
        ({"name": "Bad", "order": "sideways"}, "order"),
        ({"name": "Urgent"}, "name"),
    ):
        refused = call(agent, "POST", f"{BASE}/saved-views", body)
        assert refused.status_code == 422 and field in error_fields(refused), (body, refused.content)

    assert agent.get(f"{BASE}/saved-views").json()["count"] == 1
    assert dispatcher.get(f"{BASE}/saved-views").json()["count"] == 0
    assert dispatcher.get(f"{BASE}/tickets?view_id={view['id']}").status_code == 422
    assert call(dispatcher, "DELETE", f"{BASE}/saved-views/{view['id']}").status_code == 404
    assert SavedView.objects.filter(pk=view["id"]).exists()
    assert call(agent, "DELETE", f"{BASE}/saved-views/{view['id']}").status_code == 204
    assert not SavedView.objects.filter(pk=view["id"]).exists()


# --- query counts --------------------------------------------------------------------------------


def _grow(world, n: int) -> Ticket:
    agent = world.users["agent"]
    team = f.TeamFactory()
    team.members.add(agent)
    service = f.ServiceFactory()
    ticket = None
    for i in range(n):
        ticket = new_ticket(world, subject=f"grown {i}", team=team, assignee=agent, service=service)
        services.ticket_set_tags(ticket=ticket, actor=agent, tags=["grown", f"batch-{i % 3}"])
    return ticket


@pytest.mark.parametrize("url", ["/tickets?limit=100", "/tickets?queue=breaching_soon&limit=100"])
def test_ticket_list_queries_do_not_grow_with_rows(url, world, policy, client_for):
    client = client_for(world.users["agent"])
    _grow(world, 5)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(BASE + url)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    _grow(world, 20)
    large = queries()
    assert client.get(BASE + url).json()["count"] == 25
    assert large == small, f"{url}: {small} queries for 5 tickets, {large} for 25"
    assert small <= 8, f"{url} takes {small} queries"


def test_message_list_queries_do_not_grow_with_rows(world, policy, client_for):
    agent = world.users["agent"]
    client = client_for(agent)
    ticket = new_ticket(world)

    def add(n: int) -> int:
        for i in range(n):
            services.ticket_reply(
                ticket=ticket, actor=agent, body=f"reply {i}", attachments=[NewAttachment(f"f{i}.txt", b"x")]
            )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{BASE}/tickets/{ticket.pk}/messages?limit=100").status_code == 200
        return len(ctx.captured_queries)

    assert add(3) == add(12)
    assert TicketMessage.objects.filter(ticket=ticket).count() == 15


# --- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_describes_every_desk_operation(client_for):
    schema = client_for(None).get("/api/v1/openapi.json").json()
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/desk/")
        for method, op in item.items()
    ]
    assert len(operations) == 21
    for path, method, op in operations:
        assert op.get("summary") and op.get("description"), (method, path)
        assert op["tags"] == ["desk"]
    components = schema["components"]["schemas"]
    assert "description" in components["TicketIn"]["properties"]["channel"]
    assert "description" in components["SlaOut"]["properties"]["elapsed_business_seconds"]
    assert "description" in components["AttachmentOut"]["properties"]["url"]
