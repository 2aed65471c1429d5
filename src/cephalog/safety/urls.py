"""Safety pages. Included at the site root: the patient's under /me/, the clinic's under /clinic/."""

from __future__ import annotations

from django.urls import path

from cephalog.safety import settings_views, views

urlpatterns = [
    path("me/checkin/", views.checkin, name="safety-checkin"),
    path("me/side-effect/", views.side_effect, name="safety-side-effect"),
    path("me/urgent/", views.urgent, name="safety-urgent"),
    path("me/reports/", views.my_reports, name="safety-my-reports"),
    path("me/reports/<int:checkin_id>/", views.report_done, name="safety-report-done"),
    path("clinic/alerts/", views.alerts, name="safety-alerts"),
    path("clinic/settings/safety/", settings_views.safety_settings, name="safety-settings"),
    path("clinic/alerts/<int:alert_id>/", views.alert_detail, name="safety-alert"),
    path("clinic/safety/register/", views.register, name="safety-register"),
    path("clinic/safety/rates/", views.rates, name="safety-rates"),
    path(
        "clinic/safety/events/<int:event_id>/medwatch.pdf",
        views.medwatch_pdf,
        name="safety-medwatch-pdf",
    ),
    path(
        "clinic/safety/events/<int:event_id>/medwatch.csv",
        views.medwatch_csv,
        name="safety-medwatch-csv",
    ),
    path(
        "clinic/safety/events/<int:event_id>/yellow-card.pdf",
        views.yellow_card_pdf,
        name="safety-yellow-card-pdf",
    ),
    path(
        "clinic/safety/events/<int:event_id>/yellow-card.csv",
        views.yellow_card_csv,
        name="safety-yellow-card-csv",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/adverse-events/",
        views.patient_events,
        name="safety-patient-events",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/adverse-events/new/",
        views.event_new,
        name="safety-event-new",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/adverse-events/<int:event_id>/",
        views.event_edit,
        name="safety-event-edit",
    ),
]
