"""The triage page: the mail log (by default the mails waiting for a person), one mail with its
text and files, and the two actions on it. Thin views over desk.mail.selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.core.errors import DomainError, NotFound
from steward.core.views_kit import apply_domain_error, is_htmx, paginate, render_list, safe_download
from steward.desk.mail import selectors, services
from steward.desk.mail.forms import ConvertForm, DiscardForm
from steward.desk.models import InboundStatus


@login_required
def triage_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", InboundStatus.TRIAGE)
    q = request.GET.get("q", "").strip()
    error = ""
    try:
        qs = selectors.inbound_list(request.user, status=status, q=q)
    except ValueError as exc:
        error = str(exc).partition(": ")[2]
        qs = selectors.inbound_list(request.user, status=InboundStatus.TRIAGE, q=q)
    context = {
        "status": status,
        "q": q,
        "statuses": InboundStatus.choices,
        "status_error": error,
        "list_id": "mail-list",
        **paginate(request, qs),
    }
    return render_list(
        request, page="desk/mail/triage_list.html", partial="desk/mail/_rows.html", context=context
    )


@login_required
def triage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mail = selectors.inbound_get(request.user, pk)
    message = services.stored_message(mail)
    account_id = request.POST.get("account") or request.GET.get("account")
    convert = ConvertForm(
        request.POST if request.POST.get("action") == "convert" else None,
        user=request.user,
        account_id=account_id,
        initial={
            "account": account_id,
            "new_contact_email": mail.mail_from,
            "new_contact_name": message.from_name,
        },
    )
    discard = DiscardForm(request.POST if request.POST.get("action") == "discard" else None)
    if request.method == "GET" and is_htmx(request) and request.GET.get("part") == "convert":
        # The account changed: the contact choices follow it.
        return render(request, "desk/mail/_convert_form.html", {"mail": mail, "convert": convert})
    if request.method == "POST":
        done = _act(request, mail, convert, discard)
        if done is not None:
            return done
        mail.refresh_from_db()  # another agent may have handled it meanwhile
    waiting = mail.status == InboundStatus.TRIAGE
    context = {
        "mail": mail,
        # With the forms gone (the mail was handled meanwhile), their errors still need saying.
        "action_errors": [] if waiting else [*convert.non_field_errors(), *discard.non_field_errors()],
        "message": message,
        "convert": convert,
        "discard": discard,
        "waiting": waiting,
    }
    return render(request, "desk/mail/triage_detail.html", context)


def _act(request: HttpRequest, mail, convert: ConvertForm, discard: DiscardForm) -> HttpResponse | None:
    action = request.POST.get("action")
    form = convert if action == "convert" else discard
    if action not in ("convert", "discard") or not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if action == "convert":
            ticket = services.triage_convert(
                actor=request.user,
                mail=mail,
                account=data["account"],
                contact=data["contact"],
                new_contact_name=data["new_contact_name"],
                new_contact_email=data["new_contact_email"],
            )
            messages.success(request, f"{ticket.number} opened for {ticket.account} from this mail.")
        else:
            services.triage_discard(actor=request.user, mail=mail, reason=data["reason"])
            messages.success(request, "Mail discarded.")
    except DomainError as exc:
        apply_domain_error(form, exc)
        return None
    return redirect("mail:triage_list")


@login_required
def raw_download(request: HttpRequest, pk: int) -> FileResponse:
    """The message as it arrived (.eml), always as a download, never rendered."""
    mail = selectors.inbound_get(request.user, pk)
    if not mail.raw:
        raise NotFound("this message was not stored")
    return safe_download(mail.raw, filename=f"mail-{mail.pk}.eml", content_type="message/rfc822")
