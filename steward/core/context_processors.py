"""Template context shared by every page: the navigation the signed-in user's roles allow."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from steward.core import access


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    items: list[tuple[str, str]] = []
    if user is not None and access.is_staff(user):
        items = [
            ("Home", reverse("core:home")),
            ("Accounts", reverse("customers:account_list")),
            ("Sites", reverse("customers:site_list")),
            ("Assets", reverse("customers:asset_list")),
            ("Catalog", reverse("catalog:service_list")),
            ("Teams", reverse("accounts:team_list")),
            ("Calendars", reverse("core:calendar_list")),
        ]
        if user.has_role(*access.USER_ADMINS):
            items.append(("Users", reverse("accounts:user_list")))
        from steward.desk.selectors import DESK_ROLES

        if user.has_role(*DESK_ROLES):  # the agent's workspace, next to Home
            items.insert(1, ("Desk", reverse("desk:index")))
    elif user is not None and access.is_customer(user):
        items = [
            ("Home", reverse("core:home")),
            ("My account", reverse("customers:account_detail", args=[user.customer_account_id])),
            ("Sites", reverse("customers:site_list")),
            ("Assets", reverse("customers:asset_list")),
            ("Services", reverse("catalog:service_list")),
        ]
    return {"nav_items": items, "current_path": request.path}
