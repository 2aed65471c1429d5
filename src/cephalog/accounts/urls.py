from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from cephalog.accounts import mfa_views, views

urlpatterns = [
    path("mfa/", mfa_views.verify, name="mfa-verify"),
    path("mfa/setup/", mfa_views.setup, name="mfa-setup"),
    path("mfa/replace/", mfa_views.replace, name="mfa-replace"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("confirm/", views.confirm_password, name="confirm-password"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="accounts/set_password.html"),
        name="password_reset_confirm",
    ),
    path(
        "invite/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/set_password.html",
            success_url=reverse_lazy("password_reset_complete"),
            extra_context={"invitation": True},
        ),
        name="invite-accept",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_set.html"),
        name="password_reset_complete",
    ),
]
