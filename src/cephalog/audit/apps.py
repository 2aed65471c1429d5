from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cephalog.audit"
    label = "audit"
