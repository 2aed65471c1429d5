from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "cephalog.safety"
    label = "safety"
