"""Role matrix: every API endpoint, every kind of caller.

For each endpoint and each actor we assert the status code; for every write that must be refused
we also assert that nothing changed (no audit event, object identical). The last test checks that
this table covers every operation in the OpenAPI schema, so a new endpoint cannot slip past it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from steward.core.models import AuditEvent
from steward.testing.roles import ACTORS as ROLE_ACTORS
from steward.testing.roles import CUSTOMERS, DESK, EDITORS, STAFF

ACTORS = ["anonymous", *ROLE_ACTORS]
# Apps whose endpoints have a role matrix of their own (with its own completeness test).
COVERED_ELSEWHERE = ("/api/v1/field/",)  # steward/field/tests/test_role_matrix_field.py
COVERED_ELSEWHERE += ("/api/v1/dispatch/",)  # steward/dispatch/tests/test_api_dispatch.py


@dataclass
class Case:
    name: str
    method: str
    path: str  # may contain {account_a}, {site_b}, ... filled from the world fixture
    ok: int  # status for allowed actors
    allowed: list[str]
    body: dict[str, Any] | None = None
    multipart: bool = False
    # status for actors not allowed; default: 401 anonymous, else 403 (or 404 for objects out of scope)
    denied: dict[str, int] = field(default_factory=dict)
    changes: str | None = None  # name of the world object a write would change

    def expected(self, actor: str) -> int:
        if actor == "anonymous":
            return 401
        if actor in self.allowed:
            return self.ok
        return self.denied.get(actor, 403)


def _b_hidden(**extra) -> dict[str, int]:
    """Account B's objects are invisible to account A's users: 404, never 403."""
    return {"customer_a_requester": 404, "customer_a_admin": 404, **extra}


CASES = [
    Case("me", "GET", "/api/v1/me", 200, STAFF + CUSTOMERS),
    # accounts
    Case("list accounts", "GET", "/api/v1/customers/accounts", 200, STAFF + CUSTOMERS),
    Case("create account", "POST", "/api/v1/customers/accounts", 201, EDITORS, body={"name": "Gamma Werke"}),
    Case(
        "get own account",
        "GET",
        "/api/v1/customers/accounts/{account_a}",
        200,
        [*STAFF, "customer_a_requester", "customer_a_admin"],
        denied={"customer_b_admin": 404},
    ),
    Case(
        "get other account",
        "GET",
        "/api/v1/customers/accounts/{account_b}",
        200,
        [*STAFF, "customer_b_admin"],
        denied=_b_hidden(),
    ),
    Case(
        "patch other account",
        "PATCH",
        "/api/v1/customers/accounts/{account_b}",
        200,
        EDITORS,
        body={"notes": "changed"},
        denied=_b_hidden(),
        changes="account_b",
    ),
    Case(
        "patch own account as customer",
        "PATCH",
        "/api/v1/customers/accounts/{account_a}",
        200,
        EDITORS,
        body={"notes": "changed"},
        denied={"customer_b_admin": 404},
        changes="account_a",
    ),
    # contacts
    Case("list contacts", "GET", "/api/v1/customers/contacts", 200, STAFF + CUSTOMERS),
    Case(
        "create contact",
        "POST",
        "/api/v1/customers/contacts",
        201,
        EDITORS,
        body={"account_id": "{account_b}", "full_name": "New Person"},
        denied={"customer_a_requester": 422, "customer_a_admin": 422},
    ),
    Case(
        "get other contact",
        "GET",
        "/api/v1/customers/contacts/{contact_b}",
        200,
        [*STAFF, "customer_b_admin"],
        denied=_b_hidden(),
    ),
    Case(
        "patch other contact",
        "PATCH",
        "/api/v1/customers/contacts/{contact_b}",
        200,
        EDITORS,
        body={"phone": "+49 30 1"},
        denied=_b_hidden(),
        changes="contact_b",
    ),
    # sites
    Case("list sites", "GET", "/api/v1/customers/sites", 200, STAFF + CUSTOMERS),
    Case(
        "create site",
        "POST",
        "/api/v1/customers/sites",
        201,
        EDITORS,
        body={
            "account_id": "{account_b}",
            "name": "Annex",
            "address": "Weg 1",
            "city": "Berlin",
            "latitude": "52.5",
            "longitude": "13.4",
        },
        denied={"customer_a_requester": 422, "customer_a_admin": 422},
    ),
    Case(
        "get other site",
        "GET",
        "/api/v1/customers/sites/{site_b}",
        200,
        [*STAFF, "customer_b_admin"],
        denied=_b_hidden(),
    ),
    Case(
        "patch other site",
        "PATCH",
        "/api/v1/customers/sites/{site_b}",
        200,
        EDITORS,
        body={"access_notes": "key at desk"},
        denied=_b_hidden(),
        changes="site_b",
    ),
    # assets
    Case("list assets", "GET", "/api/v1/customers/assets", 200, STAFF + CUSTOMERS),
    Case(
        "create asset",
        "POST",
        "/api/v1/customers/assets",
        201,
        EDITORS,
        body={"account_id": "{account_b}", "site_id": "{site_b}", "model": "Chiller", "serial_number": "X-1"},
        denied={"customer_a_requester": 422, "customer_a_admin": 422},
    ),
    Case(
        "get other asset",
        "GET",
        "/api/v1/customers/assets/{asset_b}",
        200,
        [*STAFF, "customer_b_admin"],
        denied=_b_hidden(),
    ),
    Case(
        "patch other asset",
        "PATCH",
        "/api/v1/customers/assets/{asset_b}",
        200,
        EDITORS,
        body={"status": "in_repair"},
        denied=_b_hidden(),
        changes="asset_b",
    ),
    Case(
        "import csv",
        "POST",
        "/api/v1/customers/import/{kind}",
        200,
        EDITORS,
        body={"kind": "accounts", "file": "name,tier\nDelta AG,gold\n"},
        multipart=True,
    ),
    # calendars
    Case("list calendars", "GET", "/api/v1/calendars", 200, STAFF),
    Case(
        "create calendar",
        "POST",
        "/api/v1/calendars",
        201,
        ["admin", "manager"],
        body={"name": "Night shift", "spec": {"timezone": "UTC", "always": True, "hours": {}}},
    ),
    Case(
        "get calendar",
        "GET",
        "/api/v1/calendars/{calendar}",
        200,
        STAFF,
        denied=dict.fromkeys(CUSTOMERS, 404),
    ),
    Case(
        "patch calendar",
        "PATCH",
        "/api/v1/calendars/{calendar}",
        200,
        ["admin", "manager"],
        body={"description": "x"},
        denied=dict.fromkeys(CUSTOMERS, 404),
        changes="calendar",
    ),
    Case(
        "import holidays",
        "POST",
        "/api/v1/calendars/{calendar}/holidays",
        200,
        ["admin", "manager"],
        body={
            "file": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261231\r\nSUMMARY:Silvester\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        },
        multipart=True,
        denied=dict.fromkeys(CUSTOMERS, 404),
        changes="calendar",
    ),
    Case(
        "business time",
        "GET",
        "/api/v1/calendars/{calendar}/business-time?start=2026-11-23T08:00:00%2B01:00&end=2026-11-23T10:00:00%2B01:00",
        200,
        STAFF,
        denied=dict.fromkeys(CUSTOMERS, 404),
    ),
    # teams
    Case("list teams", "GET", "/api/v1/teams", 200, STAFF),
    Case("create team", "POST", "/api/v1/teams", 201, ["admin"], body={"name": "Night desk"}),
    Case("get team", "GET", "/api/v1/teams/{team}", 200, STAFF, denied=dict.fromkeys(CUSTOMERS, 404)),
    Case(
        "patch team",
        "PATCH",
        "/api/v1/teams/{team}",
        200,
        ["admin"],
        body={"description": "x"},
        denied=dict.fromkeys(CUSTOMERS, 404),
        changes="team",
    ),
    # users
    Case("list users", "GET", "/api/v1/users", 200, ["admin"]),
    Case(
        "create user",
        "POST",
        "/api/v1/users",
        201,
        ["admin"],
        body={"email": "new.agent@steward.test", "full_name": "New Agent", "roles": ["agent"]},
    ),
    Case(
        "get user",
        "GET",
        "/api/v1/users/{staff_user}",
        200,
        ["admin"],
        denied={a: 404 for a in ACTORS if a not in ("anonymous", "admin")},
    ),
    Case(
        "patch user",
        "PATCH",
        "/api/v1/users/{staff_user}",
        200,
        ["admin"],
        body={"phone": "+49 1"},
        denied={a: 404 for a in ACTORS if a not in ("anonymous", "admin")},
        changes="staff_user",
    ),
    # tokens: each user's own
    Case("list tokens", "GET", "/api/v1/tokens", 200, STAFF + CUSTOMERS),
    Case("create token", "POST", "/api/v1/tokens", 201, STAFF + CUSTOMERS, body={"name": "script"}),
    Case(
        "revoke someone else's token",
        "POST",
        "/api/v1/tokens/{foreign_token}/revoke",
        200,
        [],
        denied=dict.fromkeys(ACTORS, 404),
        changes="foreign_token",
    ),
    # catalog: services (customers see active portal-visible ones), SLA policies (staff only),
    # contracts (a customer admin sees their account's), policy match (staff only)
    Case("list services", "GET", "/api/v1/catalog/services", 200, STAFF + CUSTOMERS),
    Case(
        "create service",
        "POST",
        "/api/v1/catalog/services",
        201,
        ["admin", "manager"],
        body={"name": "Roof inspection", "code": "roof-inspection", "category": "Building"},
    ),
    Case("get portal service", "GET", "/api/v1/catalog/services/{service}", 200, STAFF + CUSTOMERS),
    Case(
        "get hidden service",
        "GET",
        "/api/v1/catalog/services/{hidden_service}",
        200,
        STAFF,
        denied=dict.fromkeys(CUSTOMERS, 404),
    ),
    Case(
        "patch hidden service",
        "PATCH",
        "/api/v1/catalog/services/{hidden_service}",
        200,
        ["admin", "manager"],
        body={"description": "changed"},
        denied=dict.fromkeys(CUSTOMERS, 404),
        changes="hidden_service",
    ),
    Case("list sla policies", "GET", "/api/v1/catalog/sla-policies", 200, STAFF),
    Case(
        "create sla policy",
        "POST",
        "/api/v1/catalog/sla-policies",
        201,
        ["admin", "manager"],
        body={"name": "Night", "order": 77, "targets": [{"priority": "P1", "resolution_minutes": 60}]},
    ),
    Case(
        "get sla policy",
        "GET",
        "/api/v1/catalog/sla-policies/{policy}",
        200,
        STAFF,
        denied=dict.fromkeys(CUSTOMERS, 404),
    ),
    Case(
        "patch sla policy",
        "PATCH",
        "/api/v1/catalog/sla-policies/{policy}",
        200,
        ["admin", "manager"],
        body={"warning_percent": 50, "targets": [{"priority": "P2", "resolution_minutes": 480}]},
        denied=dict.fromkeys(CUSTOMERS, 404),
        changes="policy",
    ),
    Case(
        "policy match",
        "GET",
        "/api/v1/catalog/policy-match?account_id={account_b}&service_id={service}&ticket_type=incident&priority=P1",
        200,
        STAFF,
    ),
    Case("list contracts", "GET", "/api/v1/catalog/contracts", 200, STAFF + CUSTOMERS),
    Case(
        "create contract",
        "POST",
        "/api/v1/catalog/contracts",
        201,
        ["admin", "manager"],
        body={
            "account_id": "{account_b}",
            "policy_id": "{policy}",
            "reference": "SC-NEW",
            "valid_from": "2026-01-01",
        },
    ),
    Case(
        "get own contract",
        "GET",
        "/api/v1/catalog/contracts/{contract_a}",
        200,
        [*STAFF, "customer_a_admin"],
        denied={"customer_a_requester": 404, "customer_b_admin": 404},
    ),
    Case(
        "get other contract",
        "GET",
        "/api/v1/catalog/contracts/{contract_b}",
        200,
        [*STAFF, "customer_b_admin"],
        denied=_b_hidden(),
    ),
    Case(
        "patch other contract",
        "PATCH",
        "/api/v1/catalog/contracts/{contract_b}",
        200,
        ["admin", "manager"],
        body={"notes": "renewal due"},
        denied=_b_hidden(),
        changes="contract_b",
    ),
    # quality: survey responses (read-only). Desk staff see all, a customer admin their account's;
    # requesters and technicians none (403 for the lists, 404 for one response).
    Case(
        "list survey responses",
        "GET",
        "/api/v1/quality/survey-responses",
        200,
        [*DESK, "customer_a_admin", "customer_b_admin"],
    ),
    Case(
        "survey summary",
        "GET",
        "/api/v1/quality/survey-responses/summary?csat=4",
        200,
        [*DESK, "customer_a_admin", "customer_b_admin"],
    ),
    Case(
        "get other survey response",
        "GET",
        "/api/v1/quality/survey-responses/{response_b}",
        200,
        [*DESK, "customer_b_admin"],
        denied=_b_hidden(technician=404),
    ),
]


def _b_ticket(**extra) -> dict[str, int]:
    """Account B's tickets: invisible to account A's users and to technicians (404)."""
    return _b_hidden(technician=404, **extra)


def _b_ticket_staff_only() -> dict[str, int]:
    """A desk action on B's ticket: its own customer admin sees the ticket but may not act (403)."""
    return _b_ticket(customer_b_admin=403)


