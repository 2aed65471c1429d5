"""The diary API's list (`days_out`, one query, days classified by their facts) writes
every day exactly as `day_out` writes that day's entry, under each day definition."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from cephalog.diary.actions import FLAGS, save_day
from cephalog.diary.models import DiaryEntry, EntrySource
from cephalog.diary.schemas import day_out, days_out
from cephalog.domain.rulesets import LEGACY, RULESETS, Rules
from tests.personas import Cast

TODAY = dt.date(2026, 3, 20)
CLASSES = ["simple_analgesic", "triptan", "ergot", "opioid", "combination_analgesic", "gepant"]


def _random_day(rng: random.Random, date: dt.date) -> dict[str, Any]:
    headache = rng.random() < 0.7
    day: dict[str, Any] = {
        "date": date.isoformat(),
        "headache_hours": rng.choice([0.5, 1, 2, 3.5, 4, 8, 24]) if headache else 0,
        "aura_minutes": rng.choice([0, 0, 0, 3, 5, 30, 60, 90]),
        "notes": rng.choice(["", "after work"]),
        "acute_medications": [
            {"name": f"med {n}", "class": rng.choice(CLASSES), "effective": rng.random() < 0.5}
            for n in range(rng.choice([0, 0, 1, 2]))
        ],
    }
    if headache:
        day["peak_intensity"] = rng.choice(["mild", "moderate", "severe"])
        day.update({flag: rng.random() < 0.5 for flag in FLAGS})
    return day


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


RULES = {
    "standard-1": LEGACY,
    "standard-2 label": Rules.of(RULESETS["standard-2"], "label"),
    "standard-2 ichd3": Rules.of(RULESETS["standard-2"], "ichd3"),
}


def test_the_list_writes_each_day_as_day_out_does(cast: Cast) -> None:
    rng = random.Random(19)
    start = TODAY - dt.timedelta(days=59)
    for n in range(60):
        date = start + dt.timedelta(days=n)
        if rng.random() < 0.9:
            save_day(
                patient=cast.patient,
                data=_random_day(rng, date),
                by=cast.nurse,
                today=TODAY,
                source=EntrySource.STAFF,
            )
    entries = (
        DiaryEntry.objects.filter(patient=cast.patient)
        .prefetch_related("medications")
        .order_by("date")
    )
    for name, rules in RULES.items():  # each day definition, on the same days
        expected = [day_out(entry, rules) for entry in entries]
        assert len(expected) > 40, name
        assert {d["migraine_day"] for d in expected} == {True, False}, name  # both kinds
        assert _json(days_out(cast.patient, start, TODAY, rules)) == _json(expected), name
