from django.urls import path

from cephalog.patients import views

urlpatterns = [
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_new, name="patient-new"),
    path("patients/<uuid:patient_id>/", views.patient_chart, name="patient-chart"),
    path("patients/<uuid:patient_id>/invite/", views.patient_invite, name="patient-invite"),
    path("patients/<uuid:patient_id>/contact/", views.patient_contact, name="patient-contact"),
    path(
        "patients/<uuid:patient_id>/contact/email-change/withdraw/",
        views.patient_email_change_withdraw,
        name="patient-email-change-withdraw",
    ),
]

#: The patient's own pages (included under /me/).
me_urlpatterns = [
    path("email/confirm/<str:token>/", views.email_change_confirm, name="email-change-confirm"),
]
