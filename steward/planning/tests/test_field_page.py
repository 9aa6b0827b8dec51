"""The field capacity page (/planning/field/): what a manager sees of a field run, who is turned
away, which runs it opens, and "plan field now"."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.utils import timezone

from steward.planning.models import PlanningRun
from steward.planning.tests.conftest import make_field_history
from steward.testing.roles import ACTORS

pytestmark = pytest.mark.django_db

PLANNERS = ["manager", "admin"]
OTHERS = [a for a in ACTORS if a not in PLANNERS]


@pytest.mark.parametrize("actor", PLANNERS)
def test_planner_sees_the_field_run(client_for, world, stored_field_run, actor):
    response = client_for(world.users[actor]).get("/planning/field/")
    assert response.status_code == 200
    body = response.content.decode()
    # what the run assumed
    assert "dispatch plans: mean of 30 planned legs" in body and "0.75 h" in body
    assert "182 days of work orders" in body and "6.0 h" in body and "hvac 1.50 h" in body
    # the heat map: hvac on the first day is two technicians short, 3.3 of its 6 jobs beyond the
    # roster (1 technician x 6 h / (1.5 h + 0.75 h) = 2.7 jobs); plumbing has one to spare
    assert (
        'title="hvac Mon 2026-03-02: required 3, rostered 1, 6.0 jobs forecast, 3.3 beyond the roster">-2</td>'
        in body
    )
    assert 'title="plumbing Mon 2026-03-02: required 1, rostered 2, 1.0 jobs forecast">+1</td>' in body
    assert (
        'title="Mon 2026-03-02: required 4, rostered 3, 7.0 jobs forecast, 3.3 beyond the roster">-1</td>'
        in body
    )
    assert "March 2026" in body and "Weeks 1\N{EN DASH}4" in body and "Week 5" in body
    assert "2026-03-30:" not in body  # the fifth week is on the next page
    # the summary: 25 weekdays x (3 + 1) required; 19 of 175 jobs beyond the roster
    assert ">100</span>technician-days required" in body and ">99</span>technician-days rostered" in body
    assert ">19</span>of 175 forecast jobs beyond the roster" in body
    # the lines chart with its shortfall, the forecast bands of the first skill, the accuracy
    # summed over skills only the first day is short; the heat map shows hvac short every weekday
    assert body.count("<title>shortfall</title>") == 1
    assert "Jobs forecast: hvac" in body and "95% interval" in body and "<polyline" in body
    assert "MSTL" in body and "0.800" in body and "1.000" in body and "0.79" in body
    assert "SeasonalNaive <strong>(fallback)</strong>" in body and "1.250" in body
    # the largest shortfall first
    rows = body.split("Largest shortfalls")[1]
    assert rows.index("Mon 2026-03-02") < rows.index("Tue 2026-03-03")
    # the way back to the desk plan
    assert 'href="/planning/">Desk</a>' in body and 'aria-current="page">Field</a>' in body


def test_desk_page_links_to_the_field_page(client_for, world, stored_run):
    body = client_for(world.users["manager"]).get("/planning/").content.decode()
    assert 'href="/planning/field/">Field</a>' in body and 'aria-current="page">Desk</a>' in body


def test_later_weeks_and_another_skill(client_for, world, stored_field_run):
    client = client_for(world.users["manager"])
    body = client.get("/planning/field/?weeks=5").content.decode()
    assert "2026-03-30:" in body and "2026-04-05:" in body and "2026-03-02:" not in body
    assert "April 2026" in body
    body = client.get("/planning/field/?weeks=nonsense").content.decode()
    assert "2026-03-02:" in body  # the first weeks
    body = client.get(f"/planning/field/?run={stored_field_run['run']}&skill=plumbing").content.decode()
    assert "Jobs forecast: plumbing" in body
    assert client.get("/planning/field/?skill=welding").status_code == 404


def test_page_without_a_field_run_invites_planning(client_for, world, stored_run):
    response = client_for(world.users["admin"]).get("/planning/field/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No field plan yet" in body and "Plan field now" in body


@pytest.mark.parametrize("actor", OTHERS)
def test_others_are_turned_away(client_for, world, stored_field_run, actor):
    client = client_for(world.users[actor])
    assert client.get("/planning/field/").status_code == 403
    assert client.get(f"/planning/field/?run={stored_field_run['run']}").status_code == 403
    assert client.post("/planning/field/plan/").status_code == 403
    assert PlanningRun.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(client, stored_field_run):
    for response in (client.get("/planning/field/"), client.post("/planning/field/plan/")):
        assert response.status_code == 302 and "login" in response["Location"]
    assert PlanningRun.objects.count() == 1


def test_only_field_runs_open_here(client_for, world, stored_run, stored_field_run):
    client = client_for(world.users["manager"])
    assert client.get(f"/planning/field/?run={stored_field_run['run']}").status_code == 200
    assert client.get(f"/planning/field/?run={stored_run['run']}").status_code == 404  # a desk run
    scenario = PlanningRun.objects.create(
        kind="scenario", plan_date=PlanningRun.objects.get(pk=stored_run["run"]).plan_date, status="done"
    )
    running = PlanningRun.objects.create(kind="field", plan_date=scenario.plan_date)  # not finished
    for run_id in (scenario.pk, running.pk, 999_999, "abc"):
        assert client.get(f"/planning/field/?run={run_id}").status_code == 404, run_id


def test_other_field_runs_are_listed(client_for, world, stored_field_run):
    first = PlanningRun.objects.get(pk=stored_field_run["run"])
    later = PlanningRun.objects.create(kind="field", plan_date=first.plan_date, status="done")
    body = client_for(world.users["manager"]).get("/planning/field/").content.decode()
    # the latest run is shown (it has no rows yet) and the earlier one is a link
    assert f'href="?run={first.pk}"' in body and f'href="?run={later.pk}"' not in body


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_plan_field_now_stores_a_run_and_shows_it(client_for, world):
    make_field_history(world, timezone.now().astimezone(UTC).date())
    client = client_for(world.users["manager"])
    response = client.post("/planning/field/plan/")
    run = PlanningRun.objects.get()
    assert run.kind == "field" and run.status == "done" and run.created_by == world.users["manager"]
    assert response.status_code == 302 and response["Location"] == f"/planning/field/?run={run.pk}"
    body = client.get(response["Location"]).content.decode()
    assert "Planned field work: 1 skill" in body and "Jobs forecast: hvac" in body
    assert 'title="hvac ' in body and "travel per job" in body.lower()


def test_plan_field_now_without_history_says_why(client_for, world):
    response = client_for(world.users["admin"]).post("/planning/field/plan/", follow=True)
    assert response.redirect_chain == [("/planning/field/", 302)]
    body = response.content.decode()
    assert "Field work not planned" in body and "no skill has enough work-order history" in body
    assert not PlanningRun.objects.exists()
