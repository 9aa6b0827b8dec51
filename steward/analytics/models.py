"""Analytics: service goals (a target on a KPI over a period, optionally per team or service) and
the weekly dashboard email's subscriptions, and the stored KPI cells of closed periods (`cells.py`).
The KPIs themselves are definitions (`kpis.py`) computed from the desk, quality and field rows;
nothing here copies those rows, only the aggregated figures the same code computed from them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Comparator(models.TextChoices):
    AT_LEAST = "gte", "at least"
    AT_MOST = "lte", "at most"


class GoalPeriod(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class ServiceGoal(models.Model):
    """ "CSAT at least 90 % this quarter", "first-time fix at least 85 % per month for team Nord"."""

    name = models.CharField(max_length=120)
    kpi = models.CharField(max_length=60, help_text="the KPI's name (analytics.kpis)")
    comparator = models.CharField(max_length=3, choices=Comparator.choices, default=Comparator.AT_LEAST)
    target = models.FloatField(help_text="in the KPI's unit")
    period = models.CharField(max_length=7, choices=GoalPeriod.choices, default=GoalPeriod.MONTH)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from steward.analytics import kpis

        kpi = kpis.KPIS.get(self.kpi)
        if kpi is None:
            raise ValidationError({"kpi": f"no KPI called {self.kpi!r}"})
        if kpi.kind == "unavailable":
            raise ValidationError({"kpi": kpi.unavailable_reason})
        if self.team_id is not None and "team" not in kpi.dims:
            raise ValidationError({"team": f"{kpi.name} cannot be broken down by team"})
        if self.service_id is not None and "service" not in kpi.dims:
            raise ValidationError({"service": f"{kpi.name} cannot be broken down by service"})

    @property
    def filters(self) -> dict[str, int]:
        out = {}
        if self.team_id is not None:
            out["team"] = self.team_id
        if self.service_id is not None:
            out["service"] = self.service_id
        return out


class DashboardSubscription(models.Model):
    """A user's weekly dashboard email. The worker claims a due one by moving `next_send_at` a week
    on with a conditional UPDATE (compare-and-set on the old value), so it is sent once."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="dashboard_subscription"
    )
    next_send_at = models.DateTimeField(db_index=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="dashboard_subscription_sent_before_next",
                condition=Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=models.F("next_send_at")),
            )
        ]

    def __str__(self) -> str:
        return f"weekly dashboard for {self.user}"


class KpiCellSet(models.Model):
    """One closed bucket of one KPI series, as `series` computed it: every group's value and counts
    (`cells`: a list of [group, value, counts]). Stored so that a year of weekly figures is read
    instead of recomputed; trusted only while no history change since its end is pending
    (`core.HistoryChange`), and deleted when one is consumed (`cells.consume_changes`)."""

    kpi = models.CharField(max_length=60)
    definition = models.CharField(max_length=16, help_text="fingerprint of the KPI's definition")
    bucket = models.CharField(max_length=7)
    tz = models.CharField(max_length=64)
    by = models.CharField(max_length=20, blank=True, help_text="the breakdown, '' for none")
    starts_on = models.DateField(help_text="the bucket's local start date (its label)")
    ends_at = models.DateTimeField(help_text="the bucket's end (UTC, exclusive)")
    cells = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "definition", "bucket", "tz", "by", "starts_on"], name="kpi_cell_set_unique"
            )
        ]
        indexes = [models.Index(fields=["ends_at"], name="kpi_cell_set_ends_at")]

    def __str__(self) -> str:
        return f"{self.kpi} {self.bucket} {self.starts_on} by {self.by or 'none'}"


class KpiCellState(models.Model):
    """The one row that orders the cells' writers: `generation` grows each time pending history
    changes are consumed, so a reader that computed cells before a consumption does not store
    them after it; `warmed_on` is claimed (compare-and-set) by the worker that warms the cache
    for a day."""

    generation = models.BigIntegerField(default=0)
    warmed_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"KPI cells generation {self.generation}"
