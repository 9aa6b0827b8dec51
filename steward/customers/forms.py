from __future__ import annotations

from django import forms

from steward.customers import services
from steward.customers.models import Asset, Contact, CustomerAccount, Site


class AccountForm(forms.ModelForm):
    class Meta:
        model = CustomerAccount
        fields = list(services.ACCOUNT_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = list(services.CONTACT_FIELDS)


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = list(services.SITE_FIELDS)
        widgets = {"access_notes": forms.Textarea(attrs={"rows": 3})}


class AssetForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = list(services.ASSET_FIELDS)
        widgets = {
            "install_date": forms.DateInput(attrs={"type": "date"}),
            "warranty_end": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, account: CustomerAccount, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the account's own sites are offered: a foreign key is scoped like everything else.
        self.fields["site"].queryset = Site.objects.filter(account=account).order_by("name")


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("accounts", "Customer accounts"), ("sites", "Sites"), ("assets", "Assets")]
    )
    file = forms.FileField(label="CSV file", help_text="UTF-8, first row is the header")
    dry_run = forms.BooleanField(required=False, label="Only check, write nothing")
