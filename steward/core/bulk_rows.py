"""Raw bulk inserts for the builders of history (the demo loader, the benchmarks): rows as plain
mappings, written as multi-row INSERTs on SQLite and COPY on PostgreSQL. Not for requests: no
validation beyond the database's constraints."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone


class RawTable:
    """Raw multi-row inserts into one model's table: the ORM's per-object cost (instances, the SQL
    compiler) is most of a bulk_create, and the builder writes hundreds of thousands of rows. Values
    are prepared for the database by each field's own `get_db_prep_save` (dates, JSON), so what is
    stored is what the ORM would store.

    A row is a mapping of attribute names (``account_id``, not ``account``); a column it leaves out
    gets what the ORM would insert: the field's default, "" for text, NULL, and for ``auto_now`` /
    ``auto_now_add`` fields the time the table was opened. A name that is not a column is refused:
    a misspelt column must not silently become its default."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs per access
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.converters = [self._converter(f) for f in self.fields]
        # What the ORM would insert for a column the row does not give ("" for text, None, defaults).
        opened = timezone.now()
        self.defaults = {
            f.attname: opened
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
            for f in self.fields
        }
        self.known = frozenset(self.names)
        quote = self.db.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        # Names from the model's own metadata, never from input.
        self.head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self.row_sql = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.copy_sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        # SQLite binds at most 32766 parameters per statement; PostgreSQL 65535.
        self.per_statement = max(1, min(500, 30000 // len(self.fields)))

    def _converter(self, f: models.Field) -> Callable[[Any], Any] | None:
        """How a value reaches the database, as the field's `get_db_prep_save` would send it (the
        common cases done directly, as they are most of the cost)."""
        db = self.db
        if isinstance(f, models.JSONField):  # JSON text (SQLite stores it; PostgreSQL's COPY parses it)
            encoder = f.encoder
            return lambda v: None if v is None else json.dumps(v, cls=encoder)
        if isinstance(f, models.DateTimeField):
            if db.vendor == "sqlite":  # naive in the connection's zone, as text (backends.sqlite3)
                zone = db.timezone
                return lambda v: None if v is None else str(v.astimezone(zone).replace(tzinfo=None))
            return None  # psycopg adapts aware datetimes itself
        if isinstance(f, models.DateField):
            return lambda v: f.get_db_prep_save(v, db)
        return None

    def reserve_ids(self, n: int) -> list[int]:
        """`n` new primary keys, taken the way the table's own inserts take them (the sequence on
        PostgreSQL; past the highest id on SQLite, whose write lock the transaction holds)."""
        if n == 0:
            return []
        table = self.model._meta.db_table
        with self.db.cursor() as cursor:
            if self.db.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n]
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.db.ops.quote_name(table)}")  # noqa: S608
            start = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(start, row[0] if row else 0)
        return list(range(start + 1, start + n + 1))

    def insert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write `rows`; a row without an id gets one from `reserve_ids`."""
        known = self.known
        for row in rows:
            if not row.keys() <= known:
                unknown = ", ".join(sorted(row.keys() - known))
                raise ValueError(f"{self.model.__name__} has no column {unknown}")
        missing = [i for i, row in enumerate(rows) if "id" not in row]
        if missing:
            rows = list(rows)
            for i, pk in zip(missing, self.reserve_ids(len(missing)), strict=True):
                rows[i] = {**rows[i], "id": pk}
        columns = list(zip(self.names, self.converters, strict=True))
        defaults = self.defaults
        if self.db.vendor == "postgresql":  # COPY: the fastest way in, and no query to parse
            with self.db.cursor() as cursor, cursor.cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    values = []
                    for name, convert in columns:
                        value = row[name] if name in row else defaults.get(name)
                        values.append(value if convert is None else convert(value))
                    copy.write_row(values)
            return
        with self.db.cursor() as cursor:
            for start in range(0, len(rows), self.per_statement):
                chunk = rows[start : start + self.per_statement]
                values: list[Any] = []
                for row in chunk:
                    for name, convert in columns:
                        value = row[name] if name in row else defaults.get(name)
                        values.append(value if convert is None else convert(value))
                # The backend's own cursor, not the debug wrapper that logs every statement's
                # parameters (DEBUG): that logging costs more than the insert.
                cursor.cursor.execute(self.head + ", ".join([self.row_sql] * len(chunk)), values)
