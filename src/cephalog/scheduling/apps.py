from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "cephalog.scheduling"
    label = "scheduling"
    verbose_name = "Treatment calendar"

    def ready(self) -> None:
        # treatment and outcomes re-plan through core.replan, never importing scheduling.
        from cephalog.core.replan import register_planner
        from cephalog.scheduling.actions import sync_plan

        register_planner(sync_plan)
