"""Quality pages: the public survey answer page (reached by a signed link, no sign-in) and the
staff list of survey responses. Thin views over quality.selectors and quality.services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from steward.core import access
from steward.core.errors import ValidationFailed
from steward.core.views_kit import apply_domain_error, paginate, render_list
from steward.quality import selectors, services
from steward.quality.forms import SurveyAnswerForm, SurveyFilterForm

# --- the customer's answer page ------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    """A page reached by a secret link: never cached or indexed. The site-wide "same-origin"
    referrer policy already keeps the link from other sites; "no-referrer" would make browsers
    send `Origin: null` with the form, which Django's CSRF check rightly refuses."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request: HttpRequest, survey, state: str, *, status: int) -> HttpResponse:
    return _private(
        render(request, "quality/survey_closed.html", {"survey": survey, "state": state}, status=status)
    )


def _preselected(value: str | None) -> int | None:
    """The score a one-click link in the mail carries (?csat=4); anything else preselects nothing."""
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form (with the mailed score preselected) and never writes: mail scanners
    open links. POST stores the answer through the service."""
    survey = selectors.survey_for_token(token)
    state = selectors.survey_link_state(survey)
    if state == "expired":
        return _closed(request, survey, state, status=410)
    if state == "answered":  # a second visit is normal (the thank-you page was closed); a second POST is not
        return _closed(request, survey, state, status=409 if request.method == "POST" else 200)
    if request.method == "POST":
        form = SurveyAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.survey_answer(token=token, **form.cleaned_data)
            except services.SurveyAnswered:
                return _closed(request, survey, "answered", status=409)
            except services.SurveyExpired:
                return _closed(request, survey, "expired", status=410)
            except ValidationFailed as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("quality:survey_thanks", token=token)
    else:
        form = SurveyAnswerForm(initial={"csat": _preselected(request.GET.get("csat"))})
    context = {"survey": survey, "form": form, "ticket": survey.ticket}
    status = 422 if form.errors else 200
    return _private(render(request, "quality/survey_answer.html", context, status=status))


@require_safe
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    survey = selectors.survey_for_token(token)
    response = selectors.survey_response_of(survey)
    if response is None:
        return redirect("quality:survey_answer", token=token)
    return _private(render(request, "quality/survey_thanks.html", {"survey": survey, "response": response}))


# --- the staff list ------------------------------------------------------------------------------


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    """Survey responses with CSAT and NPS of the filtered set on top (desk staff only)."""
    access.require_role(request.user, *selectors.SURVEY_STAFF_ROLES)
    form = SurveyFilterForm(request.GET or None, choices=selectors.filter_choices(request.user))
    qs = selectors.response_list(request.user, **form.filters())
    context = {
        "form": form,
        "summary": selectors.response_summary(qs),
        "list_id": "survey-list",
        **paginate(request, qs),
    }
    return render_list(
        request, page="quality/survey_list.html", partial="quality/_survey_rows.html", context=context
    )
