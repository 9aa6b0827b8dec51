"""CSV import: every row valid or nothing written, with a per-row report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from steward.core.errors import Forbidden, ValidationFailed
from steward.core.models import AuditEvent
from steward.customers.csv_import import import_csv
from steward.customers.models import Asset, CustomerAccount, Site

pytestmark = pytest.mark.django_db


def test_valid_accounts_sites_assets_import(world):
    agent = world.users["agent"]
    report = import_csv(
        actor=agent, kind="accounts", data=b"name,tier,contract_ref\nGamma GmbH,gold,SC-1\nDelta AG,,\n"
    )
    assert (report.created, report.errors) == (2, [])
    assert CustomerAccount.objects.get(name="Delta AG").tier == "standard"
    sites = "account,name,address,city,latitude,longitude,country\nGamma GmbH,Werk 1,Allee 1,Berlin,52.5,13.4,de\n"
    assert import_csv(actor=agent, kind="sites", data=sites.encode()).created == 1
    assert Site.objects.get(name="Werk 1").country == "DE"
    assets = "account,site,model,serial_number,install_date,warranty_end\nGamma GmbH,Werk 1,Boiler,B-1,2024-01-01,2027-01-01\n"
    assert import_csv(actor=agent, kind="assets", data=assets.encode()).created == 1
    assert AuditEvent.objects.filter(action="asset.create", actor_label="csv import").count() == 1


def test_one_bad_row_writes_nothing_and_reports_every_error(world):
    data = (
        "account,site,model,serial_number,install_date,warranty_end\n"
        f"{world.account_a.name},{world.site_a.name},Good,G-1,,\n"
        f"{world.account_a.name},Nowhere,Bad site,G-2,,\n"
        f"{world.account_a.name},{world.site_a.name},Bad date,G-3,2024-13-01,\n"
        f"{world.account_a.name},{world.site_a.name},,G-4,,\n"
        f"{world.account_a.name},{world.site_a.name},Warranty before install,G-5,2024-01-01,2023-01-01\n"
    )
    assets_before = Asset.objects.count()
    audit_before = AuditEvent.objects.count()
    report = import_csv(actor=world.users["agent"], kind="assets", data=data.encode())
    assert report.created == 0
    assert [(e.row, e.field) for e in report.errors][:4] == [
        (3, "site"),
        (4, "install_date"),
        (5, "model"),
        (6, "non_field_errors"),
    ] or {e.row for e in report.errors} == {3, 4, 5, 6}
    assert {e.row for e in report.errors} == {3, 4, 5, 6}
    assert Asset.objects.count() == assets_before
    assert AuditEvent.objects.count() == audit_before


def test_duplicate_within_file_is_caught(world):
    data = b"name\nSame Name GmbH\nSame Name GmbH\n"
    report = import_csv(actor=world.users["agent"], kind="accounts", data=data)
    assert [e.row for e in report.errors] == [3]
    assert not CustomerAccount.objects.filter(name="Same Name GmbH").exists()


def test_dry_run_writes_nothing(world):
    report = import_csv(actor=world.users["agent"], kind="accounts", data=b"name\nDry AG\n", dry_run=True)
    assert report.created == 1 and not report.errors
    assert not CustomerAccount.objects.filter(name="Dry AG").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"tier\ngold\n", "lacks the column"),
        (b"name,colour\nX,red\n", "unknown column"),
        (b"\xff\xfe\x00bad", ""),
    ],
)
def test_bad_files_are_rejected_with_file_field(world, data, message):
    with pytest.raises(ValidationFailed) as exc:
        import_csv(actor=world.users["agent"], kind="accounts", data=data)
    assert "file" in exc.value.fields or exc.value.fields
    assert message in exc.value.message


def test_technician_and_customers_cannot_import(world):
    for who in ("technician", "customer_a_admin"):
        with pytest.raises(Forbidden):
            import_csv(actor=world.users[who], kind="accounts", data=b"name\nX\n")


def test_api_import_rejects_whole_file_with_row_fields(world, client_for):
    client = client_for(world.users["agent"])
    upload = SimpleUploadedFile("a.csv", b"name,tier\nOk GmbH,gold\nBad GmbH,platinum\n")
    response = client.post("/api/v1/customers/import/accounts", {"file": upload})
    assert response.status_code == 422
    err = response.json()["error"]
    assert "row 3: tier" in err["fields"]
    assert not CustomerAccount.objects.filter(name="Ok GmbH").exists()


def test_import_page_shows_report(world, client_for):
    client = client_for(world.users["agent"])
    upload = SimpleUploadedFile("a.csv", b"name,tier\nBad GmbH,platinum\n")
    response = client.post("/accounts/import/", {"kind": "accounts", "file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "nothing was imported" in html and "platinum" in html
