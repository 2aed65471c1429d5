from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "cephalog.interop"
    label = "interop"
    verbose_name = "FHIR export and import, data portability"
