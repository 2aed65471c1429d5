from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cephalog.demo"
    label = "demo"
    verbose_name = "Demo cohort"
