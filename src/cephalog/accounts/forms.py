"""Sign-in and account forms (issue 16.1)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from cephalog.accounts.models import User


class SignInForm(AuthenticationForm):
    """Email address or username, password, and (patients) "keep me signed in"."""

    remember = forms.BooleanField(required=False, label="Keep me signed in on this phone")

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email address (or username) and password did not match. Please try again."
        ),
    }


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, user: User, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        """Checked through the login's authentication (cephalog.ops.throttle): failures are
        counted and audited, and a throttled account waits here as on the login page."""
        password: str = self.cleaned_data["password"]
        found = authenticate(self.request, username=self.user.get_username(), password=password)
        if found is None or found.pk != self.user.pk:
            raise forms.ValidationError("That password is not right.")
        return password


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="New email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists()
        if taken:
            raise forms.ValidationError(
                "Another account already uses this email address. "
                "Please use a different one, or ask your clinic."
            )
        return email


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """A new password, twice: on the security page (the current one was just asked for,
    reauth.password_again) and from an invitation or reset link. The second box is named
    in a patient's words, not Django's "New password confirmation"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].label = "New password, again"


class ResetForm(PasswordResetForm):
    """The "Forgot your password?" form: the emails are the worker's (accounts.tasks),
    enqueued alike for an address with or without an account, so the page's timing tells nothing."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        from cephalog.accounts.tasks import send_password_resets

        ids = [user.pk for user in self.get_users(self.cleaned_data["email"])]
        send_password_resets.enqueue(ids)
