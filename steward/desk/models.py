"""The service desk: tickets, their append-only timeline, messages and SLA clocks.

The timeline (`TicketEvent`) is the input of the SLA replay (`desk.sla.replay`): the "created"
event carries the priority, the status and a snapshot of the policy that governs the ticket; a
"policy" event carries the new policy. `TicketSla` stores what the replay returned, one row per
target, so deadlines are indexed and never recomputed by walking time on read.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TicketType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    COMPLAINT = "complaint", "Complaint"
    QUESTION = "question", "Question"


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    API = "api", "API"


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.TextChoices):
    P1 = "P1", "P1 critical"
    P2 = "P2", "P2 high"
    P3 = "P3", "P3 normal"
    P4 = "P4", "P4 low"


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending customer"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Ticket(models.Model):
    account = models.ForeignKey("customers.CustomerAccount", on_delete=models.PROTECT, related_name="tickets")
    requester = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_tickets",
        help_text="the customer user who asked",
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    type = models.CharField(max_length=20, choices=TicketType.choices, default=TicketType.INCIDENT)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    impact = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    urgency = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=2, choices=Priority.choices, db_index=True)
    priority_override_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sla_policy = models.ForeignKey(
        "catalog.SlaPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    first_contact_resolution = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="ticket_resolved_has_resolved_at",
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                violation_error_message="a resolved ticket needs its resolution time",
            ),
            models.CheckConstraint(
                name="ticket_closed_has_closed_at",
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                violation_error_message="a closed ticket needs its closing time",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="ticket_account_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status_idx"),
            models.Index(fields=["team", "status"], name="ticket_team_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        """The human reference, e.g. T-000123 (derived from the primary key)."""
        return f"T-{self.pk:06d}" if self.pk else "T-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventType(models.TextChoices):
    # The desk.sla replay's event types ...
    CREATED = "created", "Created"
    STATUS = "status", "Status change"
    PRIORITY = "priority", "Priority change"
    AGENT_REPLY = "agent_reply", "Agent reply"
    CUSTOMER_REPLY = "customer_reply", "Customer reply"
    POLICY = "policy", "SLA policy change"
    # ... and timeline entries the replay ignores.
    NOTE = "note", "Internal note"
    ASSIGN = "assign", "Assignment"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"


# The event types that are the SLA replay's input (desk.sla.EVENT_TYPES).
REPLAY_EVENT_TYPES = ("created", "status", "priority", "agent_reply", "customer_reply", "policy")


class TicketEvent(models.Model):
    """One entry of a ticket's append-only timeline (never updated or deleted by the services)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    type = models.CharField(max_length=20, choices=EventType.choices)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticket_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.type} at {self.at:%Y-%m-%d %H:%M}"


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_messages"
    )
    body = models.TextField()
    is_public = models.BooleanField(
        default=True, help_text="a reply the customer sees; else an internal note"
    )
    from_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="ticket_message_customer_is_public",
                condition=Q(from_customer=False) | Q(is_public=True),
                violation_error_message="a customer's message cannot be an internal note",
            )
        ]

    def __str__(self) -> str:
        return f"message on {self.ticket_id}"


class SlaTargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class SlaStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    WARNING = "warning", "Warning"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class TicketSla(models.Model):
    """The stored state of one SLA target of a ticket (what `desk.sla.replay` reported last).

    `cycle_opened_at` identifies the cycle the row describes (a next-response cycle per customer
    message, a resolution cycle per reopen); the sweeper's claims belong to that cycle and are
    cleared when a new one starts."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="slas")
    target = models.CharField(max_length=20, choices=SlaTargetKind.choices)
    cycle_opened_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    warning_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=SlaStatus.choices, db_index=True)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    elapsed_business_seconds = models.FloatField(default=0)
    paused_business_seconds = models.FloatField(default=0)
    warning_claimed_at = models.DateTimeField(null=True, blank=True)
    breach_claimed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket", "target"]
        verbose_name = "ticket SLA"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target"], name="ticket_sla_target_unique"),
        ]
        indexes = [
            # The sweeper's two queries: due warnings and due breaches not yet claimed.
            models.Index(
                fields=["status", "warning_at"],
                name="ticket_sla_warning_due_idx",
                condition=Q(warning_claimed_at__isnull=True),
            ),
            models.Index(
                fields=["status", "deadline"],
                name="ticket_sla_breach_due_idx",
                condition=Q(breach_claimed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target}: {self.status}"
