from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from cephalog.accounts import mfa_views, views
from cephalog.accounts.forms import ResetForm
from cephalog.accounts.passkeys import views as passkey_views
from cephalog.accounts.tokens import reset_token_generator

urlpatterns = [
    path("mfa/", mfa_views.verify, name="mfa-verify"),
    path("mfa/setup/", mfa_views.setup, name="mfa-setup"),
    path("mfa/replace/", mfa_views.replace, name="mfa-replace"),
    path("mfa/recover/", mfa_views.recover, name="mfa-recover"),
    # Past the second factor (not under mfa/, which is open before it).
    path("recovery-codes/", mfa_views.recovery_codes, name="mfa-recovery-codes"),
    path("second-factors/", mfa_views.staff_list, name="mfa-staff"),
    path("second-factors/<int:user_id>/reset/", mfa_views.staff_reset, name="mfa-staff-reset"),
    # Passkeys (WebAuthn): manage, sign in (patients), second factor (staff, open before it).
    path("passkeys/", passkey_views.manage, name="passkeys"),
    path(
        "passkeys/register/options/",
        passkey_views.register_options,
        name="passkey-register-options",
    ),
    path("passkeys/register/", passkey_views.register, name="passkey-register"),
    path("passkeys/<int:passkey_id>/remove/", passkey_views.remove, name="passkey-remove"),
    path("passkeys/login/options/", passkey_views.login_options, name="passkey-login-options"),
    path("passkeys/login/", passkey_views.login, name="passkey-login"),
    path("mfa/passkey/options/", passkey_views.mfa_options, name="mfa-passkey-options"),
    path("mfa/passkey/", passkey_views.mfa_verify, name="mfa-passkey"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("confirm/", views.confirm_password, name="confirm-password"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ResetForm,
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
        views.SetPasswordView.as_view(
            template_name="accounts/set_password.html", token_generator=reset_token_generator
        ),
        name="password_reset_confirm",
    ),
    path(
        "invite/<uidb64>/<token>/",
        views.SetPasswordView.as_view(
            template_name="accounts/set_password.html",
            success_url=reverse_lazy("password_reset_complete"),
            extra_context={"invitation": True},
        ),
        name="invite-accept",
    ),
    path("email/<uidb64>/<token>/", views.confirm_email, name="my-email-confirm"),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_set.html"),
        name="password_reset_complete",
    ),
]
