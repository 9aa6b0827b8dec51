"""Forms of the field staff pages. They parse and check shapes; the field services decide the
rules. Every foreign key a form offers is chosen from a queryset scoped to the person asking
(through the selectors): the sites and assets of the chosen account only, so another account's
id is a "no such ..." error on that field."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from steward.accounts.models import User
from steward.catalog import selectors as catalog
from steward.catalog.models import Priority
from steward.customers import selectors as customers
from steward.field import selectors, services
from steward.field.models import Absence, Depot, MaintenancePlan, ShiftPattern, Technician, Van

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class TechnicianForm(forms.ModelForm):
    class Meta:
        model = Technician
        fields = list(services.TECHNICIAN_FIELDS)
        widgets = {
            "lunch_window_start": forms.TimeInput(attrs={"type": "time"}),
            "lunch_window_end": forms.TimeInput(attrs={"type": "time"}),
        }


class NewTechnicianForm(TechnicianForm):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(role_grants__role="technician", technician__isnull=True).order_by(
            "full_name"
        ),
        help_text="a staff user with the technician role",
    )

    class Meta(TechnicianForm.Meta):
        fields = ["user", *services.TECHNICIAN_FIELDS]


class ShiftForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int)

    class Meta:
        model = ShiftPattern
        fields = list(services.SHIFT_FIELDS)
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time"}),
            "end": forms.TimeInput(attrs={"type": "time"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = list(services.ABSENCE_FIELDS)
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }


class DepotForm(forms.ModelForm):
    class Meta:
        model = Depot
        fields = list(services.DEPOT_FIELDS)


class VanForm(forms.ModelForm):
    class Meta:
        model = Van
        fields = list(services.VAN_FIELDS)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        depot = self.fields["depot"]
        depot.queryset = selectors.depots_for(user).order_by("name")
        depot.empty_label = "No depot"
        depot.error_messages["invalid_choice"] = "no such depot"


# --- shared fields -------------------------------------------------------------------------------


class SkillListField(forms.CharField):
    """Skill names separated by commas, as a list (the services check each name)."""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(s).strip() for s in value if str(s).strip()]
        text = super().to_python(value)
        return [s.strip() for s in text.split(",") if s.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value


class SiteLocalDateTimeField(forms.DateTimeField):
    """A date and time on the site's wall clock: parsed without a timezone (the form attaches the
    chosen site's zone), so a window typed as 09:00 is 09:00 where the technician goes."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            result = parse_datetime(str(value).strip())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if result is None:
            result = forms.BaseTemporalField.to_python(self, value)
        return result


def _choice(queryset, *, label: str, empty: str = "—", required: bool = False, what: str = ""):
    return forms.ModelChoiceField(
        queryset=queryset,
        required=required,
        empty_label=empty,
        label=label,
        error_messages={
            "invalid_choice": f"no such {what or label.lower()}",
            "required": f"choose the {what or label.lower()}",
        },
    )


def _account_scoped(form: forms.BaseForm, user: Any, account: Any) -> None:
    """The site and asset fields offer the chosen account's sites and assets (nothing before an
    account is chosen)."""
    if account is not None:
        sites = customers.site_list(user, account_id=account.pk)
        assets = customers.asset_list(user, account_id=account.pk)
    else:
        sites, assets = customers.sites_for(user).none(), customers.assets_for(user).none()
    form.fields["site"] = _choice(
        sites, label="Site", required=True, empty="Choose a site", what="site at this customer account"
    )
    form.fields["asset"] = _choice(
        assets, label="Asset", empty="No particular asset", what="asset at this customer account"
    )
    form.fields["site"].label_from_instance = lambda s: f"{s.name}, {s.city}" if s.city else s.name
    form.fields["asset"].label_from_instance = lambda a: (
        f"{a.model} · {a.serial_number} ({a.site.name if a.site_id else 'no site'})"
    )


