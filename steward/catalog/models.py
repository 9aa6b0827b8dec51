"""The service catalog, SLA policies (conditions, per-priority targets, escalation levels) and the
contracts that entitle a customer account to a policy.

Which policy governs a ticket is decided by the pure rules in `catalog.matching` (ordered
conditions, first match wins, a policy without conditions is the fallback); how the clocks run is
`desk.sla` (`catalog.selectors.policy_as_replay_dict` turns a policy into its input).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from steward.customers.models import Tier

# A target or an offset longer than a year is a typo, not a service level.
MAX_TARGET_MINUTES = 366 * 24 * 60


class Priority(models.TextChoices):
    P1 = "P1", "P1 critical"
    P2 = "P2", "P2 high"
    P3 = "P3", "P3 normal"
    P4 = "P4", "P4 low"


class TicketType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    COMPLAINT = "complaint", "Complaint"
    QUESTION = "question", "Question"


class PauseStatus(models.TextChoices):
    """The desk's open ticket statuses in which an SLA clock may be paused."""

    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending customer"
    ON_HOLD = "on_hold", "On hold"


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"
    ONSITE = "onsite", "On-site arrival"


class ActionType(models.TextChoices):
    NOTIFY_USERS = "notify_users", "Notify users"
    NOTIFY_TEAM = "notify_team", "Notify team"
    REASSIGN_TEAM = "reassign_team", "Reassign to team"
    RAISE_PRIORITY = "raise_priority", "Raise priority"


# The SlaTarget column that holds each kind of target.
TARGET_FIELDS: dict[str, str] = {kind: f"{kind}_minutes" for kind in TargetKind.values}

# Each action type and the keys it carries besides "type".
ACTION_KEYS: dict[str, tuple[str, ...]] = {
    ActionType.NOTIFY_USERS: ("user_ids",),
    ActionType.NOTIFY_TEAM: ("team_id",),
    ActionType.REASSIGN_TEAM: ("team_id",),
    ActionType.RAISE_PRIORITY: (),
}


# --- validators of the JSON fields -----------------------------------------------------------------


def _choice_list(value: Any, allowed: Iterable[str], what: str) -> None:
    allowed = list(allowed)
    if not isinstance(value, list):
        raise ValidationError(f"must be a list of {what}")
    for item in value:
        if item not in allowed:
            raise ValidationError(f"{item!r} is not one of {', '.join(allowed)}")
    if len(set(value)) != len(value):
        raise ValidationError("lists a value twice")


def validate_pause_statuses(value: Any) -> None:
    _choice_list(value, PauseStatus.values, "ticket statuses")


def validate_tiers(value: Any) -> None:
    _choice_list(value, Tier.values, "customer tiers")


def validate_ticket_types(value: Any) -> None:
    _choice_list(value, TicketType.values, "ticket types")


def validate_priorities(value: Any) -> None:
    _choice_list(value, Priority.values, "priorities")


