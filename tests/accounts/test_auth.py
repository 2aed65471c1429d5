import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.patients import actions
from tests.personas import PASSWORD, Cast


def test_it_logs_in_and_audits_success_and_failure(cast: Cast) -> None:
    client = Client()
    bad = client.post(reverse("login"), {"username": "dr-house", "password": "wrong"})
    assert bad.status_code == 200
    assert "did not match" in bad.content.decode()
    good = client.post(reverse("login"), {"username": "dr-house", "password": PASSWORD})
    assert good.status_code == 302
    actions_logged = list(AuditEvent.objects.values_list("action", flat=True))
    assert "login_failed" in actions_logged
    assert "login" in actions_logged
    failed = AuditEvent.objects.get(action="login_failed")
    assert "wrong" not in str(failed.detail)


def test_logging_out_says_so_on_the_login_page(cast: Cast) -> None:
    client = Client()
    assert (
        client.post(reverse("login"), {"username": "ada", "password": PASSWORD}).status_code == 302
    )
    page = client.post(reverse("logout"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("login")
    assert "You have logged out." in page.content.decode()
    assert client.get(reverse("diary-home")).status_code == 302  # out indeed
    # Said once: not again on the next visit to the login page.
    assert "You have logged out." not in client.get(reverse("login")).content.decode()


def test_it_hashes_passwords_with_argon2_outside_tests(settings: object) -> None:
    from cephalog import settings as prod_settings

    assert (
        prod_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher") or prod_settings.TESTING
    )


def test_it_invites_a_patient_with_a_one_time_link(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    patient = cast.other_clinic_patient
    patient.email = "cyrus@example.org"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        user = actions.invite_patient(patient=patient)
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[0].body)
    assert link is not None
    path = link.group(0).split("8000", 1)[-1] if "8000" in link.group(0) else link.group(0)
    client = Client()
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    # The second box in words, not Django's "New password confirmation".
    assert "New password, again" in form_page.content.decode()
    assert "confirmation" not in form_page.content.decode()
    new_password = "a long passphrase for my diary"
    done = client.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    # The link works once.
    again = Client().get(path, follow=True)
    assert "no longer works" in again.content.decode()
    # Opened again after choosing a password (the email is still there): the way in is to
    # log in, not a new invitation.
    assert f'href="{reverse("login")}"' in again.content.decode()
    assert "If you have already chosen a password" in again.content.decode()
