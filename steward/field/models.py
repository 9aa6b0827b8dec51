"""Field service: technicians (their bases, shifts, absences, vans), work orders and
preventive-maintenance plans.

A technician is a staff user with the technician role; their skills are `accounts.UserSkill`
rows (an expired certification is not a skill). Work orders carry everything the optimiser needs
(site coordinates through the site, required skills, duration, priority, a time window, pins)
and everything the KPIs need later (the time of each status transition, follow-up links).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from steward.catalog.models import Priority
from steward.core.validators import validate_timezone


def _latitude(label: str = "latitude") -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )


def _longitude(label: str = "longitude") -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )


class Depot(models.Model):
    """Where vans are kept and where technicians who do not start from home begin their day."""

    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=250)
    latitude = _latitude()
    longitude = _longitude()
    timezone = models.CharField(max_length=64, default="Europe/Berlin", validators=[validate_timezone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Van(models.Model):
    """A technician's vehicle; inventory treats it as a stock location."""

    name = models.CharField(max_length=100, unique=True)
    registration = models.CharField(max_length=20, blank=True)
    depot = models.ForeignKey(Depot, null=True, blank=True, on_delete=models.SET_NULL, related_name="vans")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StartFrom(models.TextChoices):
    HOME = "home", "Home"
    DEPOT = "depot", "Depot"


class Technician(models.Model):
    """The field side of a staff user with the technician role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="technician")
    home_address = models.CharField(max_length=250, blank=True)
    home_latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    home_longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    depot = models.ForeignKey(
        Depot, null=True, blank=True, on_delete=models.PROTECT, related_name="technicians"
    )
    starts_from = models.CharField(max_length=5, choices=StartFrom.choices, default=StartFrom.HOME)
    timezone = models.CharField(max_length=64, default="Europe/Berlin", validators=[validate_timezone])
    hourly_cost = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=45,
        validators=[MinValueValidator(0)],
        help_text="labour cost per hour (cost per interaction, plan cost)",
    )
    van = models.OneToOneField(
        Van, null=True, blank=True, on_delete=models.SET_NULL, related_name="technician"
    )
    # The lunch break: `lunch_minutes` taken somewhere inside the local window.
    lunch_minutes = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(180)])
    lunch_window_start = models.TimeField(default="11:30")
    lunch_window_end = models.TimeField(default="14:00")
    # Overtime past the shift's end: bounded and costed.
    max_overtime_minutes = models.PositiveSmallIntegerField(default=60, validators=[MaxValueValidator(480)])
    overtime_cost_factor = models.DecimalField(
        max_digits=4, decimal_places=2, default=1.5, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                name="technician_home_or_depot",
                condition=Q(starts_from="depot", depot__isnull=False)
                | Q(starts_from="home", home_latitude__isnull=False, home_longitude__isnull=False),
            ),
            models.CheckConstraint(
                name="technician_lunch_window_ordered",
                condition=Q(lunch_window_start__lt=F("lunch_window_end")),
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class ShiftPattern(models.Model):
    """A weekly working interval: technician works `start`..`end` local time on `weekday`
    (0 = Monday). Several rows per weekday are allowed (split shifts)."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["technician", "weekday", "start"]
        constraints = [
            models.CheckConstraint(name="shift_weekday_range", condition=Q(weekday__gte=0, weekday__lte=6)),
            models.CheckConstraint(name="shift_start_before_end", condition=Q(start__lt=F("end"))),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", "Leave"
    TRAINING = "training", "Training"
    SICK = "sick", "Sick"
    OTHER = "other", "Other"


class Absence(models.Model):
    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="absences")
    kind = models.CharField(max_length=10, choices=AbsenceKind.choices, default=AbsenceKind.LEAVE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["technician", "starts_at"]
        indexes = [models.Index(fields=["technician", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(name="absence_ordered", condition=Q(starts_at__lt=F("ends_at"))),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.kind} {self.starts_at:%Y-%m-%d}"


class IntervalUnit(models.TextChoices):
    DAYS = "days", "Days"
    WEEKS = "weeks", "Weeks"
    MONTHS = "months", "Months"


class MaintenancePlan(models.Model):
    """Preventive maintenance: a visit to a site (or one asset) every N days/weeks/months.
    The worker generates its work orders ahead over `horizon_days`, claiming each generation by
    compare-and-set on `next_generation_at`."""

    account = models.ForeignKey(
        "customers.CustomerAccount", on_delete=models.CASCADE, related_name="pm_plans"
    )
    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE, related_name="pm_plans")
    asset = models.ForeignKey(
        "customers.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="pm_plans"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="pm_plans"
    )
    title = models.CharField(max_length=200)
    interval_count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    interval_unit = models.CharField(max_length=6, choices=IntervalUnit.choices, default=IntervalUnit.MONTHS)
    first_due = models.DateField()
    horizon_days = models.PositiveSmallIntegerField(default=30, validators=[MinValueValidator(1)])
    duration_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(5)])
    required_skills = models.JSONField(default=list, blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    # How many days before the due date the visit may happen (the job's window opens then).
    window_days_before = models.PositiveSmallIntegerField(default=3)
    generated_until = models.DateField(null=True, blank=True, help_text="last due date already generated")
    next_generation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "title"]

    def __str__(self) -> str:
        return self.title


