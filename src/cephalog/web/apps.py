from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "cephalog.web"
    label = "web"
