"""schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS).

- send the CSRF cookie with every request (the session cookie is the schema's
  SessionAuth, set in the generated config, so schemathesis can also leave it out);
- point most well-formed patient ids at a real patient (FUZZ_PATIENT_ID: of the
  persona's clinic for its staff, someone else's for everyone else) and most
  well-formed dates at the last ten days, so requests reach the code behind the
  404s; a value replaced is valid as before, so negative cases stay negative;
- count requests and status codes, written to FUZZ_COUNTS when the run ends.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import json
import os
import threading
import uuid
from collections import Counter
from typing import Any

import schemathesis

_lock = threading.Lock()
_statuses: Counter[int] = Counter()


def _bucket(value: str) -> int:
    return hashlib.sha256(value.encode()).digest()[0]


def _real(params: dict[str, Any]) -> dict[str, Any]:
    params = dict(params)
    patient_id = params.get("patient_id")
    target = os.environ.get("FUZZ_PATIENT_ID")
    if isinstance(patient_id, str) and target and _bucket(patient_id) % 4:
        try:
            uuid.UUID(patient_id)
        except ValueError:
            pass
        else:
            params["patient_id"] = target
    date = params.get("date")
    if isinstance(date, str) and _bucket(date) % 2:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            pass
        else:
            if len(date) == 10:
                ago = _bucket(date[::-1]) % 10
                params["date"] = (dt.date.today() - dt.timedelta(days=ago)).isoformat()
    return params


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    token = os.environ.get("FUZZ_CSRF_TOKEN")
    if token:
        case.cookies = {**(case.cookies or {}), "csrftoken": token}
    if case.path_parameters:
        case.path_parameters = _real(case.path_parameters)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    with _lock:
        _statuses[int(response.status_code)] += 1


@atexit.register
def _write() -> None:
    path = os.environ.get("FUZZ_COUNTS")
    if path:
        with open(path, "w") as out:
            json.dump({str(k): v for k, v in sorted(_statuses.items())}, out)
