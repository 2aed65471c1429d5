from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "cephalog.accounts.passkeys"
    label = "passkeys"
    verbose_name = "Passkeys"
