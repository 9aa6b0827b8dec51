from __future__ import annotations

from django import forms


class ScenarioForm(forms.Form):
    arrivals_factor = forms.FloatField(initial=1.0, min_value=0.01, max_value=10, label="Arrivals x")
    aht_factor = forms.FloatField(initial=1.0, min_value=0.01, max_value=10, label="Handling time x")
    service_level = forms.FloatField(
        required=False, min_value=0.01, max_value=0.99, label="Service level target"
    )
    headcount_delta = forms.IntegerField(initial=0, min_value=-1000, max_value=1000, label="Heads ±")