def validate_skills(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError("must be a list of skill names")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValidationError("each skill must be a non-empty name")
        if len(item) > 60:
            raise ValidationError(f"skill {item[:20]!r}… is longer than 60 characters")
    if len(set(value)) != len(value):
        raise ValidationError("lists a skill twice")


def _positive_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**63 - 1


def validate_actions(value: Any) -> None:
    """[{"type": "notify_users", "user_ids": [..]}, {"type": "notify_team", "team_id": N},
    {"type": "reassign_team", "team_id": N}, {"type": "raise_priority"}], at least one."""
    if not isinstance(value, list) or not value:
        raise ValidationError("must be a non-empty list of actions")
    for i, action in enumerate(value):
        where = f"action {i + 1}"
        if not isinstance(action, dict) or action.get("type") not in ACTION_KEYS:
            raise ValidationError(f"{where}: type must be one of {', '.join(ACTION_KEYS)}")
        expected = {"type", *ACTION_KEYS[action["type"]]}
        if set(action) != expected:
            raise ValidationError(
                f"{where}: {action['type']} takes exactly the keys {', '.join(sorted(expected))}"
            )
        if "team_id" in action and not _positive_id(action["team_id"]):
            raise ValidationError(f"{where}: team_id must be a team id")
        if "user_ids" in action:
            ids = action["user_ids"]
            if not isinstance(ids, list) or not ids or not all(_positive_id(u) for u in ids):
                raise ValidationError(f"{where}: user_ids must be a non-empty list of user ids")
    if len({repr(a) for a in value}) != len(value):
        raise ValidationError("lists an action twice")


# --- models ----------------------------------------------------------------------------------------


class Service(models.Model):
    """What the company offers: the thing a ticket or a work order is about."""

    name = models.CharField(max_length=150, unique=True)
    code = models.SlugField(max_length=50, unique=True, help_text="short stable key, e.g. hvac-repair")
    category = models.CharField(max_length=100, db_index=True)
    description = models.TextField(blank=True)
    default_priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    needs_field_visit = models.BooleanField(default=False)
    required_skills = models.JSONField(
        default=list, blank=True, validators=[validate_skills], help_text="skills a technician needs"
    )
    standard_duration_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)]
    )
    portal_visible = models.BooleanField(default=True, help_text="customers may see and request it")
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="the team whose queue receives this service's tickets",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name", "id"]
        constraints = [
            models.CheckConstraint(
                name="service_duration_positive",
                condition=Q(standard_duration_minutes__gte=1),
                violation_error_message="the standard duration must be at least one minute",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Per-priority targets, a calendar, pause statuses, a warning share and escalation levels,
    chosen for a ticket by its conditions (all optional, ANDed; none at all = the fallback)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(
        unique=True, help_text="policies are tried in this order, lowest first"
    )
    is_active = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        "core.Calendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text="business hours the clocks run in; empty = 24/7",
    )
    pause_statuses = models.JSONField(default=list, blank=True, validators=[validate_pause_statuses])
    warning_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Conditions.
    customer_accounts = models.ManyToManyField(
        "customers.CustomerAccount", blank=True, related_name="sla_policies"
    )
    tiers = models.JSONField(default=list, blank=True, validators=[validate_tiers])
    services = models.ManyToManyField(Service, blank=True, related_name="sla_policies")
    ticket_types = models.JSONField(default=list, blank=True, validators=[validate_ticket_types])
    priorities = models.JSONField(default=list, blank=True, validators=[validate_priorities])
    via_contract = models.BooleanField(
        default=False,
        help_text="matches only when the account holds a contract valid that day naming this policy "
        "and covering the service",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                name="sla_policy_warning_percent_range",
                condition=Q(warning_percent__gte=1, warning_percent__lte=100),
                violation_error_message="the warning threshold must be between 1 and 100 percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _optional_minutes(verbose_name: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
        help_text="business minutes; empty = no such target at this priority",
    )


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    first_response_minutes = _optional_minutes("first response")
    next_response_minutes = _optional_minutes("next response")
    resolution_minutes = _optional_minutes("resolution")
    onsite_minutes = _optional_minutes("on-site arrival")

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = "SLA target"
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_priority_unique"),
            *(
                models.CheckConstraint(
                    name=f"sla_target_{name}_positive",
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1}),
                )
                for name in TARGET_FIELDS.values()
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"

    def minutes(self, kind: str) -> int | None:
        return getattr(self, TARGET_FIELDS[kind])


class EscalationLevel(models.Model):
    """At `offset_minutes` from a target's deadline (negative: before it), run the actions."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    target = models.CharField(max_length=20, choices=TargetKind.choices)
    offset_minutes = models.IntegerField(
        validators=[MinValueValidator(-MAX_TARGET_MINUTES), MaxValueValidator(MAX_TARGET_MINUTES)],
        help_text="minutes relative to the deadline: negative before it, positive after the breach",
    )
    actions = models.JSONField(validators=[validate_actions])

    class Meta:
        ordering = ["policy", "target", "offset_minutes", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "target", "offset_minutes"],
                name="escalation_level_unique",
                violation_error_message="there is already an escalation level at this offset of this target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.target} {self.offset_minutes:+d} min"


class Contract(models.Model):
    """An account's entitlement to an SLA policy for some services (none listed = all), for a period."""

    account = models.ForeignKey(
        "customers.CustomerAccount", on_delete=models.PROTECT, related_name="contracts"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="contracts")
    services = models.ManyToManyField(Service, blank=True, related_name="contracts")
    reference = models.CharField(max_length=60, unique=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="last day it is valid; empty = open-ended")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account__name", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                name="contract_valid_to_after_from",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                violation_error_message="a contract cannot end before it starts",
            )
        ]
        indexes = [models.Index(fields=["account", "valid_from"], name="contract_account_from_idx")]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        if self.valid_to is not None and self.valid_from is not None and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "a contract cannot end before it starts"})

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)
