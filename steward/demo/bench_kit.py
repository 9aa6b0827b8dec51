"""What the `steward bench` measurements share: a scratch database made and dropped around a run,
a percentile summary and the process's peak resident memory."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


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
