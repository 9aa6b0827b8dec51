"""End to end in Chromium: a dispatcher opens the board for a small seeded day, presses
Optimise, watches the progress bar until the plan is ready (a real task worker runs the
optimisation from the database queue), publishes, and the work orders are scheduled. The
screenshot goes to /tmp/dispatch_board.png (and test-artifacts/)."""

from __future__ import annotations

import threading

import pytest

from steward.dispatch.models import Plan
from steward.dispatch.tests.plans_world import field_day
from steward.field.models import WorkOrder
from steward.testing import factories as f
from steward.tests.test_e2e_directory import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def seeded_day(transactional_db):
    dispatcher = f.staff_user("dispatcher", email="e2e.dispatcher@steward.test", full_name="Dora Dispatch")
    account = f.AccountFactory(name="Kreusel KG")
    field_day(account, technicians=4, jobs=22, seed=5)
    return dispatcher


def _worker() -> threading.Thread:
    """django-tasks-db's own worker loop, in a thread, for one task (the optimisation)."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="e2e-worker",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


def test_dispatcher_optimises_watches_progress_and_publishes(browser, seeded_day, live_server):  # noqa: F811
    pytest.importorskip("steward.dispatch.optimiser.pyvrp_engine")
    from datetime import timedelta

    from django.utils import timezone

    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", seeded_day.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/dispatch/?day={day}")
    assert "No plan for this day yet" in page.inner_text("main")

    page.fill("input[name=time_limit]", "3")
    worker = _worker()
    page.click("#optimise")
    page.wait_for_selector("#progress .progress-bar", timeout=10_000)
    page.wait_for_selector("#publish", timeout=60_000)  # the page reloads once the plan is ready
    worker.join(timeout=30)
    plan = Plan.objects.get()
    assert plan.status == "ready", plan.error
    main = page.inner_text("main")
    assert "jobs planned" in main and "Unplanned" in main
    assert page.locator(".tl-row[data-route]").count() == 4
    assert page.locator(".tl-track .b-job").count() == plan.jobs_planned > 0
    assert page.locator("svg polyline").count() >= 1

    page.click("#publish")
    page.wait_for_selector("text=Plan published")
    plan.refresh_from_db()
    assert plan.status == "published"
    assert WorkOrder.objects.filter(status="scheduled").count() == plan.jobs_planned
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path="/tmp/dispatch_board.png", full_page=True)  # noqa: S108 - where the brief looks
    page.screenshot(path=str(ARTIFACTS / "dispatch-board.png"), full_page=True)
