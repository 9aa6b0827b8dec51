"""Background jobs for accounts."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from steward.accounts.models import User


@task()
def send_welcome(user_id: int) -> bool:
    """Tell a new user their account exists. Idempotent: the compare-and-set on welcomed_at means a
    retried or duplicated task sends at most once. Returns whether this run sent the mail."""
    claimed = User.objects.filter(pk=user_id, welcomed_at__isnull=True).update(welcomed_at=timezone.now())
    if not claimed:
        return False
    user = User.objects.get(pk=user_id)
    send_mail(
        subject="Your Steward account",
        message=(
            f"Hello {user.full_name},\n\nan account was created for you in Steward.\n"
            f"Sign in with {user.email}. If you have no password yet, ask your administrator for one.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True
