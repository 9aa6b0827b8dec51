"""Forms of the quality pages: the customer's survey answer and the staff list's filters."""

from __future__ import annotations

from django import forms

from steward.quality import scores

CSAT_CHOICES = [(str(n), str(n)) for n in range(scores.CSAT_MIN, scores.CSAT_MAX + 1)]
NPS_CHOICES = [(str(n), str(n)) for n in range(scores.NPS_MIN, scores.NPS_MAX + 1)]
NPS_BAND_CHOICES = [
    ("", "Any NPS"),
    ("promoter", "Promoters (9 to 10)"),
    ("passive", "Passives (7 or 8)"),
    ("detractor", "Detractors (0 to 6)"),
]


def _score(value: str) -> int | None:
    return int(value) if value not in (None, "") else None


class SurveyAnswerForm(forms.Form):
    csat = forms.TypedChoiceField(
        label="How satisfied are you with how we handled your request?",
        choices=CSAT_CHOICES,
        coerce=_score,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    nps = forms.TypedChoiceField(
        label="How likely are you to recommend us to a colleague or friend?",
        choices=NPS_CHOICES,
        coerce=_score,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything you would like to tell us? (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("csat") is None and data.get("nps") is None:
            self.add_error("csat", "Choose a score from 1 to 5 (or answer the second question).")
        return data


class SurveyFilterForm(forms.Form):
    """The staff list's filters. Every field is optional; an invalid one is reported next to its
    field and left out of the filtering."""

    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="All teams")
    agent = forms.ModelChoiceField(queryset=None, required=False, empty_label="All agents")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="All services")
    account = forms.ModelChoiceField(queryset=None, required=False, empty_label="All accounts")
    csat = forms.TypedChoiceField(
        choices=[("", "Any CSAT"), *[(v, f"CSAT {v}") for v, _ in CSAT_CHOICES]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    nps = forms.ChoiceField(choices=NPS_BAND_CHOICES, required=False)
    date_from = forms.DateField(
        label="Answered from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, key in (
            ("team", "teams"),
            ("agent", "agents"),
            ("service", "services"),
            ("account", "accounts"),
        ):
            self.fields[name].queryset = choices[key]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", field.label or name.replace("_", " ").capitalize())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end of the range is before its start.")
        return data

    def filters(self) -> dict:
        """The valid filters, as keyword arguments of `selectors.response_list`."""
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that passed, invalid or not
            data = self.cleaned_data

        def pk(name: str) -> int | None:
            return data[name].pk if data.get(name) is not None else None

        return {
            "team_id": pk("team"),
            "agent_id": pk("agent"),
            "service_id": pk("service"),
            "account_id": pk("account"),
            "csat": data.get("csat"),
            "nps_band": data.get("nps") or "",
            "answered_from": data.get("date_from"),
            "answered_to": data.get("date_to"),
        }
