from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "cephalog.scheduling"
    label = "scheduling"
    verbose_name = "Treatment calendar"
