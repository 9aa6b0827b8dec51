"""Role matrix of the field API (/api/v1/field/): every endpoint, every kind of caller, in the
pattern of steward/tests/test_role_matrix.py. A technician sees only their own jobs; customers
see their account's work orders (a requester: those of their own tickets), read-only; another
account's object is 404 and nothing changes. The last test checks that every field operation
in the OpenAPI schema is in the table."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from steward.core.models import AuditEvent
from steward.field import services
from steward.field.tests.helpers import JPEG, png, technician
from steward.testing import factories as f
from steward.testing.roles import CUSTOMERS, DESK, EDITORS, STAFF
from steward.tests.test_role_matrix import ACTORS, Case, _fill, _row_counts, _state

FIELD = ["admin", "manager", "dispatcher"]  # manage technicians' time and plans; plan jobs
A_USERS = {"customer_a_requester": 404, "customer_a_admin": 404}
B_ADMIN_404 = {"customer_b_admin": 404}


def _hidden_from_a_and_tech(**extra):
    return {**A_USERS, "technician": 404, **extra}


SIGNATURE = base64.b64encode(png()).decode()

CASES = [
    # technicians
    Case("list technicians", "GET", "/api/v1/field/technicians", 200, STAFF),
    Case(
        "get other technician",
        "GET",
        "/api/v1/field/technicians/{tech_other}",
        200,
        DESK,
        denied={"technician": 404},
    ),
    Case(
        "technician availability",
        "GET",
        "/api/v1/field/technicians/{tech_other}/availability?day=2026-03-10",
        200,
        DESK,
        denied={"technician": 404},
    ),
    # shifts
    Case("list shifts", "GET", "/api/v1/field/shifts", 200, STAFF),
    Case(
        "create shift",
        "POST",
        "/api/v1/field/shifts",
        201,
        FIELD,
        body={"technician_id": "{tech_other}", "weekday": 5, "start": "08:00", "end": "12:00"},
    ),
    Case(
        "get other shift",
        "GET",
        "/api/v1/field/shifts/{shift_other}",
        200,
        FIELD,
        denied={"agent": 404, "technician": 404, **A_USERS, **B_ADMIN_404},
    ),
    Case(
        "patch other shift",
        "PATCH",
        "/api/v1/field/shifts/{shift_other}",
        200,
        FIELD,
        body={"end": "17:00"},
        denied={"agent": 404, "technician": 404, **A_USERS, **B_ADMIN_404},
        changes="shift_other",
    ),
    Case(
        "patch own shift as technician",
        "PATCH",
        "/api/v1/field/shifts/{shift_own}",
        200,
        FIELD,
        body={"end": "17:00"},
        denied={"agent": 404, **A_USERS, **B_ADMIN_404},
        changes="shift_own",
    ),
    Case(
        "delete other shift",
        "DELETE",
        "/api/v1/field/shifts/{shift_other}",
        204,
        FIELD,
        denied={"agent": 404, "technician": 404, **A_USERS, **B_ADMIN_404},
    ),
    # absences
    Case("list absences", "GET", "/api/v1/field/absences", 200, STAFF),
    Case(
        "create absence",
        "POST",
        "/api/v1/field/absences",
        201,
        FIELD,
        body={
            "technician_id": "{tech_other}",
            "kind": "training",
            "starts_at": "2026-03-12T08:00:00Z",
            "ends_at": "2026-03-12T16:00:00Z",
        },
    ),
    Case(
        "get other absence",
        "GET",
        "/api/v1/field/absences/{absence_other}",
        200,
        FIELD,
        denied={"agent": 404, "technician": 404, **A_USERS, **B_ADMIN_404},
    ),
    Case(
        "patch other absence",
        "PATCH",
        "/api/v1/field/absences/{absence_other}",
        200,
        FIELD,
        body={"note": "dentist"},
        denied={"agent": 404, "technician": 404, **A_USERS, **B_ADMIN_404},
        changes="absence_other",
    ),
    Case(
        "delete other absence",
        "DELETE",
        "/api/v1/field/absences/{absence_other}",
        204,
        FIELD,
        denied={"agent": 404, "technician": 404, **A_USERS, **B_ADMIN_404},
    ),
    # work orders
    Case("list work orders", "GET", "/api/v1/field/work-orders", 200, STAFF + CUSTOMERS),
    Case(
        "create work order",
        "POST",
        "/api/v1/field/work-orders",
        201,
        EDITORS,
        body={"account_id": "{account_b}", "site_id": "{site_b}", "title": "Check the chiller"},
    ),
    Case(
        "create work order from ticket",
        "POST",
        "/api/v1/field/work-orders",
        201,
        EDITORS,
        body={"ticket_id": "{ticket_b}"},
    ),
    Case(
        "get other account's work order",
        "GET",
        "/api/v1/field/work-orders/{wo_b}",
        200,
        [*DESK, "customer_b_admin"],
        denied=_hidden_from_a_and_tech(),
    ),
    Case(
        "get own job",
        "GET",
        "/api/v1/field/work-orders/{wo_a}",
        200,
        [*DESK, "technician", "customer_a_requester", "customer_a_admin"],
        denied=B_ADMIN_404,
    ),
    Case(
        "patch work order",
        "PATCH",
        "/api/v1/field/work-orders/{wo_b}",
        200,
        EDITORS,
        body={"description": "bring a ladder"},
        denied=_hidden_from_a_and_tech(),
        changes="wo_b",
    ),
    Case(
        "work order events",
        "GET",
        "/api/v1/field/work-orders/{wo_b}/events",
        200,
        [*DESK, "customer_b_admin"],
        denied=_hidden_from_a_and_tech(),
    ),
    Case(
        "schedule",
        "POST",
        "/api/v1/field/work-orders/{wo_b}/schedule",
        200,
        FIELD,
        body={"technician_id": "{tech_other}", "start": "2026-03-10T09:00:00Z"},
        denied=_hidden_from_a_and_tech(),
        changes="wo_b",
    ),
    Case(
        "unschedule",
        "POST",
        "/api/v1/field/work-orders/{wo_b}/unschedule",
        200,
        FIELD,
        denied=_hidden_from_a_and_tech(),
        changes="wo_b",
    ),
    Case(
        "dispatch",
        "POST",
        "/api/v1/field/work-orders/{wo_b}/dispatch",
        200,
        FIELD,
        denied=_hidden_from_a_and_tech(),
        changes="wo_b",
    ),
    Case(
        "en route (own job; customers read only)",
        "POST",
        "/api/v1/field/work-orders/{wo_a}/en-route",
        200,
        [*FIELD, "technician"],
        body={"lat": 52.5, "lon": 13.4},
        denied=B_ADMIN_404,
        changes="wo_a",
    ),
    Case(
        "on site",
        "POST",
        "/api/v1/field/work-orders/{wo_a_en}/on-site",
        200,
        [*FIELD, "technician"],
        denied={"customer_a_requester": 404, **B_ADMIN_404},
        changes="wo_a_en",
    ),
    Case(
        "complete",
        "POST",
        "/api/v1/field/work-orders/{wo_a_on}/complete",
        200,
        [*FIELD, "technician"],
        body={"notes": "Replaced the belt", "signature_png_base64": SIGNATURE, "signed_by": "Anna Alpha"},
        denied={"customer_a_requester": 404, **B_ADMIN_404},
        changes="wo_a_on",
    ),
    Case(
        "incomplete",
        "POST",
        "/api/v1/field/work-orders/{wo_a_on}/incomplete",
        200,
        [*FIELD, "technician"],
        body={"reason": "Part missing"},
        denied={"customer_a_requester": 404, **B_ADMIN_404},
        changes="wo_a_on",
    ),
    Case(
        "cancel",
        "POST",
        "/api/v1/field/work-orders/{wo_b}/cancel",
        200,
        DESK,
        body={"reason": "Customer fixed it"},
        denied=_hidden_from_a_and_tech(),
        changes="wo_b",
    ),
    Case(
        "list photos",
        "GET",
        "/api/v1/field/work-orders/{wo_b}/photos",
        200,
        [*DESK, "customer_b_admin"],
        denied=_hidden_from_a_and_tech(),
    ),
    Case(
        "add photo",
        "POST",
        "/api/v1/field/work-orders/{wo_a_on}/photos",
        201,
        [*EDITORS, "technician"],
        multipart=True,
        denied={"customer_a_requester": 404, **B_ADMIN_404},
    ),
    Case(
        "download photo",
        "GET",
        "/api/v1/field/work-orders/{wo_a_on}/photos/{photo_a}/file",
        200,
        [*DESK, "technician", "customer_a_admin"],
        denied={"customer_a_requester": 404, **B_ADMIN_404},
    ),
    # maintenance plans
    Case("list maintenance plans", "GET", "/api/v1/field/maintenance-plans", 200, STAFF + CUSTOMERS),
    Case(
        "create maintenance plan",
        "POST",
        "/api/v1/field/maintenance-plans",
        201,
        FIELD,
        body={
            "account_id": "{account_b}",
            "site_id": "{site_b}",
            "title": "Quarterly chiller service",
            "interval_count": 3,
            "interval_unit": "months",
            "first_due": "2026-04-01",
        },
    ),
    Case(
        "get other plan",
        "GET",
        "/api/v1/field/maintenance-plans/{plan_b}",
        200,
        [*DESK, "customer_b_admin"],
        denied=_hidden_from_a_and_tech(),
    ),
    Case(
        "patch other plan",
        "PATCH",
        "/api/v1/field/maintenance-plans/{plan_b}",
        200,
        FIELD,
        body={"horizon_days": 60},
        denied=_hidden_from_a_and_tech(),
        changes="plan_b",
    ),
]


@pytest.fixture
def field_world(world):
    tech_own = technician(world.users["technician"], skills=())
    tech_other = technician(skills=())
    dispatcher = world.users["dispatcher"]
    start = timezone.now() + timedelta(hours=2)

    def wo(account, site, **kw):
        return services.work_order_create(actor=dispatcher, account=account, site=site, title="Visit", **kw)

    def schedule(w, tech, *statuses):
        services.work_order_schedule(actor=dispatcher, work_order=w, technician=tech, start=start)
        for status in statuses:
            services.work_order_transition(actor=dispatcher, work_order=w, to_status=status)
        w.refresh_from_db()
        return w

    ticket_a = f.TicketFactory(account=world.account_a, requester=world.users["customer_a_requester"])
    ticket_b = f.TicketFactory(account=world.account_b, site=world.site_b)
    wo_a = schedule(wo(world.account_a, world.site_a, ticket=ticket_a), tech_own, "dispatched")
    wo_a_en = schedule(wo(world.account_a, world.site_a), tech_own, "dispatched", "en_route")
    wo_a_on = schedule(wo(world.account_a, world.site_a), tech_own, "dispatched", "en_route", "on_site")
    photo_a = services.work_order_photo_add(
        actor=dispatcher, work_order=wo_a_on, filename="unit.jpg", content=JPEG
    )
    wo_b = schedule(wo(world.account_b, world.site_b), tech_other)
    plan_b = services.maintenance_plan_create(
        actor=dispatcher,
        account=world.account_b,
        site=world.site_b,
        title="Monthly check",
        interval_count=1,
        interval_unit="months",
        first_due=start.date(),
    )
    objects = {
        "account_a": world.account_a,
        "account_b": world.account_b,
        "site_b": world.site_b,
        "ticket_b": ticket_b,
        "tech_own": tech_own,
        "tech_other": tech_other,
        "shift_own": tech_own.shifts.first(),
        "shift_other": tech_other.shifts.first(),
        "absence_other": services.absence_create(
            actor=dispatcher,
            technician=tech_other,
            kind="leave",
            starts_at=start + timedelta(days=3),
            ends_at=start + timedelta(days=4),
        ),
        "wo_a": wo_a,
        "wo_a_en": wo_a_en,
        "wo_a_on": wo_a_on,
        "wo_b": wo_b,
        "photo_a": photo_a,
        "plan_b": plan_b,
    }
    return world, objects


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("actor", ACTORS)
def test_field_role_matrix(case: Case, actor: str, field_world, client_for):
    world, objects = field_world
    client = client_for(None if actor == "anonymous" else world.users[actor])
    path = _fill(case.path, objects)
    expected = case.expected(actor)
    watched = objects.get(case.changes) if case.changes else None
    before = _state(watched) if watched is not None else None
    audit_before = AuditEvent.objects.count()
    rows_before = _row_counts()

    if case.multipart:
        upload = SimpleUploadedFile("meter.jpg", JPEG, content_type="image/jpeg")
        response = client.post(path, {"file": upload, "caption": "meter"})
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
        assert _state(watched) != before


@pytest.mark.django_db
def test_photo_download_is_an_attachment_never_sniffed(field_world, client_for):
    world, objects = field_world
    url = _fill("/api/v1/field/work-orders/{wo_a_on}/photos/{photo_a}/file", objects)
    response = client_for(world.users["technician"]).get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_field_matrix_covers_every_field_operation(client_for, world):
    schema = client_for(world.users["admin"]).get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete") and path.startswith("/api/v1/field/")
    }

    def norm(p: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", p.split("?")[0])

    covered = {(c.method, norm(c.path)) for c in CASES}
    missing = {(m, p) for m, p in operations if (m, norm(p)) not in covered}
    assert operations and not missing, f"field endpoints missing from the role matrix: {sorted(missing)}"
