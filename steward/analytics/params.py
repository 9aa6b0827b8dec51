"""Reading a KPI request's parameters (from a query string: the API, the pages and the CSV export
all come through here), with errors naming the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from steward.analytics.buckets import BUCKETS
from steward.analytics.kpis import DIMENSIONS
from steward.core.errors import ValidationFailed

DEFAULT_WEEKS = 12
ID_DIMENSIONS = ("team", "agent", "technician", "service", "account")


@dataclass(slots=True)
class SeriesParams:
    first: date
    last: date
    bucket: str = "week"
    by: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    at: date | None = None
    group: Any = None
    numerator: bool = False

    def query(self, **override: Any) -> dict[str, str]:
        """The parameters as a query string's mapping (for links that keep the filters)."""
        out = {"from": self.first.isoformat(), "to": self.last.isoformat(), "bucket": self.bucket}
        if self.by:
            out["by"] = self.by
        out.update({k: str(v) for k, v in self.filters.items()})
        out.update({k: str(v) for k, v in override.items() if v is not None})
        return out


def _date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed.for_field(name, "must be a date like 2026-03-31") from None


def dimension_value(dim: str, raw: str, name: str) -> Any:
    if raw in ("", "none"):
        return None
    if dim in ID_DIMENSIONS:
        try:
            value = int(raw)
        except ValueError:
            raise ValidationFailed.for_field(name, "must be an id (a whole number) or 'none'") from None
        if value <= 0:
            raise ValidationFailed.for_field(name, "must be a positive id")
        return value
    return raw


def parse(query: Mapping[str, Any], *, today: date | None = None) -> SeriesParams:
    today = today or timezone.localdate()
    last = _date(query["to"], "to") if query.get("to") else today
    first = _date(query["from"], "from") if query.get("from") else last - timedelta(weeks=DEFAULT_WEEKS)
    if first > last:
        raise ValidationFailed.for_field("from", "must not be after 'to'")
    if (last - first).days > 5 * 366:
        raise ValidationFailed.for_field("from", "a series covers at most five years")
    bucket = query.get("bucket") or "week"
    if bucket not in BUCKETS:
        raise ValidationFailed.for_field("bucket", f"must be one of {', '.join(BUCKETS)}")
    by = query.get("by") or None
    if by is not None and by not in DIMENSIONS:
        raise ValidationFailed.for_field("by", f"must be one of {', '.join(DIMENSIONS)}")
    filters = {dim: dimension_value(dim, str(query[dim]), dim) for dim in DIMENSIONS if query.get(dim)}
    at = _date(query["at"], "at") if query.get("at") else None
    group = None
    if query.get("group") not in (None, ""):
        if by is None:
            raise ValidationFailed.for_field("group", "needs 'by' (the breakdown the group belongs to)")
        group = dimension_value(by, str(query["group"]), "group")
    numerator = str(query.get("numerator", "")).lower() in ("1", "true", "yes")
    return SeriesParams(first, last, bucket, by, filters, at, group, numerator)
