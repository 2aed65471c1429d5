"""Passkey pages and the JSON endpoints their script calls (static/cephalog/passkeys.js)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cephalog.accounts import mfa, mfa_actions, reauth
from cephalog.accounts.passkeys import actions
from cephalog.accounts.passkeys.models import Passkey
from cephalog.audit.actions import record


def _options(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="application/json")


def _refused(error: Exception, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": str(error)}, status=status)


def _credential(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    if request.content_type != "application/json":
        raise actions.PasskeyError("Send the passkey's answer as JSON.")
    data = actions.parse(request.body)
    return data.get("credential"), data


def _password_again() -> JsonResponse:
    return JsonResponse(
        {"detail": "Enter your password again, then add the passkey."},
        status=403,
    )


@never_cache
@login_required
@reauth.password_again
def manage(request: HttpRequest) -> HttpResponse:
    """The user's passkeys: add one (the script), remove one. A passkey is a way in (for a
    patient, on its own), so adding one needs the password entered in the last minutes,
    as changing the password or the email address does: a session left open on a shared
    phone does not let someone else add their own way in."""
    return render(
        request,
        "passkeys/passkeys.html",
        {
            "passkeys": Passkey.objects.filter(user=request.user),
            "staff": mfa.needs_mfa(request.user),
        },
    )


@never_cache
@login_required
@require_POST
def register_options(request: HttpRequest) -> HttpResponse:
    if not reauth.recently_authenticated(request):
        return _password_again()
    return _options(actions.registration_options(request))


@never_cache
@login_required
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    if not reauth.recently_authenticated(request):
        return _password_again()
    try:
        credential, data = _credential(request)
        passkey = actions.register(request, credential, str(data.get("name") or ""))
    except actions.PasskeyError as error:
        return _refused(error)
    return JsonResponse({"name": passkey.name}, status=201)


@never_cache
@login_required
@require_POST
def remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    if not actions.remove(request.user, passkey_id):
        raise Http404("No such passkey")
    messages.success(request, "The passkey was removed.")
    return redirect("passkeys")


# --- signing in with a passkey (patients) ---------------------------------------------------


@never_cache
@require_POST
def login_options(request: HttpRequest) -> HttpResponse:
    return _options(actions.authentication_options(request))


@never_cache
@require_POST
def login(request: HttpRequest) -> HttpResponse:
    try:
        credential, _ = _credential(request)
        passkey = actions.authenticate(request, credential)
    except actions.PasskeyError as error:
        return _refused(error)
    user = passkey.user
    if not user.is_active:
        return _refused(actions.PasskeyError("This account is closed."))
    if mfa.needs_mfa(user):
        # Staff sign in with their password, then a passkey (or code) as the second factor.
        return _refused(
            actions.PasskeyError(
                "Clinic staff sign in with their password first, then use the passkey."
            )
        )
    auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return JsonResponse(
        {"redirect": mfa.safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL))}
    )


# --- a passkey as the staff second factor ------------------------------------------------------


@never_cache
@login_required
@require_POST
def mfa_options(request: HttpRequest) -> HttpResponse:
    if not mfa.needs_mfa(request.user):
        return _refused(actions.PasskeyError("No second factor is needed."))
    if not Passkey.objects.filter(user=request.user).exists():
        return _refused(actions.PasskeyError("You have no passkey yet: enter your code."))
    return _options(actions.authentication_options(request, request.user))


@never_cache
@login_required
@require_POST
def mfa_verify(request: HttpRequest) -> HttpResponse:
    if not mfa.needs_mfa(request.user):
        return _refused(actions.PasskeyError("No second factor is needed."))
    try:
        credential, _ = _credential(request)
        passkey = actions.authenticate(request, credential, request.user)
    except actions.PasskeyError as error:
        record(action="login_failed", category="mfa", user=request.user, detail={"passkey": 1})
        return _refused(error)
    mfa_actions.passed(request, passkey)
    record(action="login", category="mfa", user=request.user, detail={"passkey": True})
    return JsonResponse({"redirect": mfa.safe_next(request)})
