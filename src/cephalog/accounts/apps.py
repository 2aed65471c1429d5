from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cephalog.accounts"
    label = "accounts"
    verbose_name = "Clinics and people"

    def ready(self) -> None:
        from cephalog.accounts import signals  # noqa: F401
