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

# The catalog's vocabulary: a policy's conditions and a ticket speak of the same types and priorities.
from steward.catalog.models import Priority, TicketType


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    API = "api", "API"


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


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
    site = models.ForeignKey(
        "customers.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    asset = models.ForeignKey(
        "customers.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    tags = models.ManyToManyField("Tag", blank=True, related_name="tickets")
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_tickets",
        help_text="the ticket this duplicate was merged into (it is closed)",
    )
    first_contact_resolution = models.BooleanField(default=False)
    # Denormalised from TicketSla by every recompute, so queues sort and filter on an index:
    # the nearest deadline among targets still running (or in warning), and the worst state of
    # the ticket's current SLA cycles (breached > warning > running > paused > met; "" = no SLA).
    sla_next_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    sla_state = models.CharField(max_length=10, blank=True, db_index=True)
    # Indexed with the id in Meta.indexes, as the queues order by them.
    created_at = models.DateTimeField(default=timezone.now)
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
            # The auto-close job: resolved tickets by resolution time.
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved_idx"),
            # The queues' orders (desk.selectors.ORDERINGS) with their tie-break on id, so a page is
            # read off the index in order (backwards for newest first) and a deep page's keys are an
            # index-only scan (core.paging) instead of sorting every ticket.
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_idx"),
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
    ONSITE = "onsite", "Technician on site"
    # ... and timeline entries the replay ignores.
    NOTE = "note", "Internal note"
    ASSIGN = "assign", "Assignment"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"
    ESCALATION = "escalation", "Escalation"
    TAGS = "tags", "Tags changed"
    LINK = "link", "Linked"
    MERGE = "merge", "Merged"
    ATTACHMENT = "attachment", "Attachment"
    MAIL_OUT = "mail_out", "Mail sent"
    SURVEY = "survey", "Survey"
    FIELD_VISIT = "field_visit", "Field visit"


# The event types that are the SLA replay's input (desk.sla.EVENT_TYPES).
REPLAY_EVENT_TYPES = ("created", "status", "priority", "agent_reply", "customer_reply", "policy", "onsite")


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
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_messages",
        help_text="the customer contact who wrote it (mail from a contact without a login)",
    )
    via = models.CharField(max_length=10, default="web", help_text="how it arrived: web, email, api, phone")
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
    ONSITE = "onsite", "On-site arrival"


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


class TicketSlaCycle(models.Model):
    """One decided cycle of an SLA target (met, or breached), every one of them: a ticket has a
    next-response cycle per customer message and a resolution cycle per reopen, while `TicketSla`
    keeps only the latest. SLA compliance counts these, by the period their deadline fell in.
    Written with the clocks (`desk.clocks.recompute_sla`, `desk.bulk`)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_cycles")
    target = models.CharField(max_length=20, choices=SlaTargetKind.choices)
    number = models.PositiveIntegerField(help_text="1 for the target's first cycle on the ticket")
    opened_at = models.DateTimeField()
    deadline = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SlaStatus.choices)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "target", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "number"], name="ticket_sla_cycle_unique"),
            models.CheckConstraint(
                name="ticket_sla_cycle_decided", condition=Q(status__in=("met", "breached"))
            ),
        ]
        indexes = [models.Index(fields=["target", "deadline"], name="ticket_sla_cycle_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} #{self.number}: {self.status}"


class Tag(models.Model):
    """A label on tickets (lower case, no spaces), for filters and Pareto analysis."""

    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LinkKind(models.TextChoices):
    RELATED = "related", "Related to"
    DUPLICATE = "duplicate", "Duplicate of"
    CAUSED_BY = "caused_by", "Caused by"


class TicketLink(models.Model):
    """A directed link: `from_ticket` is <kind> `to_ticket` (e.g. a duplicate of it)."""

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="ticket_link_unique"),
            models.CheckConstraint(
                name="ticket_link_not_self",
                condition=~Q(from_ticket=models.F("to_ticket")),
                violation_error_message="a ticket cannot be linked to itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a random name: the user's file name is only ever a download name."""
    import uuid

    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket, uploaded with a message (or by mail). `filename` is the sanitised name it
    is downloaded as; the file itself is always served as an attachment with nosniff."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(default=True, help_text="customers see it (not on an internal note)")
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", "Manual (agents pick)"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LEAST_OPEN = "least_open", "Least open tickets"


class TeamRouting(models.Model):
    """How a team's new tickets are assigned. `match_skills`: only members who hold every skill the
    ticket's service requires (with a valid certification) are candidates. `last_assignee` is the
    round-robin cursor."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="routing")
    strategy = models.CharField(
        max_length=12, choices=AssignmentStrategy.choices, default=AssignmentStrategy.MANUAL
    )
    match_skills = models.BooleanField(default=False)
    last_assignee = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "team routing"

    def __str__(self) -> str:
        return f"{self.team}: {self.strategy}"


class SavedView(models.Model):
    """An agent's named queue with filters, e.g. "P1 of my teams, breaching soon"."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    queue = models.CharField(max_length=20, default="all")
    filters = models.JSONField(default=dict, blank=True, help_text="{name: value} of the queue's filters")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name


class TicketEscalation(models.Model):
    """One escalation level of one SLA cycle of a ticket. `due_at` is the instant the cycle's elapsed
    business time reaches target + offset (None while paused or once the cycle is met); the
    sweeper claims a due row by setting `fired_at` (compare-and-set) and runs its actions once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    level = models.ForeignKey("catalog.EscalationLevel", on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=20)
    cycle_opened_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "level", "cycle_opened_at"], name="ticket_escalation_cycle_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="ticket_escalation_due_idx", condition=Q(fired_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} level {self.level_id}"


# --- mail ------------------------------------------------------------------------------------------


class InboundStatus(models.TextChoices):
    CREATED = "created", "Created a ticket"
    APPENDED = "appended", "Added to a ticket"
    TRIAGE = "triage", "Waiting in triage"
    AUTO_REPLY = "auto_reply", "Ignored: automatic reply"
    LOOP = "loop", "Ignored: mail loop"
    REJECTED = "rejected", "Rejected"
    DISCARDED = "discarded", "Discarded from triage"


class InboundMail(models.Model):
    """Every message that reached the intake, kept with its raw bytes, whatever became of it.
    Deduplicated on Message-ID and on a content hash (both unique), in the transaction that writes
    the ticket, so a message delivered twice (IMAP re-poll, SMTP retry) is processed once."""

    message_id = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=10, help_text="imap, smtp, cli")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    mail_from = models.CharField(max_length=254, blank=True)
    rcpt_to = models.CharField(max_length=1000, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0)
    raw = models.FileField(upload_to="mail/%Y/%m/", max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=InboundStatus.choices, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    ticket_message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="inbound_mail_message_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mail_from}: {self.subject}"


class OutboundKind(models.TextChoices):
    ACKNOWLEDGEMENT = "ack", "Acknowledgement"
    REPLY = "reply", "Agent reply"
    STATUS = "status", "Status change"
    SURVEY = "survey", "Survey"
    ESCALATION = "escalation", "Escalation"


class OutboundMail(models.Model):
    """A notification written in the transaction of the change it reports and sent afterwards by
    the worker (claimed by compare-and-set on `claimed_at`), so none is lost or sent twice."""

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_mails"
    )
    kind = models.CharField(max_length=12, choices=OutboundKind.choices)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"], name="outbound_mail_unsent_idx", condition=Q(sent_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)}"