class WorkOrderStatus(models.TextChoices):
    UNSCHEDULED = "unscheduled", "Unscheduled"
    SCHEDULED = "scheduled", "Scheduled"
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    ON_SITE = "on_site", "On site"
    COMPLETED = "completed", "Completed"
    INCOMPLETE = "incomplete", "Incomplete"
    CANCELLED = "cancelled", "Cancelled"


#: The status flow; anything else is refused with a clear error.
WORK_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "unscheduled": frozenset({"scheduled", "cancelled"}),
    "scheduled": frozenset({"unscheduled", "scheduled", "dispatched", "cancelled"}),
    "dispatched": frozenset({"scheduled", "unscheduled", "en_route", "cancelled"}),
    "en_route": frozenset({"on_site", "dispatched"}),
    "on_site": frozenset({"completed", "incomplete"}),
    "completed": frozenset(),
    "incomplete": frozenset(),
    "cancelled": frozenset(),
}
OPEN_WORK_ORDER_STATUSES = ("unscheduled", "scheduled", "dispatched", "en_route", "on_site")
# A visit can be (re)booked until the technician sets off.
BOOKABLE_WORK_ORDER_STATUSES = ("unscheduled", "scheduled", "dispatched")
STARTED_WORK_ORDER_STATUSES = ("en_route", "on_site")


class WorkOrderOrigin(models.TextChoices):
    TICKET = "ticket", "Ticket"
    MANUAL = "manual", "By hand"
    MAINTENANCE = "maintenance", "Preventive maintenance"
    FOLLOW_UP = "follow_up", "Follow-up visit"


class WindowKind(models.TextChoices):
    NONE = "", "None"
    BOOKED = "booked", "Booked slot"
    SLA = "sla", "SLA on-site deadline"
    MAINTENANCE = "maintenance", "Maintenance due"


class WorkOrder(models.Model):
    number = models.CharField(max_length=20, unique=True, help_text="WO-000123")
    origin = models.CharField(max_length=12, choices=WorkOrderOrigin.choices, default=WorkOrderOrigin.MANUAL)
    ticket = models.ForeignKey(
        "desk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    maintenance_plan = models.ForeignKey(
        MaintenancePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    maintenance_due = models.DateField(null=True, blank=True)
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    account = models.ForeignKey(
        "customers.CustomerAccount", on_delete=models.PROTECT, related_name="work_orders"
    )
    site = models.ForeignKey("customers.Site", on_delete=models.PROTECT, related_name="work_orders")
    asset = models.ForeignKey(
        "customers.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    required_skills = models.JSONField(default=list, blank=True)
    duration_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(5)])
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3, db_index=True)
    # The window the visit must start in: a booked slot, the SLA on-site deadline, or none.
    window_kind = models.CharField(
        max_length=12, choices=WindowKind.choices, default=WindowKind.NONE, blank=True
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True, db_index=True)
    sla_deadline = models.DateTimeField(
        null=True, blank=True, help_text="the ticket's on-site arrival deadline"
    )
    # Pins: the dispatcher (or the customer's booking) fixes who and/or when.
    pinned_technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.SET_NULL, related_name="pinned_work_orders"
    )
    pinned_start = models.DateTimeField(null=True, blank=True)

    status = models.CharField(
        max_length=12, choices=WorkOrderStatus.choices, default=WorkOrderStatus.UNSCHEDULED, db_index=True
    )
    technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    scheduled_start = models.DateTimeField(null=True, blank=True, db_index=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    # From the published plan: the travel leg that leads to this job.
    planned_travel_seconds = models.PositiveIntegerField(null=True, blank=True)
    planned_travel_meters = models.PositiveIntegerField(null=True, blank=True)

    # The time of each transition (first time it happened), for the KPIs.
    scheduled_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_site_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    completion_notes = models.TextField(blank=True)
    incomplete_reason = models.CharField(max_length=200, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    signature = models.FileField(upload_to="signatures/%Y/%m/", blank=True)
    signed_by = models.CharField(max_length=150, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["technician", "scheduled_start"]),
            models.Index(fields=["status", "window_end"]),
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["asset", "finished_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="work_order_window_ordered",
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_start__lte=F("window_end")),
            ),
            # A maintenance plan generates at most one visit per due date (the generator is idempotent).
            models.UniqueConstraint(
                fields=["maintenance_plan", "maintenance_due"],
                name="work_order_plan_due_unique",
                condition=Q(maintenance_plan__isnull=False, maintenance_due__isnull=False),
            ),
            models.CheckConstraint(
                name="work_order_schedule_ordered",
                condition=Q(scheduled_start__isnull=True)
                | Q(scheduled_end__isnull=True)
                | Q(scheduled_start__lte=F("scheduled_end")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_WORK_ORDER_STATUSES


class WorkOrderEvent(models.Model):
    """One status transition (or note) of a work order: who, when, from where."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["work_order", "at"])]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.from_status} -> {self.to_status}"


class WorkOrderPhoto(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="work_orders/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class FieldCounter(models.Model):
    """Sequence counters (work order numbers), incremented by a conditional UPDATE inside the
    creating transaction: concurrent creators wait for each other, numbers never repeat."""

    name = models.CharField(max_length=30, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
