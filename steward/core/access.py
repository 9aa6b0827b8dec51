"""Access helpers: who may see and do what. Every selector scopes its reads through these.

The rule (DESIGN.md, Isolation): a customer user sees only their own account's data (a customer
admin all of it, a requester their own tickets); staff see what their roles allow. An object
outside the caller's scope is reported as not found, never as forbidden, so its existence leaks
nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from steward.core.errors import Forbidden, NotFound

# Roles that may write to the customer directory.
DIRECTORY_EDITORS = ("admin", "manager", "agent", "dispatcher")
CALENDAR_EDITORS = ("admin", "manager")
TEAM_EDITORS = ("admin",)
USER_ADMINS = ("admin",)


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_staff_member


def is_customer(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.is_customer


def require_authenticated(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Forbidden("authentication required")


def require_staff(user: Any) -> None:
    """Staff-only resources: a customer user gets 404 for the objects and 403 for the collection."""
    require_authenticated(user)
    if not is_staff(user):
        raise Forbidden("this resource is for staff")


def require_role(user: Any, *roles: str) -> None:
    require_staff(user)
    if not user.has_role(*roles):
        raise Forbidden(f"this action needs one of the roles: {', '.join(roles)}")


def scope_to_account(qs: QuerySet, user: Any, *, account_field: str = "account") -> QuerySet:
    """Staff see all rows; a customer user sees their account's rows; anyone else sees none."""
    if is_staff(user):
        return qs
    if is_customer(user):
        lookup = "pk" if account_field == "" else f"{account_field}_id"
        return qs.filter(**{lookup: user.customer_account_id})
    return qs.none()


def get_or_404(qs: QuerySet, **lookup: Any) -> Model:
    """Fetch one object from an already scoped queryset, or raise NotFound."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{qs.model._meta.verbose_name} not found") from None
