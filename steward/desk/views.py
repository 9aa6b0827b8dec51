"""Service desk pages: thin views over desk.selectors and desk.services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from steward.desk import selectors


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A ticket's file, for whoever may see it (404 otherwise). Always a download (never rendered
    inline), with nosniff, under its sanitised name and the type derived from that name."""
    attachment = selectors.attachment_get(request.user, pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
