"""Schema-driven fuzzing of the whole API with schemathesis: for generated inputs (valid and not),
no operation answers 5xx, and every response matches the OpenAPI schema we publish."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from steward.accounts.services import token_create
from steward.testing import factories as f


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Schemathesis calls the WSGI app directly, which would close the test's database connection
    at the end of each request; Django's own test client suspends that the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db) -> str:
    admin = f.staff_user("admin", email="fuzz.admin@steward.test")
    site = f.SiteFactory()
    f.AssetFactory(site=site, account=site.account)
    f.CalendarFactory()
    _desk_objects(admin, site.account)
    return token_create(actor=admin, name="fuzz")[1]


def _desk_objects(admin, account) -> None:
    """Two tickets under an SLA, with messages, a file and a saved view, so the fuzzer reaches the
    desk's writes rather than only its 404s (hypothesis favours small ids such as 1)."""
    from steward.desk import services
    from steward.desk.attachments import NewAttachment

    policy = f.SlaPolicyFactory()
    f.SlaTargetFactory(policy=policy, priority="P3")
    for subject in ("Fuzzed ticket", "Its twin"):
        ticket = services.ticket_create(actor=admin, account=account, subject=subject)
        services.ticket_reply(ticket=ticket, actor=admin, body="hello")
        services.attachment_add(ticket=ticket, actor=admin, items=[NewAttachment("a.txt", b"a")])
    services.saved_view_create(actor=admin, name="fuzz", filters={"priority": "P1"})


from steward.wsgi import application  # noqa: E402  (Django is set up by pytest-django before collection)

# The schema itself is served without touching the database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, admin_token):
    # multipart uploads are exercised by the import tests; the fuzzer's random bytes say little there
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.status_code_conformance,
            schemathesis.checks.content_type_conformance,
            schemathesis.checks.response_schema_conformance,
        ],
    )
