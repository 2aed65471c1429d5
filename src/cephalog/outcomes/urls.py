"""Outcome URLs, included at the site root (they span /clinic/ and /me/)."""

from django.urls import path

from cephalog.outcomes import letter, views

_P = "clinic/patients/<uuid:patient_id>/"

urlpatterns = [
    path(f"{_P}outcomes/", views.outcomes_page, name="outcomes-patient"),
    path(f"{_P}outcomes/decision/", views.decision_record, name="outcomes-decision"),
    path(f"{_P}outcomes/bridging/", views.bridging_record, name="outcomes-bridging"),
    path(
        f"{_P}outcomes/bridging/<int:bridging_id>/withdraw/",
        views.bridging_withdraw,
        name="outcomes-bridging-withdraw",
    ),
    path(
        f"{_P}outcomes/questionnaires/<str:instrument>/",
        views.staff_questionnaire,
        name="outcomes-questionnaire",
    ),
    # The prior-authorisation / continuation letter (eligibility's decision, with the cycle summary)
    path(f"{_P}eligibility/letter/", letter.letter_page, name="eligibility-letter"),
    path(f"{_P}eligibility/letter.pdf", letter.letter_pdf, name="eligibility-letter-pdf"),
    path(f"{_P}cycle-summary/", views.cycle_summary_page, name="cycle-summary"),
    path(f"{_P}cycle-summary.pdf", views.cycle_summary_pdf, name="cycle-summary-pdf"),
    path(f"{_P}renewal-letter.pdf", views.renewal_letter_pdf, name="renewal-letter-pdf"),
    path("clinic/dashboard/", views.clinic_dashboard, name="clinic-dashboard"),
    path("clinic/cohort/", views.clinic_cohort, name="clinic-cohort"),
    path("clinic/cohort.csv", views.clinic_cohort_csv, name="clinic-cohort-csv"),
    path("clinic/content-packs/", views.content_packs, name="content-packs"),
    path(
        "clinic/content-packs/<int:pack_id>/active/",
        views.content_pack_active,
        name="content-pack-active",
    ),
    path("clinic/questionnaire-labels/", views.item_labels, name="item-labels"),
    path("me/progress/", views.my_progress, name="my-progress"),
    path("me/questionnaires/", views.my_questionnaires, name="my-questionnaires"),
]
