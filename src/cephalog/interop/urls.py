"""Interop URLs, included at the site root: /fhir/..., /me/data/..., /clinic/export/..."""

from __future__ import annotations

from django.urls import path

from cephalog.interop import views

urlpatterns = [
    path("fhir/Patient/<uuid:patient_id>/$everything", views.everything, name="fhir-everything"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/data/<slug:key>/", views.my_download, name="my-data-download"),
    path("clinic/export/", views.clinic_export, name="clinic-export"),
    path("clinic/fhir-import/", views.clinic_fhir_import, name="clinic-fhir-import"),
    path(
        "clinic/export/<int:export_id>/status/",
        views.clinic_export_status,
        name="clinic-export-status",
    ),
    path(
        "clinic/export/<int:export_id>/download/",
        views.clinic_export_download,
        name="clinic-export-download",
    ),
]
