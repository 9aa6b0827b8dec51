"""Catalog pages over HTTP: lists with live search and pagination, the policy page's targets table,
forms through the services with errors at their fields, and what customers may see."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steward.catalog.models import Contract, Service, SlaPolicy
from steward.core.models import AuditEvent
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_navigation_has_catalog_for_staff_and_services_for_customers(world, client_for):
    staff = client_for(world.users["technician"]).get("/").content.decode()
    customer = client_for(world.users["customer_a_requester"]).get("/").content.decode()
    assert '<a href="/catalog/"' in staff and ">Catalog<" in staff
    assert '<a href="/catalog/"' in customer and ">Services<" in customer


def test_service_list_search_htmx_partial_and_pagination(world, client_for):
    for i in range(30):
        f.ServiceFactory(name=f"Boiler service {i:02d}", code=f"boiler-{i:02d}", category="Heating")
    f.ServiceFactory(name="Printer setup", code="printer-setup", category="IT")
    client = client_for(world.users["agent"])
    full = client.get("/catalog/")
    assert b"<html" in full.content and b"Page 1 of" in full.content and b"Heating" in full.content
    partial = client.get("/catalog/?q=boiler&page=2", **HX).content.decode()
    assert "<html" not in partial and "Page 2 of 2" in partial and "q=boiler" in partial
    assert "Printer setup" not in partial
    it_only = client.get("/catalog/?category=IT", **HX).content.decode()
    assert "Printer setup" in it_only and "Boiler" not in it_only


def test_customer_sees_the_portal_catalogue_read_only(world, client_for):
    f.ServiceFactory(name="Visible repair", code="visible")
    hidden = f.ServiceFactory(name="Internal audit", code="internal", portal_visible=False)
    f.ServiceFactory(name="Retired thing", code="retired", is_active=False)
    client = client_for(world.users["customer_a_requester"])
    page = client.get("/catalog/").content.decode()
    assert "Visible repair" in page and "Internal audit" not in page and "Retired thing" not in page
    assert "New service" not in page and "SLA policies" not in page
    visible = Service.objects.get(code="visible")
    detail = client.get(f"/catalog/services/{visible.pk}/")
    assert detail.status_code == 200 and b">Edit<" not in detail.content and b"History" not in detail.content
    assert client.get(f"/catalog/services/{hidden.pk}/").status_code == 404


def test_service_form_creates_and_shows_errors_at_fields(world, client_for):
    client = client_for(world.users["manager"])
    data = {
        "name": "HVAC repair",
        "code": "hvac-repair",
        "category": "HVAC",
        "description": "",
        "default_priority": "P2",
        "needs_field_visit": "on",
        "required_skills": "hvac, f-gas, hvac",
        "standard_duration_minutes": "120",
        "portal_visible": "on",
        "is_active": "on",
    }
    response = client.post("/catalog/services/new/", data)
    assert response.status_code == 302
    svc = Service.objects.get(code="hvac-repair")
    assert svc.required_skills == ["hvac", "f-gas"] and svc.needs_field_visit
    page = client.get(response.url).content.decode()
    assert "f-gas" in page and "2 h" in page and "service.create" in page
    assert "hvac, f-gas" in client.get(f"/catalog/services/{svc.pk}/edit/").content.decode()

    again = client.post("/catalog/services/new/", data | {"name": "Other", "standard_duration_minutes": "0"})
    html = again.content.decode()
    assert again.status_code == 200
    assert 'id="id_code-error"' in html and 'id="id_standard_duration_minutes-error"' in html
    assert Service.objects.count() == 1


@pytest.fixture
def gold(world):
    team = f.TeamFactory(name="Key Accounts")
    calendar = f.CalendarFactory(name="Berlin office hours")
    policy = f.SlaPolicyFactory(name="Gold 24/7", order=10, tiers=["gold"], calendar=calendar)
    policy.customer_accounts.set([world.account_a])
    f.SlaTargetFactory(policy=policy, priority="P1", first_response_minutes=15, next_response_minutes=30,
                       resolution_minutes=240, onsite_minutes=90)  # fmt: skip
    f.SlaTargetFactory(policy=policy, priority="P2", first_response_minutes=30, next_response_minutes=None,
                       resolution_minutes=480)  # fmt: skip
    f.EscalationLevelFactory(
        policy=policy, offset_minutes=-30, actions=[{"type": "notify_team", "team_id": team.pk}]
    )
    f.EscalationLevelFactory(policy=policy, offset_minutes=60, actions=[{"type": "raise_priority"}])
    return policy


def test_policy_detail_shows_conditions_targets_and_escalations(world, client_for, gold):
    page = client_for(world.users["agent"]).get(f"/catalog/sla-policies/{gold.pk}/").content.decode()
    assert "Alpha Facilities GmbH" in page and "tier-gold" in page
    targets = page[page.index('id="targets"') : page.index("</table>", page.index('id="targets"'))]
    assert "15 min" in targets and "4 h" in targets and "1 h 30 min" in targets and "8 h" in targets
    assert "—" in targets  # P2 has no next-response target
    assert "30 min before the deadline" in page and "1 h after the breach" in page
    assert "notify team Key Accounts" in page and "raise priority" in page
    assert "Berlin office hours" in page
    listing = client_for(world.users["agent"]).get("/catalog/sla-policies/").content.decode()
    assert "Gold 24/7" in listing and "customer accounts" in listing


def test_customer_gets_404_on_policy_pages(world, client_for, gold):
    client = client_for(world.users["customer_a_admin"])
    before = AuditEvent.objects.count()
    assert client.get(f"/catalog/sla-policies/{gold.pk}/").status_code == 404
    assert (
        client.post(f"/catalog/sla-policies/{gold.pk}/edit/", {"name": "x", "order": "1"}).status_code == 404
    )
    assert client.get("/catalog/sla-policies/").status_code == 403
    assert AuditEvent.objects.count() == before
    assert SlaPolicy.objects.get(pk=gold.pk).name == "Gold 24/7"


def _policy_post(**overrides) -> dict:
    data = {
        "name": "Silver business hours",
        "description": "",
        "order": "20",
        "is_active": "on",
        "calendar": "",
        "pause_statuses": ["pending", "on_hold"],
        "warning_percent": "80",
        "tiers": ["silver"],
        "ticket_types": [],
        "priorities": [],
        "escalations": json.dumps(
            [{"target": "resolution", "offset_minutes": -30, "actions": [{"type": "raise_priority"}]}]
        ),
        "t-P1_first_response": "30",
        "t-P1_resolution": "480",
        "t-P2_resolution": "960",
    }
    return data | overrides


def test_policy_form_creates_with_grid_and_escalations(world, client_for):
    client = client_for(world.users["admin"])
    assert b"t-P4_onsite" in client.get("/catalog/sla-policies/new/").content
    response = client.post("/catalog/sla-policies/new/", _policy_post())
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Silver business hours")
    assert policy.tiers == ["silver"] and policy.calendar is None
    assert {(t.priority, t.first_response_minutes, t.resolution_minutes) for t in policy.targets.all()} == {
        ("P1", 30, 480),
        ("P2", None, 960),
    }
    assert policy.escalations.get().offset_minutes == -30
    # The edit form starts from what is stored.
    edit = client.get(f"/catalog/sla-policies/{policy.pk}/edit/").content.decode()
    assert 'name="t-P2_resolution"' in edit and 'value="960"' in edit and "raise_priority" in edit


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"escalations": "[{"}, "id_escalations-error"),
        ({"escalations": json.dumps([{"target": "onsite", "offset_minutes": 0, "actions": [{"type": "raise_priority"}]}])},
         "escalations.0.target"),
        ({"escalations": json.dumps([{"target": "resolution", "offset_minutes": 0,
                                      "actions": [{"type": "notify_team", "team_id": 4242}]}])}, "no such team"),
        ({"t-P1_resolution": "0"}, "greater than or equal to 1"),
        ({"order": "-1"}, "id_order-error"),
    ],
)  # fmt: skip
def test_policy_form_errors_sit_next_to_their_fields(world, client_for, overrides, where):
    client = client_for(world.users["admin"])
    response = client.post("/catalog/sla-policies/new/", _policy_post(**overrides))
    assert response.status_code == 200
    assert where in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_contract_pages(world, client_for, gold):
    svc = f.ServiceFactory()
    manager = client_for(world.users["manager"])
    data = {
        "account": world.account_a.pk,
        "policy": gold.pk,
        "services": [svc.pk],
        "reference": "SC-2026-0001",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "notes": "",
    }
    response = manager.post("/catalog/contracts/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get(reference="SC-2026-0001")
    assert list(contract.services.all()) == [svc]
    bad = manager.post(f"/catalog/contracts/{contract.pk}/edit/", data | {"valid_to": "2025-01-01"})
    assert bad.status_code == 200 and 'id="id_valid_to-error"' in bad.content.decode()
    listing = manager.get("/catalog/contracts/?q=2026-0001", **HX).content.decode()
    assert "SC-2026-0001" in listing and "<html" not in listing

    admin_a = client_for(world.users["customer_a_admin"])
    page = admin_a.get(f"/catalog/contracts/{contract.pk}/").content.decode()
    assert "SC-2026-0001" in page and "Gold 24/7" in page and ">Edit<" not in page
    assert "/catalog/sla-policies/" not in page
    assert (
        client_for(world.users["customer_b_admin"]).get(f"/catalog/contracts/{contract.pk}/").status_code
        == 404
    )
    assert (
        "SC-2026-0001"
        not in client_for(world.users["customer_a_requester"]).get("/catalog/contracts/").content.decode()
    )


def _grow(n: int, world) -> None:
    for _ in range(n):
        svc = f.ServiceFactory()
        policy = f.SlaPolicyFactory(tiers=["gold"])
        policy.services.set([svc])
        policy.customer_accounts.set([world.account_a])
        f.SlaTargetFactory(policy=policy)
        f.EscalationLevelFactory(policy=policy)
        f.ContractFactory(account=world.account_a, policy=policy, services=[svc])


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/",
        "/catalog/sla-policies/",
        "/catalog/contracts/",
        "/api/v1/catalog/services?limit=100",
        "/api/v1/catalog/sla-policies?limit=100",
        "/api/v1/catalog/contracts?limit=100",
    ],
)
def test_list_queries_do_not_grow_with_rows(world, client_for, url):
    client = client_for(world.users["admin"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _grow(3, world)
    small = count()
    _grow(20, world)
    assert count() == small
    assert small <= 14, f"{url} takes {small} queries"
