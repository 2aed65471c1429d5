"""The small findings of the outside attack (issue 18.6) that the security team owns."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from tests.personas import Cast, client_for
from tests.security.logs import masked_request_log

# --- failed logins keep no typed text that names no account --------------------------------------


def _typed_anywhere(text: str) -> bool:
    return any(
        text in json.dumps(row)
        for row in AuditEvent.objects.values("username", "detail", "object_ref")
    )


def test_a_failed_login_for_no_account_keeps_nothing_typed(cast: Cast, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    typed = "MyS3cretPassw0rd-in-the-wrong-field"
    client = Client()
    for _ in range(3):
        client.post(reverse("login"), {"username": typed, "password": "x"})
    rows = AuditEvent.objects.filter(action="login_failed")
    assert rows.filter(category="session").count() == 2
    assert rows.filter(category="login_throttle").exists()
    assert not _typed_anywhere(typed)
    assert not _typed_anywhere(typed.casefold())
    assert set(rows.values_list("user_id", flat=True)) == {None}


def test_a_failed_login_for_an_account_names_the_account(cast: Cast) -> None:
    Client().post(reverse("login"), {"username": "DR-HOUSE", "password": "wrong"})
    row = AuditEvent.objects.get(action="login_failed", category="session")
    assert row.user_id == cast.physician.pk
    assert row.detail == {"account": True}


# --- safe by default: development mode only when asked for ----------------------------------------


def _settings_in(python: str, env: dict[str, str], tmp_path: Any) -> Any:
    import os
    import subprocess
    import sysconfig
    from pathlib import Path

    root = Path(__file__).parents[2]
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CEPHALOG_", "SECRET_KEY", "DJANGO_ALLOW"))
    }
    full.update(
        {
            "CEPHALOG_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "cephalog.settings",
            "PYTHONPATH": os.pathsep.join([str(root / "src"), sysconfig.get_paths()["purelib"]]),
            **env,
        }
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEV, settings.MAILERS['default']['BACKEND'])"
    )
    return subprocess.run([python, "-c", code], env=full, capture_output=True, text=True)


@pytest.fixture
def bare_python(tmp_path_factory: Any) -> str:
    """A virtualenv without the development marker (as a production install has none),
    borrowing this one's packages."""
    import subprocess
    import sys

    where = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return str(where / "bin" / "python")


def test_it_refuses_to_start_unless_development_is_asked_for(
    bare_python: str, tmp_path: Any
) -> None:
    refused = _settings_in(bare_python, {}, tmp_path)
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    weak = _settings_in(bare_python, {"SECRET_KEY": "dev-insecure-" + "x" * 50}, tmp_path)
    assert "development key" in weak.stderr
    short = _settings_in(bare_python, {"SECRET_KEY": "changeme"}, tmp_path)
    assert "too short" in short.stderr
    production = _settings_in(bare_python, {"SECRET_KEY": "k" * 20 + "-Zq8" * 10}, tmp_path)
    assert production.stdout.split() == ["False", "django.core.mail.backends.smtp.EmailBackend"]
    asked = _settings_in(bare_python, {"CEPHALOG_DEV": "1"}, tmp_path)
    assert asked.stdout.split() == ["True", "django.core.mail.backends.console.EmailBackend"]


def test_a_development_checkout_asks_for_development_mode(tmp_path: Any) -> None:
    """`make install` leaves .venv/cephalog-dev: `make run` and ../shared/tools/walk_pages.py
    (which runs .venv/bin/cephalog without CEPHALOG_DEV) start in development mode."""
    import sys
    from pathlib import Path

    assert (Path(sys.prefix) / "cephalog-dev").exists(), "run make install"
    started = _settings_in(sys.executable, {}, tmp_path)
    assert started.stdout.split()[0] == "True", started.stderr[-500:]
    refused = _settings_in(sys.executable, {"CEPHALOG_DEV": "0"}, tmp_path)
    assert "SECRET_KEY must be set" in refused.stderr


# --- a null character or a lone surrogate in any text: 400/422, never 500 -------------------------


def _day(name: str) -> str:
    medicine = {"name": name, "class": "simple_analgesic"}
    return json.dumps(
        {"headache_hours": 2, "peak_intensity": "moderate", "acute_medications": [medicine]}
    )


def _yesterday(cast: Cast) -> str:
    from cephalog.core.time import patient_today

    return str(patient_today(cast.patient).fromordinal(patient_today(cast.patient).toordinal() - 1))


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "ok\udfffok"])
def test_the_api_refuses_text_that_cannot_be_stored(cast: Cast, bad: str) -> None:
    from cephalog.diary.models import DiaryEntry

    client = client_for(cast, "patient_user")
    url = f"/api/me/diary/{_yesterday(cast)}"
    response = client.put(url, _day(f"a{bad}b"), content_type="application/json")  # escaped
    assert response.status_code == 422, response.content[:300]
    assert "cannot be stored" in response.json()["errors"][0]
    assert response.json()["errors"][0].startswith("acute_medications[0].name: ")
    if bad == "\ud800":  # the same character as raw bytes (ED A0 80), not escaped
        raw = _day("a@b").encode().replace(b"@", b"\xed\xa0\x80")
        again = client.put(url, raw, content_type="application/json")
        assert again.status_code == 422, again.content[:300]
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()


