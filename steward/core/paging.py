"""Pages of a large ordered queryset that cost the page, not the rows before it.

`qs[offset:offset + limit]` makes the database build every row up to the offset in full: with
`select_related` each skipped row is joined to its account, team, assignee... before being thrown
away, so the middle page of 100,000 tickets cost PostgreSQL about 100 ms. `KeyedPages(qs)` slices
in two steps inside one query: a subquery picks the page's primary keys from the filtered, ordered
table alone (an index scan when an index matches the filter and order), and only those rows are
joined, ordered and returned. `count()` is the queryset's own. Both pagers take it in place of the
queryset: `core.api_kit.paginate` and Django's `Paginator` (through `core.views_kit.paginate`).

For querysets whose primary keys are unique per row (no `distinct` or grouping over joins), and a
database that accepts LIMIT in an IN subquery (PostgreSQL and SQLite do).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


class KeyedPages:
    """A stand-in for `qs` whose slices pick their rows' keys first (see the module docstring)."""

    def __init__(self, qs: QuerySet) -> None:
        self.qs = qs
        self.ordered = qs.ordered  # Paginator warns about unordered lists

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: Any) -> Any:
        if not isinstance(item, slice):
            return self.qs[item]
        if item.step is not None:
            raise ValueError("KeyedPages takes no step")
        keys = self.qs.values("pk")[item]
        return list(self.qs.filter(pk__in=keys))
