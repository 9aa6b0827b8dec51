"""What the `steward bench` measurements share: a scratch database made and dropped around a run,
a percentile summary and the process's peak resident memory."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC


def rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def summary(values: list[float], scale: float = 1.0, digits: int = 4) -> dict[str, float]:
    """Median, p95 (nearest rank) and maximum of `values`, times `scale`."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered) * scale, digits),
        "p95": round(p95 * scale, digits),
        "max": round(ordered[-1] * scale, digits),
    }


@contextmanager
def scratch_database(label: str) -> Iterator[dict[str, str]]:
    """Point the default connection at a new, migrated database for the duration, then drop it: a
    SQLite file in a temporary directory, or on PostgreSQL a database named after the configured
    one with a ``_<label>`` suffix. The configured database itself is never touched."""
    from django.db import DEFAULT_DB_ALIAS, connections

    conn = connections[DEFAULT_DB_ALIAS]
    old_name = conn.settings_dict["NAME"]
    old_test = dict(conn.settings_dict.get("TEST") or {})
    tmpdir = None
    if conn.vendor == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix="steward-bench-")
        name = os.path.join(tmpdir, "bench.sqlite3")
    else:
        name = f"{old_name}_{label}"
    conn.settings_dict["TEST"] = {**old_test, "NAME": name}
    try:
        conn.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        yield {"vendor": conn.vendor, "name": name if conn.vendor != "sqlite" else "(temporary file)"}
    finally:
        conn.creation.destroy_test_db(old_name, verbosity=0)
        conn.settings_dict["TEST"] = old_test
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


class RowWriter:
    """Bulk writes of generated history for the benchmarks, without a model instance a row.

    Rows are dicts of attribute name (``account_id``, not ``account``) to Python value; a field left
    out gets its default (``auto_now`` fields the load's start time). `flush` writes what is queued
    in one COPY on PostgreSQL or one executemany on SQLite, inside one transaction. A million
    tickets' history is millions of rows, and Django's per-value preparation in `bulk_create`
    cost ten times the database's own work."""

    def __init__(self, model, columns: list[str]) -> None:
        from django.db import connection
        from django.db.models import BooleanField, DateField, DateTimeField, DecimalField, JSONField
        from django.utils import timezone

        self.model = model
        self.connection = connection
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = sorted(set(columns) - set(by_attname))
        if unknown:
            raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
        now = timezone.now()
        self.fields = [by_attname[c] for c in columns] + [
            f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key
        ]
        self.given = len(columns)
        self.defaults = []
        for f in self.fields[self.given :]:
            if isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add):
                self.defaults.append(lambda now=now: now)
            else:  # the model's default, "" for text without one, else None (NULL)
                self.defaults.append(f.get_default)
        sqlite = connection.vendor == "sqlite"

        def adapter(f):
            if isinstance(f, JSONField):
                return lambda v, enc=f.encoder: None if v is None else json.dumps(v, cls=enc)
            if sqlite and isinstance(f, DateTimeField):
                return lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None))
            if sqlite and isinstance(f, (DateField, DecimalField)):
                return lambda v: None if v is None else str(v)
            if sqlite and isinstance(f, BooleanField):
                return lambda v: None if v is None else int(v)
            return None

        self.adapters = [(i, a) for i, f in enumerate(self.fields) if (a := adapter(f)) is not None]
        self.columns = [f.column for f in self.fields]
        self.rows: list[list] = []
        self.written = 0

    def add(self, **values) -> None:
        """Queue one row: a value for each of the constructor's `columns`, by name."""
        try:
            row = [values.pop(f.attname) for f in self.fields[: self.given]]
        except KeyError as exc:
            raise ValueError(f"{self.model.__name__}: no value for {exc.args[0]}") from None
        if values:
            raise ValueError(f"{self.model.__name__}: {', '.join(values)} not among the columns")
        row += [make() for make in self.defaults]
        for i, adapt in self.adapters:
            row[i] = adapt(row[i])
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self) -> int:
        from django.db import transaction

        if not self.rows:
            return 0
        table = self.connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(self.connection.ops.quote_name(c) for c in self.columns)
        with transaction.atomic(), self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", self.rows)  # noqa: S608
        written, self.rows = len(self.rows), []
        self.written += written
        return written

    def finish(self) -> int:
        """Write the rest and, on PostgreSQL, move the id sequence past the ids given."""
        from django.core.management.color import no_style

        self.flush()
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                for sql in self.connection.ops.sequence_reset_sql(no_style(), [self.model]):
                    cursor.execute(sql)
        return self.written
