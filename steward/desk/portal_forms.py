"""Forms of the customer portal, in the customer's words.

Every choice of an object (service, site, asset) is limited to what the signed-in customer may
see, through the selectors: another account's id (or a hidden service) is an error on that
field, never a quiet substitution. Attachment limits are the desk's (`desk.attachments`), checked
by the services; their errors land on the `file` field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from steward.catalog import selectors as catalog
from steward.customers import selectors as customers
from steward.desk import attachments as attachment_rules

REQUEST_TYPES = [
    ("incident", "Something is broken or not working"),
    ("service_request", "I need something: a service, a visit, a change"),
    ("complaint", "I want to make a complaint"),
    ("question", "I have a question"),
]
# Impact and urgency asked in plain language; the desk turns them into a priority.
IMPACTS = [
    ("low", "Just me"),
    ("medium", "Several people, or a team"),
    ("high", "Many people, or a whole site"),
]
URGENCIES = [
    ("low", "It can wait a few days"),
    ("medium", "Within a day or so"),
    ("high", "Right away: work has stopped"),
]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data]
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        return [item for item in cleaned if item]


def _files_help() -> str:
    limit = filesizeformat(settings.STEWARD_ATTACHMENT_MAX_BYTES)
    return (
        f"Photos, screenshots or documents: up to {attachment_rules.MAX_FILES_PER_MESSAGE} files, "
        f"each at most {limit}."
    )


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.category})" if obj.category else obj.name


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.city}" if obj.city else obj.name


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        serial = f" · serial {obj.serial_number}" if obj.serial_number else ""
        return f"{obj.model}{serial} at {obj.site.name}"


class RequestForm(forms.Form):
    type = forms.ChoiceField(label="What can we help with?", choices=REQUEST_TYPES, widget=forms.RadioSelect)
    service = ServiceChoiceField(
        label="Which of our services is it about?",
        queryset=None,
        required=False,
        empty_label="Not sure, or none of these",
        error_messages={"invalid_choice": "No such service in our catalogue."},
    )
    subject = forms.CharField(
        label="Subject",
        max_length=200,
        help_text="In a few words, e.g. “No heating in meeting room 2”.",
    )
    description = forms.CharField(
        label="Tell us more",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What happened, where, since when, and what you have tried.",
    )
    impact = forms.ChoiceField(
        label="How many people are affected?", choices=IMPACTS, widget=forms.RadioSelect
    )
    urgency = forms.ChoiceField(label="How soon do you need it?", choices=URGENCIES, widget=forms.RadioSelect)
    site = SiteChoiceField(
        label="Where? (optional)",
        queryset=None,
        required=False,
        empty_label="No particular site",
        error_messages={"invalid_choice": "No such site at your account."},
    )
    asset = AssetChoiceField(
        label="Which equipment? (optional)",
        queryset=None,
        required=False,
        empty_label="No particular equipment",
        error_messages={"invalid_choice": "No such equipment at your account."},
    )
    file = MultipleFileField(label="Attach files (optional)")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = catalog.service_list(user)
        self.fields["site"].queryset = customers.sites_for(user).order_by("name", "id")
        self.fields["asset"].queryset = customers.assets_for(user).order_by("site__name", "model", "id")
        self.fields["file"].help_text = _files_help()


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 4}))
    file = MultipleFileField(label="Attach files (optional)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _files_help()