# The service desk (/api/v1/desk/): desk staff work every ticket; a customer user sees, replies on,
# closes and reopens the tickets in their scope; anything else is 403 on a collection, 404 on an
# object out of scope. Tickets come from the `matrix_world` fixture (made through the services).
DESK_CASES = [
    Case("list tickets", "GET", "/api/v1/desk/tickets", 200, STAFF + CUSTOMERS),
    Case(
        "create ticket",
        "POST",
        "/api/v1/desk/tickets",
        201,
        [*DESK, "customer_b_admin"],
        body={"account_id": "{account_b}", "subject": "Lift stuck on floor 3", "impact": "high"},
        denied={"customer_a_requester": 422, "customer_a_admin": 422},
    ),
    Case(
        "create own ticket without an account",
        "POST",
        "/api/v1/desk/tickets",
        201,
        CUSTOMERS,
        body={"subject": "Heating is cold"},
        denied=dict.fromkeys(DESK, 422),
    ),
    Case(
        "bulk update tickets",
        "POST",
        "/api/v1/desk/tickets/bulk",
        200,
        DESK,
        body={"ticket_ids": ["{ticket_b}"], "action": "priority", "priority": "P1", "reason": "outage"},
        changes="ticket_b",
    ),
    Case(
        "get other ticket",
        "GET",
        "/api/v1/desk/tickets/{ticket_b}",
        200,
        [*DESK, "customer_b_admin"],
        denied=_b_ticket(),
    ),
    Case(
        "get own ticket",
        "GET",
        "/api/v1/desk/tickets/{ticket_a}",
        200,
        [*DESK, "customer_a_requester", "customer_a_admin"],
        denied={"customer_b_admin": 404, "technician": 404},
    ),
    Case(
        "ticket timeline",
        "GET",
        "/api/v1/desk/tickets/{ticket_b}/timeline",
        200,
        [*DESK, "customer_b_admin"],
        denied=_b_ticket(),
    ),
    Case(
        "ticket messages",
        "GET",
        "/api/v1/desk/tickets/{ticket_b}/messages",
        200,
        [*DESK, "customer_b_admin"],
        denied=_b_ticket(),
    ),
    Case(
        "reply on other ticket",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/replies",
        201,
        [*DESK, "customer_b_admin"],
        body={"body": "Any news?"},
        denied=_b_ticket(),
        changes="ticket_b",
    ),
    Case(
        "reply on own ticket",
        "POST",
        "/api/v1/desk/tickets/{ticket_a}/replies",
        201,
        [*DESK, "customer_a_requester", "customer_a_admin"],
        body={"body": "Still broken"},
        denied={"customer_b_admin": 404, "technician": 404},
        changes="ticket_a",
    ),
    Case(
        "internal note",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/notes",
        201,
        DESK,
        body={"body": "Spare part ordered"},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "assign ticket",
        "PATCH",
        "/api/v1/desk/tickets/{ticket_b}/assignment",
        200,
        DESK,
        body={"assignee_id": "{staff_user}"},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "resolve ticket",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/status",
        200,
        DESK,
        body={"status": "resolved"},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "close ticket as customer",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/status",
        200,
        ["customer_b_admin"],
        body={"status": "closed"},
        denied=_b_ticket(**dict.fromkeys(DESK, 422)),
        changes="ticket_b",
    ),
    Case(
        "change priority",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/priority",
        200,
        DESK,
        body={"priority": "P1", "reason": "production down"},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "set tags",
        "PUT",
        "/api/v1/desk/tickets/{ticket_b}/tags",
        200,
        DESK,
        body={"tags": ["lift", "Safety Issue"]},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "link tickets",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/links",
        201,
        DESK,
        body={"ticket_id": "{ticket_b3}", "kind": "caused_by"},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "unlink tickets",
        "DELETE",
        "/api/v1/desk/tickets/{ticket_b}/links/{ticket_b2}",
        204,
        DESK,
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "merge ticket",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/merge",
        200,
        DESK,
        body={"into_id": "{ticket_b2}"},
        denied=_b_ticket_staff_only(),
        changes="ticket_b",
    ),
    Case(
        "list ticket files",
        "GET",
        "/api/v1/desk/tickets/{ticket_b}/attachments",
        200,
        [*DESK, "customer_b_admin"],
        denied=_b_ticket(),
    ),
    Case(
        "upload ticket file",
        "POST",
        "/api/v1/desk/tickets/{ticket_b}/attachments",
        201,
        [*DESK, "customer_b_admin"],
        body={"file": "meter reading 4711\n"},
        multipart=True,
        denied=_b_ticket(),
        changes="ticket_b",
    ),
    Case(
        "download ticket file",
        "GET",
        "/api/v1/desk/attachments/{attachment_b}/download",
        200,
        [*DESK, "customer_b_admin"],
        denied=_b_ticket(),
    ),
    Case("list saved views", "GET", "/api/v1/desk/saved-views", 200, STAFF + CUSTOMERS),
    Case(
        "create saved view",
        "POST",
        "/api/v1/desk/saved-views",
        201,
        DESK,
        body={"name": "Urgent", "queue": "unassigned", "filters": {"priority": "P1"}},
    ),
    Case(
        "delete someone else's saved view",
        "DELETE",
        "/api/v1/desk/saved-views/{foreign_view}",
        204,
        [],
        denied=dict.fromkeys(ACTORS, 404),
        changes="foreign_view",
    ),
]
CASES += DESK_CASES

