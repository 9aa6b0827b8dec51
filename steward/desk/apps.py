from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "steward.desk"
    label = "desk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        # Registers the periodic SLA sweep with the worker's ticker (a registration, not a signal).
        from steward.desk import tasks  # noqa: F401
