"""HTTP-level API behaviour: auth, the error shape, validation naming fields, pagination, filters."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from steward.accounts.models import ApiToken
from steward.core.models import AuditEvent
from steward.customers.models import CustomerAccount
from steward.testing import factories as f

pytestmark = pytest.mark.django_db


def _json(client: Client, method: str, path: str, body=None, **headers):
    return client.generic(
        method, path, json.dumps(body) if body is not None else "", content_type="application/json", **headers
    )


def test_token_is_shown_once_stored_hashed_and_authenticates(world):
    agent = world.users["agent"]
    session = Client()
    session.force_login(agent)
    created = _json(session, "POST", "/api/v1/tokens", {"name": "ci script"})
    assert created.status_code == 201
    token = created.json()["token"]
    row = ApiToken.objects.get(pk=created.json()["id"])
    assert token not in row.secret_hash and len(row.secret_hash) == 64
    assert "token" not in session.get("/api/v1/tokens").json()["items"][0]

    program = Client()
    me = program.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["email"] == agent.email
    row.refresh_from_db()
    assert row.last_used_at is not None

    assert _json(session, "POST", f"/api/v1/tokens/{row.pk}/revoke").status_code == 200
    assert program.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.parametrize("bad", ["", "stw_x", "stw_abc_wrong", "Bearer", "stw__x"])
def test_bad_tokens_are_401_with_error_shape(bad, world):
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {bad}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_token_of_deactivated_user_stops_working(world):
    from steward.accounts.services import token_create

    agent = world.users["agent"]
    _, token = token_create(actor=agent, name="x")
    agent.is_active = False
    agent.save()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_session_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["agent"])
    response = _json(client, "POST", "/api/v1/customers/accounts", {"name": "No CSRF AG"})
    assert response.status_code in (401, 403)
    assert not CustomerAccount.objects.filter(name="No CSRF AG").exists()


def test_validation_error_names_the_field(world, client_for):
    client = client_for(world.users["agent"])
    response = _json(
        client,
        "POST",
        "/api/v1/customers/sites",
        {
            "account_id": world.account_a.pk,
            "name": "X",
            "address": "Y",
            "city": "Berlin",
            "latitude": "95",
            "longitude": "13",
        },
    )
    assert response.status_code == 422
    err = response.json()["error"]
    assert err["code"] == "validation_error"
    assert "latitude" in err["fields"] and err["message"].startswith("latitude")


def test_unknown_timezone_is_rejected_with_field(world, client_for):
    client = client_for(world.users["agent"])
    response = _json(
        client, "PATCH", f"/api/v1/customers/sites/{world.site_a.pk}", {"timezone": "Mars/Olympus"}
    )
    assert response.status_code == 422
    assert "timezone" in response.json()["error"]["fields"]
    world.site_a.refresh_from_db()
    assert world.site_a.timezone == "Europe/Berlin"


def test_asset_cannot_point_at_another_accounts_site(world, client_for):
    client = client_for(world.users["agent"])
    response = _json(
        client, "PATCH", f"/api/v1/customers/assets/{world.asset_a.pk}", {"site_id": world.site_b.pk}
    )
    assert response.status_code == 422
    assert "site" in response.json()["error"]["fields"]
    world.asset_a.refresh_from_db()
    assert world.asset_a.site_id == world.site_a.pk


def test_duplicate_account_name_is_a_clear_422(world, client_for):
    client = client_for(world.users["agent"])
    before = AuditEvent.objects.count()
    response = _json(client, "POST", "/api/v1/customers/accounts", {"name": world.account_a.name})
    assert response.status_code == 422
    assert "name" in json.dumps(response.json()["error"])
    assert AuditEvent.objects.count() == before


def test_pagination_and_filters(world, client_for):
    for i in range(30):
        f.AccountFactory(name=f"Paged {i:02d} KG", tier="bronze")
    client = client_for(world.users["manager"])
    page = client.get("/api/v1/customers/accounts?tier=bronze&limit=10&offset=20").json()
    assert page["count"] == 30 and page["limit"] == 10 and len(page["items"]) == 10
    assert [a["name"] for a in page["items"]] == [f"Paged {i:02d} KG" for i in range(20, 30)]
    searched = client.get("/api/v1/customers/accounts?q=paged%2007").json()
    assert [a["name"] for a in searched["items"]] == ["Paged 07 KG"]
    assert client.get("/api/v1/customers/accounts?limit=0").status_code == 422
    assert client.get("/api/v1/customers/accounts?limit=100000").status_code == 422


def test_customer_lists_are_scoped(world, client_for):
    client = client_for(world.users["customer_a_admin"])
    for path in ("accounts", "sites", "assets", "contacts"):
        items = client.get(f"/api/v1/customers/{path}").json()["items"]
        assert items, path
        account_ids = {i["id"] if path == "accounts" else i["account_id"] for i in items}
        assert account_ids == {world.account_a.pk}, path
    # filtering by another account's id returns nothing rather than leaking
    assert client.get(f"/api/v1/customers/sites?account_id={world.account_b.pk}").json()["count"] == 0


def test_requester_sees_only_own_contact(world, client_for):
    f.ContactFactory(account=world.account_a, full_name="Colleague")
    items = client_for(world.users["customer_a_requester"]).get("/api/v1/customers/contacts").json()["items"]
    assert [c["full_name"] for c in items] == ["Anna Alpha"]


def test_patch_records_audit_with_old_and_new(world, client_for):
    client = client_for(world.users["agent"])
    response = _json(
        client,
        "PATCH",
        f"/api/v1/customers/accounts/{world.account_a.pk}",
        {"tier": "bronze", "notes": "moved"},
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="customer_account.update").get()
    assert event.actor == world.users["agent"]
    assert event.changes == {"tier": ["gold", "bronze"], "notes": ["", "moved"]}
    assert event.account_id == world.account_a.pk


def test_create_staff_user_and_roles(world, client_for):
    client = client_for(world.users["admin"])
    response = _json(
        client,
        "POST",
        "/api/v1/users",
        {
            "email": "Disp@Steward.test",
            "full_name": "D",
            "roles": ["dispatcher", "technician"],
            "password": "a-long-enough-pass",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "disp@steward.test" and body["roles"] == ["dispatcher", "technician"]
    bad = _json(
        client,
        "POST",
        "/api/v1/users",
        {
            "email": "c@x.test",
            "full_name": "C",
            "roles": ["agent"],
            "customer_account_id": world.account_a.pk,
            "customer_role": "requester",
        },
    )
    assert bad.status_code == 422 and "roles" in bad.json()["error"]["fields"]
    weak = _json(
        client,
        "POST",
        "/api/v1/users",
        {"email": "w@x.test", "full_name": "W", "roles": ["agent"], "password": "123"},
    )
    assert weak.status_code == 422 and "password" in weak.json()["error"]["fields"]


def test_team_members_must_be_staff(world, client_for):
    client = client_for(world.users["admin"])
    response = _json(
        client,
        "POST",
        "/api/v1/teams",
        {"name": "Mixed", "member_ids": [world.users["agent"].pk, world.users["customer_a_admin"].pk]},
    )
    assert response.status_code == 422
    assert "member_ids" in response.json()["error"]["fields"]
    ok = _json(
        client,
        "POST",
        "/api/v1/teams",
        {"name": "Desk", "member_ids": [world.users["agent"].pk], "lead_ids": [world.users["agent"].pk]},
    )
    assert ok.status_code == 201 and ok.json()["member_ids"] == [world.users["agent"].pk]


def test_openapi_and_docs_are_served(client_for, world):
    client = client_for(None)
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "/api/v1/customers/accounts" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200
