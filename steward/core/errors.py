"""Domain errors raised by services and selectors; the API and the views map them to responses.

Services never return half-done work: they raise one of these inside their transaction, so the
transaction rolls back and the caller gets a message that names the offending field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def from_django(cls, exc: ValidationError) -> ValidationFailed:
        if hasattr(exc, "error_dict"):
            fields = {
                ("non_field_errors" if name == "__all__" else name): [
                    str(m) for e in errs for m in e.messages
                ]
                for name, errs in exc.error_dict.items()
            }
        else:
            fields = {"non_field_errors": [str(m) for m in exc.messages]}
        first = next(iter(fields.items()))
        return cls(f"{first[0]}: {first[1][0]}", fields=fields)

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", fields={field: [message]})


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"
