"""The diary: diary-day and attack Observations, the baseline and latest 28-day windows,
and the acute medicines taken (summarised from the diary)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from cephalog.diary.queries import to_day
from cephalog.domain.diary import DAY_FEATURES, DiaryDay, classify_day
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.windows import PER_28_METRICS, Window, baseline_window, window_ending
from cephalog.interop import codes as c
from cephalog.interop.fhir.builder import _Builder
from cephalog.interop.fhir.values import Json, _ext, _local, _quantity


def diary(b: _Builder, patient_ref: Json) -> None:
    survey = [c.concept(c.OBSERVATION_CATEGORY, "survey", "Survey")]
    for entry in b.r.entries:
        day = to_day(entry)
        b.add(
            {
                "resourceType": "Observation",
                "id": b.id("Observation", f"day/{entry.date.isoformat()}"),
                "status": "final",
                "category": survey,
                "code": c.concept(c.OBS, c.OBS_DIARY_DAY, "Headache diary day"),
                "subject": patient_ref,
                "effectiveDateTime": entry.date.isoformat(),
                "valueCodeableConcept": _day_class(b, day),
                "component": list(day_components(day, b.rules)),
                "note": [{"text": entry.notes}] if entry.notes else [],
            }
        )
    for attack in b.r.attacks:
        identifier = (
            [{"system": c.SID_ATTACK, "value": attack.external_id}] if attack.external_id else []
        )
        b.add(
            {
                "resourceType": "Observation",
                "id": b.id("Observation", f"attack/{attack.start.isoformat()}"),
                "identifier": identifier,
                "status": "final",
                "category": survey,
                "code": c.concept(c.OBS, c.OBS_ATTACK, c.OBSERVATION_CODES[c.OBS_ATTACK]),
                "subject": patient_ref,
                "effectivePeriod": {
                    "start": _local(attack.start, b.patient_tz),
                    "end": _local(attack.end, b.patient_tz),
                },
                "valueCodeableConcept": c.concept(
                    c.INTENSITY, attack.peak_intensity, c.label(attack.peak_intensity)
                ),
                "note": [{"text": attack.notes}] if attack.notes else [],
            }
        )


def _day_class(b: _Builder, day: DiaryDay) -> Json:
    k = classify_day(day, b.rules.definition)
    if not k.headache:
        code = "headache-free"
    elif k.migraine_day:
        code = "migraine-day"
    elif k.headache_day:
        code = "headache-day"
    else:
        code = "headache-not-counted"
    return c.concept(c.DAY_CLASS, code, c.DAY_CLASSES[code])


def windows(b: _Builder, patient_ref: Json) -> None:
    if not b.r.entries:
        return
    days = b.r.days
    latest = b.r.entries[-1].date
    injections = [s.date for s in b.r.sessions if s.status == "completed"]
    definition = b.rules.definition
    method = f"cephalog ruleset {b.rules.ruleset.name}, {definition} day definition"
    for code, window in (
        (c.OBS_WINDOW_BASELINE, baseline_window(days, injections, latest, definition)),
        (c.OBS_WINDOW_LATEST, window_ending(days, latest, definition)),
    ):
        b.add(
            {
                "resourceType": "Observation",
                "id": b.id("Observation", code),
                "status": "final",
                "category": [c.concept(c.OBSERVATION_CATEGORY, "survey", "Survey")],
                "code": c.concept(c.OBS, code, c.OBSERVATION_CODES[code]),
                "subject": patient_ref,
                "effectivePeriod": {
                    "start": window.start.isoformat(),
                    "end": window.end.isoformat(),
                },
                "method": {"text": method},
                "component": list(window_components(window, b.rules)),
            }
        )


def acute_summary(b: _Builder, patient_ref: Json) -> None:
    """One MedicationStatement per acute medicine taken (derived from the diary)."""
    taken: dict[tuple[str, str], list[dt.date]] = {}
    names: dict[tuple[str, str], str] = {}
    for entry in b.r.entries:
        for m in entry.medications.all():
            key = (m.drug_class, m.name.strip().lower())
            taken.setdefault(key, []).append(entry.date)
            names.setdefault(key, m.name)
    if not taken:
        return
    latest = b.r.entries[-1].date
    for key in sorted(taken):
        dates = sorted(set(taken[key]))
        drug_class, _ = key
        recent = (latest - dates[-1]).days < 28
        b.add(
            {
                "resourceType": "MedicationStatement",
                "id": b.id("MedicationStatement", f"acute/{drug_class}/{key[1]}"),
                "extension": [_ext(c.EXT_SUMMARY, valueBoolean=True)],
                "status": "active" if recent else "completed",
                "category": c.concept(c.MEDICATION_USE, "acute", "Acute (as needed)"),
                "medicationCodeableConcept": c.concept(
                    c.ACUTE_CLASS, drug_class, c.label(drug_class), names[key]
                ),
                "subject": patient_ref,
                "effectivePeriod": {
                    "start": dates[0].isoformat(),
                    "end": dates[-1].isoformat(),
                },
                "dosage": [{"text": "As needed", "asNeededBoolean": True}],
                "note": [{"text": f"Taken on {len(dates)} diary days"}],
            }
        )


def day_components(day: DiaryDay, rules: Rules = LEGACY) -> Iterator[Json]:
    """The components of a diary-day Observation: raw facts, then the derived flags
    (under `rules`' day definition, spec section 11.1)."""
    k = classify_day(day, rules.definition, rules.named)
    yield {
        "code": c.concept(c.DIARY, c.C_HOURS, "Headache hours"),
        "valueQuantity": _quantity(day.headache_hours, "h", "h"),
    }
    if day.peak_intensity:
        yield {
            "code": c.concept(c.DIARY, c.C_INTENSITY, "Peak intensity"),
            "valueCodeableConcept": c.concept(
                c.INTENSITY, day.peak_intensity, c.label(day.peak_intensity)
            ),
        }
    for feature in FEATURES:
        if getattr(day, feature):  # absent means not ticked
            yield {
                "code": c.concept(c.FEATURE, feature, c.label(feature)),
                "valueBoolean": True,
            }
    if day.aura_minutes:
        yield {
            "code": c.concept(c.DIARY, c.C_AURA, "Aura minutes"),
            "valueQuantity": _quantity(day.aura_minutes, "min", "min"),
        }
    for m in day.acute_medications:
        component: Json = {
            "code": c.concept(c.DIARY, c.C_MEDICINE, "Acute medicine taken"),
            "valueCodeableConcept": c.concept(
                c.ACUTE_CLASS, m.drug_class, c.label(m.drug_class), m.name
            ),
        }
        if m.effective is not None:
            component["extension"] = [_ext(c.EXT_MEDICINE_EFFECTIVE, valueBoolean=m.effective)]
        yield component
    yield {
        "code": c.concept(c.DIARY, c.C_MODERATE_SEVERE, "Moderate or severe headache day"),
        "valueBoolean": k.moderate_severe_day,
    }
    yield {
        "code": c.concept(c.DIARY, c.C_MEDICATION_DAY, "Acute medication day"),
        "valueBoolean": k.acute_medication_day,
    }
    for drug_class in k.acute_medication_classes:
        yield {
            "code": c.concept(c.DIARY, c.C_CLASS_TAKEN, "Acute medication class taken"),
            "valueCodeableConcept": c.concept(c.ACUTE_CLASS, drug_class, c.label(drug_class)),
        }


FEATURES = DAY_FEATURES


def window_components(window: Window, rules: Rules = LEGACY) -> Iterator[Json]:
    """Counts of a 28-day window (spec section 3), then per-28 values when evaluable,
    printed as `rules` prints them (spec section 11.7)."""
    yield {
        "code": c.concept(c.WINDOW, "recorded-days", "Recorded days"),
        "valueInteger": window.recorded_days,
    }
    yield {
        "code": c.concept(c.WINDOW, "evaluable", "Evaluable (20 or more recorded days)"),
        "valueBoolean": window.evaluable,
    }
    for metric in PER_28_METRICS:
        code = metric.replace("_", "-")
        if metric == "headache_hours":
            value: Json = {
                "valueQuantity": _quantity(round(float(window.headache_hours), 2), "h", "h")
            }
        else:
            value = {"valueInteger": int(window.count(metric))}
        yield {"code": c.concept(c.WINDOW, code, c.label(metric)), **value}
    for drug_class, days in window.by_class:
        yield {
            "code": c.concept(
                c.WINDOW,
                f"acute-medication-days-{drug_class}",
                f"Acute medication days: {c.label(drug_class).lower()}",
            ),
            "valueInteger": days,
        }
    for metric in PER_28_METRICS:
        rate = window.rate(metric)
        if rate is None:
            continue
        yield {
            "code": c.concept(
                c.WINDOW, f"{metric.replace('_', '-')}-per-28", f"{c.label(metric)} per 28 days"
            ),
            "valueQuantity": _quantity(rules.one_decimal(rate), "per 28 days"),
        }