# Analytics (/api/v1/kpis/, /pareto/, /goals): staff and customer admins read KPIs (a customer admin
# only their account's rows, and not the internal utilisation and cost: 404); goals are staff's,
# written by managers and admins; a customer gets 404 for a goal.
_KPI_READERS = [*STAFF, "customer_a_admin", "customer_b_admin"]
_CUSTOMERS_404 = dict.fromkeys(CUSTOMERS, 404)
ANALYTICS_CASES = [
    Case("list kpis", "GET", "/api/v1/kpis/", 200, _KPI_READERS),
    Case(
        "kpi series",
        "GET",
        "/api/v1/kpis/{kpi_csat}?from=2026-01-05&to=2026-03-01&by=service",
        200,
        _KPI_READERS,
    ),
    Case(
        "internal kpi series",
        "GET",
        "/api/v1/kpis/{kpi_utilisation}",
        200,
        STAFF,
        denied={"customer_a_admin": 404, "customer_b_admin": 404},
    ),
    Case("kpi rows", "GET", "/api/v1/kpis/{kpi_fcr}/rows", 200, _KPI_READERS),
    Case("kpi control chart", "GET", "/api/v1/kpis/{kpi_csat}/control-chart", 200, _KPI_READERS),
    Case("pareto", "GET", "/api/v1/pareto/{pareto_tags}", 200, _KPI_READERS),
    Case("list goals", "GET", "/api/v1/goals", 200, STAFF),
    Case(
        "create goal",
        "POST",
        "/api/v1/goals",
        201,
        ["admin", "manager"],
        body={"name": "CSAT 90", "kpi": "csat", "target": 90, "period": "quarter"},
    ),
    Case("get goal", "GET", "/api/v1/goals/{goal}", 200, STAFF, denied=_CUSTOMERS_404),
    Case("goal status", "GET", "/api/v1/goals/{goal}/status", 200, STAFF, denied=_CUSTOMERS_404),
    Case(
        "patch goal",
        "PATCH",
        "/api/v1/goals/{goal}",
        200,
        ["admin", "manager"],
        body={"target": 95},
        denied=_CUSTOMERS_404,
        changes="goal",
    ),
    Case(
        "delete goal",
        "DELETE",
        "/api/v1/goals/{goal}",
        204,
        ["admin", "manager"],
        denied=_CUSTOMERS_404,  # refused: the row count check shows nothing was deleted
    ),
]
CASES += ANALYTICS_CASES


