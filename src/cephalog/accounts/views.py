"""Signing in, confirming the password again, and the patient's security page (issue 16.1)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import LoginView, LogoutView, PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from cephalog.accounts import actions, email_queries, mfa_actions, reauth
from cephalog.accounts.access import is_staff_member, patient_only
from cephalog.accounts.actions.emails import LINK_PROBLEMS
from cephalog.accounts.forms import ConfirmPasswordForm, EmailForm, NewPasswordForm, SignInForm
from cephalog.accounts.mfa import safe_next
from cephalog.audit.actions import record
from cephalog.patients.models import Patient


class SetPasswordView(PasswordResetConfirmView):
    """Django's set-password link (an invitation or a reset). Opening it proved the
    account's mailbox, so a first authenticator set up in this browser soon after needs no
    emailed code (cephalog.accounts.mfa)."""

    form_class = NewPasswordForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        mfa_actions.prove_mailbox(self.request, form.user, time.time())
        return response


class SignOutView(LogoutView):
    """Django's logout, then the login page says it happened (it was the bare login form,
    and on a shared phone she could not tell whether she was out). The message is kept in
    the messages cookie: the session it would have gone in is gone."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, "You have logged out.")
        return response


class SignInView(LoginView):
    """Django's login, taking an email address or a username (accounts.backends); a
    patient may keep the session on this phone (reauth.remember_device)."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        user = form.get_user()
        if (
            form.cleaned_data.get("remember")
            and not is_staff_member(user)
            and not user.is_superuser
        ):
            reauth.remember_device(self.request)
        return response


@never_cache
@sensitive_post_parameters("password")
def confirm_password(request: HttpRequest) -> HttpResponse:
    """The password again, before exporting data or changing how one signs in."""
    if not request.user.is_authenticated:
        return redirect("login")
    form = ConfirmPasswordForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        reauth.note_authenticated(request)
        record(action="login", category="session", detail={"confirmed": True})
        return redirect(safe_next(request))
    return render(
        request,
        "accounts/confirm_password.html",
        {"form": form, "next": safe_next(request), "nav": "more"},
        status=400 if form.is_bound else 200,
    )


@never_cache
@patient_only
@reauth.password_again
@sensitive_post_parameters("new_password1", "new_password2")
def security(request: HttpRequest, patient: Patient) -> HttpResponse:
    """How the patient signs in: the email address, the password (and passkeys)."""
    user = request.user
    email_form = EmailForm(user=user)  # type: ignore[arg-type]
    password_form = NewPasswordForm(user)
    if request.method == "POST":
        change = request.POST.get("change")
        if change == "email":
            email_form = EmailForm(request.POST, user=user)  # type: ignore[arg-type]
            if email_form.is_valid():
                try:
                    asked = actions.request_email_change(
                        user=user,  # type: ignore[arg-type]
                        email=email_form.cleaned_data["email"],
                    )
                except ValidationError as error:
                    email_form.add_error("email", error.messages)
                else:
                    _tell_sent(request, asked.new_email, user.email)  # type: ignore[union-attr]
                    return redirect("my-security")
        elif change in ("email-again", "email-cancel"):
            return _pending_email(request, change)
        elif request.POST.get("change") == "password":
            password_form = NewPasswordForm(user, request.POST)
            if password_form.is_valid():
                actions.change_password(
                    user=user,  # type: ignore[arg-type]
                    password=password_form.cleaned_data["new_password1"],
                )
                update_session_auth_hash(request, user)  # type: ignore[arg-type]
                reauth.note_authenticated(request)
                messages.success(request, "Saved. Your new password works from now on.")
                return redirect("my-security")
    else:
        record(action="read", category="account", patient=patient, object_ref=f"user:{user.pk}")
    context: dict[str, Any] = {
        "patient": patient,
        "email_form": email_form,
        "pending": email_queries.pending_email(user),  # type: ignore[arg-type]
        "password_form": password_form,
        "remembered": reauth.is_remembered(request.session),
        "nav": "more",
    }
    bad = request.method == "POST"
    return render(request, "accounts/security.html", context, status=400 if bad else 200)


def _tell_sent(request: HttpRequest, new: str, old: str | None) -> None:
    messages.success(
        request,
        f"Check your email at {new}: we sent a link to confirm it. Your email address does "
        "not change until you open the link"
        + (f". Until then, keep logging in with {old}." if old else "."),
    )


def _pending_email(request: HttpRequest, change: str) -> HttpResponse:
    """Send the waiting address's link again, or cancel the change."""
    user: Any = request.user
    if change == "email-cancel":
        if actions.cancel_email_change(user=user):
            messages.success(request, "Cancelled. Your email address stays as it is.")
        return redirect("my-security")
    try:
        asked = actions.resend_email_change(user=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _tell_sent(request, asked.new_email, user.email)
    return redirect("my-security")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link emailed to a new address: a page with a Confirm button (a mail filter that
    opens links to check them does not confirm anything), signed in or not."""
    asked = email_queries.request_in_link(uidb64)
    state = email_queries.link_state(asked, token)
    if request.method == "POST" and asked is not None and state == "ok":
        try:
            actions.confirm_email_change(request=asked, token=token)
        except actions.LinkProblem as problem:
            state = problem.state
        else:
            if request.user.is_authenticated and request.user.pk == asked.user_id:
                messages.success(request, f"Saved. You now log in with {asked.new_email}.")
                return redirect("my-security")
            messages.success(request, f"Saved. Log in with {asked.new_email} from now on.")
            return redirect("login")
    context = {
        "state": state,
        "problem": LINK_PROBLEMS.get(state, ""),
        "new_email": asked.new_email if asked is not None and state == "ok" else "",
    }
    status = 200 if state == "ok" else (404 if state == "wrong" else 410)
    return render(request, "accounts/email_confirm.html", context, status=status)
