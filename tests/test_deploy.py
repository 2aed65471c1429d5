"""Production settings pass Django's deployment checks, and error pages reveal nothing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import RequestFactory

from cephalog.web import views

ROOT = Path(__file__).resolve().parent.parent


def test_it_passes_check_deploy_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CEPHALOG_DEV": "false",
        "CEPHALOG_TESTING": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CEPHALOG_DATA_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "headache.example.org",
        # The audit chain's own key (issue 18.3); without it check --deploy warns.
        "CEPHALOG_AUDIT_KEY": "k1:" + secrets.token_urlsafe(40),
    }
    # The browser tests set this for the live server; a deployment never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "cephalog.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues (0 silenced)" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path: Path) -> None:
    env = {**os.environ, "CEPHALOG_DEV": "false", "CEPHALOG_TESTING": "false", "SECRET_KEY": ""}
    env["CEPHALOG_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "cephalog.cli", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_shows_a_server_error_page_that_reveals_nothing(db: None) -> None:
    request = RequestFactory().get("/clinic/patients/?q=Quill")
    response = views.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert "Quill" not in body
    assert "Traceback" not in body
    assert "Something went wrong" in body
