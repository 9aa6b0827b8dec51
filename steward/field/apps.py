from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "steward.field"
    label = "field"
    verbose_name = "Field service"

    def ready(self) -> None:
        # Registers the maintenance generator with the worker's ticker (a registration, not a signal).
        from steward.field import tasks  # noqa: F401
