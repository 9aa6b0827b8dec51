"""The API and the pages over a small data set: the same figures everywhere, scoped by role,
bad parameters answered with the field's name, CSV exports, goals with their status."""

from __future__ import annotations

import csv
import io

import pytest

from steward.analytics.models import ServiceGoal
from steward.analytics.tests.data import response, ticket, utc
from steward.testing import factories as f

pytestmark = pytest.mark.django_db
PERIOD = "from=2026-03-02&to=2026-03-15&bucket=week"


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def desk(world):
    """Resolved tickets in the week of 2 March: A's team Red (agent's team) 2 of 3 first-contact,
    B's 0 of 1, each with a CSAT answer."""
    red = f.TeamFactory(name="Red")
    red.memberships.create(user=world.users["agent"])
    other = f.staff_user("agent")
    rows = [
        (world.account_a, red, None, True, 5),
        (world.account_a, red, None, True, 4),
        (world.account_a, None, world.users["agent"], False, 2),
        (world.account_b, None, other, False, 1),
    ]
    for account, team, assignee, fcr, csat in rows:
        t = ticket(account, created=utc(2026, 3, 2, 8), status="resolved", resolved_at=utc(2026, 3, 3, 9),
                   team=team, assignee=assignee, first_contact_resolution=fcr)  # fmt: skip
        response(t, at=utc(2026, 3, 3, 12), csat=csat)
    return red


def _first_value(client, name, query=PERIOD):
    r = client.get(f"/api/v1/kpis/{name}?{query}")
    assert r.status_code == 200, r.content
    return r.json()["lines"][0]["points"][0]


def test_series_carries_the_counts_behind_each_value(desk, world, client_for):
    point = _first_value(client_for(world.users["manager"]), "first_contact_resolution")
    assert point["value"] == 50.0
    assert point["counts"] == {"first_contact": 2, "resolved": 4}
    assert point["bucket"] == "2026-03-02"


def test_a_customer_admin_sees_only_their_accounts_figures(desk, world, client_for):
    assert _first_value(client_for(world.users["customer_a_admin"]), "first_contact_resolution")[
        "counts"
    ] == {
        "first_contact": 2,
        "resolved": 3,
    }
    assert _first_value(client_for(world.users["customer_b_admin"]), "csat")["counts"] == {
        "satisfied": 0,
        "answered": 1,
    }
    # Staff names are not a customer's breakdown.
    r = client_for(world.users["customer_a_admin"]).get(f"/api/v1/kpis/csat?{PERIOD}&by=agent")
    assert r.status_code == 422 and "by" in r.json()["error"]["fields"]
    assert client_for(world.users["customer_a_admin"]).get("/api/v1/kpis/utilisation").status_code == 404
    assert client_for(world.users["customer_a_requester"]).get("/api/v1/kpis/").status_code == 403


def test_an_agent_sees_their_own_and_their_teams_tickets(desk, world, client_for):
    # Red's two tickets and the one assigned to the agent; not B's ticket of another agent.
    counts = _first_value(client_for(world.users["agent"]), "first_contact_resolution")["counts"]
    assert counts == {"first_contact": 2, "resolved": 3}


def test_breakdown_and_bad_parameters(desk, world, client_for):
    client = client_for(world.users["admin"])
    body = client.get(f"/api/v1/kpis/first_contact_resolution?{PERIOD}&by=team").json()
    assert {line["label"]: line["points"][0]["value"] for line in body["lines"]} == {
        "Red": 100.0,
        "(none)": 0.0,
    }
    for query, field in (("bucket=fortnight", "bucket"), ("by=colour", "by"), ("from=2026-13-01", "from")):
        r = client.get(f"/api/v1/kpis/csat?{query}")
        assert r.status_code == 422, (query, r.content)
        assert field in r.json()["error"]["fields"], r.json()
    r = client.get(f"/api/v1/kpis/utilisation?{PERIOD}&by=channel")
    assert r.status_code == 422 and "by" in r.json()["error"]["fields"]
    assert client.get("/api/v1/kpis/no_such_kpi").status_code == 404
    listed = {k["name"]: k for k in client.get("/api/v1/kpis/").json()}
    assert listed["billable_ratio"]["available"] is False and "billing" in listed["billable_ratio"]["reason"]
    assert listed["csat"]["formula"] and listed["csat"]["unit"] == "%"


