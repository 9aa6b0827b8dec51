"""The signed survey link: who holds it may answer that one survey, without signing in.

The token is ``django.core.signing`` over the survey's id and its ticket's id, with a salt of its
own, so a value signed for any other purpose (a session, a password reset, a mail reply token)
is never accepted here, and changing one character makes it invalid. It carries no expiry: the
survey row's ``expires_at`` decides, so the deadline shown in the mail and the one enforced are
the same. No ORM here; the selector looks the survey up.
"""

from __future__ import annotations

from django.core import signing

SALT = "steward.quality.survey-link"


class BadToken(Exception):
    """The token was not signed by us for a survey link (tampered, truncated or foreign)."""


def make_token(*, survey_id: int, ticket_id: int) -> str:
    return signing.Signer(salt=SALT).sign_object([survey_id, ticket_id])


def read_token(token: str) -> tuple[int, int]:
    """(survey id, ticket id) from a token, or BadToken."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(str(token))
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise BadToken(str(exc)) from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise BadToken("not a survey link")
    return value[0], value[1]
