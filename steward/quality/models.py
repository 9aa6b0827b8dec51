"""Quality: customer surveys (CSAT and NPS after a resolution). Inspections, corrective actions
and complaint handling come later.

A `Survey` is created in the transaction that resolves a ticket (one per resolution), due to be
sent at `due_at`; the worker claims it by compare-and-set on `claimed_at` and mails a signed link
that needs no login. The link is answerable once, until `expires_at`. The answer is a
`SurveyResponse`, stored against the ticket and, as they were at resolution, its agent, team,
service and customer account, so KPIs aggregate without joining through the ticket's later state.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Survey(models.Model):
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="surveys")
    resolved_at = models.DateTimeField(help_text="the resolution this survey asks about")
    account = models.ForeignKey("customers.CustomerAccount", on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(help_text="where the survey is sent")
    agent = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(help_text="when the worker sends it")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "resolved_at"], name="survey_per_resolution_unique"),
            models.CheckConstraint(
                name="survey_expires_after_due", condition=Q(expires_at__gt=models.F("due_at"))
            ),
        ]
        indexes = [
            # The sender's query: due and not yet claimed.
            models.Index(fields=["due_at"], name="survey_send_due_idx", condition=Q(claimed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"survey on {self.ticket_id}"


class SurveyResponse(models.Model):
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="response")
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="survey_responses")
    account = models.ForeignKey("customers.CustomerAccount", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    csat = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (very dissatisfied) to 5 (very satisfied)",
    )
    nps = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="likelihood to recommend, 0 to 10",
    )
    comment = models.TextField(blank=True, max_length=4000)
    answered_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="survey_response_csat_range",
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                violation_error_message="CSAT is 1 to 5",
            ),
            models.CheckConstraint(
                name="survey_response_nps_range",
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10),
                violation_error_message="NPS is 0 to 10",
            ),
            models.CheckConstraint(
                name="survey_response_not_empty",
                condition=Q(csat__isnull=False) | Q(nps__isnull=False),
                violation_error_message="a response needs a CSAT or an NPS score",
            ),
        ]

    def __str__(self) -> str:
        return f"response on {self.ticket_id}: CSAT {self.csat}, NPS {self.nps}"
