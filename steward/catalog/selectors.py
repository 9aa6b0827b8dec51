"""Reads of the catalog, scoped by who asks (steward.core.access).

* Services: staff see all; a customer user sees the active, portal-visible ones.
* SLA policies: staff only (a customer gets 403 for the list and 404 for an object).
* Contracts: staff see all; a customer admin their own account's; a requester none.

`policy_for_ticket` and `policy_as_replay_dict` are what the desk calls: which policy governs a
ticket, and that policy in the shape `desk.sla.replay` takes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from steward.catalog.matching import PolicyRule, TicketFacts, choose_policy
from steward.catalog.models import Contract, EscalationLevel, Service, SlaPolicy, SlaTarget, TargetKind
from steward.core import access
from steward.core.errors import NotFound

# The target kinds the desk's SLA clocks run (on-site arrival is field service's).
REPLAY_TARGETS = (
    TargetKind.FIRST_RESPONSE,
    TargetKind.NEXT_RESPONSE,
    TargetKind.RESOLUTION,
    TargetKind.ONSITE,
)


# --- services ------------------------------------------------------------------------------------


def services_for(user: Any) -> QuerySet[Service]:
    if access.is_staff(user):
        return Service.objects.all()
    if access.is_customer(user):
        return Service.objects.filter(is_active=True, portal_visible=True)
    return Service.objects.none()


def service_list(
    user: Any,
    *,
    q: str = "",
    category: str = "",
    active: bool | None = None,
    field_visit: bool | None = None,
    portal_visible: bool | None = None,
) -> QuerySet[Service]:
    qs = services_for(user)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(code__icontains=q)
            | Q(description__icontains=q)
            | Q(category__icontains=q)
        )
    if category:
        qs = qs.filter(category__iexact=category)
    if active is not None:
        qs = qs.filter(is_active=active)
    if field_visit is not None:
        qs = qs.filter(needs_field_visit=field_visit)
    if portal_visible is not None:
        qs = qs.filter(portal_visible=portal_visible)
    return qs.order_by("category", "name", "id")


def service_categories(user: Any) -> list[str]:
    return list(services_for(user).order_by("category").values_list("category", flat=True).distinct())


def service_get(user: Any, pk: Any) -> Service:
    return access.get_or_404(services_for(user), pk=pk)


# --- SLA policies --------------------------------------------------------------------------------


def _with_details(qs: QuerySet[SlaPolicy]) -> QuerySet[SlaPolicy]:
    return qs.select_related("calendar").prefetch_related(
        Prefetch("targets", queryset=SlaTarget.objects.order_by("priority")),
        "escalations",
        "customer_accounts",
        "services",
    )


def policy_list(user: Any, *, q: str = "", active: bool | None = None) -> QuerySet[SlaPolicy]:
    access.require_staff(user)
    qs = _with_details(SlaPolicy.objects.all())
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("order", "id")


def policy_get(user: Any, pk: Any) -> SlaPolicy:
    if not access.is_staff(user):
        raise NotFound("SLA policy not found")
    return access.get_or_404(_with_details(SlaPolicy.objects.all()), pk=pk)


def policy_conditions(policy: SlaPolicy) -> dict[str, list]:
    """The policy's non-empty conditions, for display: {name: [values]}."""
    conditions = {
        "customer_accounts": list(policy.customer_accounts.all()),
        "tiers": list(policy.tiers),
        "services": list(policy.services.all()),
        "ticket_types": list(policy.ticket_types),
        "priorities": list(policy.priorities),
    }
    return {name: values for name, values in conditions.items() if values}


def policy_rule(policy: SlaPolicy) -> PolicyRule:
    """The policy's conditions as a pure rule (uses prefetched accounts and services if present)."""
    return PolicyRule(
        id=policy.pk,
        order=policy.order,
        account_ids=[a.pk for a in policy.customer_accounts.all()],
        tiers=policy.tiers,
        service_ids=[s.pk for s in policy.services.all()],
        ticket_types=policy.ticket_types,
        priorities=policy.priorities,
        via_contract=policy.via_contract,
    )


def policy_as_replay_dict(policy: SlaPolicy) -> dict[str, Any]:
    """The policy as `desk.sla.replay` takes it: calendar spec (None = 24/7), pause statuses,
    warning share and {kind: {priority: minutes}} without the targets that do not apply.
    Validated with `desk.sla.parse_policy` (raises `desk.sla.PolicyError`)."""
    from steward.desk.sla import parse_policy

    targets: dict[str, dict[str, int]] = {}
    rows = sorted(policy.targets.all(), key=lambda t: t.priority)
    for kind in REPLAY_TARGETS:
        by_priority = {t.priority: t.minutes(kind) for t in rows if t.minutes(kind) is not None}
        if by_priority:
            targets[str(kind)] = by_priority
    spec = {
        "calendar": dict(policy.calendar.spec) if policy.calendar_id is not None else None,
        "pause_statuses": list(policy.pause_statuses),
        "warning_percent": policy.warning_percent,
        "targets": targets,
    }
    parse_policy(spec)
    return spec


