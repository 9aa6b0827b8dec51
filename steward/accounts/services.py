"""Writes for users, roles, teams and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.accounts import tokens
from steward.accounts.models import (
    ApiToken,
    CustomerRole,
    Role,
    Team,
    TeamMembership,
    User,
    UserRole,
    UserSkill,
)
from steward.core import access, audit
from steward.core.errors import NotFound, ValidationFailed
from steward.core.jobs import enqueue_on_commit
from steward.core.services import create_audited, full_clean, update_audited

TEAM_FIELDS = ("name", "description", "email", "calendar")
SKILL_EDITORS = ("admin", "manager", "dispatcher")
USER_FIELDS = ("full_name", "phone", "is_active")
# Only the last-used time is written on use, and at most this often, so that a busy API client
# does not turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationFailed.for_field(
            "roles", f"unknown role {bad[0]!r} (one of {', '.join(Role.values)})"
        )
    return roles


def _check_password(password: str | None, user: User) -> None:
    if password is None:
        return
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            "password: " + " ".join(exc.messages), fields={"password": exc.messages}
        ) from None


@transaction.atomic
def user_create(
    *,
    actor: Any,
    email: str,
    full_name: str,
    password: str | None = None,
    roles: Iterable[str] = (),
    customer_account=None,
    customer_role: str = "",
    phone: str = "",
    actor_label: str = "",
    check_password: bool = True,
    send_welcome_mail: bool = True,
) -> User:
    """Create a staff user (with roles) or a customer user (with an account and customer role)."""
    if actor is not None:
        access.require_role(actor, *access.USER_ADMINS)
    roles = _check_roles(roles)
    if customer_account is not None:
        if roles:
            raise ValidationFailed.for_field("roles", "a customer user holds no staff roles")
        if customer_role not in CustomerRole.values:
            raise ValidationFailed.for_field(
                "customer_role", f"must be one of {', '.join(CustomerRole.values)}"
            )
    elif customer_role:
        raise ValidationFailed.for_field("customer_account", "a customer role needs a customer account")
    elif not roles:
        raise ValidationFailed.for_field("roles", "a staff user needs at least one role")
    user = User(
        email=(email or "").strip().lower(),
        full_name=full_name,
        phone=phone,
        customer_account=customer_account,
        customer_role=customer_role,
    )
    if check_password:
        _check_password(password, user)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    full_clean(user)
    create_audited(
        actor=actor,
        instance=user,
        action="user.create",
        account_id=customer_account.pk if customer_account else None,
        actor_label=actor_label,
    )
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    if send_welcome_mail:
        from steward.accounts.tasks import send_welcome

        enqueue_on_commit(send_welcome, user.pk)
    if roles:
        audit.record(
            actor=actor,
            action="user.roles",
            obj=user,
            changes={"roles": [[], roles]},
            actor_label=actor_label,
        )
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, roles: Iterable[str] | None = None, **changes: Any) -> User:
    access.require_role(actor, *access.USER_ADMINS)
    if changes:
        update_audited(
            actor=actor,
            instance=user,
            changes=changes,
            allowed=USER_FIELDS,
            action="user.update",
            account_id=user.customer_account_id,
        )
    if roles is not None:
        if user.is_customer:
            raise ValidationFailed.for_field("roles", "a customer user holds no staff roles")
        new = _check_roles(roles)
        if not new:
            raise ValidationFailed.for_field("roles", "a staff user needs at least one role")
        old = sorted(user.role_grants.values_list("role", flat=True))
        if user.pk == actor.pk and Role.ADMIN in old and Role.ADMIN not in new:
            raise ValidationFailed.for_field("roles", "you cannot remove your own admin role")
        if old != new:
            UserRole.objects.filter(user=user).exclude(role__in=new).delete()
            UserRole.objects.bulk_create(
                [UserRole(user=user, role=r) for r in new if r not in old], ignore_conflicts=True
            )
            audit.record(actor=actor, action="user.roles", obj=user, changes={"roles": [old, new]})
        user.__dict__.pop("roles", None)
    return user


@transaction.atomic
def password_set(*, actor: Any, user: User, password: str) -> None:
    if actor.pk != user.pk:
        access.require_role(actor, *access.USER_ADMINS)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, action="user.password", obj=user, changes={"password": ["***", "***"]})


# --- Teams ---------------------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *,
    actor: Any,
    name: str,
    description: str = "",
    email: str = "",
    calendar=None,
    members: Iterable[User] = (),
    leads: Iterable[User] = (),
) -> Team:
    access.require_role(actor, *access.TEAM_EDITORS)
    team = Team(name=name, description=description, email=email, calendar=calendar)
    create_audited(actor=actor, instance=team, action="team.create")
    _set_members(actor=actor, team=team, members=members, leads=leads)
    return team


@transaction.atomic
def team_update(
    *,
    actor: Any,
    team: Team,
    members: Iterable[User] | None = None,
    leads: Iterable[User] = (),
    **changes: Any,
) -> Team:
    access.require_role(actor, *access.TEAM_EDITORS)
    update_audited(actor=actor, instance=team, changes=changes, allowed=TEAM_FIELDS, action="team.update")
    if members is not None:
        _set_members(actor=actor, team=team, members=members, leads=leads)
    return team


def _set_members(*, actor: Any, team: Team, members: Iterable[User], leads: Iterable[User]) -> None:
    members = list(members)
    customers = [m for m in members if m.is_customer]
    if customers:
        raise ValidationFailed.for_field("members", f"{customers[0].email} is a customer user, not staff")
    lead_ids = {u.pk for u in leads}
    old = sorted(team.memberships.values_list("user_id", flat=True))
    TeamMembership.objects.filter(team=team).delete()
    TeamMembership.objects.bulk_create(
        [TeamMembership(team=team, user=u, is_lead=u.pk in lead_ids) for u in members]
    )
    new = sorted(u.pk for u in members)
    if old != new:
        audit.record(actor=actor, action="team.members", obj=team, changes={"members": [old, new]})


# --- API tokens ----------------------------------------------------------------------------------


@transaction.atomic
def token_create(*, actor: Any, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for the actor. Returns the row and the full token, which is never stored."""
    access.require_authenticated(actor)
    if not name or not name.strip():
        raise ValidationFailed.for_field("name", "this field is required")
    if expires_in_days is not None and not (1 <= expires_in_days <= 3650):
        raise ValidationFailed.for_field("expires_in_days", "must be between 1 and 3650")
    full, prefix, secret_hash = tokens.new_token()
    token = ApiToken(
        user=actor,
        name=name.strip(),
        prefix=prefix,
        secret_hash=secret_hash,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    create_audited(actor=actor, instance=token, action="api_token.create")
    return token, full


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        raise NotFound("api token not found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            changes={"revoked_at": [None, token.revoked_at]},
        )
    return token


def token_authenticate(raw: str) -> User | None:
    """The active user a token belongs to, or None. Touches last_used_at (throttled, compare-and-set)."""
    parts = tokens.split_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not tokens.secret_matches(secret, token.secret_hash) or not token.is_usable:
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(last_used_at=now)
    return token.user


@transaction.atomic
def user_skill_set(
    *, actor: Any, user: User, skill: str, level: int = 3, certified_until: date | None = None
) -> UserSkill:
    """Give a staff member a skill at a level (or change it). `certified_until`: the last day the
    certificate the skill needs is valid; after it, the skill no longer counts (routing, dispatch)."""
    access.require_role(actor, *SKILL_EDITORS)
    if not user.is_staff_member:
        raise ValidationFailed.for_field("user", "skills belong to staff members")
    name = (skill or "").strip().lower()
    if not name:
        raise ValidationFailed.for_field("skill", "name the skill")
    row = UserSkill.objects.filter(user=user, skill=name).first()
    if row is None:
        row = UserSkill(user=user, skill=name, level=level, certified_until=certified_until)
        return create_audited(actor=actor, instance=row, action="user_skill.create")
    return update_audited(
        actor=actor,
        instance=row,
        changes={"level": level, "certified_until": certified_until},
        allowed=("level", "certified_until"),
        action="user_skill.update",
    )


@transaction.atomic
def user_skill_remove(*, actor: Any, user: User, skill: str) -> None:
    access.require_role(actor, *SKILL_EDITORS)
    row = UserSkill.objects.filter(user=user, skill=(skill or "").strip().lower()).first()
    if row is None:
        raise NotFound(f"{user} holds no skill {skill!r}")
    audit.record(actor=actor, action="user_skill.delete", obj=row, changes={"skill": [row.skill, None]})
    row.delete()
