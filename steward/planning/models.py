"""Planning runs and what they produced, stored with the inputs that made them.

A run keeps its parameters (AHT, service-level target, shrinkage, the history window, what-if
factors...) as JSON beside the forecasts and requirements it wrote, so a plan can be explained
later even after the defaults change. Desk agents' rosters live here (`AgentShift`) because no
other app owns them; technicians' rosters are field's shift patterns and absences.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class RunKind(models.TextChoices):
    DESK = "desk", "Desk staffing"
    FIELD = "field", "Field staffing"
    SCENARIO = "scenario", "What-if scenario"


class RunTrigger(models.TextChoices):
    ON_DEMAND = "on_demand", "On demand"
    NIGHTLY = "nightly", "Nightly"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PlanningRun(models.Model):
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices, default=RunTrigger.ON_DEMAND)
    plan_date = models.DateField(help_text="the first day planned")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    parameters = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    base_run = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="scenarios"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "created_at"], name="planning_run_kind_idx")]
        constraints = [
            # The nightly job is idempotent per date: a second worker's insert loses on this.
            models.UniqueConstraint(
                fields=["kind", "plan_date"],
                condition=Q(trigger="nightly"),
                name="planning_run_one_nightly_per_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.plan_date} ({self.status})"


class ForecastSeries(models.Model):
    """One forecast series of a run: a team x channel (desk), a skill or an area (field), with its model
    and the accuracy its backtest measured."""

    run = models.ForeignKey(PlanningRun, on_delete=models.CASCADE, related_name="series")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=20, blank=True)
    skill = models.CharField(max_length=100, blank=True)
    area = models.CharField(max_length=60, blank=True, help_text="field work by area: a postcode district")
    granularity = models.CharField(max_length=10, default="hourly")
    model = models.CharField(max_length=40)
    fallback = models.BooleanField(default=False)
    mase = models.FloatField(null=True, blank=True)
    mase_naive = models.FloatField(null=True, blank=True)
    coverage_80 = models.FloatField(null=True, blank=True)
    coverage_95 = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.granularity}, {self.model})"

    @property
    def label(self) -> str:
        if self.skill:
            return f"skill {self.skill}"
        if self.area:
            return f"area {self.area}"
        return f"{self.team.name if self.team else 'no team'} / {self.channel}"


class ForecastPoint(models.Model):
    series = models.ForeignKey(ForecastSeries, on_delete=models.CASCADE, related_name="points")
    interval_start = models.DateTimeField()
    mean = models.FloatField()
    lo_80 = models.FloatField()
    hi_80 = models.FloatField()
    lo_95 = models.FloatField()
    hi_95 = models.FloatField()

    class Meta:
        ordering = ["series", "interval_start"]
        constraints = [
            models.UniqueConstraint(fields=["series", "interval_start"], name="forecast_point_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.interval_start:%Y-%m-%d %H:%M} {self.mean:.1f}"


class StaffingRequirement(models.Model):
    """Required against rostered staff for one interval of one team x channel (or skill)."""

    run = models.ForeignKey(PlanningRun, on_delete=models.CASCADE, related_name="requirements")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=20, blank=True)
    skill = models.CharField(max_length=100, blank=True)
    interval_start = models.DateTimeField()
    arrivals = models.FloatField()
    required = models.PositiveIntegerField(help_text="rostered heads needed (after shrinkage)")
    rostered = models.PositiveIntegerField(default=0)
    expected_service_level = models.FloatField(null=True, blank=True, help_text="with the rostered staff")

    class Meta:
        ordering = ["run", "interval_start", "id"]
        indexes = [models.Index(fields=["run", "interval_start"], name="planning_req_run_idx")]

    def __str__(self) -> str:
        return f"{self.interval_start:%Y-%m-%d %H:%M} {self.channel or self.skill}: {self.required} needed"

    @property
    def gap(self) -> int:
        """Rostered minus required: negative is a shortfall."""
        return self.rostered - self.required


class AgentShift(models.Model):
    """A desk agent rostered on a team's queue from `starts_at` to `ends_at`."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_shifts")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="agent_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["team", "starts_at", "ends_at"], name="agent_shift_team_idx")]
        constraints = [
            models.CheckConstraint(name="agent_shift_ordered", condition=Q(starts_at__lt=F("ends_at"))),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"