def test_an_escaped_backslash_is_not_a_null_character(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    body = _day("C:\\u0000 is a path")
    assert "\\\\u0000" in body
    response = client.put(
        f"/api/me/diary/{_yesterday(cast)}", body, content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content[:300]


def test_forms_query_strings_and_paths_refuse_a_null_character(cast: Cast) -> None:
    from cephalog.patients.models import Patient

    staff = client_for(cast, "physician")
    before = Patient.objects.count()
    form = staff.post(
        reverse("patient-new"),
        {
            "mrn": "MRN-9",
            "given_name": "Eve\x00",
            "family_name": "Null",
            "birth_date": "1980-01-01",
        },
    )
    assert form.status_code == 400
    assert "cannot be stored" in form.content.decode()
    assert Patient.objects.count() == before
    assert staff.get(reverse("patient-list"), {"q": "Qu\x00ill"}).status_code == 400
    assert staff.get("/clinic/policies/leeds/%00/").status_code in (400, 404)
    assert (
        client_for(cast, "patient_user").get("/api/me/diary?start=2026-01-01%00").status_code == 422
    )


# --- deeply nested JSON: refused with a message ---------------------------------------------------


@pytest.mark.parametrize("levels", [100, 40_000])
def test_deeply_nested_content_packs_and_fhir_bundles_are_refused(levels: int) -> None:
    from cephalog.interop.fhir_import import ImportRefused, parse_json
    from cephalog.outcomes.content_packs import ContentPackError, parse_pack

    nested = '{"format": ' + "[" * levels + "]" * levels + "}"
    with pytest.raises(ContentPackError, match="nested more than 64 levels deep"):
        parse_pack(nested.encode())
    with pytest.raises(ImportRefused, match="nested more than 64 levels deep"):
        parse_json(nested)


def test_a_deeply_nested_fhir_file_is_refused_by_the_command(
    tmp_path: Any, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "deep.json"
    path.write_text('{"resourceType": "Bundle", "entry": ' + "[" * 50_000 + "]" * 50_000 + "}")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-fhir", str(path), "--clinic", cast.clinic.slug)
    assert "nested more than 64 levels" in capsys.readouterr().err


def test_safe_json_keeps_ordinary_documents() -> None:
    from cephalog import safe_json

    assert safe_json.loads('{"a": [1, {"b": [2]}]}') == {"a": [1, {"b": [2]}]}
    assert safe_json.depth([[[]]]) == 3


# --- secret addresses never in the logs -----------------------------------------------------------


def test_calendar_feed_secrets_never_reach_djangos_logs(cast: Cast, settings: Any) -> None:
    import logging

    from django.utils.module_loading import import_string

    # The console handler (every logger's, the development server's too) masks secrets.
    config = settings.LOGGING
    assert config["handlers"]["console"]["filters"] == ["mask_secrets"]
    assert config["loggers"]["django.server"]["handlers"] == ["console"]
    masking = import_string(config["filters"]["mask_secrets"]["()"])()
    secret = "Zx9-very-secret-feed-token"
    with masked_request_log(masking) as records:
        assert Client().get(f"/calendar/{secret}.ics").status_code == 404
        assert Client().get(f"/calendar/clinic/{secret}.ics").status_code == 404
        logging.getLogger("django.request").warning(
            '"GET /accounts/reset/MQ/%s/ HTTP/1.1" 200', secret
        )
    assert len(records) == 3, records
    assert not [r for r in records if secret in r]
    assert any("/calendar/[secret].ics" in r for r in records)
    assert any("/accounts/reset/[secret]/" in r for r in records)


def test_the_gunicorn_access_log_hides_feed_secrets() -> None:
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from cephalog.ops.logs import GunicornLogger

    secret = "Zx9-very-secret-feed-token"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/clinic/{secret}.ics?x=1",
        "PATH_INFO": f"/calendar/clinic/{secret}.ics",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger = GunicornLogger(Config())
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=1))
    line = Config().access_log_format % atoms
    assert secret not in line
    assert "/calendar/clinic/[secret].ics" in line


# --- the clinic calendar feed: one link per person, revoked with their account -------------------


def _feed(token: Any) -> int:
    from cephalog.scheduling.actions import feed_token_value

    return int(Client().get(f"/calendar/clinic/{feed_token_value(token)}.ics").status_code)


def test_each_member_of_staff_has_their_own_clinic_feed(cast: Cast) -> None:
    from cephalog.scheduling import actions
    from cephalog.scheduling.models import CalendarFeedToken

    nurse = client_for(cast, "nurse")
    assert nurse.post(reverse("clinic-feed-renew", args=[cast.clinic.pk])).status_code == 302
    mine = CalendarFeedToken.objects.get(holder=cast.nurse, revoked_at__isnull=True)
    theirs = actions.issue_feed_token(clinic=cast.clinic, by=cast.physician)
    assert mine.pk != theirs.pk
    page = nurse.get(reverse("clinic-schedule")).content.decode()
    assert actions.feed_token_value(mine) in page
    assert actions.feed_token_value(theirs) not in page
    assert _feed(mine) == 200
    assert _feed(theirs) == 200
    # The nurse stops their own link; the physician's goes on.
    assert nurse.post(reverse("clinic-feed-revoke", args=[cast.clinic.pk])).status_code == 302
    assert _feed(mine) == 404
    assert _feed(theirs) == 200
    # A feed read is audited against its holder.
    from cephalog.audit.models import AuditEvent

    assert AuditEvent.objects.filter(
        category="calendar_feed", action="read", user_id=cast.physician.pk
    ).exists()


def test_a_clinic_feed_stops_with_its_holders_account_or_role(cast: Cast) -> None:
    from cephalog.accounts.models import Membership
    from cephalog.scheduling import actions

    nurse_link = actions.issue_feed_token(clinic=cast.clinic, by=cast.nurse)
    doctor_link = actions.issue_feed_token(clinic=cast.clinic, by=cast.physician)
    cast.nurse.is_active = False
    cast.nurse.save(update_fields=["is_active"])
    assert _feed(nurse_link) == 404
    assert _feed(doctor_link) == 200
    Membership.objects.filter(user=cast.physician, clinic=cast.clinic).delete()
    assert _feed(doctor_link) == 404
