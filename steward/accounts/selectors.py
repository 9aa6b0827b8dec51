"""Reads of users, teams and tokens, scoped by who asks."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from steward.accounts.models import ApiToken, Team, User, UserRole, UserSkill
from steward.core import access
from steward.core.errors import NotFound


def team_list(user: Any, *, q: str = "") -> QuerySet[Team]:
    access.require_staff(user)
    qs = Team.objects.select_related("calendar").annotate(member_count=Count("memberships"))
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name")


def team_get(user: Any, pk: Any) -> Team:
    if not access.is_staff(user):
        raise NotFound("team not found")
    return access.get_or_404(
        Team.objects.select_related("calendar").prefetch_related("memberships__user"), pk=pk
    )


def user_list(user: Any, *, q: str = "", role: str = "", kind: str = "") -> QuerySet[User]:
    access.require_role(user, *access.USER_ADMINS)
    qs = User.objects.select_related("customer_account").prefetch_related(
        Prefetch("role_grants", queryset=UserRole.objects.order_by("role"))
    )
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(email__icontains=q))
    if role:
        qs = qs.filter(role_grants__role=role)
    if kind == "staff":
        qs = qs.filter(customer_account__isnull=True)
    elif kind == "customer":
        qs = qs.filter(customer_account__isnull=False)
    return qs.order_by("full_name", "id")


def user_get(user: Any, pk: Any) -> User:
    if not (access.is_staff(user) and user.has_role(*access.USER_ADMINS)):
        raise NotFound("user not found")
    return access.get_or_404(User.objects.select_related("customer_account"), pk=pk)


def staff_with_role(role: str) -> QuerySet[User]:
    return User.objects.filter(is_active=True, customer_account__isnull=True, role_grants__role=role)


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    access.require_authenticated(user)
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_get(user: Any, pk: Any) -> ApiToken:
    return access.get_or_404(tokens_of(user), pk=pk)


def team_agents_with_skills(*, team_id: int, on_date: date) -> list[tuple[int, frozenset[str]]]:
    """The team's active members who hold the agent role, each with the skills valid on `on_date`
    (an expired certification is not a skill). For the desk's routing; not scoped by a caller."""
    members = list(
        User.objects.filter(
            is_active=True,
            customer_account__isnull=True,
            memberships__team_id=team_id,
            role_grants__role="agent",
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    skills: dict[int, set[str]] = {pk: set() for pk in members}
    for skill in UserSkill.objects.filter(user_id__in=members):
        if skill.is_valid_on(on_date):
            skills[skill.user_id].add(skill.skill)
    return [(pk, frozenset(skills[pk])) for pk in sorted(members)]


# --- for the mail intake (the system, not a caller) ----------------------------------------------


def team_for_addresses(addresses: list[str]) -> Team | None:
    """The team whose inbound address is the first of these recipients that is one (else None)."""
    wanted = [a.strip().lower() for a in addresses if a and a.strip()]
    if not wanted:
        return None
    teams = {t.email.lower(): t for t in Team.objects.exclude(email="") if t.email.lower() in wanted}
    return next((teams[a] for a in wanted if a in teams), None)


def customer_users_with_email(email: str) -> QuerySet[User]:
    """Active customer users with this address (case-insensitive)."""
    return User.objects.select_related("customer_account").filter(
        email__iexact=email.strip(), is_active=True, customer_account__is_active=True
    )
