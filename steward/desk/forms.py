"""Forms of the agent's workspace. They parse and check shapes; the desk services decide the rules.

Every foreign key a form accepts is chosen from a queryset scoped to the person asking (through
the selectors), so an id outside their scope is a "no such ..." error on that field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from steward.accounts import selectors as people
from steward.catalog import selectors as catalog
from steward.customers import selectors as customers
from steward.desk import selectors
from steward.desk.models import (
    AssignmentStrategy,
    Channel,
    Level,
    LinkKind,
    Priority,
    Status,
    TicketType,
)

TICKET_NUMBER = re.compile(r"(?i)\s*(?:t-?)?0*(\d{1,18})\s*")


def _choice(
    queryset, *, label: str, empty: str = "—", required: bool = False, what: str = ""
) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=queryset,
        required=required,
        empty_label=empty,
        label=label,
        error_messages={"invalid_choice": f"no such {what or label.lower()}"},
    )


def _person_label(user: Any) -> str:
    return user.full_name or user.email


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (`<input type=file multiple>`); cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        items = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class IdListField(forms.Field):
    """Ticket ids from checkboxes (``ids=1&ids=7``). Any id of the right shape passes here; whether
    the caller may touch that ticket is the service's check."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = []
        for item in values:
            text = str(item).strip()
            if not text.isdigit() or not 1 <= int(text) <= 2**63 - 1:
                raise forms.ValidationError(f"not a ticket id: {text[:20]!r}")
            ids.append(int(text))
        return ids


class TicketNumberField(forms.CharField):
    """A ticket by its number ("T-000123", "t123" or "123"): cleans to the primary key. Whether the
    ticket exists for the person asking is the selectors' business (the view resolves it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("placeholder", "T-000123")
        self.widget.attrs.setdefault("inputmode", "text")

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        match = TICKET_NUMBER.fullmatch(text)
        if not match or not 1 <= int(match.group(1)) <= 2**63 - 1:
            raise forms.ValidationError("enter a ticket number such as T-000123")
        return int(match.group(1))


# --- the ticket page -----------------------------------------------------------------------------


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("reply", "Public reply"), ("note", "Internal note")],
        initial="reply",
        widget=forms.RadioSelect,
        label="Send as",
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Message", max_length=100_000)
    # Named "file" like the attachment rules' errors, so they show next to it.
    file = MultipleFileField(label="Attachments", help_text="any number of files; each within the size limit")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)
    reason = forms.CharField(max_length=300, help_text="why the priority differs from what it was")


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = _choice(people.team_list(user), label="Team", empty="No team")
        self.fields["assignee"] = _choice(selectors.assignable_staff(user), label="Assignee", empty="Nobody")
        self.fields["assignee"].label_from_instance = _person_label


class TagsForm(forms.Form):
    tags = forms.CharField(
        required=False, max_length=1100, help_text="comma-separated; lower case, words joined by hyphens"
    )

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]


class LinkForm(forms.Form):
    other = TicketNumberField(label="Ticket")
    kind = forms.ChoiceField(choices=LinkKind.choices, label="This ticket is")


class MergeForm(forms.Form):
    into = TicketNumberField(label="Merge into ticket")


# --- new ticket ----------------------------------------------------------------------------------


class TicketCreateForm(forms.Form):
    """A ticket an agent opens (a phone call, a walk-in). The contact, site and asset are offered
    from the chosen account only; the priority comes from impact and urgency unless overridden
    with a reason."""

    account = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(queryset=None, required=False)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=100_000
    )
    service = forms.ModelChoiceField(queryset=None, required=False)
    type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.INCIDENT)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    impact = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM)
    urgency = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM)
    priority = forms.ChoiceField(
        choices=[("", "From impact and urgency"), *Priority.choices],
        required=False,
        label="Priority override",
    )
    priority_override_reason = forms.CharField(max_length=300, required=False, label="Override reason")
    site = forms.ModelChoiceField(queryset=None, required=False)
    asset = forms.ModelChoiceField(queryset=None, required=False)
    team = forms.ModelChoiceField(queryset=None, required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, user: Any, account: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        none = customers.contacts_for(user).none()
        self.fields["account"] = _choice(
            customers.accounts_for(user), label="Customer account", required=True, what="customer account"
        )
        self.fields["account"].widget = forms.HiddenInput()
        self.fields["account"].error_messages["required"] = "choose the customer account"
        # Only the chosen account's contacts, sites and assets: another account's id is no choice.
        scoped = account is not None
        self.fields["contact"] = _choice(
            customers.contact_list(user, account_id=account.pk) if scoped else none,
            label="Contact",
            empty="No contact",
            what="contact at this customer account",
        )
        self.fields["site"] = _choice(
            customers.site_list(user, account_id=account.pk) if scoped else customers.sites_for(user).none(),
            label="Site",
            empty="No site",
            what="site at this customer account",
        )
        self.fields["asset"] = _choice(
            customers.asset_list(user, account_id=account.pk)
            if scoped
            else customers.assets_for(user).none(),
            label="Asset",
            empty="No asset",
            what="asset at this customer account",
        )
        self.fields["service"] = _choice(
            catalog.services_for(user).filter(is_active=True).order_by("category", "name"),
            label="Service",
            empty="No service",
        )
        self.fields["team"] = _choice(people.team_list(user), label="Team", empty="The service's team")
        self.fields["assignee"] = _choice(
            selectors.assignable_staff(user), label="Assignee", empty="Team routing decides"
        )
        self.fields["assignee"].label_from_instance = _person_label
        self.fields["asset"].label_from_instance = lambda a: f"{a.model} · {a.serial_number} ({a.site.name})"
        # Fields laid out in this order on the page (the account comes first, by its search box).
        self.order_fields(
            [
                "account",
                "contact",
                "subject",
                "description",
                "service",
                "type",
                "channel",
                "impact",
                "urgency",
                "priority",
                "priority_override_reason",
                "site",
                "asset",
                "team",
                "assignee",
            ]
        )

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as `desk.services.ticket_create` takes it."""
        data = dict(self.cleaned_data)
        data["priority"] = data.get("priority") or None
        return data


