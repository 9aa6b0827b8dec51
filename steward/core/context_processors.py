"""Template context shared by every page: the navigation the signed-in user's roles allow."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from steward.core import access


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    items: list[tuple[str, str]] = []
    if user is not None and access.is_staff(user):
        from steward.desk.selectors import is_desk_staff
        from steward.quality.selectors import is_survey_staff

        items = [("Home", reverse("core:home"))]
        if is_desk_staff(user):  # the agent's workspace and the mail waiting for a person
            items.append(("Desk", reverse("desk:index")))
            items.extend(_triage_item(user))
        if user.has_role("admin", "manager", "dispatcher"):
            items.append(("Dispatch", reverse("dispatch:board")))
        items += [
            ("Accounts", reverse("customers:account_list")),
            ("Sites", reverse("customers:site_list")),
            ("Assets", reverse("customers:asset_list")),
            ("Catalog", reverse("catalog:service_list")),
        ]
        if is_survey_staff(user):
            items.append(("Surveys", reverse("quality:survey_list")))
        if user.has_role("admin", "manager", "dispatcher", "agent"):
            items.append(("Field", reverse("field:work_order_list")))
        if user.has_role("technician"):
            items.append(("My day", reverse("field_tech:today")))
        if user.has_role("manager", "admin"):
            items.append(("Planning", reverse("planning:home")))
        items.append(("Analytics", reverse("analytics:overview")))
        items += [("Teams", reverse("accounts:team_list")), ("Calendars", reverse("core:calendar_list"))]
        if user.has_role(*access.USER_ADMINS):
            items.append(("Users", reverse("accounts:user_list")))
    elif user is not None and access.is_customer(user):
        items = [
            ("Home", reverse("core:home")),
            ("Requests", reverse("portal:home")),
            ("New request", reverse("portal:request_create")),
            ("My account", reverse("customers:account_detail", args=[user.customer_account_id])),
            ("Sites", reverse("customers:site_list")),
            ("Assets", reverse("customers:asset_list")),
            ("Services", reverse("catalog:service_list")),
        ]
    # The entry whose address is the longest prefix of this page's is the current one (so
    # /desk/mail/ is Triage, not Desk as well).
    prefixes = [
        url for _, url in items if url == request.path or (url != "/" and request.path.startswith(url))
    ]
    return {
        "nav_items": items,
        "current_path": request.path,
        "nav_active": max(prefixes, key=len, default=""),
        **_field_navigation(request, user),
    }


def _field_navigation(request: HttpRequest, user) -> dict:
    """The field area's own tabs (work orders, technicians, maintenance plans, depots, vans), on
    the field staff pages, for the staff who may open them."""
    if user is None or not request.path.startswith("/field/") or not access.is_staff(user):
        return {}
    from steward.field.selectors import WORK_ORDER_STAFF

    sees_work = user.has_role(*WORK_ORDER_STAFF)
    items = [
        ("Work orders", reverse("field:work_order_list"), sees_work),
        ("Technicians", reverse("field:technician_list"), True),
        ("Maintenance plans", reverse("field:maintenance_plan_list"), sees_work),
        ("Depots", reverse("field:depot_list"), True),
        ("Vans", reverse("field:van_list"), True),
    ]
    items = [(label, url) for label, url, allowed in items if allowed]
    prefixes = [url for _, url in items if request.path.startswith(url)]
    return {"field_nav": items, "field_nav_active": max(prefixes, key=len, default="")}


def _triage_item(user) -> list[tuple[str, str]]:
    """Incoming mail waiting for a person, for desk staff: "Triage (3)"."""
    from steward.desk.mail.selectors import triage_count

    waiting = triage_count(user)
    if waiting is None:
        return []
    return [(f"Triage ({waiting})" if waiting else "Triage", reverse("mail:triage_list"))]
