"""The demo organisation: deterministic for a seed, realistic in size and shape, fully audited."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Team, TeamMembership, User
from steward.core.calendars import BusinessCalendar
from steward.core.models import AuditEvent, Calendar
from steward.customers.models import Asset, Contact, CustomerAccount, Site
from steward.demo import generator
from steward.demo.generator import LAT_RANGE, LOGIN_ROLES, LON_RANGE, demo_logins, load_demo
from steward.demo.models import DemoLoad

SMALL = {"accounts": 8, "agents": 2, "technicians": 3, "history": 150}
SPRING_2026 = date(2026, 5, 4)


def _rows(*, with_dates: bool = True) -> list:
    """Everything the demo wrote, by natural keys (no ids, no timestamps), in a stable order."""
    accounts = sorted(
        CustomerAccount.objects.values_list("name", "tier", "contract_ref", "email_domain", "notes")
    )
    if not with_dates:
        accounts = [(n, t, ref[:3] + ref[7:], d, notes) for n, t, ref, d, notes in accounts]
    contacts = sorted(
        Contact.objects.values_list(
            "account__name", "full_name", "email", "phone", "job_title", "is_primary", "user__email"
        ),
        key=str,
    )
    sites = sorted(
        (a, n, addr, pc, city, country, str(lat), str(lon), tz, notes)
        for a, n, addr, pc, city, country, lat, lon, tz, notes in Site.objects.values_list(
            "account__name",
            "name",
            "address",
            "postcode",
            "city",
            "country",
            "latitude",
            "longitude",
            "timezone",
            "access_notes",
        )
    )
    asset_fields = [
        "account__name",
        "site__name",
        "model",
        "manufacturer",
        "serial_number",
        "status",
        "notes",
    ]
    if with_dates:
        asset_fields += ["install_date", "warranty_end"]
    assets = sorted(tuple(str(v) for v in row) for row in Asset.objects.values_list(*asset_fields))
    users = sorted(
        (u.email, u.full_name, u.phone, sorted(u.roles), u.customer_role, u.has_usable_password())
        for u in User.objects.all()
    )
    teams = sorted(
        (t.name, t.email, t.calendar.name, sorted((m.user.email, m.is_lead) for m in t.memberships.all()))
        for t in Team.objects.select_related("calendar").prefetch_related("memberships__user")
    )
    calendars = sorted(
        (c.name, json.dumps(c.spec, sort_keys=True) if with_dates else c.name) for c in Calendar.objects.all()
    )
    return [accounts, contacts, sites, assets, users, teams, calendars]


def _digest(**kwargs) -> str:
    return hashlib.sha256(json.dumps(_rows(**kwargs), default=str).encode()).hexdigest()


def _load_and_digest(seed: int, today: date = SPRING_2026, **kwargs) -> tuple[str, str]:
    """Load into the current (empty) database, take digests, and roll the load back again."""
    point = transaction.savepoint()
    try:
        assert not CustomerAccount.objects.exists()
        load_demo(seed=seed, today=today, **SMALL)
        return _digest(**kwargs), _digest(with_dates=False)
    finally:
        transaction.savepoint_rollback(point)


# --- Pure planning -------------------------------------------------------------------------------


def test_logins_are_deterministic_per_seed_and_independent_of_sizes():
    logins = demo_logins(42)
    assert [x["role"] for x in logins] == list(LOGIN_ROLES)
    assert logins == demo_logins(42)
    assert [x["email"] for x in logins] != [x["email"] for x in demo_logins(43)]
    assert all(len(x["password"]) >= 10 for x in logins)
    assert len({x["password"] for x in logins}) == len(logins)
    staff = generator.plan_staff(42, agents=2, technicians=1)
    small = {p.login_role: p.email for p in generator._staff_people(staff) if p.login_role}
    assert {x["role"]: x["email"] for x in logins if x["role"] in small} == small


@pytest.mark.parametrize("seed", [0, 1, 42, 2026])
def test_plan_stays_in_berlin_and_keeps_its_shape(seed):
    plans = generator.plan_accounts(seed, today=SPRING_2026)
    assert len(plans) == 150
    assert len({p.name for p in plans}) == 150
    assert len({p.email_domain for p in plans}) == 150
    assert all(p.email_domain.endswith(".example") for p in plans)
    assert plans[0].tier == "gold"
    sites = [s for p in plans for s in p.sites]
    assert 240 <= len(sites) <= 360
    for s in sites:
        assert LAT_RANGE[0] <= s.latitude <= LAT_RANGE[1]
        assert LON_RANGE[0] <= s.longitude <= LON_RANGE[1]
        assert 10115 <= int(s.postcode) <= 14199
        assert s.city.startswith("Berlin-")
    assets = [a for s in sites for a in s.assets]
    assert 480 <= len(assets) <= 720
    serials = {(a["manufacturer"], a["serial_number"]) for a in assets}
    assert len(serials) == len(assets)
    for a in assets:
        assert date(2014, 5, 1) <= a["install_date"] < SPRING_2026
        assert 2 <= (a["warranty_end"] - a["install_date"]).days // 365 <= 5


# --- Loading -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_seed_gives_identical_data_and_another_seed_different_data():
    first, first_structure = _load_and_digest(7)
    again, _ = _load_and_digest(7)
    later, later_structure = _load_and_digest(7, today=date(2031, 1, 15))
    _, other_structure = _load_and_digest(8)
    assert first == again
    assert first != later, "dates relative to today move"
    assert first_structure == later_structure, "but nothing structural depends on today"
    assert first_structure != other_structure


@pytest.mark.django_db
def test_small_load_calendars_carry_german_and_berlin_holidays():
    result = load_demo(seed=3, today=SPRING_2026, **SMALL)
    assert result.counts["accounts"] == 8
    office = Calendar.objects.get(name="Berlin office hours")
    extended = Calendar.objects.get(name="Berlin extended hours")
    for cal in (office, extended):
        holidays = set(cal.spec["holidays"])
        assert {"2026-12-25", "2026-10-03", "2026-03-08", "2027-12-25", "2027-10-03"} <= holidays
        assert "2026-12-24" not in holidays and "2026-11-01" not in holidays  # not holidays in Berlin
        assert BusinessCalendar.from_spec(cal.spec).timezone == "Europe/Berlin"
    assert office.spec["hours"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert office.spec["hours"].get("sat", []) == []
    assert extended.spec["hours"]["sat"] == [["08:00", "14:00"]]
    always = Calendar.objects.get(name="24/7")
    assert always.spec["always"] is True and not always.spec.get("holidays")
    assert result.logins == demo_logins(3)
    assert DemoLoad.objects.get().logins == result.logins


@pytest.mark.django_db
def test_full_load_through_the_command():
    out = io.StringIO()
    call_command("demo", seed=42, history_tickets=400, stdout=out)
    output = out.getvalue()

    # Counts in range.
    assert CustomerAccount.objects.count() == 150
    assert 150 <= Contact.objects.count() <= 450
    assert 250 <= Site.objects.count() <= 350
    assert 500 <= Asset.objects.count() <= 700
    staff = User.objects.filter(customer_account__isnull=True)
    assert staff.filter(role_grants__role="agent").count() == 8
    assert staff.filter(role_grants__role="technician").count() == 20
    assert Team.objects.count() == 5
    assert all(t.memberships.filter(is_lead=True).count() == 1 for t in Team.objects.all())
    assert TeamMembership.objects.values("user").distinct().count() < TeamMembership.objects.count()
    tiers = dict.fromkeys(("gold", "silver", "bronze", "standard"), 0)
    for tier in CustomerAccount.objects.values_list("tier", flat=True):
        tiers[tier] += 1
    assert 15 <= tiers["gold"] <= 30 and 35 <= tiers["silver"] <= 55
    assert 40 <= tiers["bronze"] <= 65 and 20 <= tiers["standard"] <= 40
    assert not CustomerAccount.objects.filter(tier="standard").exclude(contract_ref="").exists()
    assert not CustomerAccount.objects.exclude(tier="standard").filter(contract_ref="").exists()
    assert all(
        c.contacts.filter(is_primary=True).count() == 1
        for c in CustomerAccount.objects.prefetch_related("contacts")
    )
    emails = list(User.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))

    # Every site inside the metro bounding box, with a valid timezone.
    for lat, lon, tz in Site.objects.values_list("latitude", "longitude", "timezone"):
        assert LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
        assert ZoneInfo(tz).key == "Europe/Berlin"

    # Every login authenticates and holds the role it claims.
    load = DemoLoad.objects.get()
    assert load.seed == 42 and load.logins == demo_logins(42)
    for login in load.logins:
        user = authenticate(email=login["email"], password=login["password"])
        assert user is not None, login
        assert login["email"] in output and login["password"] in output
        if login["role"] in ("customer_admin", "requester"):
            assert user.customer_role == login["role"]
            assert user.customer_account.tier == "gold"
            assert user.contact.account_id == user.customer_account_id
        else:
            assert user.roles == {login["role"]}
    customer_accounts = {
        User.objects.get(email=x["email"]).customer_account_id
        for x in load.logins
        if x["role"] in ("customer_admin", "requester")
    }
    assert len(customer_accounts) == 1

    # Holidays of the current and next year.
    year = timezone.localdate().year
    holidays = set(Calendar.objects.get(name="Berlin office hours").spec["holidays"])
    assert {f"{year}-12-25", f"{year}-10-03", f"{year + 1}-12-25", f"{year + 1}-10-03"} <= holidays

    # An audit event for every object created, by the demo admin.
    admin = User.objects.get(email=load.logins[0]["email"])
    for model, action in (
        (CustomerAccount, "customer_account.create"),
        (Contact, "contact.create"),
        (Site, "site.create"),
        (Asset, "asset.create"),
        (User, "user.create"),
        (Team, "team.create"),
        (Calendar, "calendar.create"),
    ):
        events = AuditEvent.objects.filter(action=action, object_type=model._meta.label_lower)
        assert set(events.values_list("object_id", flat=True)) == {
            str(pk) for pk in model.objects.values_list("pk", flat=True)
        }
        assert not events.exclude(actor=admin).exclude(object_id=str(admin.pk)).exists()
    assert AuditEvent.objects.filter(action="contact.link_user").count() == 2

    # The command reports and refuses a second load.
    assert "customers: 150/150 accounts" in output
    assert "150 accounts" in output.splitlines()[-1]
    with pytest.raises(CommandError, match=r"demo data already loaded \(seed 42\)"):
        call_command("demo", seed=42, stdout=io.StringIO())
    assert CustomerAccount.objects.count() == 150


@pytest.mark.django_db
def test_command_refuses_when_customers_exist():
    CustomerAccount.objects.create(name="Existing Kunde GmbH")
    with pytest.raises(CommandError, match="already holds customer accounts") as exc:
        call_command("demo", seed=1, stdout=io.StringIO())
    assert exc.value.returncode == 1
    assert not DemoLoad.objects.exists()


@pytest.mark.django_db
def test_the_demo_publishes_todays_routes_and_leaves_tomorrows_as_a_draft():
    from steward.dispatch.models import Plan, PlanVisit
    from steward.field.models import WorkOrder

    result = load_demo(seed=3, today=SPRING_2026, **SMALL)
    today, tomorrow = Plan.objects.order_by("horizon_start")
    assert (today.horizon_start, today.status) == (SPRING_2026, "published")
    assert (tomorrow.horizon_start, tomorrow.status) == (SPRING_2026 + timedelta(days=1), "ready")
    assert result.counts["plan_today"] == today.pk and result.counts["plan_tomorrow"] == tomorrow.pk
    visits = list(PlanVisit.objects.filter(route__plan=today).select_related("route", "work_order"))
    assert visits, "today's open field work should be routed"
    for visit in visits:
        wo = visit.work_order
        # published: each routed job is scheduled on its technician at the planned time
        assert (wo.status, wo.technician_id, wo.scheduled_start) == (
            "scheduled",
            visit.route.technician_id,
            visit.start_at,
        )
        assert wo.scheduled_start >= timezone.make_aware(
            datetime(2026, 5, 4, 10, 30), ZoneInfo("Europe/Berlin")
        )
    # the draft has changed nothing yet
    tomorrow_jobs = PlanVisit.objects.filter(route__plan=tomorrow).values_list("work_order", flat=True)
    assert not WorkOrder.objects.filter(pk__in=tomorrow_jobs, status="scheduled").exists()
