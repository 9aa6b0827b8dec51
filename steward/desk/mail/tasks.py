"""Background jobs of desk mail: send a notification once its transaction committed, and retry
what was not sent (both claim the row by compare-and-set, so a row is never sent twice at once)."""

from __future__ import annotations

from django_tasks import task

from steward.core.worker import periodic
from steward.desk.mail import outbound


@task()
def send_outbound_mail(mail_id: int) -> bool:
    """Send one OutboundMail row (enqueued on commit by desk.notify.queue_mail). Idempotent: a row
    already sent, or claimed by another worker, is left alone."""
    return outbound.send_one(mail_id)


@periodic
def retry_outbound_mail() -> None:
    """Every worker tick: send rows whose task was lost and retries whose back-off has passed."""
    outbound.send_due()
