"""Audit events: every service records what it changed, in its own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction

from steward.core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-able values of `fields` (foreign keys by id) as they are now."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = field.attname if isinstance(field, models.ForeignKey) else name
        out[name] = _jsonable(getattr(instance, attname))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
    account_id: int | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Write one audit event. Must run inside the caller's transaction (atomic block)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the service's transaction")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label or ("" if user else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        account_id=account_id,
        changes=_jsonable(dict(changes or {})),
    )


def history(obj: models.Model, *, limit: int = 100):
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
