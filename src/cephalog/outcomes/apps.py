from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "cephalog.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
