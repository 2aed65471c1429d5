"""Calendar URLs, included at the site root (they span /me/, /clinic/ and /calendar/)."""

from django.urls import path, re_path

from cephalog.scheduling import views

# 43 URL-safe characters in practice; a range keeps renewed formats possible.
_TOKEN = r"(?P<token>[A-Za-z0-9_-]{32,128})"

urlpatterns = [
    path("me/calendar/", views.patient_calendar, name="patient-calendar"),
    path("me/calendar/link/", views.patient_feed_renew, name="patient-feed-renew"),
    path("me/calendar/link/revoke/", views.patient_feed_revoke, name="patient-feed-revoke"),
    path(
        "clinic/patients/<uuid:patient_id>/calendar/",
        views.staff_patient_calendar,
        name="staff-patient-calendar",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/calendar/<int:appointment_id>/reschedule/",
        views.staff_reschedule,
        name="staff-appointment-reschedule",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/calendar/<int:appointment_id>/cancel/",
        views.staff_cancel,
        name="staff-appointment-cancel",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/calendar/authorisation/",
        views.staff_authorisation,
        name="staff-authorisation",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/calendar/link/revoke/",
        views.staff_revoke_patient_feed,
        name="staff-patient-feed-revoke",
    ),
    path("clinic/schedule/", views.clinic_schedule, name="clinic-schedule"),
    path(
        "clinic/schedule/<int:clinic_id>/link/", views.clinic_feed_renew, name="clinic-feed-renew"
    ),
    path(
        "clinic/schedule/<int:clinic_id>/link/revoke/",
        views.clinic_feed_revoke,
        name="clinic-feed-revoke",
    ),
    re_path(rf"^calendar/clinic/{_TOKEN}\.ics$", views.clinic_feed, name="clinic-feed"),
    re_path(rf"^calendar/{_TOKEN}\.ics$", views.patient_feed, name="patient-feed"),
]