@pytest.fixture
def matrix_world(world):
    from steward.accounts.services import token_create
    from steward.testing import factories as f

    calendar = f.CalendarFactory()
    team = f.TeamFactory()
    owner = f.staff_user("agent", email="token-owner@steward.test")
    foreign_token, _ = token_create(actor=owner, name="owner's")
    staff_user = f.staff_user("agent", email="matrix-target@steward.test")
    policy = f.SlaPolicyFactory(name="Matrix policy", order=5)
    f.SlaTargetFactory(policy=policy)
    catalog_objects = {
        "service": f.ServiceFactory(),
        "hidden_service": f.ServiceFactory(portal_visible=False),
        "policy": policy,
        "contract_a": f.ContractFactory(account=world.account_a, policy=policy),
        "contract_b": f.ContractFactory(account=world.account_b, policy=policy),
    }
    objects = {
        **catalog_objects,
        "account_a": world.account_a,
        "account_b": world.account_b,
        "site_b": world.site_b,
        "asset_b": world.asset_b,
        "contact_b": world.contact_b,
        "calendar": calendar,
        "team": team,
        "staff_user": staff_user,
        "foreign_token": foreign_token,
        **_desk_objects(world, owner),
    }
    objects["response_b"] = f.SurveyResponseFactory(survey__ticket__account=world.account_b)
    objects["goal"] = _analytics_goal()
    objects.update(_analytics_names())
    return world, objects


