"""Everything cephalog holds about a patient, as files the patient can download (/me/data/).

Diary days and attacks reuse the diary's own CSV export (which re-imports
unchanged); sessions, questionnaires and adverse events get CSVs here; the
FHIR bundle is cephalog.interop.fhir's; the summary is a one-page PDF
rendered by WeasyPrint from our own HTML with a fetcher that refuses all
but `data:` URIs. Free-text cells are guarded against spreadsheet formula
injection. Auditing is the caller's (views call actions.record_download).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string

from cephalog.accounts.rules_queries import clinic_rules
from cephalog.core.pdf import html_to_pdf
from cephalog.diary import exports as diary_exports
from cephalog.diary.queries import diary_days
from cephalog.domain import dosing
from cephalog.domain.csvcells import to_csv
from cephalog.domain.rulesets import Rules
from cephalog.domain.windows import Window, baseline_window, window_ending
from cephalog.interop import fhir
from cephalog.patients.models import Patient
from cephalog.treatment.queries import chronic_migraine_established
from cephalog.treatment.queries.protocols import session_protocol


@dataclass(frozen=True)
class Download:
    key: str
    file_name: str
    title: str
    description: str
    content_type: str


#: In the order a patient looks for them (the page to print first), titled in her words: the
#: kind of file says what opens it ("spreadsheet"), the format's name only in brackets.
DOWNLOADS: tuple[Download, ...] = (
    Download(
        "summary",
        "summary.pdf",
        "Summary to print (PDF)",
        "One page about your diary, treatments and side effects, to print or show another doctor.",
        "application/pdf",
    ),
    Download(
        "diary",
        "diary-days.csv",
        "Diary (spreadsheet, CSV)",
        "One row per day you recorded, with headache, migraine and medicine days worked out.",
        "text/csv; charset=utf-8",
    ),
    Download(
        "attacks",
        "diary-attacks.csv",
        "Headache times (spreadsheet, CSV)",
        "Each headache you gave a start and an end time.",
        "text/csv; charset=utf-8",
    ),
    Download(
        "sessions",
        "sessions.csv",
        "Treatments (spreadsheet, CSV)",
        "Each treatment session: date, dose, where the injections went, and the medicine's "
        "batch (lot number and expiry date).",
        "text/csv; charset=utf-8",
    ),
    Download(
        "questionnaires",
        "questionnaires.csv",
        "Questionnaires (spreadsheet, CSV)",
        "Your headache impact (HIT-6) and missed days (MIDAS) scores, with your answer to "
        "each question (not the questions' wording).",
        "text/csv; charset=utf-8",
    ),
    Download(
        "adverse-events",
        "adverse-events.csv",
        "Side effects (spreadsheet, CSV)",
        "Side effects you reported after treatments and what the clinic recorded about them.",
        "text/csv; charset=utf-8",
    ),
    Download(
        "fhir",
        "cephalog-fhir.json",
        "Health record for another clinic (FHIR)",
        "Your whole record in FHIR, the standard format other clinics' systems read. It is "
        "made for their systems, not to be opened yourself.",
        fhir.FHIR_JSON,
    ),
    Download(
        "all",
        "cephalog-my-data.zip",
        "Everything (ZIP)",
        "All of the files above in one ZIP file.",
        "application/zip",
    ),
)
BY_KEY = {d.key: d for d in DOWNLOADS}


def _csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    return to_csv(header, rows)


def _local(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


SESSIONS_HEADER = (
    "date",
    "status",
    "protocol",
    "units_given",
    "sites_injected",
    "units_opened",
    "units_discarded",
    "started",
    "ended",
    "injector",
    "vials",
    "sites",
    "topical_anaesthetic",
    "immediate_reactions",
    "notes",
    "billing",
)


def sessions_csv(patient: Patient) -> tuple[str, int]:
    tz = zoneinfo.ZoneInfo(patient.clinic.time_zone)
    sessions = (
        patient.sessions.select_related("injector")
        .prefetch_related("sites", "vials", "billing_lines")
        .order_by("date", "id")
    )
    rows = []
    for s in sessions:
        rows.append(
            [
                s.date.isoformat(),
                s.status,
                s.protocol,
                s.total_units,
                s.sites_injected,
                s.units_opened,
                s.units_discarded,
                _local(s.started_at, tz),
                _local(s.ended_at, tz),
                (s.injector.get_full_name() or s.injector.username) if s.injector else "",
                "; ".join(
                    f"{v.size_units} U lot {v.lot} exp {v.expiry.isoformat()}"
                    for v in s.vials.all()
                ),
                "; ".join(f"{site.code} {site.status} {site.units} U" for site in s.sites.all()),
                s.topical_anaesthetic,
                s.immediate_reactions,
                s.notes,
                "; ".join(str(b) for b in s.billing_lines.all()),
            ]
        )
    return _csv(SESSIONS_HEADER, rows), len(rows)


QUESTIONNAIRES_HEADER = ("instrument", "completed_on", "total", "band", "source", "items")


def questionnaires_csv(patient: Patient) -> tuple[str, int]:
    rows: list[list[Any]] = []
    if apps.is_installed("cephalog.outcomes"):
        from cephalog.outcomes.models import QuestionnaireResponse

        for q in QuestionnaireResponse.objects.filter(patient=patient).order_by(
            "completed_on", "instrument"
        ):
            items = "; ".join(f"{k}={v}" for k, v in sorted((q.items or {}).items()))
            rows.append(
                [q.instrument, q.completed_on.isoformat(), q.total, q.band, q.source, items]
            )
    return _csv(QUESTIONNAIRES_HEADER, rows), len(rows)


ADVERSE_EVENTS_HEADER = (
    "onset",
    "symptom",
    "severity",
    "serious",
    "red_flag",
    "resolved_on",
    "outcome",
    "relatedness",
    "session_date",
    "reported_by",
    "description",
    "clinic_actions",
)


def adverse_events_csv(patient: Patient) -> tuple[str, int]:
    rows: list[list[Any]] = []
    if apps.is_installed("cephalog.safety"):
        from cephalog.safety.models import AdverseEvent

        for e in (
            AdverseEvent.objects.filter(patient=patient)
            .select_related("session")
            .order_by("onset", "id")
        ):
            rows.append(
                [
                    e.onset.isoformat(),
                    e.symptom_label,
                    e.severity,
                    "yes" if e.serious else "no",
                    "yes" if e.red_flag else "no",
                    e.resolved_on.isoformat() if e.resolved_on else "",
                    getattr(e, "outcome", ""),
                    getattr(e, "relatedness", ""),
                    e.session.date.isoformat() if e.session else "",
                    getattr(e, "source", ""),
                    getattr(e, "description", ""),
                    getattr(e, "actions", ""),
                ]
            )
    return _csv(ADVERSE_EVENTS_HEADER, rows), len(rows)


def fhir_json(bundle: fhir.Json) -> str:
    return json.dumps(bundle, indent=1, ensure_ascii=False)


# --- the PDF summary ----------------------------------------------------------------------------


def _window_row(title: str, window: Window, rules: Rules) -> dict[str, Any]:
    round1, rate = rules.one_decimal, window.rate
    return {
        "title": title,
        "window": window,
        "headache": round1(r) if (r := rate("headache_days")) is not None else None,
        "migraine": round1(r) if (r := rate("migraine_days")) is not None else None,
        "medication": round1(r) if (r := rate("acute_medication_days")) is not None else None,
    }


def summary_context(patient: Patient, today: dt.date) -> dict[str, Any]:
    days = diary_days(patient)
    sessions = list(patient.sessions.filter(status="completed").order_by("date"))
    windows = []
    #: Why there is no "before treatment" row: no treatment yet, or no diary before it.
    no_baseline = ""
    if days:
        # counted and printed under the clinic's ruleset (spec section 11)
        rules = clinic_rules(patient.clinic)
        latest = max(days)
        if not sessions:
            # With no treatment the baseline would be the latest 28 days again.
            no_baseline = "no_treatment"
        else:
            baseline = baseline_window(days, [s.date for s in sessions], latest, rules.definition)
            if baseline.recorded_days:
                windows.append(_window_row("Before treatment (baseline)", baseline, rules))
            else:
                no_baseline = "no_diary_before"
        windows.append(
            _window_row("Latest 28 days", window_ending(days, latest, rules.definition), rules)
        )
    questionnaires: list[Any] = []
    if apps.is_installed("cephalog.outcomes"):
        from cephalog.outcomes.models import QuestionnaireResponse

        questionnaires = list(
            QuestionnaireResponse.objects.filter(patient=patient).order_by("-completed_on")[:4]
        )
    events: list[Any] = []
    if apps.is_installed("cephalog.safety"):
        from cephalog.safety.models import AdverseEvent

        events = list(AdverseEvent.objects.filter(patient=patient).order_by("-onset")[:5])
    icd = dosing.icd10_code(
        patient.migraine_with_aura,
        bool(getattr(patient, "intractable", False)),
        bool(getattr(patient, "status_migrainosus", False)),
    )
    return {
        "patient": patient,
        "today": today,
        # stated only once the clinic has established it (treatment.queries.diagnosis)
        "diagnosed": chronic_migraine_established(patient),
        "icd": icd,
        "days_recorded": len(days),
        "first_day": min(days) if days else None,
        "last_day": max(days) if days else None,
        "windows": windows,
        "no_baseline": no_baseline,
        "first_session": sessions[0].date if sessions else None,
        # the protocol by the name staff see on the session page, not its stored key
        "sessions": [(s, session_protocol(s)) for s in sessions[-6:]],
        "session_count": len(sessions),
        "questionnaires": questionnaires,
        "events": events,
        "preventives": list(patient.preventives.all().order_by("start", "name")),
    }


def summary_pdf(patient: Patient, today: dt.date) -> bytes:
    html = render_to_string("interop/summary_pdf.html", summary_context(patient, today))
    return html_to_pdf(html)


# --- one file, or all of them ------------------------------------------------------------------


def build(key: str, patient: Patient, today: dt.date, by: Any) -> tuple[bytes, int | None]:
    """The bytes of one download and its row count (None when not a table)."""
    if key == "diary":
        rows = diary_exports.day_rows(patient)
        return diary_exports.days_csv(patient).encode(), len(rows)
    if key == "attacks":
        rows = diary_exports.attack_rows(patient)
        return diary_exports.attacks_csv(patient).encode(), len(rows)
    if key == "sessions":
        text, n = sessions_csv(patient)
        return text.encode(), n
    if key == "questionnaires":
        text, n = questionnaires_csv(patient)
        return text.encode(), n
    if key == "adverse-events":
        text, n = adverse_events_csv(patient)
        return text.encode(), n
    if key == "fhir":
        bundle = fhir.patient_bundle(patient)
        return fhir_json(bundle).encode(), len(bundle["entry"])
    if key == "summary":
        return summary_pdf(patient, today), None
    if key == "all":
        return all_zip(patient, today, by), None
    raise KeyError(key)


#: What opens each kind of file, for the ZIP's README (in her words, as the titles).
OPENS_WITH = {
    "application/pdf": "Opens in any PDF reader: most phones and computers have one.",
    "text/csv; charset=utf-8": (
        "Opens in a spreadsheet program: Excel, Numbers, LibreOffice or Google Sheets."
    ),
    fhir.FHIR_JSON: (
        "Give it to another clinic if they ask for your record; their system reads it."
    ),
}

README_FOR_IT = (
    "For a clinic's IT team: cephalog-fhir.json is a FHIR R4 Bundle (type collection); "
    "the CSV files are UTF-8 with a header row. The codes and extensions are described in "
    "cephalog's documentation (docs/fhir.md)."
)


def readme(patient: Patient, today: dt.date) -> str:
    """The ZIP's README.txt: what each file is and what opens it, in plain words; the
    technical pointer for a clinic's IT team kept short, at the end."""
    lines = [
        f"Your record at {patient.clinic.name}, downloaded on {today.day} {today:%B %Y}.",
        "",
        "This folder holds these files:",
    ]
    for download in DOWNLOADS:
        if download.key == "all":
            continue
        lines += [
            "",
            f"{download.file_name} - {download.title}",
            f"  {download.description}",
            f"  {OPENS_WITH[download.content_type]}",
        ]
    lines += ["", "-" * 40, README_FOR_IT, ""]
    return "\n".join(lines)


def all_zip(patient: Patient, today: dt.date, by: Any) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(patient, today))
        for download in DOWNLOADS:
            if download.key == "all":
                continue
            data, _ = build(download.key, patient, today, by)
            archive.writestr(download.file_name, data)
    return out.getvalue()
