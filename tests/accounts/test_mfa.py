"""Staff pass a TOTP second factor; patients do not (issue 9.3, ASVS 2.2 / 6.3)."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.audit.models import AuditEvent
from tests.personas import PASSWORD, Cast


@pytest.fixture(autouse=True)
def no_throttle_delay(settings) -> None:  # type: ignore[no-untyped-def]
    # django-otp delays a retry after a wrong code (1 s, doubling): tests retry at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)


def prove_mailbox(client: Client) -> None:
    """The first enrolment's emailed code (cephalog.accounts.mfa): read from the outbox."""
    import re

    from django.core import mail

    assert client.get(reverse("mfa-setup")).status_code == 200
    sent = re.findall(r"\b(\d{6})\b", mail.outbox[-1].body)
    done = client.post(reverse("mfa-setup"), {"mailbox_code": sent[0]})
    assert done.status_code == 302


def password_login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_it_sends_staff_to_enrol_an_authenticator_before_any_page(cast: Cast) -> None:
    client = password_login("dr-house")
    response = client.get(reverse("patient-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa-verify"))
    prove_mailbox(client)
    setup = client.get(reverse("mfa-setup"))
    assert setup.status_code == 200
    body = setup.content.decode()
    assert "<svg" in body
    assert "Quill" not in body
    device = TOTPDevice.objects.get(user=cast.physician, confirmed=False)
    assert client.post(reverse("mfa-setup"), {"token": "000000"}).status_code == 400
    done = client.post(
        reverse("mfa-setup"), {"token": code(device), "next": reverse("patient-list")}
    )
    assert done.status_code == 302
    assert done["Location"].startswith(reverse("mfa-recovery-codes"))
    codes = client.get(done["Location"])
    assert (
        'href="/clinic/patients/"' in codes.content.decode()
        or reverse("patient-list") in codes.content.decode()
    )
    assert client.get(reverse("patient-list")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(category="mfa", action="privilege").exists()


def test_it_asks_enrolled_staff_for_a_code_and_refuses_a_wrong_one(cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.nurse, name="phone", confirmed=True)
    client = password_login("nurse-joy")
    assert client.get(reverse("patient-list"))["Location"].startswith(reverse("mfa-verify"))
    wrong = client.post(reverse("mfa-verify"), {"token": "123456"})
    assert wrong.status_code == 400
    assert "did not match" in wrong.content.decode()
    assert AuditEvent.objects.filter(category="mfa", action="login_failed").exists()
    assert client.get(reverse("patient-list")).status_code == 302
    assert client.post(reverse("mfa-verify"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("patient-list")).status_code == 200


def test_it_answers_401_to_unverified_staff_on_the_api(cast: Cast) -> None:
    client = password_login("dr-house")
    response = client.get(f"/api/patients/{cast.patient.pk}/diary")
    assert response.status_code == 401
    assert "Quill" not in response.content.decode()


def test_it_does_not_ask_patients_for_a_second_factor(cast: Cast) -> None:
    client = password_login("ada")
    assert client.get(reverse("diary-home")).status_code == 200


def test_a_password_alone_cannot_replace_the_device(cast: Cast) -> None:
    """Issue 18.1: before the second factor, the replace page sends to the recovery page
    and a POST with the right password changes nothing."""
    device = TOTPDevice.objects.create(user=cast.physician, name="old phone", confirmed=True)
    client = password_login("dr-house")
    response = client.post(reverse("mfa-replace"), {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa-recover")
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert client.get(reverse("mfa-setup"))["Location"] == reverse("mfa-verify")
    assert client.get(reverse("patient-list")).status_code == 302


def test_a_verified_session_replaces_the_device_with_the_password(
    cast: Cast, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=cast.physician, name="old phone", confirmed=True)
    client = password_login("dr-house")
    assert client.post(reverse("mfa-verify"), {"token": code(device)}).status_code == 302
    assert client.post(reverse("mfa-replace"), {"password": "wrong"}).status_code == 400
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa-replace"), {"password": PASSWORD})
    assert response["Location"] == reverse("mfa-setup")
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert [m.to for m in mailoutbox] == [[cast.physician.email]]
    assert "removed" in mailoutbox[0].body
    assert AuditEvent.objects.filter(
        category="mfa", action="privilege", user_id=cast.physician.pk, detail__replaced=True
    ).exists()
    # The session lost its second factor with the device: enrol again before any page.
    assert client.get(reverse("patient-list"))["Location"].startswith(reverse("mfa-verify"))


def _enrol(client: Client, user, prove: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    if prove:
        prove_mailbox(client)
    client.get(reverse("mfa-setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("mfa-setup"), {"token": code(device), "next": "/clinic/"})
    assert done.status_code == 302
    assert done["Location"].startswith(reverse("mfa-recovery-codes"))
    page = client.get(done["Location"]).content.decode()
    import re

    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(codes) == 10
    return codes


def test_enrolment_shows_recovery_codes_once_and_stores_them_hashed(
    cast: Cast, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from django_otp.plugins.otp_static.models import StaticToken

    client = password_login("dr-house")
    with django_capture_on_commit_callbacks(execute=True):
        codes = _enrol(client, cast.physician)
    stored = set(
        StaticToken.objects.filter(device__user=cast.physician).values_list("token", flat=True)
    )
    assert len(stored) == 10
    assert not stored & set(codes)
    assert not stored & {c.replace("-", "") for c in codes}
    again = client.get(reverse("mfa-recovery-codes")).content.decode()
    assert not any(c in again for c in codes)
    assert "10 unused recovery codes" in again
    assert "authenticator app was set up" in mailoutbox[-1].body


def test_a_recovery_code_replaces_a_lost_authenticator_once(
    cast: Cast, mailoutbox, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    codes = _enrol(password_login("dr-house"), cast.physician)
    mailoutbox.clear()
    client = password_login("dr-house")  # a new session: phone lost
    assert client.get(reverse("mfa-recover")).status_code == 200
    assert client.post(reverse("mfa-recover"), {"code": "aaaaa-bbbbb"}).status_code == 400
    assert TOTPDevice.objects.filter(user=cast.physician).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa-recover"), {"code": codes[3].upper()})
    assert response["Location"] == reverse("mfa-setup")
    assert not TOTPDevice.objects.filter(user=cast.physician).exists()
    assert "recovery code was used" in mailoutbox[0].body
    assert "9 recovery codes" in mailoutbox[0].body
    assert client.get(reverse("patient-list")).status_code == 302  # not verified yet
    other = password_login("dr-house")
    assert other.post(reverse("mfa-recover"), {"code": codes[3]}).status_code == 400
    assert AuditEvent.objects.filter(category="mfa", detail__recovery_code=True).count() == 1
    assert AuditEvent.objects.filter(category="mfa_recovery", action="login_failed").count() == 2


def test_recovery_codes_are_throttled(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OTP_STATIC_THROTTLE_FACTOR = 1
    codes = _enrol(password_login("dr-house"), cast.physician)
    client = password_login("dr-house")
    assert client.post(reverse("mfa-recover"), {"code": "aaaaa-bbbbb"}).status_code == 400
    assert client.post(reverse("mfa-recover"), {"code": codes[0]}).status_code == 400
    assert TOTPDevice.objects.filter(user=cast.physician).exists()


def test_a_clinic_admin_resets_a_colleagues_second_factor(
    cast: Cast, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from tests.personas import client_for

    TOTPDevice.objects.create(user=cast.nurse, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=cast.other_physician, name="phone", confirmed=True)
    admin = client_for(cast, "clinic_admin")
    page = admin.get(reverse("mfa-staff")).content.decode()
    assert "nurse-joy" in page
    assert cast.other_physician.username not in page
    with django_capture_on_commit_callbacks(execute=True):
        reset = admin.post(reverse("mfa-staff-reset", args=[cast.nurse.pk]))
    assert reset.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.nurse).exists()
    assert mailoutbox[0].to == [cast.nurse.email]
    assert AuditEvent.objects.filter(
        category="mfa", user_id=cast.clinic_admin.pk, object_ref=f"user:{cast.nurse.pk}"
    ).exists()
    # Not another clinic's staff, not themself; not for a physician or a patient.
    for target in (cast.other_physician, cast.clinic_admin):
        assert admin.post(reverse("mfa-staff-reset", args=[target.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=cast.other_physician).exists()
    for persona in ("physician", "patient_user"):
        other = client_for(cast, persona)
        assert other.get(reverse("mfa-staff")).status_code == 404
        assert other.post(reverse("mfa-staff-reset", args=[cast.nurse.pk])).status_code == 404


def test_a_superuser_resets_anyones_second_factor(cast: Cast) -> None:
    from cephalog.accounts.models import User
    from tests.personas import login_client

    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    TOTPDevice.objects.create(user=cast.other_physician, name="phone", confirmed=True)
    client = login_client(Client(), root)
    assert (
        client.post(reverse("mfa-staff-reset", args=[cast.other_physician.pk])).status_code == 302
    )
    assert not TOTPDevice.objects.filter(user=cast.other_physician).exists()


def test_it_ignores_an_offsite_next(cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.nurse, name="phone", confirmed=True)
    client = password_login("nurse-joy")
    response = client.post(
        reverse("mfa-verify"), {"token": code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_it_throttles_guessing_codes(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = TOTPDevice.objects.create(user=cast.nurse, name="phone", confirmed=True)
    client = password_login("nurse-joy")
    assert client.post(reverse("mfa-verify"), {"token": "123456"}).status_code == 400
    # Straight after a wrong code even the right one is refused until the delay has passed.
    assert client.post(reverse("mfa-verify"), {"token": code(device)}).status_code == 400


def test_the_second_factor_pages_show_no_staff_menu(cast: Cast) -> None:
    """Issue 18.2 (the red-flag banner: tests/security/test_second_factor_gate.py)."""
    TOTPDevice.objects.create(user=cast.clinic_admin, name="phone", confirmed=True)
    client = password_login("admin-ann")
    for name in ("mfa-verify", "mfa-recover"):
        body = client.get(reverse(name)).content.decode()
        for page in ("patient-list", "safety-alerts", "audit-report", "clinic-dashboard"):
            assert f'href="{reverse(page)}"' not in body, (name, page)
    pass_second_factor_for(client, cast.clinic_admin)
    body = client.get(reverse("mfa-recovery-codes")).content.decode()
    assert f'href="{reverse("patient-list")}"' in body


def pass_second_factor_for(client: Client, user) -> None:  # type: ignore[no-untyped-def]
    from tests.personas import pass_second_factor

    pass_second_factor(client, user)


def test_a_mail_relay_that_is_down_does_not_break_enrolment(
    cast: Cast, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from tests.safety.backends import FAILING

    client = password_login("dr-house")
    prove_mailbox(client)  # the set-up code needs the relay: it went down just after
    settings.MAILERS = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        codes = _enrol(client, cast.physician, prove=False)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=cast.physician).confirmed


def test_a_code_refused_by_the_throttle_says_to_wait_not_that_it_did_not_match(
    cast: Cast,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """Staff walk, 7 Dec 2026: after a few wrong codes the right one typed at once was
    answered "That code did not match. Check the time on your phone": the nurse checks her
    phone, types the next right code, and is refused again. The page says to wait, and
    after a long run of wrong codes where else to turn."""
    import datetime as dt

    from django.utils import timezone

    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = TOTPDevice.objects.create(user=cast.nurse, name="phone", confirmed=True)
    client = password_login("nurse-joy")
    first = client.post(reverse("mfa-verify"), {"token": "123456"}).content.decode()
    assert "That code did not match" in first  # one wrong code: just that
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=4, throttling_failure_timestamp=timezone.now()
    )
    right = client.post(reverse("mfa-verify"), {"token": code(device)})
    assert right.status_code == 400
    body = right.content.decode()
    assert "did not match" not in body
    assert "Too many wrong codes in a row: wait " in body
    assert "seconds, then type the newest code from your app." in body
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=16,
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5),
    )
    body = client.post(reverse("mfa-verify"), {"token": code(device)}).content.decode()
    assert "codes are refused until" in body
    assert "Use a recovery code, or ask your clinic admin to reset your second factor." in body
