"""HTTP tests of the dispatcher's and manager's field pages: a new work order by hand, maintenance
plans (list, detail with the visits they generated, forms), depots and vans. Each page renders for
a role allowed to use it; a valid form writes through the service; a bad one comes back as a 422
naming the field, with nothing written; other roles get 403, a missing object 404."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from steward.core.models import AuditEvent
from steward.field import services
from steward.field.models import Depot, MaintenancePlan, Van, WorkOrder
from steward.field.tests.helpers import field_service, technician
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _plan(world, *, actor=None, account=None, site=None, **kw):
    kw.setdefault("title", "Quarterly chiller service")
    kw.setdefault("interval_count", 3)
    kw.setdefault("interval_unit", "months")
    kw.setdefault("first_due", timezone.localdate() + timedelta(days=10))
    return services.maintenance_plan_create(
        actor=actor or world.users["dispatcher"],
        account=account or world.account_b,
        site=site or world.site_b,
        **kw,
    )


def _depot(world, name="Depot Nord", **kw):
    kw.setdefault("address", "Nordstr. 1, Berlin")
    kw.setdefault("latitude", Decimal("52.55"))
    kw.setdefault("longitude", Decimal("13.38"))
    return services.depot_create(actor=world.users["dispatcher"], name=name, **kw)


def _errors_for(html: str, field: str) -> bool:
    """The form shows an error next to the field (the markup of _form.html / catalog/_field.html)."""
    return f'id="id_{field}-error"' in html


# --- a new work order by hand --------------------------------------------------------------------


def _work_order_post(world, **overrides):
    data = {
        "account": world.account_a.pk,
        "site": world.site_a.pk,
        "asset": world.asset_a.pk,
        "title": "Leaking valve in the boiler room",
        "description": "Reported by the caretaker on the phone.",
        "service": "",
        "required_skills": "hvac, gas",
        "duration_minutes": "90",
        "priority": "P2",
        "window_start": "2026-06-01T09:00",
        "window_end": "2026-06-01T12:00",
    }
    data.update(overrides)
    return data


def test_work_order_list_offers_a_new_work_order_to_editors_only(world, client_for):
    technician(world.users["technician"])
    page = client_for(world.users["dispatcher"]).get("/field/").content.decode()
    assert 'href="/field/work-orders/new/"' in page
    assert 'href="/field/maintenance-plans/"' in page and 'href="/field/depots/"' in page  # the field tabs
    page = client_for(world.users["technician"]).get("/field/").content.decode()
    assert "/field/work-orders/new/" not in page


def test_new_work_order_page_offers_the_chosen_accounts_sites_only(world, client_for):
    client = client_for(world.users["dispatcher"])
    page = client.get("/field/work-orders/new/")
    assert page.status_code == 200 and 'id="account-search"' in page.content.decode()
    html = client.get(f"/field/work-orders/new/?account={world.account_a.pk}").content.decode()
    site_select = re.search(r'<select name="site".*?</select>', html, re.S).group(0)
    assert world.account_a.name in html and f'value="{world.site_a.pk}"' in site_select
    assert f'value="{world.site_b.pk}"' not in site_select


def test_account_search_links_back_to_the_form_with_the_account(world, client_for):
    client = client_for(world.users["agent"])
    html = client.get("/field/accounts/search/?account_q=beta&for=work_order", **HTMX).content.decode()
    assert "Beta Kliniken AG" in html and "Alpha" not in html
    assert f"/field/work-orders/new/?account={world.account_b.pk}" in html
    # The plan form's search is for those who may create plans; an unknown form is not found.
    assert client.get("/field/accounts/search/?account_q=beta&for=maintenance_plan").status_code == 403
    assert client.get("/field/accounts/search/?account_q=beta&for=nothing").status_code == 404
    for actor in ("technician", "customer_a_admin"):
        assert client_for(world.users[actor]).get("/field/accounts/search/?account_q=a").status_code == 403


def test_new_work_order_is_created_through_the_service(world, client_for):
    world.site_a.timezone = "America/New_York"
    world.site_a.save()
    client = client_for(world.users["dispatcher"])
    response = client.post("/field/work-orders/new/", _work_order_post(world))
    wo = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/field/work-orders/{wo.pk}/"
    assert (wo.account, wo.site, wo.asset) == (world.account_a, world.site_a, world.asset_a)
    assert wo.title == "Leaking valve in the boiler room" and wo.description.startswith("Reported")
    assert wo.required_skills == ["gas", "hvac"] and wo.duration_minutes == 90 and wo.priority == "P2"
    assert wo.origin == "manual" and wo.status == "unscheduled" and wo.created_by == world.users["dispatcher"]
    # The window was typed in the site's local time (New York, EDT in June).
    new_york = ZoneInfo("America/New_York")
    assert wo.window_kind == "booked"
    assert wo.window_start == datetime(2026, 6, 1, 9, tzinfo=new_york)
    assert wo.window_end == datetime(2026, 6, 1, 12, tzinfo=new_york)
    assert wo.number.startswith("WO-") and wo.events.count() == 1
    assert AuditEvent.objects.filter(action="work_order.create", object_id=str(wo.pk)).exists()
    assert wo.number in client.get(f"/field/work-orders/{wo.pk}/").content.decode()


def test_new_work_order_without_duration_or_skills_takes_the_services(world, client_for):
    service = field_service(required_skills=["electrical"], standard_duration_minutes=45)
    client = client_for(world.users["agent"])
    data = _work_order_post(
        world, service=service.pk, required_skills="", duration_minutes="", window_start="", window_end=""
    )
    assert client.post("/field/work-orders/new/", data).status_code == 302
    wo = WorkOrder.objects.get()
    assert wo.service == service and wo.required_skills == ["electrical"] and wo.duration_minutes == 45
    assert wo.window_kind == "" and wo.window_start is None and wo.window_end is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"site": "SITE_B"}, "site", "no such site at this customer account"),
        ({"title": ""}, "title", "This field is required."),
        ({"duration_minutes": "2"}, "duration_minutes", "greater than or equal to 5"),
        ({"window_end": "2026-06-01T08:00"}, "window_end", "must not be before the window opens"),
        ({"priority": "P9"}, "priority", "Select a valid choice"),
        ({"account": "999999"}, "account", "no such customer account"),
    ],
)
def test_bad_work_order_input_is_a_422_naming_the_field(world, client_for, overrides, field, message):
    overrides = {k: world.site_b.pk if v == "SITE_B" else v for k, v in overrides.items()}
    response = client_for(world.users["dispatcher"]).post(
        "/field/work-orders/new/", _work_order_post(world, **overrides)
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert _errors_for(html, field) and message in html
    assert WorkOrder.objects.count() == 0 and not AuditEvent.objects.filter(action="work_order.create")


def test_a_refusal_of_the_service_lands_on_its_field(world, client_for):
    other_site = f.SiteFactory(account=world.account_a, name="Alpha Lager")
    response = client_for(world.users["dispatcher"]).post(
        "/field/work-orders/new/", _work_order_post(world, site=other_site.pk)
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert _errors_for(html, "asset") and "the asset is installed at another site" in html
    assert WorkOrder.objects.count() == 0


@pytest.mark.parametrize("actor", ["technician", "customer_a_admin", "customer_a_requester"])
def test_others_may_not_create_work_orders(world, client_for, actor):
    client = client_for(world.users[actor])
    assert client.get("/field/work-orders/new/").status_code == 403
    assert client.post("/field/work-orders/new/", _work_order_post(world)).status_code == 403
    assert WorkOrder.objects.count() == 0


# --- maintenance plans ---------------------------------------------------------------------------


def _plan_post(world, **overrides):
    data = {
        "account": world.account_b.pk,
        "site": world.site_b.pk,
        "asset": world.asset_b.pk,
        "service": "",
        "title": "Annual boiler inspection",
        "interval_count": "12",
        "interval_unit": "months",
        "first_due": "2026-09-15",
        "horizon_days": "45",
        "duration_minutes": "120",
        "required_skills": "gas, hvac",
        "priority": "P2",
        "window_days_before": "7",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_plan_list_searches_paginates_and_shows_the_next_due(world, client_for, settings):
    settings.STEWARD_PAGE_SIZE = 5
    first_due = timezone.localdate() - timedelta(days=3)
    _plan(world, title="Weekly filter check", interval_count=1, interval_unit="weeks", first_due=first_due)
    for n in range(5):
        _plan(world, title=f"Pump service {n}", account=world.account_a, site=world.site_a)
    client = client_for(world.users["dispatcher"])
    page = client.get("/field/maintenance-plans/")
    html = page.content.decode()
    assert page.status_code == 200 and "Page 1 of 2" in html and "6 in all" in html
    assert 'href="/field/maintenance-plans/new/"' in html
    second = client.get("/field/maintenance-plans/?page=2", **HTMX).content.decode()
    assert "<html" not in second and "Page 2 of 2" in second and second.count("<tr>") == 2  # head + 1
    found = client.get("/field/maintenance-plans/?q=filter", **HTMX).content.decode()
    assert "Weekly filter check" in found and "Pump service" not in found
    assert (first_due + timedelta(days=7)).isoformat() in found  # next due: a week after the first
    paused = client.get("/field/maintenance-plans/?active=no", **HTMX).content.decode()
    assert "No maintenance plans match" in paused


def test_agents_read_plans_but_do_not_get_the_forms(world, client_for):
    plan = _plan(world)
    client = client_for(world.users["agent"])
    html = client.get("/field/maintenance-plans/").content.decode()
    assert plan.title in html and "/field/maintenance-plans/new/" not in html
    detail = client.get(f"/field/maintenance-plans/{plan.pk}/").content.decode()
    assert plan.title in detail and f"/field/maintenance-plans/{plan.pk}/edit/" not in detail
    assert client.get("/field/maintenance-plans/new/").status_code == 403
    assert client.post("/field/maintenance-plans/new/", _plan_post(world)).status_code == 403
    assert client.get(f"/field/maintenance-plans/{plan.pk}/edit/").status_code == 403
    assert client.post(f"/field/maintenance-plans/{plan.pk}/edit/", _plan_post(world)).status_code == 403
    assert MaintenancePlan.objects.count() == 1
    plan.refresh_from_db()
    assert plan.title == "Quarterly chiller service"


@pytest.mark.parametrize("actor", ["technician", "customer_b_admin", "customer_a_admin"])
def test_plan_pages_are_refused_to_technicians_and_customers(world, client_for, actor):
    plan = _plan(world)
    client = client_for(world.users[actor])
    for path in ("/field/maintenance-plans/", f"/field/maintenance-plans/{plan.pk}/"):
        assert client.get(path).status_code == 403
    assert client.post("/field/maintenance-plans/new/", _plan_post(world)).status_code == 403
    assert client.post(f"/field/maintenance-plans/{plan.pk}/edit/", _plan_post(world)).status_code == 403
    assert MaintenancePlan.objects.count() == 1 and MaintenancePlan.objects.get().title == plan.title


def test_a_missing_plan_is_not_found(world, client_for):
    client = client_for(world.users["manager"])
    assert client.get("/field/maintenance-plans/999999/").status_code == 404
    assert client.get("/field/maintenance-plans/999999/edit/").status_code == 404


def test_new_plan_is_created_through_the_service(world, client_for):
    client = client_for(world.users["manager"])
    form = client.get(f"/field/maintenance-plans/new/?account={world.account_b.pk}").content.decode()
    # Only the chosen account's sites are offered (read from the site select alone: ids of other
    # tables may be the same numbers).
    site_select = re.search(r'<select name="site".*?</select>', form, re.S).group(0)
    assert f'value="{world.site_b.pk}"' in site_select and f'value="{world.site_a.pk}"' not in site_select
    response = client.post("/field/maintenance-plans/new/", _plan_post(world))
    plan = MaintenancePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/field/maintenance-plans/{plan.pk}/"
    assert (plan.account, plan.site, plan.asset, plan.service) == (
        world.account_b,
        world.site_b,
        world.asset_b,
        None,
    )
    assert plan.title == "Annual boiler inspection"
    assert (plan.interval_count, plan.interval_unit, plan.first_due) == (12, "months", date(2026, 9, 15))
    assert (plan.horizon_days, plan.duration_minutes, plan.window_days_before) == (45, 120, 7)
    assert plan.required_skills == ["gas", "hvac"] and plan.priority == "P2" and plan.is_active
    assert plan.next_generation_at is not None  # due for the worker at once
    assert AuditEvent.objects.filter(action="maintenance_plan.create", object_id=str(plan.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"interval_count": "0"}, "interval_count", "greater than or equal to 1"),
        ({"interval_unit": "years"}, "interval_unit", "Select a valid choice"),
        ({"first_due": "2026-02-30"}, "first_due", "Enter a valid date"),
        ({"site": "SITE_A"}, "site", "no such site at this customer account"),
        ({"asset": "ASSET_A"}, "asset", "no such asset at this customer account"),
        ({"title": ""}, "title", "This field is required."),
        ({"duration_minutes": "3"}, "duration_minutes", "greater than or equal to 5"),
        ({"account": ""}, "account", "choose the customer account"),
    ],
)
def test_bad_plan_input_is_a_422_naming_the_field(world, client_for, overrides, field, message):
    swap = {"SITE_A": world.site_a.pk, "ASSET_A": world.asset_a.pk}
    overrides = {k: swap.get(v, v) for k, v in overrides.items()}
    response = client_for(world.users["dispatcher"]).post(
        "/field/maintenance-plans/new/", _plan_post(world, **overrides)
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert _errors_for(html, field) and message in html
    assert MaintenancePlan.objects.count() == 0 and not AuditEvent.objects.filter(
        action="maintenance_plan.create"
    )


def test_plan_asset_at_another_site_is_refused_by_the_service(world, client_for):
    other_site = f.SiteFactory(account=world.account_b, name="Beta Klinik Süd")
    response = client_for(world.users["dispatcher"]).post(
        "/field/maintenance-plans/new/", _plan_post(world, site=other_site.pk)
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert _errors_for(html, "asset") and "the asset is installed at another site" in html
    assert MaintenancePlan.objects.count() == 0


def test_plan_detail_shows_the_plan_and_pages_its_work_orders(world, client_for, settings):
    settings.STEWARD_PAGE_SIZE = 5
    today = timezone.localdate()
    plan = _plan(
        world,
        title="Daily legionella flush",
        interval_count=1,
        interval_unit="days",
        first_due=today,
        horizon_days=11,
    )
    made = services.maintenance_generate(plan_id=plan.pk, now=timezone.now())
    assert len(made) >= 11
    other = services.work_order_create(
        actor=world.users["dispatcher"], account=world.account_b, site=world.site_b, title="Unrelated visit"
    )
    client = client_for(world.users["dispatcher"])
    html = client.get(f"/field/maintenance-plans/{plan.pk}/").content.decode()
    assert "Daily legionella flush" in html and world.site_b.name in html
    assert f"Page 1 of {-(-len(made) // 5)}" in html and other.number not in html
    assert "no contract covers it" in html
    latest = max(made, key=lambda w: w.maintenance_due)
    assert latest.number in html  # the latest due date first
    second = client.get(f"/field/maintenance-plans/{plan.pk}/?page=2", **HTMX).content.decode()
    assert "<html" not in second and "Page 2 of" in second
    # From one of its work orders back to the plan.
    wo_page = client.get(f"/field/work-orders/{latest.pk}/").content.decode()
    assert f'href="/field/maintenance-plans/{plan.pk}/"' in wo_page


def test_plan_detail_tells_when_a_contract_makes_the_due_day_an_sla_deadline(world, client_for):
    plan = _plan(world)
    today = timezone.localdate()
    f.ContractFactory(
        account=world.account_b, valid_from=today - timedelta(days=1), valid_to=today + timedelta(days=365)
    )
    html = client_for(world.users["manager"]).get(f"/field/maintenance-plans/{plan.pk}/").content.decode()
    assert "a contract covers it" in html


def test_plan_edit_goes_through_the_service(world, client_for):
    plan = _plan(world)
    client = client_for(world.users["dispatcher"])
    page = client.get(f"/field/maintenance-plans/{plan.pk}/edit/")
    assert page.status_code == 200 and 'value="Quarterly chiller service"' in page.content.decode()
    data = _plan_post(world, title="Quarterly chiller service (extended)", horizon_days="60", is_active="")
    data.pop("account")
    response = client.post(f"/field/maintenance-plans/{plan.pk}/edit/", data)
    assert response.status_code == 302 and response["Location"] == f"/field/maintenance-plans/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.title == "Quarterly chiller service (extended)" and plan.horizon_days == 60
    assert plan.is_active is False and plan.asset == world.asset_b and plan.required_skills == ["gas", "hvac"]
    event = AuditEvent.objects.get(action="maintenance_plan.update", object_id=str(plan.pk))
    assert "horizon_days" in event.changes
    # A bad edit changes nothing.
    bad = client.post(f"/field/maintenance-plans/{plan.pk}/edit/", {**data, "horizon_days": "0"})
    assert bad.status_code == 422 and _errors_for(bad.content.decode(), "horizon_days")
    plan.refresh_from_db()
    assert plan.horizon_days == 60
    # The account is fixed: another account's site is no choice.
    bad = client.post(f"/field/maintenance-plans/{plan.pk}/edit/", {**data, "site": world.site_a.pk})
    assert bad.status_code == 422 and "no such site at this customer account" in bad.content.decode()
    plan.refresh_from_db()
    assert plan.site == world.site_b


# --- depots and vans -----------------------------------------------------------------------------


def test_depot_list_paginates_and_counts_vans(world, client_for, settings):
    settings.STEWARD_PAGE_SIZE = 5
    depot = _depot(world, "Depot A")
    for n in range(5):
        _depot(world, f"Depot Z{n}")
    services.van_create(actor=world.users["dispatcher"], name="Van 01", depot=depot)
    client = client_for(world.users["dispatcher"])
    html = client.get("/field/depots/").content.decode()
    assert "Page 1 of 2" in html and "Depot A" in html and f'href="/field/vans/?depot={depot.pk}">1<' in html
    assert "Depot Z4" in client.get("/field/depots/?page=2", **HTMX).content.decode()
    assert "Depot Z" not in client.get("/field/depots/?q=depot+a", **HTMX).content.decode()
    # Technicians see depots (where they start from), without the forms.
    html = client_for(world.users["technician"]).get("/field/depots/").content.decode()
    assert "Depot A" in html and "/field/depots/new/" not in html


def test_depot_create_and_edit_go_through_the_services(world, client_for):
    client = client_for(world.users["manager"])
    assert client.get("/field/depots/new/").status_code == 200
    data = {
        "name": "Depot Süd",
        "address": "Südring 5, München",
        "latitude": "48.1",
        "longitude": "11.6",
        "timezone": "Europe/Berlin",
    }
    response = client.post("/field/depots/new/", data)
    depot = Depot.objects.get()
    assert response.status_code == 302 and response["Location"] == "/field/depots/"
    assert (depot.name, depot.address, depot.latitude, depot.longitude) == (
        "Depot Süd",
        "Südring 5, München",
        Decimal("48.1"),
        Decimal("11.6"),
    )
    assert AuditEvent.objects.filter(action="depot.create", object_id=str(depot.pk)).exists()
    response = client.post(f"/field/depots/{depot.pk}/edit/", {**data, "address": "Südring 7, München"})
    assert response.status_code == 302
    depot.refresh_from_db()
    assert depot.address == "Südring 7, München"
    assert AuditEvent.objects.filter(action="depot.update", object_id=str(depot.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"latitude": "95"}, "latitude", "less than or equal to 90"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "Depot Nord"}, "name", "already exists"),
    ],
)
def test_bad_depot_input_is_a_422_naming_the_field(world, client_for, overrides, field, message):
    _depot(world, "Depot Nord")
    data = {"name": "Depot Ost", "address": "Ostweg 1", "latitude": "52.5", "longitude": "13.5"}
    data["timezone"] = "Europe/Berlin"
    response = client_for(world.users["dispatcher"]).post("/field/depots/new/", {**data, **overrides})
    html = response.content.decode()
    assert response.status_code == 422 and _errors_for(html, field) and message in html
    assert Depot.objects.count() == 1


def test_van_list_filters_by_depot_and_shows_the_driver(world, client_for, settings):
    settings.STEWARD_PAGE_SIZE = 5
    north, south = _depot(world, "Depot Nord"), _depot(world, "Depot Süd")
    van = services.van_create(
        actor=world.users["dispatcher"], name="Van 01", registration="B-SW 1", depot=north
    )
    for n in range(5):
        services.van_create(actor=world.users["dispatcher"], name=f"Van 1{n}", depot=south)
    tech = technician(world.users["technician"])
    services.technician_update(actor=world.users["dispatcher"], technician=tech, van=van)
    client = client_for(world.users["agent"])
    html = client.get("/field/vans/").content.decode()
    assert "Page 1 of 2" in html and "B-SW 1" in html and tech.user.full_name in html
    assert "/field/vans/new/" not in html  # agents read
    only_north = client.get(f"/field/vans/?depot={north.pk}", **HTMX).content.decode()
    assert "Van 01" in only_north and "Van 10" not in only_north


def test_van_create_and_edit_go_through_the_services(world, client_for):
    north, south = _depot(world, "Depot Nord"), _depot(world, "Depot Süd")
    client = client_for(world.users["dispatcher"])
    assert north.name in client.get("/field/vans/new/").content.decode()
    response = client.post(
        "/field/vans/new/", {"name": "Van 07", "registration": "B-SW 7", "depot": north.pk}
    )
    van = Van.objects.get()
    assert response.status_code == 302 and response["Location"] == "/field/vans/"
    assert (van.name, van.registration, van.depot) == ("Van 07", "B-SW 7", north)
    response = client.post(
        f"/field/vans/{van.pk}/edit/", {"name": "Van 07", "registration": "", "depot": south.pk}
    )
    assert response.status_code == 302
    van.refresh_from_db()
    assert van.depot == south and van.registration == ""
    assert AuditEvent.objects.filter(action="van.update", object_id=str(van.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"depot": "999999"}, "depot", "no such depot"),
        ({"name": "Van 01"}, "name", "already exists"),
        ({"registration": "X" * 21}, "registration", "at most 20 characters"),
    ],
)
def test_bad_van_input_is_a_422_naming_the_field(world, client_for, overrides, field, message):
    services.van_create(actor=world.users["dispatcher"], name="Van 01")
    response = client_for(world.users["dispatcher"]).post(
        "/field/vans/new/", {"name": "Van 02", "registration": "", "depot": "", **overrides}
    )
    html = response.content.decode()
    assert response.status_code == 422 and _errors_for(html, field) and message in html
    assert Van.objects.count() == 1


@pytest.mark.parametrize("actor", ["agent", "technician", "customer_a_admin", "customer_b_admin"])
def test_only_field_staff_edit_depots_and_vans(world, client_for, actor):
    depot = _depot(world, "Depot Nord")
    van = services.van_create(actor=world.users["dispatcher"], name="Van 01", depot=depot)
    client = client_for(world.users[actor])
    assert client.post("/field/depots/new/", {"name": "X", "address": "Y"}).status_code == 403
    assert client.post(f"/field/depots/{depot.pk}/edit/", {"name": "X", "address": "Y"}).status_code == 403
    assert client.post("/field/vans/new/", {"name": "Van 99"}).status_code == 403
    assert client.post(f"/field/vans/{van.pk}/edit/", {"name": "Van 99"}).status_code == 403
    assert [d.name for d in Depot.objects.all()] == ["Depot Nord"]
    assert [v.name for v in Van.objects.all()] == ["Van 01"]
    if actor.startswith("customer"):
        assert client.get("/field/depots/").status_code == 403
        assert client.get("/field/vans/").status_code == 403


def test_a_missing_depot_or_van_is_not_found(world, client_for):
    client = client_for(world.users["dispatcher"])
    assert client.get("/field/depots/999999/edit/").status_code == 404
    assert client.get("/field/vans/999999/edit/").status_code == 404


def test_field_tabs_follow_the_roles(world, client_for):
    technician(world.users["technician"])
    html = client_for(world.users["technician"]).get("/field/depots/").content.decode()
    assert 'href="/field/vans/"' in html and 'href="/field/maintenance-plans/"' not in html
    html = client_for(world.users["agent"]).get("/field/maintenance-plans/").content.decode()
    assert 'aria-current="page"' in html and 'href="/field/technicians/"' in html
    # Not on other areas' pages.
    assert 'aria-label="Field service"' not in client_for(world.users["agent"]).get("/desk/").content.decode()
