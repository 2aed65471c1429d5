from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "cephalog.patients"
    label = "patients"