def onsite_minutes(policy: SlaPolicy, priority: str) -> int | None:
    """The on-site arrival target at this priority (business minutes on the policy's calendar)."""
    for t in policy.targets.all():
        if t.priority == priority:
            return t.onsite_minutes
    return None


# --- contracts -----------------------------------------------------------------------------------


def contracts_for(user: Any) -> QuerySet[Contract]:
    qs = access.scope_to_account(Contract.objects.select_related("account", "policy"), user)
    if access.is_customer(user) and not user.is_customer_admin:
        return qs.none()  # contracts are for the customer's admins, not for every requester
    return qs


def contract_list(
    user: Any,
    *,
    account_id: int | None = None,
    policy_id: int | None = None,
    q: str = "",
    valid_on: dt.date | None = None,
) -> QuerySet[Contract]:
    qs = contracts_for(user).prefetch_related("services")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if policy_id is not None:
        qs = qs.filter(policy_id=policy_id)
    if q:
        qs = qs.filter(Q(reference__icontains=q) | Q(account__name__icontains=q) | Q(notes__icontains=q))
    if valid_on is not None:
        qs = qs.filter(_valid_on(valid_on))
    return qs.order_by("account__name", "-valid_from", "id")


def contract_get(user: Any, pk: Any) -> Contract:
    return access.get_or_404(contracts_for(user).prefetch_related("services"), pk=pk)


def _valid_on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


# --- which policy governs a ticket ---------------------------------------------------------------


def contract_policy_ids(*, account: Any, service: Service | None, on_date: dt.date) -> frozenset[int]:
    """Ids of the policies granted by the account's contracts valid on `on_date` that cover the
    service (a contract listing no services covers every service)."""
    if account is None:
        return frozenset()
    granted = set()
    contracts = Contract.objects.filter(_valid_on(on_date), account_id=account.pk).prefetch_related(
        "services"
    )
    for contract in contracts:
        covered = {s.pk for s in contract.services.all()}
        if not covered or (service is not None and service.pk in covered):
            granted.add(contract.policy_id)
    return frozenset(granted)


def policy_for_ticket(
    *,
    account: Any,
    service: Service | None,
    ticket_type: str | None,
    priority: str | None,
    on_date: dt.date,
) -> SlaPolicy | None:
    """The active policy that governs a ticket of this account, service, type and priority created
    on `on_date` (first match by order, see `catalog.matching`), or None if none matches."""
    policies = list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related(
            Prefetch("customer_accounts"),
            Prefetch("services", queryset=Service.objects.only("id")),
            Prefetch("targets", queryset=SlaTarget.objects.order_by("priority")),
            "escalations",
        )
    )
    facts = TicketFacts(
        account_id=account.pk if account is not None else None,
        tier=account.tier if account is not None else None,
        service_id=service.pk if service is not None else None,
        ticket_type=ticket_type or None,
        priority=priority or None,
        contract_policy_ids=contract_policy_ids(account=account, service=service, on_date=on_date),
    )
    chosen = choose_policy([policy_rule(p) for p in policies], facts)
    return next((p for p in policies if p.pk == chosen), None)


def policy_match(
    user: Any,
    *,
    account: Any,
    service: Service | None,
    ticket_type: str | None,
    priority: str | None,
    on_date: dt.date,
) -> SlaPolicy | None:
    """`policy_for_ticket` for a staff member trying conditions out (the API's policy-match)."""
    access.require_staff(user)
    return policy_for_ticket(
        account=account, service=service, ticket_type=ticket_type, priority=priority, on_date=on_date
    )


def escalation_rows(user: Any, policy: SlaPolicy) -> list[tuple[Any, list[str]]]:
    """The policy's escalation levels in target order (first response, next response, resolution,
    on site), then by offset, each with its actions in words ("notify team Service Desk")."""
    from steward.accounts.models import Role
    from steward.accounts.selectors import staff_with_role, team_list

    access.require_staff(user)
    levels = sorted(
        policy.escalations.all(), key=lambda e: (TargetKind.values.index(e.target), e.offset_minutes, e.pk)
    )
    actions = [a for level in levels for a in level.actions]
    team_ids = {a["team_id"] for a in actions if "team_id" in a}
    user_ids = {u for a in actions for u in a.get("user_ids", ())}
    teams = dict(team_list(user).filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}
    people: dict[int, str] = {}
    for role in Role.values if user_ids else ():
        people |= dict(staff_with_role(role).filter(pk__in=user_ids).values_list("pk", "full_name"))

    def words(action: dict) -> str:
        kind = action["type"]
        if kind == "notify_users":
            return "notify " + ", ".join(people.get(u, f"user #{u}") for u in action["user_ids"])
        if kind == "notify_team":
            return f"notify team {teams.get(action['team_id'], '#' + str(action['team_id']))}"
        if kind == "reassign_team":
            return f"reassign to {teams.get(action['team_id'], 'team #' + str(action['team_id']))}"
        return "raise priority"

    return [(level, [words(a) for a in level.actions]) for level in levels]


def escalation_levels(policy_id: int) -> list[EscalationLevel]:
    """A policy's escalation levels (unscoped: the desk's clocks and sweeper, not a caller, ask)."""
    return list(
        EscalationLevel.objects.filter(policy_id=policy_id).order_by("target", "offset_minutes", "id")
    )
