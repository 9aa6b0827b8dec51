from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "steward.dispatch"
    label = "dispatch"
    verbose_name = "Dispatch"
