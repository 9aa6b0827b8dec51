"""Write the demo's field service (planned by `demo.field_plan`): depots, vans, technicians with
skills, shifts and absences, preventive-maintenance plans, the work-order history behind the
field tickets of the desk history, and today's and tomorrow's open work for the dispatcher.

Configuration goes through the services (audited); the history, thousands of past visits, is
written in bulk like the desk's (`desk.bulk`), with the work-order counter moved past it.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from steward.demo.field_plan import DEPOTS, FieldTicketInfo, TechnicianInfo, VisitPlan, plan_field

# Preventive maintenance: (service code, every N, unit, share of the matching assets under a plan)
PM_RULES = (
    ("pm-hvac", 3, "months", 0.5),
    ("pm-electrical", 12, "months", 0.3),
    ("pm-fire-alarm", 12, "months", 0.4),
)
PM_ASSET_WORDS = {"pm-hvac": ("air", "klima", "hvac", "chiller", "heat", "vent", "rooftop", "split", "boiler"),
                  "pm-electrical": ("ups", "switch", "panel", "distribution", "generator"),
                  "pm-fire-alarm": ("fire", "alarm", "detector", "smoke")}  # fmt: skip
PM_PLANS_MAX = 40


def load_field(
    *,
    seed: int,
    now: datetime,
    admin,
    teams: dict,
    counts: dict,
    say: Callable[[str], None],
    dispatch_seconds: int = 5,
) -> None:
    from steward.accounts import services as accounts_services
    from steward.accounts.models import TeamMembership, User
    from steward.field import services as field_services

    t0 = clock.monotonic()
    tech_users = list(User.objects.filter(role_grants__role="technician", is_active=True).order_by("id"))
    team_names: dict[int, list[str]] = {}
    for m in TeamMembership.objects.filter(user__in=tech_users).select_related("team").order_by("team_id"):
        team_names.setdefault(m.user_id, []).append(m.team.name)
    infos = [TechnicianInfo(u.pk, tuple(team_names.get(u.pk, ()))) for u in tech_users]
    tickets = _field_tickets(now)
    plan = plan_field(infos, tickets, seed=seed, now=now)

    depots = [
        field_services.depot_create(actor=admin, name=name, address=address, latitude=Decimal(str(lat)),
                                    longitude=Decimal(str(lon)), timezone="Europe/Berlin")
        for name, address, lat, lon in DEPOTS
    ]  # fmt: skip
    users = {u.pk: u for u in tech_users}
    technicians = {}
    for i, tp in enumerate(plan.technicians):
        van = field_services.van_create(
            actor=admin,
            name=f"Van {i + 1:02d}",
            registration=f"B-SW {1200 + i}",
            depot=depots[tp.depot_index],
        )
        tech = field_services.technician_create(
            actor=admin, user=users[tp.user_id], home_address=tp.home_address,
            home_latitude=Decimal(str(tp.home_lat)), home_longitude=Decimal(str(tp.home_lon)),
            depot=depots[tp.depot_index], starts_from=tp.starts_from, hourly_cost=Decimal(tp.hourly_cost), van=van,
        )  # fmt: skip
        technicians[tp.user_id] = tech
        for skill, level, until in tp.skills:
            accounts_services.user_skill_set(
                actor=admin, user=users[tp.user_id], skill=skill, level=level, certified_until=until
            )
        for weekday in range(6 if tp.saturday else 5):
            start, end = (
                tp.shift if weekday < 5 else (tp.shift[0], tp.shift[0].replace(hour=tp.shift[0].hour + 5))
            )
            field_services.shift_create(actor=admin, technician=tech, weekday=weekday, start=start, end=end)
        for starts_at, ends_at, kind, note in tp.absences:
            field_services.absence_create(
                actor=admin, technician=tech, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note
            )
    counts["technicians"] = len(technicians)
    say(f"field: {len(technicians)} technicians with skills, shifts and vans at {len(depots)} depots")

    written = _write_history(plan.visits, technicians)
    counts["work_orders"] = written
    opened = _write_open_work(plan.visits, admin=admin, now=now)
    pm = _maintenance_plans(admin=admin, now=now, seed=seed)
    counts["maintenance_plans"] = pm["plans"]
    counts["open_work_orders"] = opened + pm["work_orders"]
    c = plan.counts()
    say(f"field: {written} past visits ({c['incomplete']} incomplete first visits, {c['follow_ups']} follow-ups), "
        f"{opened} open field jobs, {pm['plans']} maintenance plans ({pm['work_orders']} visits ahead) "
        f"in {clock.monotonic() - t0:.1f}s")  # fmt: skip
    if dispatch_seconds > 0:
        _dispatch_plans(seed=seed, now=now, admin=admin, seconds=dispatch_seconds, counts=counts, say=say)


def _dispatch_plans(*, seed: int, now: datetime, admin, seconds: int, counts: dict, say) -> None:
    """Today's work optimised and published, so every technician's phone shows their route, and
    tomorrow's optimised and left as a draft for the dispatcher to review and publish. Run here
    rather than by the worker so the demo is whole when `make run` opens it; the task the plan
    queued finds the plan claimed and does nothing."""
    from steward.accounts.models import User
    from steward.dispatch import services as dispatch
    from steward.dispatch.models import PlanVisit

    dispatcher = User.objects.filter(role_grants__role="dispatcher", is_active=True).order_by("id").first()
    dispatcher = dispatcher or admin
    today = timezone.localdate(now)
    for day, publish in ((today, True), (today + timedelta(days=1), False)):
        t0 = clock.monotonic()
        plan = dispatch.plan_create(
            actor=dispatcher, horizon_start=day, days=1, time_limit=seconds, seed=seed
        )
        outcome = dispatch.plan_optimise(plan_id=plan.pk, now=now)
        plan.refresh_from_db()
        if outcome != "done":
            say(f"dispatch: the plan for {day} {outcome}: {plan.error}")
            continue
        if publish:
            plan = dispatch.plan_publish(actor=dispatcher, plan=plan, at=now)
        planned = PlanVisit.objects.filter(route__plan=plan).count()
        counts[f"plan_{'today' if publish else 'tomorrow'}"] = plan.pk
        say(f"dispatch: {day} planned ({plan.get_status_display().lower()}, {planned} visits, "
            f"{plan.unplanned.count()} unplanned) in {clock.monotonic() - t0:.1f}s")  # fmt: skip


def _field_tickets(now: datetime) -> list[FieldTicketInfo]:
    from steward.desk.models import Ticket

    rows = (
        Ticket.objects.filter(service__needs_field_visit=True, site__isnull=False, merged_into__isnull=True)
        .exclude(status="closed", resolved_at__isnull=True)
        .select_related("site", "service")
        .order_by("created_at", "id")
    )
    return [
        FieldTicketInfo(
            id=t.pk, account_id=t.account_id, site_id=t.site_id, asset_id=t.asset_id, service_id=t.service_id,
            subject=t.subject, skills=tuple(t.service.required_skills), duration_minutes=t.service.standard_duration_minutes,
            priority=t.priority, created_at=t.created_at,
            resolved_at=t.resolved_at if t.status in ("resolved", "closed") else None,
            lat=float(t.site.latitude), lon=float(t.site.longitude),
            onsite_deadline=None,
        )
        for t in rows.iterator(chunk_size=2000)
    ]  # fmt: skip


def _write_history(visits: list[VisitPlan], technicians: dict) -> int:
    """Past visits in bulk: work orders, their transition events, the counter past them."""
    from steward.field.models import FieldCounter, WorkOrder, WorkOrderEvent

    past = [(i, v) for i, v in enumerate(visits) if v.status in ("completed", "incomplete")]
    past.sort(key=lambda iv: iv[1].created_at)
    rows, number_of = [], {}
    for n, (i, v) in enumerate(past, start=1):
        number_of[i] = f"WO-{n:06d}"
        rows.append(WorkOrder(
            number=number_of[i], origin="follow_up" if v.follow_up_of is not None else "ticket", ticket_id=v.ticket_id,
            account_id=v.account_id, site_id=v.site_id, asset_id=v.asset_id, service_id=v.service_id, title=v.title,
            required_skills=list(v.skills), duration_minutes=v.duration_minutes, priority=v.priority,
            window_kind=v.window_kind, window_start=v.window_start, window_end=v.window_end,
            sla_deadline=v.sla_deadline, status=v.status, technician=technicians[v.technician_user_id],
            scheduled_start=v.scheduled_start, scheduled_end=v.scheduled_start + timedelta(minutes=v.duration_minutes),
            planned_travel_seconds=v.travel_seconds, planned_travel_meters=v.travel_meters,
            scheduled_at=v.created_at, dispatched_at=v.en_route_at - timedelta(minutes=30),
            en_route_at=v.en_route_at, on_site_at=v.on_site_at, finished_at=v.finished_at,
            completion_notes=v.notes, incomplete_reason=v.incomplete_reason,
            signed_by="Customer on site" if v.status == "completed" else "", created_at=v.created_at,
        ))  # fmt: skip
    created = WorkOrder.objects.bulk_create(rows, batch_size=2000)
    by_number = {w.number: w for w in created}
    if any(w.pk is None for w in created):  # backends that do not return ids from bulk inserts
        by_number = dict(
            WorkOrder.objects.filter(number__in=list(number_of.values())).values_list("number", "pk")
        )
        by_number = {k: WorkOrder(pk=pk) for k, pk in by_number.items()}
    follow_links = [
        WorkOrder(pk=by_number[number_of[i]].pk, follow_up_of_id=by_number[number_of[v.follow_up_of]].pk)
        for i, v in past
        if v.follow_up_of is not None
    ]
    WorkOrder.objects.bulk_update(follow_links, ["follow_up_of"], batch_size=2000)
    events = []
    for i, v in past:
        wo = by_number[number_of[i]]
        steps = (("", "unscheduled", v.created_at), ("unscheduled", "scheduled", v.created_at),
                 ("scheduled", "dispatched", v.en_route_at - timedelta(minutes=30)),
                 ("dispatched", "en_route", v.en_route_at), ("en_route", "on_site", v.on_site_at),
                 ("on_site", v.status, v.finished_at))  # fmt: skip
        for before, after, at in steps:
            note = v.incomplete_reason if after == "incomplete" else ""
            events.append(
                WorkOrderEvent(work_order_id=wo.pk, at=at, from_status=before, to_status=after, note=note)
            )
    WorkOrderEvent.objects.bulk_create(events, batch_size=5000)
    FieldCounter.objects.update_or_create(name="work_order", defaults={"value": len(rows)})
    return len(rows)


def _write_open_work(visits: list[VisitPlan], *, admin, now: datetime) -> int:
    """Open field tickets become unscheduled work orders through the service (numbered, audited,
    on the ticket's timeline), with the booked slot or the SLA deadline as their window."""
    from steward.desk.models import Ticket
    from steward.field import services as field_services

    open_visits = [v for v in visits if v.status == "unscheduled"]
    tickets = Ticket.objects.in_bulk([v.ticket_id for v in open_visits])
    made = 0
    for v in open_visits:
        overrides = {}
        if v.window_kind == "booked":
            overrides = {"window_kind": "booked", "window_start": v.window_start, "window_end": v.window_end}
        field_services.work_order_create_from_ticket(
            actor=admin, ticket=tickets[v.ticket_id], at=now, **overrides
        )
        made += 1
    return made


def _maintenance_plans(*, admin, now: datetime, seed: int) -> dict[str, int]:
    """Maintenance plans on matching assets, and their visits generated ahead (as the worker would)."""
    import random

    from steward.catalog.models import Service
    from steward.customers.models import Asset
    from steward.field import services as field_services
    from steward.field.models import MaintenancePlan

    rng = random.Random(f"{seed}:field:pm")
    services = {s.code: s for s in Service.objects.filter(code__in=[r[0] for r in PM_RULES])}
    assets = list(Asset.objects.filter(status="in_service").select_related("site", "account").order_by("id"))
    today = now.date()
    plans = []
    for code, every, unit, share in PM_RULES:
        service = services.get(code)
        if service is None:
            continue
        words = PM_ASSET_WORDS[code]
        matching = [a for a in assets if any(w in a.model.lower() for w in words)] or assets[
            : len(assets) // 10
        ]
        for asset in matching:
            if len(plans) >= PM_PLANS_MAX or rng.random() > share:
                continue
            first_due = today + timedelta(days=rng.randint(-20, 40))
            plans.append(field_services.maintenance_plan_create(
                actor=admin, account=asset.account, site=asset.site, asset=asset, service=service,
                title=f"{service.name}: {asset.model}", interval_count=every, interval_unit=unit,
                first_due=first_due,
                horizon_days=30, duration_minutes=service.standard_duration_minutes,
                required_skills=list(service.required_skills), priority=service.default_priority,
                window_days_before=5,
            ))  # fmt: skip
    # The worker would claim each plan at its next tick; the demo generates at the load instant.
    MaintenancePlan.objects.filter(pk__in=[p.pk for p in plans]).update(next_generation_at=now)
    generated = 0
    for p in plans:
        generated += len(field_services.maintenance_generate(plan_id=p.pk, now=now))
    return {"plans": len(plans), "work_orders": generated}
