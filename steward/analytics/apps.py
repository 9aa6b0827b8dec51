from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "steward.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Registers the weekly dashboard sender with the worker's ticker (a registration, not a signal).
        from steward.analytics import tasks  # noqa: F401
