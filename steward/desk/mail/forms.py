"""Forms of the triage page. Choices are scoped to the signed-in user (customers.selectors)."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.customers import selectors as directory


class ConvertForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=None, label="Customer account", empty_label="Choose an account…"
    )
    contact = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Contact",
        empty_label="New contact (below)",
        help_text="one of the account's contacts, or leave it to create a new one",
    )
    new_contact_name = forms.CharField(required=False, max_length=150, label="New contact's name")
    new_contact_email = forms.EmailField(required=False, label="New contact's address")

    def __init__(self, *args: Any, user: Any, account_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = directory.accounts_for(user).filter(is_active=True).order_by("name")
        contacts = directory.contacts_for(user).none()
        if account_id:
            contacts = directory.contact_list(user, account_id=_int(account_id))
        self.fields["contact"].queryset = contacts


class DiscardForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Why (optional)")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
