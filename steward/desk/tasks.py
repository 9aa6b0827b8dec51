"""Background jobs of the service desk."""

from __future__ import annotations

from steward.core.worker import periodic
from steward.desk.sweeper import sweep


@periodic
def sweep_sla() -> None:
    """Every worker tick: record due SLA warnings and breaches (safe with any number of workers)."""
    sweep()