def test_drill_down_rows_match_the_counts(desk, world, client_for):
    client = client_for(world.users["manager"])
    r = client.get(f"/api/v1/kpis/first_contact_resolution/rows?{PERIOD}&at=2026-03-02&numerator=true")
    assert r.status_code == 200 and r.json()["count"] == 2
    r = client.get(f"/api/v1/kpis/first_contact_resolution/rows?{PERIOD}&by=team&group={desk.pk}")
    assert r.json()["count"] == 2
    r = client.get(f"/api/v1/kpis/first_contact_resolution/rows?{PERIOD}&at=2026-03-04")
    assert r.status_code == 422 and "at" in r.json()["error"]["fields"]


def test_control_chart_endpoint(desk, world, client_for):
    body = client_for(world.users["manager"]).get(f"/api/v1/kpis/csat/control-chart?{PERIOD}").json()
    assert body["kind"] == "p"
    assert body["centre"] == 50.0  # 2 satisfied of 4 over the series
    assert [p["value"] for p in body["points"]] == [50.0, None]


def test_pareto_endpoint_counts_tags(world, client_for):
    from steward.desk.models import Tag

    printer, network = Tag.objects.create(name="printer"), Tag.objects.create(name="network")
    for tags in ([printer], [printer], [printer, network], []):
        ticket(world.account_a, created=utc(2026, 3, 3, 9)).tags.set(tags)
    body = client_for(world.users["manager"]).get(f"/api/v1/pareto/ticket_categories?{PERIOD}").json()
    assert [(b["category"], b["count"], b["vital"]) for b in body] == [
        ("printer", 3, True),
        ("(untagged)", 1, True),
        ("network", 1, False),
    ]


