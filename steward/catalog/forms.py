from __future__ import annotations

import json
from typing import Any

from django import forms

from steward.catalog import selectors, services
from steward.catalog.models import (
    TARGET_FIELDS,
    Contract,
    PauseStatus,
    Priority,
    Service,
    SlaPolicy,
    TargetKind,
    TicketType,
)
from steward.core.selectors import calendar_list
from steward.customers.models import Tier
from steward.customers.selectors import accounts_for


class ServiceForm(forms.ModelForm):
    required_skills = forms.CharField(
        required=False, help_text="comma-separated, e.g. hvac, f-gas certificate", max_length=2000
    )

    class Meta:
        model = Service
        fields = list(services.SERVICE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["required_skills"] = ", ".join(self.instance.required_skills)

    def clean_required_skills(self) -> list[str]:
        raw = self.cleaned_data.get("required_skills") or ""
        return list(dict.fromkeys(s.strip() for s in raw.split(",") if s.strip()))


def _checkboxes(choices, label: str | None = None) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices, required=False, widget=forms.CheckboxSelectMultiple, label=label
    )


class SlaPolicyForm(forms.Form):
    """The policy's own fields and conditions; the targets come from `TargetGridForm`."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    order = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, help_text="tried in this order, lowest first"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    calendar = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="24/7 (no business calendar)", label="Business hours"
    )
    pause_statuses = _checkboxes(PauseStatus.choices, "Pause the clocks in")
    warning_percent = forms.IntegerField(min_value=1, max_value=100, initial=80, label="Warning at (%)")
    customer_accounts = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        help_text="empty = any account",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    tiers = _checkboxes(Tier.choices, "Customer tiers")
    services = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        help_text="empty = any service",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    ticket_types = _checkboxes(TicketType.choices, "Ticket types")
    priorities = _checkboxes(Priority.choices, "Priorities")
    via_contract = forms.BooleanField(
        required=False,
        label="Only via a contract",
        help_text="matches only when the account holds a valid contract naming this policy for the service",
    )
    escalations = forms.CharField(
        required=False,
        label="Escalation levels (JSON)",
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono", "spellcheck": "false"}),
        help_text='[{"target": "resolution", "offset_minutes": -30, "actions": [{"type": "notify_team", '
        '"team_id": 1}]}]; action types: notify_users (user_ids), notify_team (team_id), '
        "reassign_team (team_id), raise_priority",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = calendar_list(user)
        self.fields["customer_accounts"].queryset = accounts_for(user).order_by("name")
        self.fields["services"].queryset = selectors.service_list(user)

    @staticmethod
    def initial_for(policy: SlaPolicy | None) -> dict[str, Any]:
        if policy is None:
            return {"is_active": True, "warning_percent": 80, "escalations": "[]"}
        return {
            **{name: getattr(policy, name) for name in services.POLICY_FIELDS},
            "customer_accounts": list(policy.customer_accounts.all()),
            "services": list(policy.services.all()),
            "escalations": escalations_text(policy.escalations.all()),
        }

    def clean_escalations(self) -> list:
        raw = (self.cleaned_data.get("escalations") or "").strip() or "[]"
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise forms.ValidationError("must be a JSON list of objects")
        return value


def escalations_text(levels) -> str:
    """The levels as a JSON list with one level per line, easy to read and edit."""
    rows = [
        json.dumps({"target": e.target, "offset_minutes": e.offset_minutes, "actions": e.actions})
        for e in levels
    ]
    return "[\n" + ",\n".join(f"  {row}" for row in rows) + "\n]" if rows else "[]"


class TargetGridForm(forms.Form):
    """Priorities by target kinds, in business minutes; an empty cell = no such target."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for priority in Priority.values:
            for kind in TargetKind.values:
                self.fields[f"{priority}_{kind}"] = forms.IntegerField(
                    required=False, min_value=1, max_value=366 * 24 * 60, label=f"{priority} {kind}"
                )

    @staticmethod
    def initial_for(policy: SlaPolicy | None) -> dict[str, int]:
        if policy is None:
            return {}
        return {
            f"{t.priority}_{kind}": t.minutes(kind)
            for t in policy.targets.all()
            for kind in TargetKind.values
            if t.minutes(kind) is not None
        }

    def rows(self) -> list[tuple[str, list]]:
        """[(priority label, [bound field per kind])] for the template."""
        return [
            (label, [self[f"{priority}_{kind}"] for kind in TargetKind.values])
            for priority, label in Priority.choices
        ]

    def targets(self) -> list[dict[str, Any]]:
        """The rows the service takes: one per priority with at least one target."""
        out = []
        for priority in Priority.values:
            row = {
                TARGET_FIELDS[kind]: self.cleaned_data.get(f"{priority}_{kind}") for kind in TargetKind.values
            }
            if any(v is not None for v in row.values()):
                out.append({"priority": priority, **row})
        return out


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["account", *services.CONTRACT_FIELDS[:1], "services", *services.CONTRACT_FIELDS[1:]]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "services": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {"services": "the services it covers; none selected = all services"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Foreign keys are offered from the caller's scope, like everything else.
        self.fields["account"].queryset = accounts_for(user).order_by("name")
        self.fields["policy"].queryset = selectors.policy_list(user)
        self.fields["services"].queryset = selectors.service_list(user)
        if self.instance.pk:
            self.fields["account"].disabled = True
