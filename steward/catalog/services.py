"""Writes to the catalog: services, SLA policies (with their targets and escalation levels) and
contracts. Each is one transaction with its audit events; editors are admins and managers.

An SLA policy's targets and escalation levels are replaced as a whole: the new rows are validated
one by one in the same transaction, so a bad row rolls everything back and the old rows stay. The
result must be a policy `desk.sla.parse_policy` accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from steward.catalog.models import (
    TARGET_FIELDS,
    Contract,
    EscalationLevel,
    Service,
    SlaPolicy,
    SlaTarget,
)
from steward.core import access, audit
from steward.core.errors import ValidationFailed
from steward.core.services import create_audited, full_clean, update_audited

CATALOG_EDITORS = ("admin", "manager")

SERVICE_FIELDS = (
    "name", "code", "category", "description", "default_priority", "needs_field_visit", "required_skills",
    "standard_duration_minutes", "portal_visible", "is_active", "team",
)  # fmt: skip
POLICY_FIELDS = (
    "name", "description", "order", "is_active", "calendar", "pause_statuses", "warning_percent", "tiers",
    "ticket_types", "priorities", "via_contract",
)  # fmt: skip
TARGET_ROW_FIELDS = ("priority", *TARGET_FIELDS.values())
ESCALATION_FIELDS = ("target", "offset_minutes", "actions")
CONTRACT_FIELDS = ("policy", "reference", "valid_from", "valid_to", "notes")

_PREFETCHED = ("targets", "escalations", "customer_accounts", "services")


# --- services ------------------------------------------------------------------------------------


@transaction.atomic
def service_create(*, actor: Any, actor_label: str = "", **fields: Any) -> Service:
    access.require_role(actor, *CATALOG_EDITORS)
    _reject_unknown(fields, SERVICE_FIELDS)
    _normalise_skills(fields)
    return create_audited(
        actor=actor, instance=Service(**fields), action="service.create", actor_label=actor_label
    )


@transaction.atomic
def service_update(*, actor: Any, service: Service, **changes: Any) -> Service:
    access.require_role(actor, *CATALOG_EDITORS)
    _normalise_skills(changes)
    return update_audited(
        actor=actor, instance=service, changes=changes, allowed=SERVICE_FIELDS, action="service.update"
    )


def _normalise_skills(fields: dict[str, Any]) -> None:
    skills = fields.get("required_skills")
    if isinstance(skills, list) and all(isinstance(s, str) for s in skills):
        fields["required_skills"] = list(dict.fromkeys(s.strip() for s in skills))


# --- SLA policies --------------------------------------------------------------------------------


@transaction.atomic
def sla_policy_create(
    *,
    actor: Any,
    targets: Iterable[Mapping[str, Any]] = (),
    escalations: Iterable[Mapping[str, Any]] = (),
    customer_accounts: Iterable[Any] = (),
    services: Iterable[Service] = (),
    actor_label: str = "",
    **fields: Any,
) -> SlaPolicy:
    """Create a policy with its conditions, targets (one row per priority: {"priority",
    "first_response_minutes", "next_response_minutes", "resolution_minutes", "onsite_minutes"})
    and escalation levels ({"target", "offset_minutes", "actions"})."""
    access.require_role(actor, *CATALOG_EDITORS)
    _reject_unknown(fields, POLICY_FIELDS)
    policy = create_audited(
        actor=actor, instance=SlaPolicy(**fields), action="sla_policy.create", actor_label=actor_label
    )
    _set_conditions(actor=actor, policy=policy, customer_accounts=customer_accounts, services=services)
    _replace_targets(actor=actor, policy=policy, targets=targets, escalations=escalations)
    _check_whole(policy)
    return policy


@transaction.atomic
def sla_policy_update(
    *,
    actor: Any,
    policy: SlaPolicy,
    targets: Iterable[Mapping[str, Any]] | None = None,
    escalations: Iterable[Mapping[str, Any]] | None = None,
    customer_accounts: Iterable[Any] | None = None,
    services: Iterable[Service] | None = None,
    **changes: Any,
) -> SlaPolicy:
    """Change a policy. Conditions, targets and escalations that are given replace the old ones
    as a whole; those not given stay."""
    access.require_role(actor, *CATALOG_EDITORS)
    update_audited(
        actor=actor, instance=policy, changes=changes, allowed=POLICY_FIELDS, action="sla_policy.update"
    )
    _set_conditions(actor=actor, policy=policy, customer_accounts=customer_accounts, services=services)
    _replace_targets(actor=actor, policy=policy, targets=targets, escalations=escalations)
    _check_whole(policy)
    return policy


def _forget_prefetched(policy: SlaPolicy) -> None:
    cache = getattr(policy, "_prefetched_objects_cache", None)
    if cache:
        for name in _PREFETCHED:
            cache.pop(name, None)


def _set_conditions(
    *,
    actor: Any,
    policy: SlaPolicy,
    customer_accounts: Iterable[Any] | None,
    services: Iterable[Service] | None,
) -> None:
    _forget_prefetched(policy)
    changes: dict[str, list] = {}
    for name, new in (("customer_accounts", customer_accounts), ("services", services)):
        if new is None:
            continue
        new = list(new)
        manager = getattr(policy, name)
        old_ids = sorted(manager.values_list("pk", flat=True))
        new_ids = sorted({obj.pk for obj in new})
        if old_ids != new_ids:
            manager.set(new)
            changes[name] = [old_ids, new_ids]
    if changes:
        audit.record(actor=actor, action="sla_policy.conditions", obj=policy, changes=changes)


def _rows(value: Any, field: str) -> list[dict[str, Any]]:
    if isinstance(value, Mapping) or not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise ValidationFailed.for_field(field, "must be a list of objects")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise ValidationFailed.for_field(f"{field}.{i}", "must be an object")
        rows.append(dict(row))
    return rows


def _nested_error(field: str, index: int, exc: ValidationFailed) -> ValidationFailed:
    """Re-key a row's errors as `targets.0.resolution_minutes` (the API's naming of nested fields)."""
    fields = {
        (f"{field}.{index}" if name == "non_field_errors" else f"{field}.{index}.{name}"): messages
        for name, messages in exc.fields.items()
    } or {f"{field}.{index}": [exc.message]}
    first_name, first_messages = next(iter(fields.items()))
    return ValidationFailed(f"{first_name}: {first_messages[0]}", fields=fields)


def _target_snapshot(policy: SlaPolicy) -> list[dict[str, Any]]:
    return [
        {name: getattr(t, name) for name in TARGET_ROW_FIELDS}
        for t in SlaTarget.objects.filter(policy=policy).order_by("priority")
    ]


def _escalation_snapshot(policy: SlaPolicy) -> list[dict[str, Any]]:
    return [
        {name: getattr(e, name) for name in ESCALATION_FIELDS}
        for e in EscalationLevel.objects.filter(policy=policy).order_by("target", "offset_minutes", "id")
    ]


def _replace_targets(
    *,
    actor: Any,
    policy: SlaPolicy,
    targets: Iterable[Mapping[str, Any]] | None,
    escalations: Iterable[Mapping[str, Any]] | None,
) -> None:
    _forget_prefetched(policy)
    changes: dict[str, list] = {}
    if targets is not None:
        rows = _rows(targets, "targets")
        old = _target_snapshot(policy)
        SlaTarget.objects.filter(policy=policy).delete()
        for i, row in enumerate(rows):
            _save_row(SlaTarget, policy, row, TARGET_ROW_FIELDS, "targets", i)
        new = _target_snapshot(policy)
        if old != new:
            changes["targets"] = [old, new]
    if escalations is not None:
        rows = _rows(escalations, "escalations")
        old = _escalation_snapshot(policy)
        EscalationLevel.objects.filter(policy=policy).delete()
        for i, row in enumerate(rows):
            _check_action_references(row.get("actions"), actor=actor, index=i)
            _save_row(EscalationLevel, policy, row, ESCALATION_FIELDS, "escalations", i)
        new = _escalation_snapshot(policy)
        if old != new:
            changes["escalations"] = [old, new]
    if changes:
        audit.record(actor=actor, action="sla_policy.targets", obj=policy, changes=changes)


def _save_row(model, policy: SlaPolicy, row: dict[str, Any], allowed: tuple[str, ...], field: str, i: int):
    unknown = sorted(set(row) - set(allowed))
    if unknown:
        raise ValidationFailed.for_field(f"{field}.{i}.{unknown[0]}", "unknown field")
    instance = model(policy=policy, **row)
    if model is SlaTarget and all(row.get(name) is None for name in TARGET_FIELDS.values()):
        raise ValidationFailed.for_field(
            f"{field}.{i}", "give at least one target, or leave the priority out"
        )
    try:
        full_clean(instance)
        with transaction.atomic():
            instance.save(force_insert=True)
    except ValidationFailed as exc:
        raise _nested_error(field, i, exc) from None
    except IntegrityError as exc:
        raise ValidationFailed.for_field(f"{field}.{i}", f"conflicts with another row: {exc}") from None
    return instance


def _check_action_references(actions: Any, *, actor: Any, index: int) -> None:
    """Teams and users named by actions must exist (users: active staff). Shape errors are left to
    the model's validator."""
    if not isinstance(actions, list):
        return
    from steward.accounts.models import Role
    from steward.accounts.selectors import staff_with_role, team_list

    where = f"escalations.{index}.actions"
    team_ids = {a["team_id"] for a in actions if isinstance(a, dict) and isinstance(a.get("team_id"), int)}
    user_ids = {
        u
        for a in actions
        if isinstance(a, dict) and isinstance(a.get("user_ids"), list)
        for u in a["user_ids"]
        if isinstance(u, int)
    }
    if team_ids:
        known = set(team_list(actor).filter(pk__in=team_ids).values_list("pk", flat=True))
        if missing := sorted(team_ids - known):
            raise ValidationFailed.for_field(where, f"no such team: {missing[0]}")
    if user_ids:
        known = set()
        for role in Role.values:
            known |= set(staff_with_role(role).filter(pk__in=user_ids).values_list("pk", flat=True))
        if missing := sorted(user_ids - known):
            raise ValidationFailed.for_field(where, f"no such active staff user: {missing[0]}")


