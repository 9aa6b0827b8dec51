"""Role matrix of the field staff pages (/field/): every named page, every kind of caller, in the
pattern of steward/tests/test_page_matrix.py (which leaves the "field:" pages to this file).
Anonymous callers are sent to sign in; pages for staff refuse customers (403); a work order or
technician outside the caller's scope is a 404. The last test checks that every "field:" URL
name is in the table."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import get_resolver
from django.utils import timezone

from steward.field import services
from steward.field.tests.helpers import JPEG, technician
from steward.testing import factories as f
from steward.testing.roles import A_USERS, ACTORS, DESK, EDITORS, STAFF
from steward.tests.test_page_matrix import expect

FIELD = ["admin", "manager", "dispatcher"]  # services.FIELD_MANAGERS
NOT_STAFF_404 = [*A_USERS, "customer_b_admin"]
POST_ONLY = dict.fromkeys(ACTORS, 405)  # a GET of a form's action, whoever asks

FIELD_PAGES: list[tuple[str, str, dict[str, int]]] = [
    # work orders
    ("field:work_order_list", "/field/", expect(STAFF)),
    ("field:work_order_create", "/field/work-orders/new/", expect(EDITORS)),
    (
        "field:work_order_detail",
        "/field/work-orders/{wo_b}/",
        expect([*DESK, "customer_b_admin"], hidden=[*A_USERS, "technician"]),
    ),
    (
        "field:photo_file",
        "/field/work-orders/{wo_b}/photos/{photo_b}/",
        expect([*DESK, "customer_b_admin"], hidden=[*A_USERS, "technician"]),
    ),
    ("field:from_ticket", "/field/from-ticket/{ticket_b}/", POST_ONLY),
    ("field:account_search", "/field/accounts/search/?account_q=beta", expect(EDITORS)),
    # technicians, their shifts and absences
    ("field:technician_list", "/field/technicians/", expect(STAFF)),
    ("field:technician_create", "/field/technicians/new/", expect(FIELD)),
    (
        "field:technician_detail",
        "/field/technicians/{tech_other}/",
        expect(DESK, hidden=[*NOT_STAFF_404, "technician"]),
    ),
    ("field:technician_edit", "/field/technicians/{tech_other}/edit/", expect(FIELD)),
    ("field:shift_add", "/field/technicians/{tech_other}/shifts/new/", expect(FIELD)),
    ("field:absence_add", "/field/technicians/{tech_other}/absences/new/", expect(FIELD)),
    ("field:shift_delete", "/field/shifts/{shift_other}/delete/", POST_ONLY),
    ("field:absence_delete", "/field/absences/{absence_other}/delete/", POST_ONLY),
    # maintenance plans: read by the work order staff, written by field managers
    ("field:maintenance_plan_list", "/field/maintenance-plans/", expect(DESK)),
    ("field:maintenance_plan_create", "/field/maintenance-plans/new/", expect(FIELD)),
    ("field:maintenance_plan_detail", "/field/maintenance-plans/{plan_b}/", expect(DESK)),
    ("field:maintenance_plan_edit", "/field/maintenance-plans/{plan_b}/edit/", expect(FIELD)),
    # depots and vans: read by staff, written by field managers
    ("field:depot_list", "/field/depots/", expect(STAFF)),
    ("field:depot_create", "/field/depots/new/", expect(FIELD)),
    ("field:depot_edit", "/field/depots/{depot}/edit/", expect(FIELD)),
    ("field:van_list", "/field/vans/", expect(STAFF)),
    ("field:van_create", "/field/vans/new/", expect(FIELD)),
    ("field:van_edit", "/field/vans/{van}/edit/", expect(FIELD)),
]


@pytest.fixture
def field_objects(world):
    dispatcher = world.users["dispatcher"]
    technician(world.users["technician"])
    tech_other = technician()
    wo_b = services.work_order_create(
        actor=dispatcher, account=world.account_b, site=world.site_b, title="Check the chiller"
    )
    photo_b = services.work_order_photo_add(
        actor=dispatcher, work_order=wo_b, filename="unit.jpg", content=JPEG
    )
    depot = services.depot_create(
        actor=dispatcher,
        name="Depot Nord",
        address="Nordstr. 1",
        latitude=Decimal("52.5"),
        longitude=Decimal("13.4"),
    )
    plan_b = services.maintenance_plan_create(
        actor=dispatcher,
        account=world.account_b,
        site=world.site_b,
        title="Monthly check",
        interval_count=1,
        interval_unit="months",
        first_due=timezone.localdate(),
    )
    absence = services.absence_create(
        actor=dispatcher,
        technician=tech_other,
        kind="leave",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=1),
    )
    return {
        "wo_b": wo_b.pk,
        "photo_b": photo_b.pk,
        "ticket_b": f.TicketFactory(account=world.account_b).pk,
        "tech_other": tech_other.pk,
        "shift_other": tech_other.shifts.first().pk,
        "absence_other": absence.pk,
        "plan_b": plan_b.pk,
        "depot": depot.pk,
        "van": services.van_create(actor=dispatcher, name="Van 01", depot=depot).pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path", "expected"), FIELD_PAGES, ids=[p[0] for p in FIELD_PAGES])
def test_field_page_matrix(name, path, expected, world, field_objects, client_for):
    url = path.format(**field_objects)
    assert client_for(None).get(url).status_code == 302, "anonymous callers are sent to sign in"
    for actor in ACTORS:
        status = client_for(world.users[actor]).get(url).status_code
        assert status == expected[actor], (actor, url, status)


def test_every_field_page_is_in_the_matrix():
    resolver = get_resolver().namespace_dict["field"][1]
    named = {f"field:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    assert len(named) > 10, named
    listed = [p[0] for p in FIELD_PAGES]
    assert len(listed) == len(set(listed)), "a page is listed twice"
    missing = named - set(listed)
    assert not missing, f"field pages missing from the field page matrix: {sorted(missing)}"
    assert not set(listed) - named, "the matrix lists a page that does not exist"