def _analytics_names() -> dict:
    """KPI and analysis names stand in the paths like ids (`_fill` puts in their `pk`)."""
    from types import SimpleNamespace

    names = {"kpi_csat": "csat", "kpi_utilisation": "utilisation", "kpi_fcr": "first_contact_resolution"}
    return {k: SimpleNamespace(pk=v) for k, v in {**names, "pareto_tags": "ticket_categories"}.items()}


def _analytics_goal():
    from steward.analytics.models import ServiceGoal

    return ServiceGoal.objects.create(name="First-time fix 85", kpi="first_time_fix", target=85)


def _desk_objects(world, owner) -> dict:
    """Tickets of A and B made through the services (so they have timelines and SLA clocks: the
    matrix policy above governs P2), a link, a file, and a saved view of another agent's."""
    from steward.desk import services
    from steward.desk.attachments import NewAttachment

    agent = world.users["agent"]

    def ticket(actor, account, subject, **kwargs):
        return services.ticket_create(
            actor=actor, account=account, subject=subject, impact="high", urgency="medium", **kwargs
        )

    ticket_a = ticket(world.users["customer_a_requester"], world.account_a, "Door sensor faulty")
    ticket_b = ticket(agent, world.account_b, "Chiller alarm", contact=world.contact_b)
    ticket_b2 = ticket(agent, world.account_b, "Chiller alarm again", contact=world.contact_b)
    ticket_b3 = ticket(agent, world.account_b, "Power dip", contact=world.contact_b)
    services.ticket_reply(ticket=ticket_b, actor=agent, body="We are looking into it.")
    services.ticket_note(ticket=ticket_b, actor=agent, body="Probably the compressor.")
    services.ticket_link(ticket=ticket_b, actor=agent, other=ticket_b2)
    (attachment_b,) = services.attachment_add(
        ticket=ticket_b, actor=agent, items=[NewAttachment("log.txt", b"alarm 17\n")]
    )
    foreign_view = services.saved_view_create(actor=owner, name="Owner's P1", filters={"priority": "P1"})
    return {
        "ticket_a": ticket_a,
        "ticket_b": ticket_b,
        "ticket_b2": ticket_b2,
        "ticket_b3": ticket_b3,
        "attachment_b": attachment_b,
        "foreign_view": foreign_view,
    }


