"""The small findings of the outside attack (issue 18.6) that the security team owns."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from tests.personas import Cast

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
