"""Planning API: what each caller gets (managers and admins plan; everyone else is refused and
nothing changes), and the payloads' shape. Runs are built directly here (the services' own tests
run the forecasts), so the matrix is fast."""

from __future__ import annotations

import json

import pytest

from steward.core.models import AuditEvent
from steward.planning.models import PlanningRun, StaffingRequirement
from steward.planning.tests.conftest import PLAN_DATE
from steward.testing.roles import ACTORS as ROLE_ACTORS

pytestmark = pytest.mark.django_db

PLANNERS = ["admin", "manager"]
ACTORS = ["anonymous", *ROLE_ACTORS]

# (name, method, path, status for planners, status for other signed-in callers, body)
CASES = [
    ("list runs", "GET", "/api/v1/planning/runs", 200, 403, None),
    ("get run", "GET", "/api/v1/planning/runs/{run}", 200, 404, None),
    ("forecasts", "GET", "/api/v1/planning/runs/{run}/forecasts", 200, 404, None),
    ("forecast", "GET", "/api/v1/planning/runs/{run}/forecasts/{series}", 200, 404, None),
    ("requirements", "GET", "/api/v1/planning/runs/{run}/requirements", 200, 404, None),
    ("scenario", "POST", "/api/v1/planning/runs/{run}/scenarios", 201, 404, {"arrivals_factor": 2.0}),
    # planners get 422 here: the small stored run has no ticket history behind it
    ("plan now", "POST", "/api/v1/planning/runs", 422, 403, {"plan_date": str(PLAN_DATE)}),
]


def _counts():
    return (PlanningRun.objects.count(), StaffingRequirement.objects.count(), AuditEvent.objects.count())


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_role_matrix(client_for, world, stored_run, actor, case):
    name, method, path, ok, denied, body = case
    client = client_for(None if actor == "anonymous" else world.users[actor])
    before = _counts()
    url = path.format(**stored_run)
    if method == "POST":
        response = client.post(url, json.dumps(body), content_type="application/json")
    else:
        response = client.get(url)
    expected = 401 if actor == "anonymous" else ok if actor in PLANNERS else denied
    assert response.status_code == expected, (actor, name, response.content[:300])
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
        assert _counts() == before, "a refused request changed something"


def test_payloads(client_for, world, stored_run):
    client = client_for(world.users["manager"])
    runs = client.get("/api/v1/planning/runs").json()
    assert runs["count"] == 1 and runs["items"][0]["parameters"]["service_level"] == 0.8
    series = client.get("/api/v1/planning/runs/{run}/forecasts".format(**stored_run)).json()
    assert series[0]["mase"] == 0.8 and series[0]["fallback"] is False
    detail = client.get("/api/v1/planning/runs/{run}/forecasts/{series}".format(**stored_run)).json()
    assert len(detail["points"]) == 24 and detail["points"][10]["hi_95"] == 26.0
    requirements = client.get("/api/v1/planning/runs/{run}/requirements?limit=24".format(**stored_run)).json()
    assert requirements["count"] == 24 and requirements["items"][10]["gap"] == -1
    scenario = client.post(
        "/api/v1/planning/runs/{run}/scenarios".format(**stored_run),
        json.dumps({"arrivals_factor": 1.5, "service_level": 0.9}),
        content_type="application/json",
    ).json()
    assert scenario["kind"] == "scenario" and scenario["base_run_id"] == stored_run["run"]
    sides = scenario["summary"]
    assert sides["scenario"]["required_hours"] > sides["baseline"]["required_hours"]
    assert sides["baseline"]["simulation"]["simulated_service_level"] is not None


def test_bad_input_is_422_naming_the_field(client_for, world, stored_run):
    client = client_for(world.users["admin"])
    response = client.post(
        "/api/v1/planning/runs/{run}/scenarios".format(**stored_run),
        json.dumps({"arrivals_factor": 0}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "arrivals_factor" in json.dumps(response.json()["error"])
    response = client.post(
        "/api/v1/planning/runs", json.dumps({"parameters": {"shrinkage": 2}}), content_type="application/json"
    )
    assert response.status_code == 422 and "shrinkage" in response.json()["error"]["fields"]
    response = client.post(
        "/api/v1/planning/runs", json.dumps({"plan_date": "0664-12-11"}), content_type="application/json"
    )
    assert response.status_code == 422 and "plan_date" in response.json()["error"]["fields"]
