from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "cephalog.diary"
    label = "diary"
