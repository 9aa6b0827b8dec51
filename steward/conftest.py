"""Shared test fixtures: the people of a small service company, with two customer accounts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from steward.testing import factories as f


@dataclass
class World:
    account_a: object
    account_b: object
    site_a: object
    site_b: object
    asset_a: object
    asset_b: object
    contact_a: object
    contact_b: object
    users: dict


@pytest.fixture
def world(db) -> World:
    """Two customer accounts (A and B) with a site, an asset and a contact each, and one user per
    staff role plus customer users of A (requester, customer admin) and B (customer admin)."""
    account_a = f.AccountFactory(name="Alpha Facilities GmbH", tier="gold")
    account_b = f.AccountFactory(name="Beta Kliniken AG", tier="silver")
    site_a = f.SiteFactory(account=account_a, name="Alpha HQ")
    site_b = f.SiteFactory(account=account_b, name="Beta Klinik Nord")
    users = {role: f.staff_user(role) for role in ("admin", "manager", "dispatcher", "agent", "technician")}
    users["customer_a_requester"] = f.customer_user(account_a, "requester")
    users["customer_a_admin"] = f.customer_user(account_a, "customer_admin")
    users["customer_b_admin"] = f.customer_user(account_b, "customer_admin")
    contact_a = f.ContactFactory(
        account=account_a, user=users["customer_a_requester"], full_name="Anna Alpha"
    )
    contact_b = f.ContactFactory(account=account_b, full_name="Bernd Beta")
    return World(
        account_a=account_a,
        account_b=account_b,
        site_a=site_a,
        site_b=site_b,
        asset_a=f.AssetFactory(account=account_a, site=site_a),
        asset_b=f.AssetFactory(account=account_b, site=site_b),
        contact_a=contact_a,
        contact_b=contact_b,
        users=users,
    )


@pytest.fixture
def client_for():
    """A Django test client signed in as the given user (or anonymous for None)."""

    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path_factory):
    """Uploaded files (attachments, raw mail) go to a temporary directory, never the checkout."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")


@pytest.fixture
def clock(monkeypatch):
    """`timezone.now()` frozen at MON (Monday 2026-03-09 10:00 Berlin) until the test advances it."""
    from django.utils import timezone

    from steward.testing.clock import MON, Clock

    c = Clock(MON)
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """Playwright's sync API runs the browser tests inside a greenlet, which has a context of its own,
    so a database connection opened there (by the test's fixtures) is one Django's teardown never
    sees. On PostgreSQL its idle session would block dropping the test database; end such sessions
    before the test database is dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