# --- queues --------------------------------------------------------------------------------------

BULK_ACTIONS = {
    "assign_me": "Assign to me",
    "assign_team": "Assign to team",
    "assign_person": "Assign to person",
    "status": "Set status",
    "priority": "Set priority",
    "tag": "Add tag",
}


class BulkForm(forms.Form):
    """One action on the tickets ticked in a list (all or nothing, by desk.services)."""

    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    ids = IdListField(error_messages={"required": "tick at least one ticket"})
    team = forms.ModelChoiceField(queryset=None, required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False)
    status = forms.ChoiceField(choices=[("", "Status…"), *Status.choices], required=False)
    priority = forms.ChoiceField(choices=[("", "Priority…"), *Priority.choices], required=False)
    reason = forms.CharField(max_length=300, required=False, label="Reason")
    tag = forms.CharField(max_length=50, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = _choice(people.team_list(user), label="Team", empty="Team…")
        self.fields["assignee"] = _choice(selectors.assignable_staff(user), label="Assignee", empty="Person…")
        self.fields["assignee"].label_from_instance = _person_label

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        needs = {
            "assign_team": "team",
            "assign_person": "assignee",
            "status": "status",
            "priority": "priority",
            "tag": "tag",
        }
        field = needs.get(action or "")
        if field and not data.get(field) and field not in self.errors:
            self.add_error(field, f"choose the {field} to set")
        return data

    def service_arguments(self, user: Any) -> dict[str, Any]:
        """The cleaned data as `desk.services.ticket_bulk_update` takes it."""
        data = self.cleaned_data
        action = data["action"]
        args: dict[str, Any] = {"ticket_ids": data["ids"]}
        if action == "assign_me":
            args.update(action="assign", assignee=user)
        elif action == "assign_team":
            args.update(action="assign", team=data["team"])
        elif action == "assign_person":
            args.update(action="assign", assignee=data["assignee"])
        elif action == "status":
            args.update(action="status", status=data["status"])
        elif action == "priority":
            args.update(action="priority", priority=data["priority"], reason=data["reason"])
        else:
            args.update(action="tags", add_tags=[data["tag"]])
        return args


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label="Save this view as")


# --- team routing --------------------------------------------------------------------------------


class RoutingForm(forms.Form):
    strategy = forms.ChoiceField(
        choices=AssignmentStrategy.choices,
        widget=forms.RadioSelect,
        help_text="how a new ticket of this team finds its assignee",
    )
    match_skills = forms.BooleanField(
        required=False,
        label="Match skills",
        help_text="only members who hold every skill the ticket's service requires (with a valid certification)",
    )
