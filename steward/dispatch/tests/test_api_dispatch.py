"""The dispatch API (/api/v1/dispatch/): plans for dispatchers, managers and admins only;
appointment slots for desk staff and for customers on their own account's work orders (another
account's: 404, and nothing changes). Every endpoint x every caller, plus worked examples."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from steward.core.models import AuditEvent
from steward.dispatch.models import Plan, PlanStatus, PlanUnplanned, PlanVisit
from steward.testing import factories as f
from steward.testing.roles import ACTORS as ROLE_ACTORS
from steward.testing.roles import CUSTOMERS

ACTORS = ["anonymous", *ROLE_ACTORS]
PLANNERS = ["admin", "manager", "dispatcher"]
NON_PLANNERS = dict.fromkeys(["agent", "technician", *CUSTOMERS], 403)
SLOT_STAFF = ["admin", "manager", "dispatcher", "agent"]


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"steward.dispatch.optimiser.{module}") is not None


@dataclass
class Case:
    name: str
    method: str
    path: str
    ok: int
    allowed: list[str]
    body: dict[str, Any] | None = None
    denied: dict[str, int] = field(default_factory=dict)
    needs: str = ""  # an optimiser module the endpoint needs (skipped until it is merged)

    def expected(self, actor: str) -> int:
        if actor == "anonymous":
            return 401
        if actor in self.allowed:
            return self.ok
        return self.denied.get(actor, 403)


_B_HIDDEN = {"customer_a_requester": 404, "customer_a_admin": 404, "technician": 403}
_A_HIDDEN = {"customer_b_admin": 404, "technician": 403}

CASES = [
    Case("list plans", "GET", "/api/v1/dispatch/plans", 200, PLANNERS),
    Case(
        "create plan",
        "POST",
        "/api/v1/dispatch/plans",
        201,
        PLANNERS,
        body={"horizon_start": "{day}", "days": 1},
    ),
    Case("get plan", "GET", "/api/v1/dispatch/plans/{plan}", 200, PLANNERS),
    Case("plan progress", "GET", "/api/v1/dispatch/plans/{plan}/progress", 200, PLANNERS),
    Case("publish plan", "POST", "/api/v1/dispatch/plans/{plan}/publish", 200, PLANNERS),
    Case(
        "unassign on plan",
        "POST",
        "/api/v1/dispatch/plans/{plan}/move",
        200,
        PLANNERS,
        body={"work_order_id": "{planned_wo}", "action": "unassign"},
    ),
    Case(  # the world has no published plan today, so planners get the 409 that says so
        "urgent replan",
        "POST",
        "/api/v1/dispatch/urgent",
        409,
        PLANNERS,
        body={"work_order_id": "{urgent_wo}"},
        needs="replan",
    ),
    Case(
        "own account slots",
        "GET",
        "/api/v1/dispatch/work-orders/{wo_a}/slots",
        200,
        [*SLOT_STAFF, "customer_a_requester", "customer_a_admin"],
        denied=_A_HIDDEN,
        needs="slots",
    ),
    Case(
        "other account slots",
        "GET",
        "/api/v1/dispatch/work-orders/{wo_b}/slots",
        200,
        [*SLOT_STAFF, "customer_b_admin"],
        denied=_B_HIDDEN,
        needs="slots",
    ),
    Case(
        "book other account",
        "POST",
        "/api/v1/dispatch/work-orders/{wo_b}/book",
        409,  # the body's slot is not on offer: allowed callers get a 409, the others never see it
        [*SLOT_STAFF, "customer_b_admin"],
        body={"start": "2030-01-01T09:00:00+01:00", "end": "2030-01-01T11:00:00+01:00"},
        denied=_B_HIDDEN,
        needs="slots",
    ),
]


@pytest.fixture
def dispatch_world(world):
    from steward.dispatch import services
    from steward.dispatch.tests.plans_world import next_monday, technician, work_order
    from steward.dispatch.tests.test_plans_services import InsertionEngine

    day = next_monday(timezone.localdate())
    technician("Ana Field", skills=("hvac",))
    ticket_a = f.TicketFactory(account=world.account_a, requester=world.users["customer_a_requester"])
    wo_a = work_order(world.account_a, lat=52.53, lon=13.41, ticket=ticket_a)
    wo_b = work_order(world.account_b, lat=52.51, lon=13.39)
    planned = work_order(world.account_a, lat=52.50, lon=13.42)
    urgent = work_order(world.account_a, lat=52.52, lon=13.40, priority="P1")
    plan = Plan.objects.create(horizon_start=day, status=PlanStatus.OPTIMISING)
    assert services.plan_optimise(plan_id=plan.pk, engine=InsertionEngine()) == "done"
    objects = {
        "plan": plan.pk,
        "wo_a": wo_a.pk,
        "wo_b": wo_b.pk,
        "planned_wo": planned.pk,
        "urgent_wo": urgent.pk,
        "day": day.isoformat(),
    }
    return world, objects


def _fill(value: Any, objects: dict) -> Any:
    if isinstance(value, str):
        for k, v in objects.items():
            if value == "{" + k + "}" and isinstance(v, int):
                return v
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    return value


def _rows() -> dict[str, int]:
    from django.apps import apps

    return {
        m._meta.label: m.objects.count() for m in apps.get_models() if m.__module__.startswith("steward.")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("actor", ACTORS)
def test_role_matrix(case: Case, actor: str, dispatch_world, client_for):
    if case.needs and not _has(case.needs):
        pytest.skip(f"needs optimiser/{case.needs}.py (engine branch)")
    world, objects = dispatch_world
    client = client_for(None if actor == "anonymous" else world.users[actor])
    path = _fill(case.path, objects)
    expected = case.expected(actor)
    audit_before, rows_before = AuditEvent.objects.count(), _rows()
    if case.method == "POST":
        response = client.post(
            path, json.dumps(_fill(case.body or {}, objects)), content_type="application/json"
        )
    else:
        response = client.get(path)
    assert response.status_code == expected, (actor, case.name, response.content[:300])
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
        assert AuditEvent.objects.count() == audit_before, "a refused request wrote an audit event"
        assert _rows() == rows_before, "a refused request added or removed rows"


@pytest.mark.django_db
def test_matrix_covers_every_dispatch_operation(client_for, world):
    import re

    schema = client_for(world.users["admin"]).get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/dispatch/")
        for method in item
    }
    covered = {(c.method, re.sub(r"\{[^}]+\}", "{}", c.path)) for c in CASES}
    assert operations - covered == set()


@pytest.mark.django_db
def test_plan_detail_progress_and_a_refused_move(dispatch_world, client_for):
    world, objects = dispatch_world
    client = client_for(world.users["dispatcher"])
    detail = client.get(f"/api/v1/dispatch/plans/{objects['plan']}").json()
    assert detail["status"] == "ready" and detail["jobs_planned"] == 4
    (route,) = detail["routes"]
    assert route["technician"] == "Ana Field" and len(route["visits"]) == 4
    assert all(v["arrival_at"] <= v["start_at"] < v["end_at"] for v in route["visits"])
    progress = client.get(f"/api/v1/dispatch/plans/{objects['plan']}/progress").json()
    assert progress == {
        "id": objects["plan"],
        "status": "ready",
        "progress": 100,
        "best_cost": progress["best_cost"],
        "error": "",
    }

    skilled = f"/api/v1/dispatch/plans/{objects['plan']}/move"
    from steward.dispatch.tests.plans_world import work_order

    needs_gas = work_order(world.account_a, required_skills=["gas"])
    tech_id = route["technician_id"]
    response = client.post(
        skilled, {"work_order_id": needs_gas.pk, "technician_id": tech_id}, content_type="application/json"
    )
    assert response.status_code == 422 and "gas" in response.json()["error"]["message"]
    response = client.post(skilled, {"work_order_id": objects["planned_wo"]}, content_type="application/json")
    assert response.status_code == 422 and "technician_id" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_create_plan_validates_days_by_name(dispatch_world, client_for):
    world, objects = dispatch_world
    response = client_for(world.users["dispatcher"]).post(
        "/api/v1/dispatch/plans",
        {"horizon_start": objects["day"], "days": 9},
        content_type="application/json",
    )
    assert response.status_code == 422 and "days" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_publish_through_the_api_schedules_the_work_orders(dispatch_world, client_for):
    world, objects = dispatch_world
    response = client_for(world.users["manager"]).post(f"/api/v1/dispatch/plans/{objects['plan']}/publish")
    assert response.status_code == 200 and response.json()["status"] == "published"
    scheduled = {
        v.work_order.status
        for v in PlanVisit.objects.filter(route__plan_id=objects["plan"]).select_related("work_order")
    }
    assert scheduled == {"scheduled"}
    again = client_for(world.users["manager"]).post(f"/api/v1/dispatch/plans/{objects['plan']}/publish")
    assert again.status_code == 409
    assert not PlanUnplanned.objects.filter(plan_id=objects["plan"]).exists()
