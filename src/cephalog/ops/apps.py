from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: database faults, login throttling, session limits, backup and restore."""

    name = "cephalog.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from cephalog.ops import authcache, clinic_cache, signals  # noqa: F401
