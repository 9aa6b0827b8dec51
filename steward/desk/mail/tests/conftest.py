"""Mail tests run with a support address of their own (the reply tokens and the loop header name it)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.STEWARD_MAIL_ADDRESS = "support@steward.test"
    settings.STEWARD_MAIL_DOMAINS = ["steward.test"]
    settings.DEFAULT_FROM_EMAIL = "Steward Support <support@steward.test>"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
