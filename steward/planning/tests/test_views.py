"""The planning page: what a manager sees, who is turned away, and the what-if form."""

from __future__ import annotations

import pytest

from steward.planning.models import PlanningRun

pytestmark = pytest.mark.django_db


def test_manager_sees_forecast_accuracy_heat_map_and_gaps(client_for, world, stored_run):
    response = client_for(world.users["manager"]).get("/planning/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "95% interval" in body and "<polyline" in body
    assert "Backtest accuracy" in body and "MSTL" in body and "0.800" in body
    assert 'title="required 4, rostered 3"' in body  # a heat-map cell
    assert "Largest shortfalls" in body
    assert 'href="/planning/"' in body  # in the navigation


def test_page_without_a_run_invites_planning(client_for, world):
    response = client_for(world.users["admin"]).get("/planning/")
    assert response.status_code == 200 and "No desk plan yet" in response.content.decode()


@pytest.mark.parametrize("actor", ["agent", "dispatcher", "technician", "customer_a_admin"])
def test_others_are_turned_away(client_for, world, stored_run, actor):
    client = client_for(world.users[actor])
    assert client.get("/planning/").status_code == 403
    response = client.post(
        f"/planning/runs/{stored_run['run']}/scenarios/",
        {"arrivals_factor": 2, "aht_factor": 1, "headcount_delta": 0},
    )
    assert response.status_code == 404
    assert client.post("/planning/plan/").status_code == 403
    assert PlanningRun.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/planning/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_what_if_form_stores_a_scenario_shown_beside_the_baseline(client_for, world, stored_run):
    client = client_for(world.users["manager"])
    response = client.post(
        f"/planning/runs/{stored_run['run']}/scenarios/",
        {"arrivals_factor": "1.5", "aht_factor": "1", "headcount_delta": "2", "service_level": ""},
    )
    assert response.status_code == 302
    scenario = PlanningRun.objects.get(kind="scenario")
    assert (
        scenario.summary["scenario"]["rostered_hours"] == scenario.summary["baseline"]["rostered_hours"] + 48
    )
    body = client.get(f"/planning/?run={stored_run['run']}").content.decode()
    assert f"Scenario #{scenario.pk}" in body and "baseline" in body and "Simulated SL" in body


def test_bad_what_if_input_is_reported_not_stored(client_for, world, stored_run):
    client = client_for(world.users["manager"])
    response = client.post(
        f"/planning/runs/{stored_run['run']}/scenarios/",
        {"arrivals_factor": "-1", "aht_factor": "1", "headcount_delta": "0"},
        follow=True,
    )
    assert response.status_code == 200 and "arrivals_factor" in response.content.decode()
    assert not PlanningRun.objects.filter(kind="scenario").exists()
