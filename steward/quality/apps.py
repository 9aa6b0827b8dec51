from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "steward.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        # Registers the periodic survey sender with the worker's ticker (a registration, not a signal).
        from steward.quality import tasks  # noqa: F401
