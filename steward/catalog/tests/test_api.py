"""The catalog API over HTTP: nested policy payloads, replacement semantics, filters, scoping,
errors in the one shape naming the field, and the policy-match endpoint."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from steward.catalog.models import SlaPolicy, SlaTarget
from steward.core.models import AuditEvent
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


def _json(client: Client, method: str, path: str, body=None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, f"{BASE}{path}", data, content_type="application/json")


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    payload = response.json()
    assert set(payload["error"]) == {"code", "message", "fields"}
    return payload["error"]


POLICY = {
    "name": "Gold 24/7",
    "order": 10,
    "tiers": ["gold"],
    "pause_statuses": ["pending", "on_hold"],
    "warning_percent": 75,
    "targets": [
        {"priority": "P1", "first_response_minutes": 15, "resolution_minutes": 240, "onsite_minutes": 240},
        {
            "priority": "P2",
            "first_response_minutes": 30,
            "next_response_minutes": 60,
            "resolution_minutes": 480,
        },
    ],
    "escalations": [
        {"target": "resolution", "offset_minutes": -30, "actions": [{"type": "raise_priority"}]},
    ],
}


def test_service_crud_filters_and_customer_view(world, client_for):
    manager = client_for(world.users["manager"])
    created = _json(
        manager,
        "POST",
        "/services",
        {"name": "HVAC repair", "code": "hvac-repair", "category": "HVAC", "needs_field_visit": True,
         "required_skills": ["hvac"], "default_priority": "P2"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    svc = created.json()
    assert svc["required_skills"] == ["hvac"] and svc["standard_duration_minutes"] == 60
    f.ServiceFactory(name="Printer setup", code="printer", category="IT", portal_visible=False)

    assert _json(manager, "GET", "/services?category=hvac").json()["count"] == 1
    assert _json(manager, "GET", "/services?field_visit=false").json()["items"][0]["code"] == "printer"
    assert _json(manager, "GET", "/services?q=print").json()["count"] == 1

    patched = _json(manager, "PATCH", f"/services/{svc['id']}", {"portal_visible": False})
    assert patched.status_code == 200 and patched.json()["portal_visible"] is False
    customer = client_for(world.users["customer_a_requester"])
    assert _json(customer, "GET", "/services").json()["count"] == 0
    assert _error(_json(customer, "GET", f"/services/{svc['id']}"), 404)["code"] == "not_found"

    err = _error(
        _json(manager, "POST", "/services", {"name": "X", "code": "hvac-repair", "category": "C"}), 422
    )
    assert "code" in err["fields"]
    err = _error(_json(manager, "POST", "/services", {"name": "X", "code": "bad code", "category": "C"}), 422)
    assert "code" in err["fields"]


def test_policy_create_get_and_nested_replace(world, client_for):
    admin = client_for(world.users["admin"])
    svc = f.ServiceFactory()
    calendar = f.CalendarFactory()
    body = POLICY | {
        "calendar_id": calendar.pk,
        "service_ids": [svc.pk],
        "customer_account_ids": [world.account_a.pk],
    }
    created = _json(admin, "POST", "/sla-policies", body)
    assert created.status_code == 201, created.content
    policy = created.json()
    assert policy["calendar_id"] == calendar.pk and policy["service_ids"] == [svc.pk]
    assert policy["customer_account_ids"] == [world.account_a.pk] and policy["is_fallback"] is False
    assert [t["priority"] for t in policy["targets"]] == ["P1", "P2"]
    assert policy["targets"][0]["next_response_minutes"] is None
    assert policy["escalations"] == POLICY["escalations"]

    got = _json(admin, "GET", f"/sla-policies/{policy['id']}").json()
    assert got == policy

    # Targets given replace all of them; escalations not given stay.
    patched = _json(
        admin,
        "PATCH",
        f"/sla-policies/{policy['id']}",
        {"targets": [{"priority": "P3", "resolution_minutes": 1440}]},
    )
    assert patched.status_code == 200, patched.content
    assert [t["priority"] for t in patched.json()["targets"]] == ["P3"]
    assert patched.json()["escalations"] == POLICY["escalations"]

    # A null calendar is 24/7; empty conditions make it a fallback.
    patched = _json(
        admin, "PATCH", f"/sla-policies/{policy['id']}",
        {"calendar_id": None, "tiers": [], "service_ids": [], "customer_account_ids": []},
    )  # fmt: skip
    assert patched.json()["calendar_id"] is None and patched.json()["is_fallback"] is True


def test_a_bad_nested_row_is_a_422_naming_it_and_changes_nothing(world, client_for):
    admin = client_for(world.users["admin"])
    policy_id = _json(admin, "POST", "/sla-policies", POLICY).json()["id"]
    before = list(SlaTarget.objects.filter(policy_id=policy_id).values())
    events = AuditEvent.objects.count()

    # Caught by the schema.
    err = _error(
        _json(
            admin,
            "PATCH",
            f"/sla-policies/{policy_id}",
            {"targets": [{"priority": "P1", "resolution_minutes": 0}]},
        ),
        422,
    )
    assert "targets.0.resolution_minutes" in err["fields"]
    err = _error(
        _json(admin, "PATCH", f"/sla-policies/{policy_id}",
              {"escalations": [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "explode"}]}]}),
        422,
    )  # fmt: skip
    assert any(name.startswith("escalations.0.actions") for name in err["fields"]), err
    # Caught by the service, inside its transaction: the first row was already written, then undone.
    twice = [{"priority": "P1", "resolution_minutes": 60}, {"priority": "P1", "resolution_minutes": 90}]
    err = _error(
        _json(admin, "PATCH", f"/sla-policies/{policy_id}", {"name": "Renamed", "targets": twice}), 422
    )
    assert "targets.1" in err["fields"]
    err = _error(
        _json(admin, "PATCH", f"/sla-policies/{policy_id}",
              {"escalations": [{"target": "resolution", "offset_minutes": 0, "actions": [{"type": "notify_team", "team_id": 424242}]}]}),
        422,
    )  # fmt: skip
    assert "escalations.0.actions" in err["fields"]
    err = _error(_json(admin, "PATCH", f"/sla-policies/{policy_id}", {"pause_statuses": ["resolved"]}), 422)
    assert "pause_statuses.0" in err["fields"]
    err = _error(_json(admin, "PATCH", f"/sla-policies/{policy_id}", {"service_ids": [987654]}), 422)
    assert "service_ids" in err["fields"]

    assert list(SlaTarget.objects.filter(policy_id=policy_id).values()) == before
    assert SlaPolicy.objects.get(pk=policy_id).name == "Gold 24/7"
    assert AuditEvent.objects.count() == events


def test_policy_list_is_ordered_and_staff_only(world, client_for):
    f.SlaPolicyFactory(name="Last", order=900)
    f.SlaPolicyFactory(name="First", order=1)
    staff = client_for(world.users["technician"])
    names = [p["name"] for p in _json(staff, "GET", "/sla-policies").json()["items"]]
    assert names == ["First", "Last"]
    assert _json(staff, "GET", "/sla-policies?q=fir").json()["count"] == 1
    customer = client_for(world.users["customer_a_admin"])
    assert _error(_json(customer, "GET", "/sla-policies"), 403)["code"] == "forbidden"


def test_contracts_over_http(world, client_for):
    manager = client_for(world.users["manager"])
    policy = f.SlaPolicyFactory(name="Silver")
    svc = f.ServiceFactory()
    created = _json(
        manager, "POST", "/contracts",
        {"account_id": world.account_a.pk, "policy_id": policy.pk, "service_ids": [svc.pk], "reference": "SC-7",
         "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    contract = created.json()
    assert contract["policy_name"] == "Silver" and contract["service_ids"] == [svc.pk]

    err = _error(_json(manager, "PATCH", f"/contracts/{contract['id']}", {"valid_to": "2025-01-01"}), 422)
    assert list(err["fields"]) == ["valid_to"]
    patched = _json(manager, "PATCH", f"/contracts/{contract['id']}", {"service_ids": [], "valid_to": None})
    assert patched.json()["service_ids"] == [] and patched.json()["valid_to"] is None

    admin_a = client_for(world.users["customer_a_admin"])
    assert [c["reference"] for c in _json(admin_a, "GET", "/contracts").json()["items"]] == ["SC-7"]
    assert _json(admin_a, "GET", f"/contracts/{contract['id']}").status_code == 200
    assert _json(client_for(world.users["customer_a_requester"]), "GET", "/contracts").json()["count"] == 0
    assert (
        _json(client_for(world.users["customer_b_admin"]), "GET", f"/contracts/{contract['id']}").status_code
        == 404
    )
    assert _json(manager, "GET", "/contracts?valid_on=2027-06-01").json()["count"] == 1  # open-ended now
    assert _json(manager, "GET", "/contracts?valid_on=2025-06-01").json()["count"] == 0
    assert _json(manager, "GET", f"/contracts?account_id={world.account_b.pk}").json()["count"] == 0


def test_policy_match(world, client_for):
    gold = f.SlaPolicyFactory(name="Gold", order=10, tiers=["gold"])
    f.SlaPolicyFactory(name="Standard", order=100)
    agent = client_for(world.users["agent"])
    url = f"/policy-match?account_id={world.account_a.pk}&ticket_type=incident&priority=P1&on_date=2026-05-04"
    assert _json(agent, "GET", url).json() == {"policy_id": gold.pk, "policy_name": "Gold"}
    url_b = f"/policy-match?account_id={world.account_b.pk}&ticket_type=incident&priority=P1"
    assert _json(agent, "GET", url_b).json()["policy_name"] == "Standard"
    err = _error(_json(agent, "GET", "/policy-match?account_id=999999&ticket_type=incident&priority=P1"), 422)
    assert "account_id" in err["fields"]
    err = _error(_json(agent, "GET", "/policy-match?ticket_type=incident&priority=P9"), 422)
    assert "priority" in err["fields"]
    customer = client_for(world.users["customer_a_admin"])
    assert _error(_json(customer, "GET", url), 403)["code"] == "forbidden"


def test_a_service_names_the_team_that_receives_its_tickets(world, client_for):
    manager = client_for(world.users["manager"])
    team = f.TeamFactory(name="HVAC desk")
    created = _json(
        manager,
        "POST",
        "/services",
        {"name": "Chiller", "code": "chiller", "category": "HVAC", "team_id": team.pk},
    )
    assert created.status_code == 201 and created.json()["team_id"] == team.pk
    service_id = created.json()["id"]
    error = _error(_json(manager, "PATCH", f"/services/{service_id}", {"team_id": 2**40}), 422)
    assert "team_id" in error["fields"]
    cleared = _json(manager, "PATCH", f"/services/{service_id}", {"team_id": None})
    assert cleared.status_code == 200 and cleared.json()["team_id"] is None
    audit = AuditEvent.objects.filter(action="service.update", object_id=str(service_id)).get()
    assert audit.changes == {"team": [team.pk, None]}
