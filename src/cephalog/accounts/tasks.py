"""Background work for sign-in emails (`cephalog worker` runs it)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cephalog.accounts.models import User
from cephalog.accounts.tokens import reset_token_generator


@task()
def send_password_resets(user_ids: list[int]) -> int:
    """Email a set-password link to each of these accounts still able to use one.

    "Forgot your password?" enqueues this for every address asked about, with or without an
    account (an empty list), so the request takes as long either way; the link (made here,
    never stored with the task) is on SITE_URL, not on the Host the request named."""
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"):
        if not user.has_usable_password() or not user.email:
            continue
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = reset_token_generator.make_token(user)
        path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
        context = {"link": settings.SITE_URL.rstrip("/") + path, "user": user}
        subject = "".join(render_to_string("accounts/password_reset_subject.txt").splitlines())
        body = render_to_string("accounts/password_reset_email.txt", context)
        send_mail(subject, body, from_email=None, recipient_list=[user.email])
        sent += 1
    return sent
