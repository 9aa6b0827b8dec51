from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "steward.planning"
    label = "planning"
    verbose_name = "Capacity planning"

    def ready(self) -> None:
        # Registers the nightly plan with the worker's ticker (a registration, not a signal).
        from steward.planning import tasks  # noqa: F401