def _service_field(user: Any) -> forms.ModelChoiceField:
    return _choice(
        catalog.services_for(user).filter(is_active=True).order_by("category", "name"),
        label="Service",
        empty="No service",
    )


# --- a new work order by hand --------------------------------------------------------------------


class WorkOrderForm(forms.Form):
    """A work order a dispatcher opens by hand (a phone call, an inspection). The site and asset
    come from the chosen account; without a duration or skills the service's standard ones
    apply. The window is typed in the site's local time."""

    account = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    site = forms.ModelChoiceField(queryset=None)
    asset = forms.ModelChoiceField(queryset=None, required=False)
    title = forms.CharField(max_length=200, label="Summary")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=100_000
    )
    service = forms.ModelChoiceField(queryset=None, required=False)
    required_skills = SkillListField(
        required=False, help_text="comma-separated, e.g. hvac, gas; empty: the service's skills"
    )
    duration_minutes = forms.IntegerField(
        required=False,
        min_value=5,
        label="Estimated duration (minutes)",
        help_text="empty: the service's standard duration (else 60)",
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.P3)
    window_start = SiteLocalDateTimeField(
        required=False, label="Window opens", help_text="optional; local time at the site"
    )
    window_end = SiteLocalDateTimeField(
        required=False, label="Window closes", help_text="optional; local time at the site"
    )

    def __init__(self, *args: Any, user: Any, account: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["account"] = _choice(
            customers.accounts_for(user), label="Customer account", required=True, what="customer account"
        )
        self.fields["account"].widget = forms.HiddenInput()
        _account_scoped(self, user, account)
        self.fields["service"] = _service_field(user)
        self.order_fields(list(self.base_fields))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        site = data.get("site")
        start, end = data.get("window_start"), data.get("window_end")
        if site is not None:
            zone = ZoneInfo(site.timezone)
            for name, value in (("window_start", start), ("window_end", end)):
                if value is not None and value.tzinfo is None:
                    data[name] = value.replace(tzinfo=zone)
            start, end = data.get("window_start"), data.get("window_end")
            if start is not None and end is not None and end < start:
                self.add_error("window_end", "must not be before the window opens")
        if not data.get("required_skills"):
            data["required_skills"] = None  # the service's skills, or none
        return data


# --- maintenance plans ---------------------------------------------------------------------------


class MaintenancePlanForm(forms.ModelForm):
    """A plan's rhythm and what each visit needs; the account is fixed once the plan exists."""

    required_skills = SkillListField(required=False, help_text="comma-separated, e.g. hvac, gas")

    class Meta:
        model = MaintenancePlan
        fields = list(services.PLAN_FIELDS)
        widgets = {"first_due": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {
            "interval_count": "Every",
            "interval_unit": "Unit",
            "horizon_days": "Generate ahead (days)",
            "duration_minutes": "Visit duration (minutes)",
            "window_days_before": "Window opens (days before due)",
            "is_active": "Active",
        }
        help_texts = {
            "first_due": "the first visit's due date; the next ones follow every N units from it",
            "horizon_days": "visits are created this many days before they are due",
            "service": "a contract covering it makes the due day an SLA on-site deadline",
        }

    def __init__(self, *args: Any, user: Any, account: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _account_scoped(self, user, account)
        self.fields["service"] = _service_field(user)
        self.order_fields(list(services.PLAN_FIELDS))


class NewMaintenancePlanForm(MaintenancePlanForm):
    account = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    class Meta(MaintenancePlanForm.Meta):
        fields = ["account", *services.PLAN_FIELDS]

    def __init__(self, *args: Any, user: Any, account: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, account=account, **kwargs)
        self.fields["account"] = _choice(
            customers.accounts_for(user), label="Customer account", required=True, what="customer account"
        )
        self.fields["account"].widget = forms.HiddenInput()
        self.order_fields(["account", *services.PLAN_FIELDS])
