"""The cohort table per clinic (page and CSV) for the demo clinic: loaded from the database in a
few queries, it equals the Polars table computed from the generator's own arrays."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import time_machine as clock
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cephalog.analytics.cohort import cohort_summary, cohort_table
from cephalog.audit.models import AuditEvent
from cephalog.demo.generate import generate_cohort
from cephalog.demo.load import load_demo
from cephalog.outcomes.dashboard import cohort
from tests.personas import Cast, client_for, login_client

TODAY = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
N = 40
SEED = 5


@pytest.fixture(scope="class")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """The demo, loaded once for the tests of TestTheDemoCohort inside a transaction rolled
    back after them; each test runs in a savepoint of it (pytest-django's db), so what a
    test writes (its audit rows) is undone before the next one starts."""
    with django_db_blocker.unblock(), transaction.atomic():
        with clock.travel(NOW, tick=False):
            # Exactly the generated cohort (no day-one scenario on top): compared with the
            # generator.
            result = load_demo(n_patients=N, seed=SEED, today=TODAY, alive=False)
        try:
            yield result
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def demo(loaded: Any, db: None, time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    loaded.clinic.refresh_from_db()
    return loaded


class TestTheDemoCohort:
    def test_the_database_cohort_equals_the_generators(self, demo: Any) -> None:
        with CaptureQueriesContext(connection) as queries:
            result = cohort([demo.clinic.pk], TODAY)
        assert len(queries) <= 6  # the 5 reads and the clinic's ruleset (spec section 11)
        frames = generate_cohort(N, SEED, TODAY).to_polars()
        expected = cohort_summary(
            cohort_table(
                frames["diary"], frames["sessions"], frames["patients"], TODAY, result.rules
            ),
            frames["adverse_events"],
        )
        got = result.summary
        assert got.columns == expected.columns
        assert got.height == expected.height
        for g, e in zip(got.to_dicts(), expected.to_dicts(), strict=True):
            for key, value in e.items():
                if isinstance(value, float):
                    assert g[key] == pytest.approx(value, abs=1e-9), key
                else:
                    assert g[key] == value, key

    def test_the_page_and_the_csv(self, demo: Any) -> None:
        client = login_client(Client(), demo.clinic.memberships.get(role="nurse").user)
        page = client.get("/clinic/cohort/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Cohort: Demo Headache Centre" in html
        assert "≥50% responders" in html
        response = client.get("/clinic/cohort.csv")
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:4] == ["cycle", "patients", "complete cycles", "assessable"]
        assert rows[1][0] == "0"
        assert [r[0] for r in rows[2:4]] == ["1", "2"]
        assert AuditEvent.objects.filter(action="export", category="cohort").exists()


def test_staff_see_only_their_clinics_cohort(cast: Cast) -> None:
    from tests.outcomes.helpers import write_history

    write_history(cast.other_clinic_patient)
    page = client_for(cast, "physician").get("/clinic/cohort/").content.decode()
    assert "Cohort: Leeds Headache Centre" in page
    assert "2 patients" in page
    # ?clinic= cannot reach another clinic: the first of the user's own is shown instead
    other = client_for(cast, "physician").get(f"/clinic/cohort/?clinic={cast.other_clinic.pk}")
    assert "York" not in other.content.decode()
    table = cohort([cast.other_clinic.pk], TODAY).table
    assert table.filter(pl.col("cycle") == 2).height == 1