def _fill(value: Any, objects: dict) -> Any:
    if isinstance(value, str):
        ids = {k: v.pk for k, v in objects.items()}
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        for k, v in ids.items():
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    return value


def _state(obj) -> dict:
    """The object's fields and how many rows hang off it (a ticket's messages, events, links...)."""
    obj.refresh_from_db()
    children = {
        rel.get_accessor_name(): getattr(obj, rel.get_accessor_name()).count()
        for rel in obj._meta.related_objects
        if rel.one_to_many
    }
    return {**model_to_dict(obj), "children": children}


def _row_counts() -> dict[str, int]:
    """Rows in every table of ours: a refused request adds or removes none."""
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("steward.")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("actor", ACTORS)
def test_role_matrix(case: Case, actor: str, matrix_world, client_for):
    world, objects = matrix_world
    client = client_for(None if actor == "anonymous" else world.users[actor])
    path = _fill(case.path, objects).replace("{kind}", (case.body or {}).get("kind", ""))
    expected = case.expected(actor)
    watched = objects.get(case.changes) if case.changes else None
    before = _state(watched) if watched is not None else None
    audit_before = AuditEvent.objects.count()
    rows_before = _row_counts()

    if case.multipart:
        body = dict(case.body or {})
        body.pop("kind", None)
        upload = SimpleUploadedFile("upload.txt", body.pop("file").encode())
        response = client.post(path, {"file": upload, **body})
    elif case.method in ("POST", "PATCH", "PUT", "DELETE"):
        response = client.generic(
            case.method, path, json.dumps(_fill(case.body or {}, objects)), content_type="application/json"
        )
    else:
        response = client.generic(case.method, path)

    assert response.status_code == expected, (actor, case.name, response.content[:300])
    if expected >= 400:
        payload = response.json()
        assert set(payload["error"]) == {"code", "message", "fields"}, payload
        assert AuditEvent.objects.count() == audit_before, "a refused request wrote an audit event"
        assert _row_counts() == rows_before, "a refused request added or removed rows"
        if watched is not None:
            assert _state(watched) == before, "a refused request changed the object"
    elif case.method != "GET" and watched is not None:
        assert _state(watched) != before or case.name.startswith("revoke")


@pytest.mark.django_db
def test_matrix_covers_every_operation(client_for, world):
    schema = client_for(world.users["admin"]).get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    }

    def norm(p: str) -> str:
        import re

        p = p.split("?")[0]
        return re.sub(r"\{[^}]+\}", "{}", p)

    covered = {(c.method, norm(c.path)) for c in CASES}
    # Apps whose matrix lives beside their own fixtures (same statuses-and-nothing-changed checks).
    from steward.planning.tests.test_api import CASES as PLANNING_CASES

    covered |= {(method, norm(path)) for _name, method, path, *_ in PLANNING_CASES}
    missing = {
        (m, p) for m, p in operations if (m, norm(p)) not in covered and not p.startswith(COVERED_ELSEWHERE)
    }
    assert not missing, f"endpoints missing from the role matrix: {sorted(missing)}"
