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
    assert done["Location"] == reverse("patient-list")
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


def test_it_asks_for_the_password_before_replacing_the_device(cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.physician, name="old phone", confirmed=True)
    client = password_login("dr-house")
    assert client.post(reverse("mfa-replace"), {"password": "wrong"}).status_code == 400
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert client.post(reverse("mfa-replace"), {"password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


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
