from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "cephalog.treatment"
    label = "treatment"
