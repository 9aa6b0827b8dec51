"""The demo's field plan (pure): visits happen inside their ticket's life, follow-ups follow an
incomplete first visit, and the same seed gives the same plan."""

from datetime import UTC, date, datetime, timedelta

from steward.demo.field_plan import FieldTicketInfo, TechnicianInfo, plan_field, plan_technicians

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TECHS = [TechnicianInfo(100 + i, ("HVAC Field",) if i < 4 else ("Electrical Field",)) for i in range(8)]


def _tickets(n: int) -> list[FieldTicketInfo]:
    out = []
    for i in range(n):
        created = NOW - timedelta(days=150) + timedelta(hours=7 * i)
        resolved = created + timedelta(hours=3 + (i % 9) * 11) if i % 10 else None
        skills = ("hvac",) if i % 2 else ("electrical",)
        out.append(FieldTicketInfo(
            id=i + 1, account_id=1, site_id=1, asset_id=None, service_id=1, subject=f"Ticket {i}",
            skills=skills, duration_minutes=90, priority="P2", created_at=created, resolved_at=resolved,
            lat=52.5, lon=13.4,
        ))  # fmt: skip
    return out


def test_past_visits_happen_inside_the_ticket_and_follow_ups_follow_incomplete_visits():
    tickets = {t.id: t for t in _tickets(400)}
    plan = plan_field(TECHS, list(tickets.values()), seed=7, now=NOW)
    done = [v for v in plan.visits if v.status in ("completed", "incomplete")]
    assert done, "the history has visits"
    for v in done:
        t = tickets[v.ticket_id]
        assert t.created_at <= v.en_route_at < v.on_site_at < v.finished_at
        assert v.on_site_at >= t.created_at
        assert v.finished_at <= t.resolved_at + timedelta(hours=4), (
            "a visit ends around the resolution at the latest"
        )
    incomplete = [i for i, v in enumerate(plan.visits) if v.status == "incomplete"]
    assert incomplete and all(plan.visits[i].incomplete_reason for i in incomplete)
    follow_ups = [v for v in plan.visits if v.follow_up_of is not None]
    assert sorted(v.follow_up_of for v in follow_ups) == incomplete
    for v in follow_ups:
        first = plan.visits[v.follow_up_of]
        assert v.ticket_id == first.ticket_id and v.on_site_at > first.finished_at
    share = len(incomplete) / len([v for v in done if v.follow_up_of is None])
    assert 0.05 < share < 0.25


def test_open_tickets_become_unscheduled_work_with_windows_in_the_future():
    plan = plan_field(TECHS, _tickets(400), seed=7, now=NOW)
    open_ = [v for v in plan.visits if v.status == "unscheduled"]
    assert len(open_) == 40  # every open ticket, under the cap
    for v in open_:
        assert v.technician_user_id is None
        if v.window_kind:
            assert v.window_end > NOW and v.window_start < v.window_end


def test_technicians_hold_their_team_skills_and_one_certificate_has_lapsed():
    plans = plan_technicians(TECHS, seed=3, today=date(2026, 11, 23))
    assert {"hvac", "refrigeration", "heating"} <= {s for s, _, _ in plans[0].skills}
    assert {"electrical", "ups"} <= {s for s, _, _ in plans[5].skills}
    lapsed = [
        (p.user_id, s) for p in plans for s, _, until in p.skills if until and until < date(2026, 11, 23)
    ]
    assert len(lapsed) <= 1


def test_same_seed_same_plan():
    a = plan_field(TECHS, _tickets(120), seed=11, now=NOW)
    b = plan_field(TECHS, _tickets(120), seed=11, now=NOW)
    assert [(v.technician_user_id, v.on_site_at, v.status) for v in a.visits] == [
        (v.technician_user_id, v.on_site_at, v.status) for v in b.visits
    ]
