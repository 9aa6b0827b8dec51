"""Dispatch plans: what the optimiser proposed (or the dispatcher edited) for a horizon of 1-5 days.

A plan is a draft until a dispatcher publishes it; publishing writes every route onto the work
orders (through field services) and supersedes the previous published plan for those days. A plan
stores the summary of the problem it was made from (``inputs``), so it can be explained later
even after the work orders changed, and the full routes with ETAs (PlanRoute, PlanVisit) and the
unplanned jobs with their reasons (PlanUnplanned).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPTIMISING = "optimising", "Optimising"
    READY = "ready", "Ready for review"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
    FAILED = "failed", "Failed"


#: A plan the dispatcher may still change by hand (assign, unassign, move) or publish.
EDITABLE_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.READY)


class Plan(models.Model):
    horizon_start = models.DateField(db_index=True)
    days = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    status = models.CharField(
        max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT, db_index=True
    )
    time_limit_seconds = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3600)]
    )
    seed = models.PositiveIntegerField(default=0)
    # While optimising: how far the engine is (0-100) and the best cost found so far.
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    best_cost = models.BigIntegerField(null=True, blank=True)
    cost = models.BigIntegerField(null=True, blank=True)
    engine_stats = models.JSONField(default=dict, blank=True)
    # What the plan was made from: technicians, shifts, jobs with their windows, skills and
    # penalties (JSON, see building.inputs_summary), so a plan can be explained after the fact.
    inputs = models.JSONField(default=dict, blank=True)
    # KPIs, stored when the routes are written (never recomputed on read).
    travel_seconds = models.PositiveIntegerField(default=0)
    travel_meters = models.PositiveIntegerField(default=0)
    jobs_planned = models.PositiveIntegerField(default=0)
    jobs_unplanned = models.PositiveIntegerField(default=0)
    utilisation = models.FloatField(default=0, help_text="share of shift time spent on jobs (0-1)")
    overtime_seconds = models.PositiveIntegerField(default=0)
    lateness_seconds = models.PositiveIntegerField(default=0)
    late_jobs = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The optimisation task claims the plan by compare-and-set on this column (a duplicated or
    # retried task finds it claimed and does nothing).
    claimed_at = models.DateTimeField(null=True, blank=True)
    optimised_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "horizon_start"])]
        constraints = [
            models.CheckConstraint(name="plan_days_range", condition=Q(days__gte=1, days__lte=5)),
            models.CheckConstraint(name="plan_progress_range", condition=Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} {self.horizon_start} +{self.days}d ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_PLAN_STATUSES


class PlanRoute(models.Model):
    """One technician's shift on one day of the plan (present even when it has no visits)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="routes")
    shift_key = models.CharField(max_length=80, help_text="the optimiser's shift id")
    technician = models.ForeignKey("field.Technician", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    shift_start = models.DateTimeField()
    shift_end = models.DateTimeField()
    depart_at = models.DateTimeField(null=True, blank=True)
    arrive_at = models.DateTimeField(null=True, blank=True)
    break_start = models.DateTimeField(null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(default=0)
    travel_seconds = models.PositiveIntegerField(default=0)
    travel_meters = models.PositiveIntegerField(default=0)
    overtime_seconds = models.PositiveIntegerField(default=0)
    busy_seconds = models.PositiveIntegerField(default=0, help_text="time on jobs")

    class Meta:
        ordering = ["plan", "day", "technician"]
        constraints = [models.UniqueConstraint(fields=["plan", "shift_key"], name="plan_route_shift_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.shift_key}"


class PlanVisit(models.Model):
    route = models.ForeignKey(PlanRoute, on_delete=models.CASCADE, related_name="visits")
    work_order = models.ForeignKey("field.WorkOrder", on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveSmallIntegerField()
    arrival_at = models.DateTimeField()
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    travel_seconds = models.PositiveIntegerField(default=0, help_text="the leg that leads here")
    travel_meters = models.PositiveIntegerField(default=0)
    late_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="plan_visit_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.route_id}#{self.sequence}: {self.work_order_id}"


class PlanUnplanned(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="unplanned")
    work_order = models.ForeignKey("field.WorkOrder", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=30)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "work_order"], name="plan_unplanned_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.work_order_id} ({self.reason})"


class PlanChange(models.Model):
    """What a re-plan or a manual edit moved, so the board can say it ("WO-12 moved from Ana 10:00
    to Ben 14:30")."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)  # assign, unassign, move, urgent, publish
    summary = models.CharField(max_length=300)
    moves = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.summary
