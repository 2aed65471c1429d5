"""Diary pages. Included at the site root so the patient's pages live under /me/ (the
diary is the patient's home page: `diary-home` answers /me/ ahead of cephalog.web's
placeholder) and the clinic's under /clinic/patients/<uuid>/diary/."""

from __future__ import annotations

import datetime as dt

from django.urls import path, register_converter

from cephalog.diary import views


class DiaryDateConverter:
    """A calendar date `YYYY-MM-DD`; an impossible date (2026-02-30) does not match."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        return dt.date.fromisoformat(value)

    def to_url(self, value: dt.date | str) -> str:
        return value.isoformat() if isinstance(value, dt.date) else value


register_converter(DiaryDateConverter, "diarydate")

urlpatterns = [
    path("me/", views.home, name="diary-home"),
    path("me/diary/no-headache/", views.no_headache, name="diary-no-headache"),
    path("me/diary/calendar/", views.calendar_page, name="diary-calendar"),
    path("me/diary/offline/", views.offline_day, name="diary-offline-day"),
    path("me/sw.js", views.service_worker, name="diary-service-worker"),
    path("me/diary/<diarydate:date>/", views.day, name="diary-day"),
    path("me/settings/", views.settings_page, name="diary-settings"),
    path("clinic/patients/<uuid:patient_id>/diary/", views.clinic_diary, name="clinic-diary"),
    path(
        "clinic/patients/<uuid:patient_id>/diary/<diarydate:date>/",
        views.clinic_day,
        name="clinic-diary-day",
    ),
]
