"""The WSGI application bench/latency.py serves: cephalog, plus the baselines the diary
API is measured against in the same process (issue 19.1), in bench/server_urls.py:

- `GET /bench/read`: a one-row read behind the whole middleware stack (session, user,
  MFA check, CSRF, audit context...), for a logged-in user, as the diary API;
- `POST /bench/write`: a one-row insert, committed, behind the same stack;
- `GET /bench/bare`: the same one-row read with no middleware at all: Django's request
  object and the view function, called straight from the WSGI entry point.

The settings are cephalog's with only ROOT_URLCONF changed (bench/server_settings.py);
the table `bench_baseline` is made by bench/latency.py.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.server_settings")

# isort: off
from cephalog.wsgi import application as cephalog  # sets Django up first

from django.core.handlers.wsgi import WSGIRequest
from bench.server_urls import bare

# isort: on


def application(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO") == "/bench/bare":
        response = bare(WSGIRequest(environ))
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response
    return cephalog(environ, start_response)
