"""Background jobs of the service desk."""

from __future__ import annotations

from steward.core.worker import periodic
from steward.desk.mail import tasks as mail_tasks  # noqa: F401 - registers the mail retry job
from steward.desk.sweeper import sweep, sweep_autoclose, sweep_escalations


@periodic
def sweep_sla() -> None:
    """Every worker tick: record due SLA warnings and breaches (safe with any number of workers)."""
    sweep()


@periodic
def fire_escalations() -> None:
    """Every worker tick: run the escalation levels that fell due."""
    sweep_escalations()


@periodic
def autoclose_resolved() -> None:
    """Every worker tick: close resolved tickets past the auto-close delay."""
    sweep_autoclose()