def _check_whole(policy: SlaPolicy) -> None:
    """Every escalation level escalates a target the policy has, and the desk's SLA rules accept
    the policy."""
    from steward.catalog.selectors import policy_as_replay_dict
    from steward.desk.sla import PolicyError

    _forget_prefetched(policy)
    kinds = {
        kind
        for t in SlaTarget.objects.filter(policy=policy)
        for kind in TARGET_FIELDS
        if t.minutes(kind) is not None
    }
    for i, level in enumerate(
        EscalationLevel.objects.filter(policy=policy).order_by("target", "offset_minutes", "id")
    ):
        if level.target not in kinds:
            raise ValidationFailed.for_field(
                f"escalations.{i}.target", f"the policy has no {level.get_target_display().lower()} target"
            )
    try:
        policy_as_replay_dict(policy)
    except PolicyError as exc:
        message = str(exc)
        raise ValidationFailed.for_field(message.split(":", 1)[0] or "targets", message) from None
    _forget_prefetched(policy)


# --- contracts -----------------------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    actor: Any,
    account: Any,
    policy: SlaPolicy,
    services: Iterable[Service] = (),
    actor_label: str = "",
    **fields: Any,
) -> Contract:
    access.require_role(actor, *CATALOG_EDITORS)
    _reject_unknown(fields, CONTRACT_FIELDS)
    contract = create_audited(
        actor=actor,
        instance=Contract(account=account, policy=policy, **fields),
        action="contract.create",
        account_id=account.pk,
        actor_label=actor_label,
    )
    _set_contract_services(actor=actor, contract=contract, services=services)
    return contract


@transaction.atomic
def contract_update(
    *, actor: Any, contract: Contract, services: Iterable[Service] | None = None, **changes: Any
) -> Contract:
    access.require_role(actor, *CATALOG_EDITORS)
    update_audited(
        actor=actor,
        instance=contract,
        changes=changes,
        allowed=CONTRACT_FIELDS,
        action="contract.update",
        account_id=contract.account_id,
    )
    if services is not None:
        _set_contract_services(actor=actor, contract=contract, services=services)
    return contract


def _set_contract_services(*, actor: Any, contract: Contract, services: Iterable[Service]) -> None:
    cache = getattr(contract, "_prefetched_objects_cache", None)
    if cache:
        cache.pop("services", None)
    services = list(services)
    old = sorted(contract.services.values_list("pk", flat=True))
    new = sorted({s.pk for s in services})
    if old != new:
        contract.services.set(services)
        audit.record(
            actor=actor,
            action="contract.services",
            obj=contract,
            changes={"services": [old, new]},
            account_id=contract.account_id,
        )


def _reject_unknown(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "unknown field")
