from django.urls import path

from cephalog.treatment import settings_views, training_views, views

_S = "clinic/patients/<uuid:patient_id>/sessions/"

urlpatterns = [
    path(_S, views.session_list, name="session-list"),
    path(f"{_S}start/", views.session_start, name="session-start"),
    path(f"{_S}check/", views.session_check, name="session-check"),
    path(f"{_S}check/sign-off/", views.session_sign_off, name="session-sign-off"),
    path(f"{_S}check/add/", views.session_check_add, name="session-check-add"),
    path(f"{_S}<int:session_id>/", views.session_detail, name="session-detail"),
    path(f"{_S}<int:session_id>/record/", views.session_record, name="session-record"),
    path(f"{_S}<int:session_id>/vials/", views.vial_add, name="session-vial-add"),
    path(
        f"{_S}<int:session_id>/vials/<int:vial_id>/remove/",
        views.vial_remove,
        name="session-vial-remove",
    ),
    path(f"{_S}<int:session_id>/addenda/", views.addendum_add, name="session-addendum"),
    path(f"{_S}<int:session_id>/cancel/", views.session_cancel, name="session-cancel"),
    path("me/care-team/", views.care_team, name="care-team"),
    path(
        "clinic/settings/aftercare/",
        settings_views.aftercare_settings,
        name="aftercare-settings",
    ),
    path(
        "clinic/staff/<int:user_id>/training/",
        training_views.staff_training,
        name="staff-training",
    ),
    path("clinic/settings/protocols/", settings_views.protocol_list, name="protocol-list"),
    path("clinic/settings/protocols/new/", settings_views.protocol_new, name="protocol-new"),
    path(
        "clinic/settings/protocols/<int:template_id>/",
        settings_views.protocol_edit,
        name="protocol-edit",
    ),
    path(
        "clinic/settings/protocols/<int:template_id>/active/",
        settings_views.protocol_active,
        name="protocol-active",
    ),
    path("me/sessions/", views.my_sessions, name="my-sessions"),
    path(
        "me/sessions/<int:session_id>/aftercare/",
        views.session_aftercare,
        name="session-aftercare",
    ),
]
