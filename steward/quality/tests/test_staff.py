"""Survey responses for staff (the list page with CSAT and NPS on top) and over the API, scoped by
who asks: desk staff see all, a customer admin their account's, requesters and technicians none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steward.quality import scores, selectors
from steward.quality.models import SurveyResponse
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def respond(account, agent, team, service, csat, nps, day, comment=""):
    return f.SurveyResponseFactory(
        survey__ticket__account=account,
        survey__agent=agent,
        survey__team=team,
        survey__service=service,
        survey__resolved_at=datetime(2026, 3, day, 12, 0, tzinfo=UTC),
        csat=csat,
        nps=nps,
        comment=comment,
    )


@pytest.fixture
def rated(world):
    """Eight responses (one without CSAT, one without NPS). By hand:
    all:        CSAT [5,4,2,1,3,5,5] → 4 of 7 satisfied = 57.1 %; NPS [10,9,3,10,7,8,6] → (3-2)/7 = +14.3
    team one:   CSAT [5,4,2,1] → 50 %;  NPS [10,9,3,10] → (3-1)/4 = +50
    team two:   CSAT [3,5,5] → 66.7 %;  NPS [7,8,6] → (0-1)/3 = -33.3
    account A:  CSAT [5,4,2,3] → 50 %;  NPS [10,9,3,7,8] → (2-1)/5 = +20
    """
    one, two = f.TeamFactory(name="Team One"), f.TeamFactory(name="Team Two")
    a1, a2 = f.staff_user("agent", full_name="Ada One"), f.staff_user("agent", full_name="Bo Two")
    s1, s2 = f.ServiceFactory(name="Chiller repair"), f.ServiceFactory(name="Lift service")
    A, B = world.account_a, world.account_b
    rows = [
        respond(A, a1, one, s1, 5, 10, 1, "Great"),
        respond(A, a1, one, s1, 4, 9, 2),
        respond(A, a1, one, s1, 2, 3, 3, "Slow"),
        respond(A, a2, two, s2, 3, 7, 4),
        respond(A, a2, two, s2, None, 8, 5),
        respond(B, a1, one, s1, 1, 10, 6),
        respond(B, a2, two, s2, 5, 6, 7),
        respond(B, a2, two, s2, 5, None, 8),
    ]
    return {"one": one, "two": two, "a1": a1, "a2": a2, "s1": s1, "s2": s2, "rows": rows}


# --- the selector's SQL counts agree with the pure formulas --------------------------------------


def test_summary_counts_in_sql_agree_with_the_formulas(world, rated):
    qs = selectors.response_list(world.users["manager"])
    summary = selectors.response_summary(qs)
    assert summary["responses"] == 8
    assert (summary["csat_satisfied"], summary["csat_answered"]) == (4, 7)
    assert (summary["promoters"], summary["detractors"], summary["nps_answered"]) == (3, 2, 7)
    assert summary["csat_percent"] == pytest.approx(57.142857)
    assert summary["nps"] == pytest.approx(14.285714)
    rows = list(qs)
    assert summary["csat_percent"] == scores.csat_percent([r.csat for r in rows])
    assert summary["nps"] == scores.nps([r.nps for r in rows])


def test_summary_of_nothing_is_undefined(world):
    summary = selectors.response_summary(selectors.response_list(world.users["agent"]))
    assert summary["responses"] == 0 and summary["csat_percent"] is None and summary["nps"] is None


@pytest.mark.parametrize(
    "filters,expected_count,csat,nps",
    [
        ({"team": "one"}, 4, 50.0, 50.0),
        ({"team": "two"}, 4, 200 / 3, -100 / 3),
        ({"agent": "a2"}, 4, 200 / 3, -100 / 3),
        ({"service": "s1"}, 4, 50.0, 50.0),
        ({"csat": 5}, 3, 100.0, 0.0),  # NPS 10 and 6 (and one without NPS)
        ({"nps_band": "promoter"}, 3, 200 / 3, 100.0),
        ({"nps_band": "passive"}, 2, 0.0, 0.0),
        ({"nps_band": "detractor"}, 2, 50.0, -100.0),
        ({"answered_from": 2, "answered_to": 3}, 2, 50.0, 0.0),
    ],
)
def test_filters_and_their_summary(world, rated, filters, expected_count, csat, nps):
    kwargs = {}
    for name, value in filters.items():
        if name in ("team", "agent", "service"):
            kwargs[f"{name}_id"] = rated[value].pk
        elif name.startswith("answered"):
            kwargs[name] = datetime(2026, 3, value).date()
        else:
            kwargs[name] = value
    qs = selectors.response_list(world.users["agent"], **kwargs)
    summary = selectors.response_summary(qs)
    assert qs.count() == expected_count
    assert summary["csat_percent"] == pytest.approx(csat)
    assert summary["nps"] == pytest.approx(nps)


def test_the_date_range_is_local_whole_days(world):
    """Answered 23:30 UTC on 7 March is 8 March in Berlin: in the 8th, not the 7th."""
    respond(world.account_a, None, None, None, 5, None, 7)  # 7 March, 13:00 in Berlin
    late = respond(world.account_a, None, None, None, 4, None, 7)
    SurveyResponse.objects.filter(pk=late.pk).update(answered_at=datetime(2026, 3, 7, 23, 30, tzinfo=UTC))
    day = datetime(2026, 3, 8).date()
    qs = selectors.response_list(world.users["agent"], answered_from=day, answered_to=day)
    assert list(qs) == [SurveyResponse.objects.get(pk=late.pk)]
    seventh = datetime(2026, 3, 7).date()
    assert selectors.response_list(world.users["agent"], answered_to=seventh).count() == 1


# --- the staff page ------------------------------------------------------------------------------


def test_list_page_shows_scores_of_the_filtered_set_and_links_tickets(world, rated, client_for):
    client = client_for(world.users["agent"])
    page = client.get("/quality/surveys/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "57.1 %" in html and "+14.3" in html
    for row in rated["rows"]:
        assert f'href="/desk/tickets/{row.ticket_id}/"' in html
    assert "Great" in html and "Ada One" in html

    partial = client.get(f"/quality/surveys/?team={rated['two'].pk}", **HX)
    html = partial.content.decode()
    assert "<html" not in html
    assert "66.7 %" in html and "-33.3" in html
    assert html.count('href="/desk/tickets/') == 4

    combined = client.get(f"/quality/surveys/?account={world.account_a.pk}&nps=promoter", **HX)
    assert combined.content.decode().count('href="/desk/tickets/') == 2


def test_invalid_filters_are_shown_at_their_fields(world, rated, client_for):
    client = client_for(world.users["manager"])
    page = client.get("/quality/surveys/?csat=9&team=" + str(rated["one"].pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="id_csat-error"' in html
    assert html.count('href="/desk/tickets/') == 4  # the valid team filter still applies
    reversed_range = client.get("/quality/surveys/?date_from=2026-03-05&date_to=2026-03-01").content.decode()
    assert 'id="id_date_to-error"' in reversed_range and "before its start" in reversed_range
    assert reversed_range.count('href="/desk/tickets/') == 4  # only the valid start applies: 5 to 8 March


def test_list_page_is_paginated_on_the_server(world, client_for):
    for i in range(30):
        respond(world.account_a, None, None, None, 1 + i % 5, i % 11, 1 + i % 28)
    client = client_for(world.users["dispatcher"])
    first = client.get("/quality/surveys/").content.decode()
    second = client.get("/quality/surveys/?page=2", **HX).content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert first.count('href="/desk/tickets/') == 25 and second.count('href="/desk/tickets/') == 5


@pytest.mark.parametrize("actor", ["technician", "customer_a_requester", "customer_a_admin"])
def test_list_page_is_for_desk_staff(world, rated, client_for, actor):
    assert client_for(world.users[actor]).get("/quality/surveys/").status_code == 403


def test_navigation_offers_surveys_to_desk_staff_only(world, client_for):
    for actor in ("admin", "manager", "dispatcher", "agent"):
        assert 'href="/quality/surveys/"' in client_for(world.users[actor]).get("/").content.decode()
    for actor in ("technician", "customer_a_admin", "customer_a_requester"):
        assert 'href="/quality/surveys/"' not in client_for(world.users[actor]).get("/").content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/quality/surveys/", "/api/v1/quality/survey-responses?limit=100"])
def test_list_queries_do_not_grow_with_rows(world, client_for, url):
    team, agent, service = f.TeamFactory(), f.staff_user("agent"), f.ServiceFactory()
    client = client_for(world.users["admin"])
    for i in range(3):
        respond(world.account_a, agent, team, service, 4, 9, 1 + i)
    small = _queries(client, url)
    for i in range(30):
        respond(world.account_b, agent, team, service, 2, 5, 1 + i % 28)
    assert _queries(client, url) == small


# --- the API -------------------------------------------------------------------------------------


def _get(client_for, world, actor, url):
    return client_for(world.users[actor]).get(url)


def test_api_scope(world, rated, client_for):
    staff = _get(client_for, world, "agent", "/api/v1/quality/survey-responses").json()
    assert staff["count"] == 8
    own = _get(client_for, world, "customer_a_admin", "/api/v1/quality/survey-responses").json()
    assert own["count"] == 5 and {r["account_id"] for r in own["items"]} == {world.account_a.pk}
    foreign = _get(
        client_for,
        world,
        "customer_a_admin",
        f"/api/v1/quality/survey-responses?account_id={world.account_b.pk}",
    ).json()
    assert foreign["count"] == 0
    for actor in ("customer_a_requester", "technician"):
        denied = _get(client_for, world, actor, "/api/v1/quality/survey-responses")
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"

    b_row = rated["rows"][-2]
    assert (
        _get(
            client_for, world, "customer_a_admin", f"/api/v1/quality/survey-responses/{b_row.pk}"
        ).status_code
        == 404
    )
    assert (
        _get(
            client_for, world, "customer_b_admin", f"/api/v1/quality/survey-responses/{b_row.pk}"
        ).status_code
        == 200
    )
    detail = _get(
        client_for, world, "manager", f"/api/v1/quality/survey-responses/{rated['rows'][0].pk}"
    ).json()
    assert detail["csat"] == 5 and detail["nps"] == 10 and detail["nps_band"] == "promoter"
    assert detail["ticket_number"] == f"T-{rated['rows'][0].ticket_id:06d}"
    assert (detail["agent_id"], detail["team_id"], detail["service_id"]) == (
        rated["a1"].pk,
        rated["one"].pk,
        rated["s1"].pk,
    )
    assert detail["comment"] == "Great"


def test_api_filters_and_pagination(world, rated, client_for):
    base = "/api/v1/quality/survey-responses"
    cases = {
        f"team_id={rated['one'].pk}": 4,
        f"agent_id={rated['a2'].pk}": 4,
        f"service_id={rated['s2'].pk}": 4,
        "csat=5": 3,
        "nps_band=detractor": 2,
        "answered_from=2026-03-06": 3,
        "answered_from=2026-03-02&answered_to=2026-03-04": 3,
    }
    for query, count in cases.items():
        assert _get(client_for, world, "agent", f"{base}?{query}").json()["count"] == count, query
    page = _get(client_for, world, "agent", f"{base}?limit=3&offset=3").json()
    assert page["count"] == 8 and len(page["items"]) == 3
    newest_first = [r["answered_at"] for r in _get(client_for, world, "agent", base).json()["items"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_api_summary(world, rated, client_for):
    everything = _get(client_for, world, "manager", "/api/v1/quality/survey-responses/summary").json()
    assert everything["responses"] == 8
    assert everything["csat_percent"] == pytest.approx(400 / 7) and everything["nps"] == pytest.approx(
        100 / 7
    )
    own = _get(client_for, world, "customer_a_admin", "/api/v1/quality/survey-responses/summary").json()
    assert own["responses"] == 5 and own["csat_percent"] == 50.0 and own["nps"] == 20.0
    empty = _get(
        client_for, world, "agent", "/api/v1/quality/survey-responses/summary?csat=1&nps_band=promoter"
    )
    assert empty.json()["responses"] == 1
    none = _get(
        client_for, world, "agent", "/api/v1/quality/survey-responses/summary?answered_from=2027-01-01"
    )
    assert none.json()["csat_percent"] is None and none.json()["nps"] is None


@pytest.mark.parametrize(
    "query,field",
    [
        ("csat=6", "csat"),
        ("csat=0", "csat"),
        ("nps_band=fans", "nps_band"),
        ("answered_from=2026-03-05&answered_to=2026-03-01", "answered_to"),
        ("team_id=0", "team_id"),
        ("answered_from=yesterday", "answered_from"),
    ],
)
def test_api_bad_filters_are_422_naming_the_field(world, client_for, query, field):
    for url in ("/api/v1/quality/survey-responses", "/api/v1/quality/survey-responses/summary"):
        response = _get(client_for, world, "agent", f"{url}?{query}")
        assert response.status_code == 422, (url, query)
        assert field in response.json()["error"]["fields"], response.json()
