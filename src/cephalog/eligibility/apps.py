from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "cephalog.eligibility"
    label = "eligibility"
    verbose_name = "Eligibility"
