"""Core writes: the shared create/update mechanics every app's services use, and calendars.

`create_audited` and `update_audited` validate the instance fully (model validators and
constraints), save it and record the audit event, inside the caller's transaction. Services in
every app are thin wrappers over them that add their own permission checks and rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from steward.core import access, audit
from steward.core.errors import ValidationFailed
from steward.core.models import Calendar, HistoryChange

M = TypeVar("M", bound=models.Model)

# The instant before any history: "every period may have changed" (a cost rate edited, a bulk load).
ALL_HISTORY = datetime(1970, 1, 1, tzinfo=UTC)


def history_changed(*, since: datetime | None) -> None:
    """Record, in the caller's transaction, that figures of periods from `since` on may differ now
    (None: all of history). Summaries of closed periods (analytics' KPI cells) stop trusting those
    periods until they are recomputed; a rollback takes the record back with the change."""
    HistoryChange.objects.create(since=ALL_HISTORY if since is None else since)


def full_clean(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed.from_django(exc) from None


def _editable_fields(model: type[models.Model], fields: Iterable[str]) -> list[str]:
    known = {f.name for f in model._meta.get_fields() if getattr(f, "concrete", False)}
    return [f for f in fields if f in known]


def create_audited(
    *,
    actor: Any,
    instance: M,
    action: str,
    account_id: int | None = None,
    actor_label: str = "",
    is_account: bool = False,
) -> M:
    """Validate, insert and audit. `is_account`: the instance is itself a customer account, so its
    history is scoped by its own id (known only after the insert)."""
    full_clean(instance)
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationFailed(f"conflicts with an existing record: {exc}") from None
    fields = _editable_fields(type(instance), [f.name for f in instance._meta.concrete_fields])
    after = audit.snapshot(instance, [f for f in fields if f not in ("id", "created_at", "updated_at")])
    audit.record(
        actor=actor,
        action=action,
        obj=instance,
        changes=audit.diff({}, after),
        account_id=instance.pk if is_account else account_id,
        actor_label=actor_label,
    )
    return instance


def update_audited(
    *,
    actor: Any,
    instance: M,
    changes: Mapping[str, Any],
    allowed: Iterable[str],
    action: str,
    account_id: int | None = None,
) -> M:
    allowed = set(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "this field cannot be changed")
    before = audit.snapshot(instance, changes.keys())
    for name, value in changes.items():
        setattr(instance, name, value)
    full_clean(instance)
    after = audit.snapshot(instance, changes.keys())
    changed = audit.diff(before, after)
    if not changed:
        return instance
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationFailed(f"conflicts with an existing record: {exc}") from None
    audit.record(actor=actor, action=action, obj=instance, changes=changed, account_id=account_id)
    return instance


# --- Calendars -----------------------------------------------------------------------------------

CALENDAR_FIELDS = ("name", "description", "spec")


def _validated_spec(spec: Any) -> dict:
    from steward.core.calendars import BusinessCalendar, CalendarSpecError

    if not isinstance(spec, dict):
        raise ValidationFailed.for_field("spec", "must be a JSON object")
    try:
        return BusinessCalendar.from_spec(spec).to_spec()
    except CalendarSpecError as exc:
        raise ValidationFailed.for_field("spec", str(exc)) from None


@transaction.atomic
def calendar_create(*, actor: Any, name: str, spec: dict, description: str = "") -> Calendar:
    access.require_role(actor, *access.CALENDAR_EDITORS)
    calendar = Calendar(name=name, description=description, spec=_validated_spec(spec))
    return create_audited(actor=actor, instance=calendar, action="calendar.create")


@transaction.atomic
def calendar_update(*, actor: Any, calendar: Calendar, **changes: Any) -> Calendar:
    access.require_role(actor, *access.CALENDAR_EDITORS)
    if "spec" in changes:
        changes["spec"] = _validated_spec(changes["spec"])
    return update_audited(
        actor=actor, instance=calendar, changes=changes, allowed=CALENDAR_FIELDS, action="calendar.update"
    )


@transaction.atomic
def calendar_import_holidays(*, actor: Any, calendar: Calendar, ical_bytes: bytes) -> list[str]:
    """Add the all-day (and multi-day) events of an iCalendar file as holidays. Returns the added dates."""
    from steward.core.ical import holidays_from_ical

    access.require_role(actor, *access.CALENDAR_EDITORS)
    try:
        dates = holidays_from_ical(ical_bytes)
    except ValueError as exc:
        raise ValidationFailed.for_field("file", str(exc)) from None
    spec = dict(calendar.spec)
    if spec.get("always"):
        raise ValidationFailed.for_field("file", "a 24/7 calendar has no holidays")
    existing = set(spec.get("holidays", []))
    added = sorted(d for d in dates if d not in existing)
    spec["holidays"] = sorted(existing | set(added))
    update_audited(
        actor=actor,
        instance=calendar,
        changes={"spec": _validated_spec(spec)},
        allowed=CALENDAR_FIELDS,
        action="calendar.import_holidays",
    )
    return added
