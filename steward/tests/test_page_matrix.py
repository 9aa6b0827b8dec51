"""Role matrix for pages: every page (GET) for every kind of caller. Anonymous callers are sent
to sign in; another account's object is a 404; staff-only pages refuse customers. The last test
checks that every named page URL is in the table."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from steward.desk.models import SavedView
from steward.testing import factories as f
from steward.testing.roles import A_USERS, ACTORS, CUSTOMERS, DESK, EDITORS, STAFF


def expect(ok: list[str], *, hidden: list[str] = (), forbidden_default: int = 403) -> dict[str, int]:
    """200 for `ok`, 404 for `hidden`, `forbidden_default` for everybody else."""
    return {a: 200 if a in ok else 404 if a in hidden else forbidden_default for a in ACTORS}


PAGES: list[tuple[str, str, dict[str, int]]] = [
    ("core:home", "/", expect(ACTORS)),
    ("core:calendar_list", "/calendars/", expect(STAFF)),
    ("core:calendar_create", "/calendars/new/", expect(["admin", "manager"])),
    ("core:calendar_detail", "/calendars/{calendar}/", expect(STAFF, hidden=[*A_USERS, "customer_b_admin"])),
    (
        "core:calendar_edit",
        "/calendars/{calendar}/edit/",
        expect(["admin", "manager"], hidden=[*A_USERS, "customer_b_admin"]),
    ),
    ("accounts:profile", "/profile/", expect(ACTORS)),
    ("accounts:team_list", "/teams/", expect(STAFF)),
    ("accounts:team_create", "/teams/new/", expect(["admin"])),
    ("accounts:team_detail", "/teams/{team}/", expect(STAFF, hidden=[*A_USERS, "customer_b_admin"])),
    ("accounts:team_edit", "/teams/{team}/edit/", expect(["admin"], hidden=[*A_USERS, "customer_b_admin"])),
    ("accounts:user_list", "/users/", expect(["admin"])),
    ("accounts:user_create", "/users/new/", expect(["admin"])),
    ("accounts:user_edit", "/users/{agent}/", expect(["admin"], hidden=[a for a in ACTORS if a != "admin"])),
    ("customers:account_list", "/accounts/", expect(ACTORS)),
    ("customers:account_create", "/accounts/new/", expect(EDITORS)),
    ("customers:import", "/accounts/import/", expect(EDITORS)),
    (
        "customers:account_detail",
        "/accounts/{account_b}/",
        expect([*STAFF, "customer_b_admin"], hidden=A_USERS),
    ),
    ("customers:account_edit", "/accounts/{account_b}/edit/", expect(EDITORS, hidden=A_USERS)),
    ("customers:contact_create", "/accounts/{account_b}/contacts/new/", expect(EDITORS, hidden=A_USERS)),
    (
        "customers:contact_edit",
        "/accounts/{account_b}/contacts/{contact_b}/edit/",
        expect(EDITORS, hidden=A_USERS),
    ),
    ("customers:site_create", "/accounts/{account_b}/sites/new/", expect(EDITORS, hidden=A_USERS)),
    ("customers:asset_create", "/accounts/{account_b}/assets/new/", expect(EDITORS, hidden=A_USERS)),
    ("customers:site_list", "/sites/", expect(ACTORS)),
    ("customers:site_detail", "/sites/{site_b}/", expect([*STAFF, "customer_b_admin"], hidden=A_USERS)),
    ("customers:site_edit", "/sites/{site_b}/edit/", expect(EDITORS, hidden=A_USERS)),
    ("customers:asset_list", "/assets/", expect(ACTORS)),
    ("customers:asset_detail", "/assets/{asset_b}/", expect([*STAFF, "customer_b_admin"], hidden=A_USERS)),
    ("customers:asset_edit", "/assets/{asset_b}/edit/", expect(EDITORS, hidden=A_USERS)),
    # catalog: the service catalogue for all (customers: portal-visible services), SLA policies for
    # staff, contracts for staff and the account's customer admin; edits for admins and managers
    ("catalog:service_list", "/catalog/", expect(ACTORS)),
    ("catalog:service_create", "/catalog/services/new/", expect(["admin", "manager"])),
    (
        "catalog:service_detail",
        "/catalog/services/{hidden_service}/",
        expect(STAFF, hidden=[*A_USERS, "customer_b_admin"]),
    ),
    (
        "catalog:service_edit",
        "/catalog/services/{hidden_service}/edit/",
        expect(["admin", "manager"], hidden=[*A_USERS, "customer_b_admin"]),
    ),
    ("catalog:policy_list", "/catalog/sla-policies/", expect(STAFF)),
    ("catalog:policy_create", "/catalog/sla-policies/new/", expect(["admin", "manager"])),
    (
        "catalog:policy_detail",
        "/catalog/sla-policies/{policy}/",
        expect(STAFF, hidden=[*A_USERS, "customer_b_admin"]),
    ),
    (
        "catalog:policy_edit",
        "/catalog/sla-policies/{policy}/edit/",
        expect(["admin", "manager"], hidden=[*A_USERS, "customer_b_admin"]),
    ),
    ("catalog:contract_list", "/catalog/contracts/", expect(ACTORS)),
    ("catalog:contract_create", "/catalog/contracts/new/", expect(["admin", "manager"])),
    (
        "catalog:contract_detail",
        "/catalog/contracts/{contract_b}/",
        expect([*STAFF, "customer_b_admin"], hidden=A_USERS),
    ),
    (
        "catalog:contract_edit",
        "/catalog/contracts/{contract_b}/edit/",
        expect(["admin", "manager"], hidden=A_USERS),
    ),
    # desk: a file on a ticket of account B, for the desk's staff and B's customer admin
    (
        "desk:attachment_download",
        "/desk/attachments/{attachment_b}/",
        expect([*DESK, "customer_b_admin"], hidden=[*A_USERS, "technician"]),
    ),
    # quality: the survey responses list, for the desk's staff
    ("quality:survey_list", "/quality/surveys/", expect(DESK)),
    # portal: customer users only (staff 403 on every page); a ticket of account B is B's admin's,
    # a 404 for A's users; the actions answer GET with 405 to whoever may see the ticket
    ("portal:home", "/portal/", expect(CUSTOMERS)),
    ("portal:request_list", "/portal/requests/", expect(CUSTOMERS)),
    ("portal:request_create", "/portal/requests/new/", expect(CUSTOMERS)),
    ("portal:request_detail", "/portal/requests/{ticket_b}/", expect(["customer_b_admin"], hidden=A_USERS)),
    *[
        (
            f"portal:request_{action}",
            f"/portal/requests/{{ticket_b}}/{action}/",
            {**expect([], hidden=A_USERS), "customer_b_admin": 405},
        )
        for action in ("reply", "close", "reopen")
    ],
    # desk mail: the triage queue and its mails, for the desk's staff only
    ("mail:triage_list", "/desk/mail/", expect(DESK)),
    (
        "mail:triage_detail",
        "/desk/mail/{inbound}/",
        expect(DESK, hidden=[*A_USERS, "customer_b_admin", "technician"]),
    ),
    (
        "mail:raw_download",
        "/desk/mail/{inbound}/raw/",
        expect(DESK, hidden=[*A_USERS, "customer_b_admin", "technician"]),
    ),
    # desk: the agent's workspace, for desk staff; a ticket of account B is hidden from A's users and
    # technicians (the selectors show them none) and refused to B's customer admin (portal only)
    ("desk:index", "/desk/", expect(DESK)),
    ("desk:queue", "/desk/queues/all/?status=any", expect(DESK)),
    ("desk:ticket_create", "/desk/tickets/new/", expect(DESK)),
    ("desk:account_search", "/desk/tickets/new/accounts/?account_q=beta", expect(DESK)),
    ("desk:account_fields", "/desk/tickets/new/account/?account={account_b}", expect(DESK)),
    ("desk:priority_preview", "/desk/tickets/new/priority/?impact=high&urgency=low", expect(DESK)),
    ("desk:ticket", "/desk/tickets/{ticket_b}/", expect(DESK, hidden=[*A_USERS, "technician"])),
    ("desk:team_routing", "/desk/teams/{team}/routing/", expect(["admin", "manager"], hidden=CUSTOMERS)),
]


def _desk_action(action: str) -> tuple[str, str, dict[str, int]]:
    """A POST-only ticket action: a GET goes back to the ticket page (302) for desk staff, after
    the same scope checks as the ticket page."""
    return (
        f"desk:ticket_{action}",
        f"/desk/tickets/{{ticket_b}}/{action}/",
        {**expect([], hidden=[*A_USERS, "technician"]), **dict.fromkeys(DESK, 302)},
    )


PAGES += [
    _desk_action(a) for a in ("reply", "status", "priority", "assign", "tags", "link", "unlink", "merge")
]
# Another agent's saved view is not found; its owner's GET opens the view (302).
PAGES.append(
    (
        "desk:saved_view_delete",
        "/desk/views/{saved_view}/delete/",
        {**expect([], hidden=["admin", "manager", "dispatcher"]), "agent": 302},
    )
)
PAGES_WITHOUT_LOGIN = {"accounts:login", "accounts:logout", "accounts:token_revoke", "core:healthz"}
# The survey answer pages are reached by a signed link without signing in (quality/tests/test_answering.py).
PAGES_WITHOUT_LOGIN |= {"quality:survey_answer", "quality:survey_thanks"}
# Apps whose pages are access-tested beside their own fixtures (work orders, plans, KPI data):
# field/tests/test_page_matrix_field.py (every "field:" page) + test_pages.py + test_e2e_tech_phone.py,
# dispatch/tests/test_board_pages.py + test_booking_slots.py,
# analytics/tests/test_http.py, planning/tests/test_views.py + test_field_page.py.
PAGES_COVERED_ELSEWHERE = ("analytics:", "dispatch:", "field:", "field_tech:", "planning:")


@pytest.fixture
def page_objects(world):
    return {
        "calendar": f.CalendarFactory().pk,
        "team": f.TeamFactory().pk,
        "agent": world.users["agent"].pk,
        "account_b": world.account_b.pk,
        "contact_b": world.contact_b.pk,
        "site_b": world.site_b.pk,
        "asset_b": world.asset_b.pk,
        "hidden_service": f.ServiceFactory(portal_visible=False).pk,
        "policy": f.SlaPolicyFactory().pk,
        "contract_b": f.ContractFactory(account=world.account_b).pk,
        "attachment_b": f.AttachmentFactory(ticket=f.TicketFactory(account=world.account_b)).pk,
        "ticket_b": f.TicketFactory(account=world.account_b).pk,
        "inbound": f.InboundMailFactory().pk,
        "saved_view": SavedView.objects.create(user=world.users["agent"], name="Mine", queue="mine").pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_page_matrix(name, path, expected, world, page_objects, client_for):
    url = path.format(**page_objects)
    assert client_for(None).get(url).status_code == 302, "anonymous callers are sent to sign in"
    for actor in ACTORS:
        status = client_for(world.users[actor]).get(url).status_code
        assert status == expected[actor], (actor, url, status)


def test_every_page_is_in_the_matrix():
    named = set()
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if namespace == "api":
            continue
        for name in resolver.reverse_dict:
            if isinstance(name, str):
                named.add(f"{namespace}:{name}")
    assert len(named) > 20, named
    missing = {
        n
        for n in named - {p[0] for p in PAGES} - PAGES_WITHOUT_LOGIN
        if not n.startswith(PAGES_COVERED_ELSEWHERE)
    }
    assert not missing, f"pages missing from the page role matrix: {sorted(missing)}"
