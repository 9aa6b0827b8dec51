"""Pages over HTTP: sign-in, navigation by role, HTMX lists, forms with errors at their fields,
history, and isolation (another account's page is a 404 and changes nothing)."""

from __future__ import annotations

import pytest
from django.test import Client

from steward.core.models import AuditEvent
from steward.customers.models import CustomerAccount
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_login_and_logout(world):
    client = Client()
    assert client.get("/").status_code == 302
    bad = client.post("/login/", {"username": world.users["agent"].email, "password": "wrong"})
    assert (
        bad.status_code == 200 and b"correct email" in bad.content.lower()
    ) or b"enter a correct" in bad.content.lower()
    ok = client.post("/login/", {"username": world.users["agent"].email, "password": f.PASSWORD})
    assert ok.status_code == 302 and ok.url == "/"
    assert b"Accounts" in client.get("/").content
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_navigation_follows_roles(world, client_for):
    admin_home = client_for(world.users["admin"]).get("/").content.decode()
    agent_home = client_for(world.users["agent"]).get("/").content.decode()
    customer_home = client_for(world.users["customer_a_admin"]).get("/").content.decode()
    assert 'href="/users/"' in admin_home and 'href="/users/"' not in agent_home
    assert 'href="/calendars/"' in agent_home and 'href="/calendars/"' not in customer_home
    assert "My account" in customer_home


def test_account_list_search_htmx_partial_and_pagination(world, client_for):
    for i in range(40):
        f.AccountFactory(name=f"Zeta {i:02d} GmbH")
    client = client_for(world.users["agent"])
    full = client.get("/accounts/")
    assert b"<html" in full.content and b"Page 1 of" in full.content
    partial = client.get("/accounts/?q=zeta&page=2", **HX)
    html = partial.content.decode()
    assert "<html" not in html
    assert "Zeta 25 GmbH" in html and "Zeta 00 GmbH" not in html and "Page 2 of 2" in html
    assert "page=1" in html  # link back carries the search
    assert "q=zeta" in html


def test_form_errors_sit_next_to_their_fields(world, client_for):
    client = client_for(world.users["agent"])
    response = client.post(
        f"/accounts/{world.account_a.pk}/sites/new/",
        {
            "name": "Lab",
            "address": "Str 1",
            "city": "Berlin",
            "country": "DE",
            "latitude": "123",
            "longitude": "13",
            "timezone": "Nowhere/City",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_latitude-error"' in html
    assert "timezone" in html and "unknown time zone" in html
    assert not world.account_a.sites.filter(name="Lab").exists()


def test_edit_records_history_shown_on_page(world, client_for):
    client = client_for(world.users["agent"])
    data = {
        "name": world.account_a.name,
        "tier": "silver",
        "contract_ref": "SC-9",
        "email_domain": "",
        "notes": "",
        "is_active": "on",
    }
    response = client.post(f"/accounts/{world.account_a.pk}/edit/", data)
    assert response.status_code == 302
    world.account_a.refresh_from_db()
    assert world.account_a.tier == "silver"
    page = client.get(f"/accounts/{world.account_a.pk}/").content.decode()
    assert "customer_account.update" in page and "SC-9" in page


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/{a}/",
        "/accounts/{a}/edit/",
        "/sites/{s}/",
        "/sites/{s}/edit/",
        "/assets/{x}/",
        "/assets/{x}/edit/",
        "/accounts/{a}/contacts/new/",
    ],
)
def test_customer_gets_404_for_other_accounts_pages(world, client_for, path):
    url = path.format(a=world.account_b.pk, s=world.site_b.pk, x=world.asset_b.pk)
    client = client_for(world.users["customer_a_admin"])
    before = AuditEvent.objects.count()
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "hijack", "notes": "x"}).status_code == 404
    assert AuditEvent.objects.count() == before
    assert CustomerAccount.objects.get(pk=world.account_b.pk).notes == ""


def test_customer_sees_own_account_read_only(world, client_for):
    client = client_for(world.users["customer_a_admin"])
    page = client.get(f"/accounts/{world.account_a.pk}/")
    assert page.status_code == 200 and b"Alpha HQ" in page.content
    assert b">Edit<" not in page.content
    assert client.get(f"/accounts/{world.account_a.pk}/edit/").status_code == 403
    sites = client.get("/sites/").content.decode()
    assert "Alpha HQ" in sites and "Beta Klinik Nord" not in sites


def test_technician_reads_but_cannot_edit_directory(world, client_for):
    client = client_for(world.users["technician"])
    assert client.get(f"/assets/{world.asset_b.pk}/").status_code == 200
    assert client.get(f"/assets/{world.asset_b.pk}/edit/").status_code == 403


def test_admin_pages_render(world, client_for):
    client = client_for(world.users["admin"])
    cal = f.CalendarFactory()
    for url in [
        "/users/",
        "/users/new/",
        f"/users/{world.users['agent'].pk}/",
        "/teams/",
        "/teams/new/",
        "/calendars/",
        f"/calendars/{cal.pk}/",
        f"/calendars/{cal.pk}/edit/",
        "/profile/",
        "/assets/?warranty=expired",
        "/accounts/import/",
    ]:
        assert client.get(url).status_code == 200, url


def test_calendar_edit_rejects_bad_spec_next_to_field(world, client_for):
    client = client_for(world.users["manager"])
    response = client.post(
        "/calendars/new/",
        {"name": "Broken", "spec": '{"timezone": "Europe/Berlin", "hours": {"mon": [["09:00", "08:00"]]}}'},
    )
    assert response.status_code == 200
    assert 'id="id_spec-error"' in response.content.decode()
    not_json = client.post("/calendars/new/", {"name": "Broken", "spec": "{nope"})
    assert "not valid JSON" in not_json.content.decode()


def test_token_page_shows_token_once(world, client_for):
    client = client_for(world.users["agent"])
    created = client.post("/profile/", {"name": "cli"}).content.decode()
    assert "stw_" in created and "will not be shown again" in created
    again = client.get("/profile/").content.decode()
    assert "will not be shown again" not in again
