"""The clinic admin's Staff and Clinic settings pages (included under /clinic/)."""

from django.urls import path

from cephalog.accounts import staff_views as views

urlpatterns = [
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/invite/", views.staff_invite, name="staff-invite"),
    path("staff/<int:user_id>/", views.staff_member, name="staff-member"),
    path("staff/<int:user_id>/role/", views.staff_role, name="staff-role"),
    path("staff/<int:user_id>/active/", views.staff_active, name="staff-active"),
    path("staff/<int:user_id>/invite-again/", views.staff_invite_again, name="staff-invite-again"),
    path(
        "staff/role-changes/<int:change_id>/decide/",
        views.staff_role_decide,
        name="staff-role-decide",
    ),
    path("settings/", views.clinic_settings, name="clinic-settings"),
]
