"""The second-factor pages: verify a code, enrol an authenticator app, replace it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from cephalog.accounts import mfa


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
        if mfa.verify(request, device, request.POST.get("token", "")):
            return redirect(mfa.safe_next(request))
        error = "That code did not match. Check the time on your phone and try the newest code."
    return render(
        request,
        "accounts/mfa_verify.html",
        {"error": error, "next": mfa.safe_next(request)},
        status=400 if error else 200,
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    if not mfa.needs_mfa(request.user):
        return redirect("home")
    if mfa.confirmed_device(request.user) is not None:
        return redirect("mfa-verify")
    device = mfa.pending_device(request.user)
    error = ""
    if request.method == "POST":
        if mfa.verify(request, device, request.POST.get("token", "")):
            messages.success(request, "Your authenticator app is set up.")
            return redirect(mfa.safe_next(request))
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


@never_cache
@login_required
def replace(request: HttpRequest) -> HttpResponse:
    """Re-enter the password to set up a new authenticator app (lost or new phone)."""
    if not mfa.needs_mfa(request.user):
        return redirect("home")
    error = ""
    if request.method == "POST":
        if mfa.replace_device(request, request.POST.get("password", "")):
            return redirect("mfa-setup")
        error = "That password is not right."
    return render(
        request, "accounts/mfa_replace.html", {"error": error}, status=400 if error else 200
    )
