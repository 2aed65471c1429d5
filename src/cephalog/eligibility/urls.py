"""Eligibility pages, included at the site root: the clinic's under /clinic/, the
patient's own under /me/."""

from __future__ import annotations

from django.urls import path

from cephalog.eligibility import policy_views, screening_views, views

P = "clinic/patients/<uuid:patient_id>/"

urlpatterns = [
    # The consultation record
    path(P + "consultation/", views.consultation, name="consultation"),
    path(P + "consultation/history/", views.history_save, name="consultation-history"),
    path(P + "consultation/preventives/", views.preventive_add, name="preventive-add"),
    path(
        P + "consultation/preventives/<int:item_id>/",
        views.preventive_edit,
        name="preventive-edit",
    ),
    path(
        P + "consultation/preventives/<int:item_id>/remove/",
        views.preventive_remove,
        name="preventive-remove",
    ),
    path(P + "consultation/medicines/", views.medicine_add, name="medicine-add"),
    path(P + "consultation/medicines/<int:item_id>/", views.medicine_edit, name="medicine-edit"),
    path(
        P + "consultation/medicines/<int:item_id>/remove/",
        views.medicine_remove,
        name="medicine-remove",
    ),
    path(P + "consultation/cautions/", views.cautions_save, name="consultation-cautions"),
    path(P + "consultation/toxin/", views.exposure_add, name="exposure-add"),
    path(
        P + "consultation/toxin/<int:item_id>/remove/",
        views.exposure_remove,
        name="exposure-remove",
    ),
    # Screening, sign-off, decision (the letter is outcomes.letter: it includes the cycle summary)
    path(P + "eligibility/", screening_views.screening_page, name="eligibility"),
    path(P + "eligibility/sign-off/", screening_views.sign_off, name="eligibility-sign-off"),
    path(P + "eligibility/decide/", screening_views.decide, name="eligibility-decide"),
    # The patient's own page
    path("me/eligibility/", screening_views.my_eligibility, name="my-eligibility"),
    # The clinic's policies
    path("clinic/policies/", policy_views.policy_list, name="policies"),
    path(
        "clinic/policies/<slug:clinic_slug>/default/",
        policy_views.policy_default,
        name="policy-default",
    ),
    path(
        "clinic/policies/<slug:clinic_slug>/ruleset/",
        policy_views.policy_ruleset,
        name="policy-ruleset",
    ),
    path("clinic/policies/<slug:clinic_slug>/new/", policy_views.policy_new, name="policy-new"),
    path(
        "clinic/policies/<slug:clinic_slug>/<slug:name>/",
        policy_views.policy_edit,
        name="policy-edit",
    ),
    path(
        "clinic/policies/<slug:clinic_slug>/<slug:name>/delete/",
        policy_views.policy_delete,
        name="policy-delete",
    ),
]
