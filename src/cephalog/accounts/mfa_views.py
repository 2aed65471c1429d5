"""The second-factor pages: verify a code, enrol an authenticator app, show the recovery
codes once, replace the app (second factor passed) or recover it (a recovery code), and a
clinic admin's reset of a colleague's second factor."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cephalog.accounts import mfa, mfa_actions, reauth
from cephalog.accounts.models import User


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if not mfa.needs_mfa(request.user) or mfa.is_verified(request.user):
        return redirect(mfa.safe_next(request))
    device = mfa.confirmed_device(request.user)
    if device is None:
        return redirect(reverse("mfa-setup") + "?" + urlencode({"next": mfa.safe_next(request)}))
    error = ""
    if request.method == "POST":
        throttled = mfa.seconds_refused(device) > 0
        if mfa_actions.verify(request, device, request.POST.get("token", "")):
            return redirect(mfa.safe_next(request))
        error = _refused_code(device, throttled)
    from cephalog.accounts.passkeys.models import Passkey

    return render(
        request,
        "accounts/mfa_verify.html",
        {
            "error": error,
            "next": mfa.safe_next(request),
            "has_passkey": Passkey.objects.filter(user=request.user).exists(),
        },
        status=400 if error else 200,
    )


def _refused_code(device: Any, throttled: bool) -> str:
    """Why the code was refused, and what to do: after wrong codes in a row even the right
    one is refused for a while (`throttled`: django-otp's delay, doubling each time)."""
    wait = mfa.seconds_refused(device)
    if not throttled or not wait:
        return "That code did not match. Check the time on your phone and try the newest code."
    if wait <= 120:
        return (
            f"Too many wrong codes in a row: wait {wait} seconds, then type the newest code "
            "from your app."
        )
    until = timezone.localtime(timezone.now() + dt.timedelta(seconds=wait))
    return (
        f"Too many wrong codes in a row: codes are refused until {until:%H:%M} on "
        f"{until.day} {until:%b}. Use a recovery code, or ask your clinic admin to reset "
        "your second factor."
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    if not mfa.needs_mfa(request.user):
        return redirect("home")
    if mfa.confirmed_device(request.user) is not None:
        return redirect("mfa-verify")
    if not mfa.mailbox_proved(request, time.time()):
        return _prove_mailbox(request)
    device = mfa_actions.pending_device(request.user)
    error = ""
    if request.method == "POST":
        if mfa_actions.verify(request, device, request.POST.get("token", "")):
            messages.success(request, "Your authenticator app is set up.")
            target = reverse("mfa-recovery-codes")
            return redirect(target + "?" + urlencode({"next": mfa.safe_next(request)}))
        error = "That code did not match. Scan the code again or type the key, then try the newest code."
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "qr": mfa.qr_svg(device),
            "secret": mfa.secret_for_typing(device),
            "error": error,
            "next": mfa.safe_next(request),
        },
        status=400 if error else 200,
    )


def _prove_mailbox(request: HttpRequest) -> HttpResponse:
    """Before a first authenticator: a code emailed to the account, so that a password alone
    (guessed, phished, reused) cannot set up someone else's second factor."""
    now = time.time()
    email: str = getattr(request.user, "email", "")
    error = ""
    sent: mfa_actions.MailboxSend | None = None
    if request.method == "POST" and "mailbox_code" in request.POST:
        if mfa_actions.check_mailbox_code(request, request.POST["mailbox_code"], now):
            return redirect(
                reverse("mfa-setup") + "?" + urlencode({"next": mfa.safe_next(request)})
            )
        error = (
            "That code did not match or has expired. Check the newest email from cephalog, "
            "or send a new code."
        )
    elif request.method == "POST" and "send" in request.POST:
        sent = mfa_actions.send_mailbox_code(request, now)
        if sent == "sent":
            messages.success(request, "A new code is on its way.")
    elif not mfa.mailbox_state(request).get("digest"):
        sent = mfa_actions.send_mailbox_code(request, now)
    return render(
        request,
        "accounts/mfa_mailbox.html",
        {
            "email": mfa.masked_email(email) if email else "",
            "minutes": mfa.MAILBOX_CODE_SECONDS // 60,
            "error": error,
            "sent": sent,
            "minutes_left": mfa_actions.newest_code_minutes(request, now),
            "per_hour": mfa_actions.MAILBOX_SENDS_PER_HOUR,
            "next": mfa.safe_next(request),
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
def replace(request: HttpRequest) -> HttpResponse:
    """Re-enter the password to set up a new authenticator app (new phone): only after the
    second factor was passed in this session. Without it: the recovery-code page."""
    if not mfa.needs_mfa(request.user):
        return redirect("home")
    if not mfa.is_verified(request.user):
        return redirect("mfa-recover")
    error = ""
    if request.method == "POST":
        if mfa_actions.replace_device(request, request.POST.get("password", "")):
            return redirect("mfa-setup")
        error = "That password is not right."
    return render(
        request, "accounts/mfa_replace.html", {"error": error}, status=400 if error else 200
    )


@never_cache
@login_required
def recover(request: HttpRequest) -> HttpResponse:
    """Lost the authenticator app: one of the recovery codes shown at enrolment."""
    if not mfa.needs_mfa(request.user):
        return redirect("home")
    if mfa.is_verified(request.user):
        return redirect("mfa-replace")
    error = ""
    if request.method == "POST":
        if mfa_actions.recover(request, request.POST.get("code", "")):
            messages.success(request, "Recovery code accepted. Set up your new authenticator app.")
            return redirect("mfa-setup")
        error = (
            "That recovery code did not work. Check it and try again in a few seconds, or ask "
            "your clinic's administrator to reset your second factor."
        )
    return render(
        request, "accounts/mfa_recover.html", {"error": error}, status=400 if error else 200
    )


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes, shown once after enrolment; a POST makes a new set (second factor
    passed in this session: the middleware sees to that)."""
    if not mfa.needs_mfa(request.user):
        return redirect("home")
    if request.method == "POST" and not reauth.recently_authenticated(request):
        # A new set replaces the authenticator (with the password): not for a session
        # merely left open.
        return redirect(reverse("confirm-password") + "?" + urlencode({"next": request.path}))
    codes = request.session.pop(mfa.SESSION_CODES, None)
    if request.method == "POST":
        codes = mfa_actions.issue_recovery_codes(request.user)
        mfa.notify(request.user, "New recovery codes were made for your cephalog login.")
    return render(
        request,
        "accounts/mfa_recovery_codes.html",
        {
            "codes": codes or [],
            "left": mfa.recovery_codes_left(request.user),
            "next": mfa.safe_next(request),
        },
    )


def _admin_of_someone(request: HttpRequest) -> None:
    if not (request.user.is_superuser or mfa.resettable_staff(request.user)):
        raise Http404("Not found")


@never_cache
@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """Clinic admins: their clinics' staff, and a button to reset a lost second factor."""
    _admin_of_someone(request)
    people = [(user, mfa.has_authenticator(user)) for user in mfa.resettable_staff(request.user)]
    return render(request, "accounts/mfa_staff.html", {"people": people})


@never_cache
@login_required
@require_POST
def staff_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    target = get_object_or_404(User, pk=user_id)
    if not mfa.may_reset(request.user, target):
        raise Http404("Not found")
    mfa_actions.reset_by_admin(request.user, target)
    messages.success(
        request,
        f"The second factor of {target.get_username()} was reset: they set up an "
        "authenticator app again at their next sign-in.",
    )
    return redirect("mfa-staff")
