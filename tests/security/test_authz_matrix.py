"""The authorisation matrix (issue 9, part 1): every URL pattern of the site, admin and API
included, for every persona, object relation and method, is allowed or refused exactly as
tests/security/matrix.py says. A pattern without an entry fails; 0 unexpected allows.

Allowed: the status the entry names (GET), or a non-refusal (a write with a valid body).
Refused: 401/403/404/405, or a login page (302) for whoever is not logged in or not an
admin, and: nothing written (row counts, patients' and clinics' rows), no audit row, and
no name or MRN of a patient the persona may not see.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import resolve

from cephalog.accounts.models import Clinic
from cephalog.audit.models import AuditEvent
from cephalog.patients.models import Patient
from tests.personas import ALL_PERSONAS
from tests.security.matrix import (
    BEGIN,
    DJANGO_ADMIN,
    DOCS,
    END,
    KNOWN_AUTHZ,
    PATTERNS,
    REGENERATE,
    SECRETS,
    TOKEN,
    Entry,
    World,
    allowed,
    cases,
    client,
    legitimate_viewers,
    markdown,
    site_patterns,
    url_for,
    world,  # noqa: F401 (the module-scoped fixture)
)

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ("/accounts/login/", "/admin/login/")
REFUSED = (401, 403, 404, 405)


def test_every_url_pattern_has_an_entry_in_the_matrix() -> None:
    keys = [p.key for p in site_patterns()]
    missing = sorted(set(keys) - set(PATTERNS))
    stale = sorted(set(PATTERNS) - set(keys))
    assert not missing, "URL patterns without an entry in tests/security/matrix.py: " + ", ".join(
        missing
    )
    assert not stale, "matrix entries whose URL pattern no longer exists: " + ", ".join(stale)


def test_the_docs_show_the_matrix() -> None:
    text = DOCS.read_text()
    shown = text[text.index(BEGIN) : text.index(END) + len(END)] + "\n"
    assert shown == markdown(), f"docs/authorisation.md is out of date; run: {REGENERATE}"


def test_every_entry_requests_its_own_pattern(world: World) -> None:  # noqa: F811
    """The URLs the matrix builds reach the pattern they stand for (a same-route pattern
    shadowed by an earlier one, such as patient-home by diary-home, reaches that route)."""
    routes = {p.key: p.route.replace("^", "") for p in site_patterns()}
    wrong = []
    for key, entry in PATTERNS.items():
        for relation in entry.relations:
            url = url_for(key, entry, world, relation)
            match = resolve(urlsplit(url).path)
            if match.route.replace("^", "") != routes[key]:
                wrong.append(f"{key} ({relation}): {url} reaches {match.view_name}")
    assert not wrong, "\n".join(wrong)


def _send(w: World, entry: Entry, persona: str, method: str, url: str, relation: str) -> Any:
    c = client(w, persona)
    if method == "get":
        return c.get(url)
    data = entry.body(w, relation) if entry.body else {}
    if entry.json:
        import json

        return getattr(c, method)(url, json.dumps(data), content_type="application/json")
    if method == "post":
        return c.post(url, data)
    return getattr(c, method)(url)


def _location(response: HttpResponse) -> str:
    return urlsplit(response.get("Location", "")).path


def _is_refusal(entry: Entry, response: HttpResponse) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code == 302:
        where = _location(response)
        if where in LOGIN_PAGES:
            return True
        # The admin answers an object outside the admin's clinics with "no such object"
        # and its index page.
        return entry.access == DJANGO_ADMIN and where == "/admin/"
    return False


_SQL: list[str] = []


def _state() -> tuple[Any, ...]:
    """Row counts of every table but the sessions' (the audit trail's: its last id), and the
    patients' and clinics' rows, in raw SQL (this runs twice for each of thousands of
    refused requests): a refused request changes none of them."""
    if not _SQL:
        from django.apps import apps

        qn = connection.ops.quote_name
        tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
        tables -= {"django_session", AuditEvent._meta.db_table}
        counts = [f"(SELECT COUNT(*) FROM {qn(t)})" for t in sorted(tables)]
        audit = f"(SELECT MAX(id) FROM {qn(AuditEvent._meta.db_table)})"
        _SQL.append("SELECT " + ", ".join([audit, *counts]))
        _SQL.append(f"SELECT * FROM {qn(Patient._meta.db_table)} ORDER BY 1")
        _SQL.append(f"SELECT * FROM {qn(Clinic._meta.db_table)} ORDER BY 1")
    with connection.cursor() as cursor:
        rows = []
        for sql in _SQL:
            cursor.execute(sql)
            rows.append(cursor.fetchall())
    return tuple(rows)


def _secrets_shown(entry: Entry, persona: str, relation: str, body: str) -> list[str]:
    shown = []
    for patient_key, words in SECRETS.items():
        if persona in legitimate_viewers(patient_key):
            continue
        if entry.access == TOKEN and allowed(entry, persona, relation):
            continue  # the holder of a live calendar address reads that calendar
        shown += [w for w in words if w in body]
    return shown


def check(w: World, key: str, method: str, relation: str, persona: str) -> str:
    """One request of the matrix; returns what is wrong with it ("" when all is right)."""
    entry = PATTERNS[key]
    url = url_for(key, entry, w, relation)
    expected = allowed(entry, persona, relation, method)
    before = None if expected else _state()

    response = _send(w, entry, persona, method, url, relation)

    status = response.status_code
    where = f"{method.upper()} {url} as {persona} ({relation}): {status} {_location(response)}"
    body = _body(response)
    if expected:
        if method == "get" and status not in entry.get_ok:
            return f"expected {entry.get_ok}: {where}"
        logged_out = entry.login_is_success and _location(response) in LOGIN_PAGES
        if status not in entry.get_ok and _is_refusal(entry, response) and not logged_out:
            return f"refused, but the matrix allows it: {where}"
        if status >= 500:
            return f"server error: {where}"
    else:
        if not _is_refusal(entry, response):
            return f"UNEXPECTED ALLOW: {where}"
        if persona == "anonymous" and status == 302:
            admin_index = entry.access == DJANGO_ADMIN and _location(response) == "/admin/"
            if _location(response) not in LOGIN_PAGES and not admin_index:
                return f"anonymous not sent to the login page: {where}"
        after = _state()
        if after != before:
            assert before is not None
            last_audit = before[0][0][0] or 0
            written = list(
                AuditEvent.objects.filter(id__gt=last_audit).values_list("action", "category")
            )
            if written:
                return f"a refused request wrote audit rows {written}: {where}"
            return f"a refused request changed data: {where}"
    shown = _secrets_shown(entry, persona, relation, body)
    if shown:
        return f"shows {shown} of a patient the persona may not see: {where}"
    return ""


def _groups() -> list[Any]:
    groups: dict[tuple[str, str, str], list[str]] = {}
    for key, method, relation, persona in cases():
        groups.setdefault((key, method, relation), []).append(persona)
    return [pytest.param(*group, id="|".join(group)) for group in groups]


@pytest.mark.parametrize(("key", "method", "relation"), _groups())
def test_matrix(world: World, key: str, method: str, relation: str) -> None:  # noqa: F811
    """Every persona on one pattern, method and object relation (each in a savepoint)."""
    problems, known = [], []
    for persona in ALL_PERSONAS:
        with transaction.atomic():
            cache.clear()
            problem = check(world, key, method, relation, persona)
            transaction.set_rollback(True)
        reason = KNOWN_AUTHZ.get((key, method, relation, persona))
        if reason and not problem:
            problems.append(f"fixed, remove from KNOWN_AUTHZ: {key} {method} {relation} {persona}")
        elif reason:
            known.append(f"{persona}: {reason}")
        elif problem:
            problems.append(problem)
    assert not problems, "\n".join(problems)
    if known:
        pytest.xfail("; ".join(known))


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        # Reading it to the end closes it (the test client's wrapper; closing it again here
        # would fire request_finished, which closes the database connection mid-transaction).
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode(errors="replace")
