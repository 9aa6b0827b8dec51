"""`sqlkit.analytic_queries`: the KPI queries' PostgreSQL settings hold inside it and end with it."""

from __future__ import annotations

import pytest
from django.db import connection

from steward.analytics.sqlkit import ANALYTIC_SETTINGS, analytic_queries

pytestmark = pytest.mark.django_db


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="session settings exist on PostgreSQL only")
def test_settings_apply_inside_the_block():
    before = {name: _setting(name) for name, _ in ANALYTIC_SETTINGS}
    assert before["work_mem"] != "64MB"
    with analytic_queries():
        assert {name: _setting(name) for name, _ in ANALYTIC_SETTINGS} == dict(ANALYTIC_SETTINGS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="session settings exist on PostgreSQL only")
def test_in_autocommit_the_settings_end_with_the_block():
    before = {name: _setting(name) for name, _ in ANALYTIC_SETTINGS}
    with analytic_queries():
        assert _setting("jit") == "off"
    assert {name: _setting(name) for name, _ in ANALYTIC_SETTINGS} == before


def test_on_sqlite_it_changes_nothing_and_still_runs_the_block():
    ran = []
    with analytic_queries():
        ran.append(connection.vendor)
    assert ran == [connection.vendor]
