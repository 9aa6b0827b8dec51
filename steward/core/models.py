"""Core models: the audit trail, stored business calendars, worker heartbeats and the log of
history changes that derived summaries (analytics' stored KPI cells) must recompute."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One write, recorded in the same transaction as the write itself.

    `changes` maps each changed field to [old, new] (JSON-able values). `account_id` is the
    customer account the object belongs to, if any, so that history can be scoped like the object.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="who, when not a user (system, import)"
    )
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class Calendar(models.Model):
    """A business calendar, stored as the JSON spec that steward.core.calendars understands."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    spec = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def business_calendar(self):
        from steward.core.calendars import BusinessCalendar

        return BusinessCalendar.from_spec(self.spec)


class WorkerHeartbeat(models.Model):
    """Written periodically by every `steward worker`; /healthz reads the newest."""

    worker_id = models.CharField(max_length=120, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.worker_id


class HistoryChange(models.Model):
    """ "Rows that figures are computed from changed, at instants from `since` on." Appended by the
    services that write tickets, clocks, survey answers, work orders, shifts and absences, in their
    own transaction; read and deleted by whoever keeps summaries of closed periods (analytics'
    KPI cells), which treats every period ending after the earliest pending `since` as unknown.
    Append-only rows, so concurrent writers never wait on one another."""

    since = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"changed since {self.since:%Y-%m-%d %H:%M}"