def test_goals_crud_and_status(desk, world, client_for, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: utc(2026, 3, 4, 12))
    manager = client_for(world.users["manager"])
    r = manager.post(
        "/api/v1/goals",
        {
            "name": "FCR 40",
            "kpi": "first_contact_resolution",
            "target": 40,
            "period": "month",
            "team_id": desk.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    goal_id = r.json()["id"]
    status = manager.get(f"/api/v1/goals/{goal_id}/status").json()
    assert status["actual"] == 100.0 and status["status"] == "on track"
    assert status["period_start"] == "2026-03-01" and status["period_end"] == "2026-03-31"
    r = manager.patch(f"/api/v1/goals/{goal_id}", {"comparator": "lte"}, content_type="application/json")
    assert r.status_code == 200
    assert manager.get(f"/api/v1/goals/{goal_id}/status").json()["status"] == "off track"
    # A team goal on a KPI without a team breakdown is refused, naming the field.
    r = manager.post(
        "/api/v1/goals",
        {"name": "x", "kpi": "utilisation", "target": 70, "team_id": desk.pk},
        content_type="application/json",
    )
    assert r.status_code == 422 and "team" in r.json()["error"]["fields"]
    r = manager.post(
        "/api/v1/goals", {"name": "x", "kpi": "billable_ratio", "target": 70}, content_type="application/json"
    )
    assert r.status_code == 422 and "kpi" in r.json()["error"]["fields"]
    assert manager.delete(f"/api/v1/goals/{goal_id}").status_code == 204
    assert not ServiceGoal.objects.exists()


def test_pages_render_charts_and_exports(desk, world, client_for):
    ServiceGoal.objects.create(name="CSAT 90", kpi="csat", target=90, period="quarter")
    client = client_for(world.users["manager"])
    page = client.get(f"/analytics/?{PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "CSAT 90" in html and "SLA at risk today" in html
    page = client.get(f"/analytics/kpi/first_contact_resolution/?{PERIOD}")
    assert page.status_code == 200 and "Control chart" in page.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/analytics/kpi/first_contact_resolution/csv/?{PERIOD}").content.decode())
        )
    )
    assert rows[0][:5] == ["kpi", "unit", "bucket_start", "group", "value"]
    assert rows[1][:5] == ["first_contact_resolution", "%", "2026-03-02", "All", "50.0"]
    export = client.get(f"/analytics/kpi/first_contact_resolution/rows/?{PERIOD}&format=csv")
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + 4
    assert client.get("/analytics/kpi/csat/?bucket=fortnight").status_code == 400
    assert client.get(f"/analytics/pareto/incomplete_reasons/?{PERIOD}").status_code == 200
    assert client.get(f"/analytics/teams/{desk.pk}/?{PERIOD}").status_code == 200


def test_customer_account_view_is_their_own_only(desk, world, client_for):
    client = client_for(world.users["customer_a_admin"])
    page = client.get(f"/analytics/accounts/{world.account_a.pk}/?{PERIOD}")
    assert page.status_code == 200
    assert f"/analytics/accounts/{world.account_a.pk}/report.pdf?" in page.content.decode()
    assert client.get(f"/analytics/accounts/{world.account_b.pk}/").status_code == 404
    assert client.get("/analytics/").status_code == 403


def test_the_account_report_downloads_as_a_pdf_in_the_viewers_scope(desk, world, client_for):
    url = f"/analytics/accounts/{world.account_a.pk}/report.pdf?{PERIOD}"
    for who in ("customer_a_admin", "admin", "manager", "dispatcher", "agent", "technician"):
        r = client_for(world.users[who]).get(url)
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf", who
        assert r["Content-Disposition"].startswith('attachment; filename="service-report-')
        assert r.content.startswith(b"%PDF-") and b"/Type /Page" in r.content
    customer_b = client_for(world.users["customer_b_admin"])
    assert customer_b.get(url).status_code == 404
    assert client_for(world.users["customer_a_requester"]).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302  # to the login page
    missing = client_for(world.users["manager"]).get("/analytics/accounts/999999/report.pdf")
    assert missing.status_code == 404
    bad = client_for(world.users["manager"]).get(
        f"/analytics/accounts/{world.account_a.pk}/report.pdf?bucket=x"
    )
    assert bad.status_code == 400 and b"bucket" in bad.content


def test_a_report_section_carries_the_series_figures(desk, world):
    from datetime import date

    from steward.analytics import charts, present, report_pdf, selectors

    s = selectors.kpi_series(
        world.users["customer_a_admin"], "csat", first=date(2026, 3, 2), last=date(2026, 3, 15), bucket="week"
    )
    svg = charts.line_chart(
        [charts.Line("All", [p.value for p in s.lines[0].points])],
        [b.label for b in s.buckets],
        unit="%",
        bucket="week",
        title="CSAT",
    )
    section = present.report_section(s, svg)
    assert section.title == s.kpi.title and section.unit == "%"
    assert [(p.label, p.value, p.counts) for p in section.periods] == [
        (date(2026, 3, 2), 66.66666666666667, {"satisfied": 2, "answered": 3}),
        (date(2026, 3, 9), None, {"satisfied": 0, "answered": 0}),
    ]
    pdf = report_pdf.render(
        report_pdf.Report(
            title="Łódź Kliniken ≥ 90 %", subtitle="€ and ü", generated="now", sections=[section]
        )
    )
    assert pdf.startswith(b"%PDF-") and b"DejaVu" in pdf  # the embedded font carries every character


def test_goal_page_creates_a_goal(world, client_for):
    client = client_for(world.users["manager"])
    r = client.post(
        "/analytics/goals/", {"name": "FTF 85", "kpi": "first_time_fix", "target": "85", "period": "month"}
    )
    assert r.status_code == 302 and ServiceGoal.objects.get().target == 85
    r = client.post("/analytics/goals/", {"name": "bad", "kpi": "first_time_fix", "target": "lots"})
    assert r.status_code == 422 and b"target" in r.content
    agent = client_for(world.users["agent"])
    assert agent.get("/analytics/goals/").status_code == 200
    assert agent.post("/analytics/goals/", {"name": "x", "kpi": "csat", "target": "1"}).status_code == 403
