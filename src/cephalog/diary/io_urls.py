"""Diary files: CSV export and import pages. Included at the site root beside
cephalog.diary.urls, under `diary-data/` so the two never collide."""

from __future__ import annotations

from django.urls import path

from cephalog.diary import io_views

urlpatterns = [
    path("me/diary-data/export.csv", io_views.my_days_csv, name="diary-io-days"),
    path("me/diary-data/attacks.csv", io_views.my_attacks_csv, name="diary-io-attacks"),
    path("me/diary-data/import/", io_views.my_import, name="diary-io-import"),
    path(
        "diary-data/import-status/<str:token>/",
        io_views.import_status,
        name="diary-io-import-status",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/diary-data/export.csv",
        io_views.clinic_days_csv,
        name="clinic-diary-io-days",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/diary-data/attacks.csv",
        io_views.clinic_attacks_csv,
        name="clinic-diary-io-attacks",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/diary-data/import/",
        io_views.clinic_import,
        name="clinic-diary-io-import",
    ),
]
