"""Outcome pages: thin views over outcomes.queries (reads) and outcomes.actions (writes).

Staff pages live under /clinic/patients/<uuid>/ (access through the patient,
accounts.access.patient_view) and /clinic/ (the dashboards, scoped to the
user's clinics); the patient's pages under /me/. Every read of patient data
leaves an audit row; exports are audited as exports.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import (
    CLINICAL_ROLES,
    in_clinic,
    patient_only,
    patient_view,
    role_in,
    staff_clinic_ids,
    staff_view,
    working_clinic,
    working_clinics,
)
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.http import add_validation_to_form
from cephalog.core.time import patient_today
from cephalog.domain import csvcells
from cephalog.domain.policies import POLICIES
from cephalog.domain.safety import SYMPTOMS
from cephalog.outcomes import actions, charts, dashboard, pdf, queries
from cephalog.outcomes.forms import (
    BridgingForm,
    ContentPackForm,
    DecisionForm,
    ItemLabelsForm,
    QuestionnaireForm,
    WithdrawBridgingForm,
    plain_refusal,
)
from cephalog.outcomes.models import (
    ContentPack,
    Decision,
    Instrument,
    QuestionnaireResponse,
    ResponseSource,
)
from cephalog.patients.models import Patient

SYMPTOM_LABELS = {str(s): info.clinician_label for s, info in SYMPTOMS.items()}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def clinic_today(clinic: Clinic) -> dt.date:
    """The clinic's local date: reviews and decisions are dated in the clinic's time zone."""
    return timezone.localtime(timezone=zoneinfo.ZoneInfo(clinic.time_zone)).date()


def _read(patient: Patient, ref: str) -> None:
    record(action="read", category="outcomes", patient=patient, object_ref=ref)


# --- the outcomes page ----------------------------------------------------------------------


def _outcomes_context(
    request: HttpRequest,
    patient: Patient,
    *,
    decision_form: DecisionForm | None = None,
    bridging_form: BridgingForm | None = None,
    withdraw: tuple[int, WithdrawBridgingForm] | None = None,
) -> dict[str, Any]:
    today = clinic_today(patient.clinic)
    data = queries.patient_outcomes(patient, today, request.GET.get("policy"))
    role = role_in(_user(request), patient.clinic)
    estimate = data.estimate
    chart = charts.wearing_off_chart(data.weekly, estimate.weekly_medians, estimate.week)
    sessions = [i.date for i in data.case.injections]
    due = queries.questionnaire_due(patient, today, sessions, data.questionnaires, data.decisions)
    return {
        "patient": patient,
        "data": data,
        "today": today,
        "policies": list(POLICIES.values()),
        "can_decide": role == Role.PHYSICIAN,
        "can_record": role in CLINICAL_ROLES,
        # No decision ticked in advance: "Continue" sat ticked under a "Stop" recommendation,
        # one click from being recorded against it. The physician chooses.
        "decision_form": decision_form or DecisionForm(initial={"policy": data.policy}),
        # Nothing chosen in advance (see BridgingForm).
        "bridging_form": bridging_form or BridgingForm(),
        # The withdrawal refused, shown under its entry: (entry id, form).
        "withdraw_id": withdraw[0] if withdraw else None,
        "withdraw_form": withdraw[1] if withdraw else WithdrawBridgingForm(),
        "chart": chart,
        "weeks": list(range(1, 13)),
        "recommendation_labels": queries.RECOMMENDATION_LABELS,
        "reason_labels": queries.REASON_LABELS,
        "questionnaire_due": due,
        "instruments": Instrument,
    }


@patient_view(staff_only=True)
def outcomes_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Per-cycle table, the recommendation with its numbers, the decision form and history,
    wearing-off chart and estimate, bridging treatments, questionnaires."""
    context = _outcomes_context(request, patient)
    _read(patient, "outcomes")
    return render(request, "outcomes/outcomes.html", context)


@require_POST
@patient_view(staff_only=True)
def decision_record(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Physicians only: record the continuation decision with a reason."""
    user = _user(request)
    if role_in(user, patient.clinic) != Role.PHYSICIAN:
        raise PermissionDenied("Only a physician records a continuation decision.")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.record_decision(
                patient=patient,
                by=user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                policy=form.cleaned_data["policy"],
                decided_on=clinic_today(patient.clinic),
                new_interval_days=form.cleaned_data["new_interval_days"]
                if form.cleaned_data["decision"] == Decision.CHANGE_INTERVAL
                else None,
            )
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            messages.success(request, "Decision recorded.")
            url = reverse("outcomes-patient", args=[patient.pk])
            return redirect(f"{url}?policy={form.cleaned_data['policy']}#decisions")
    context = _outcomes_context(request, patient, decision_form=form)
    return render(request, "outcomes/outcomes.html", context, status=400)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def bridging_record(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = BridgingForm(request.POST)
    if form.is_valid():
        try:
            actions.record_bridging(patient=patient, by=_user(request), **form.cleaned_data)
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            messages.success(request, "Bridging treatment recorded.")
            return redirect(reverse("outcomes-patient", args=[patient.pk]) + "#bridging")
    context = _outcomes_context(request, patient, bridging_form=form)
    return render(request, "outcomes/outcomes.html", context, status=400)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def bridging_withdraw(request: HttpRequest, patient: Patient, bridging_id: int) -> HttpResponse:
    """Withdraw a bridging treatment recorded by mistake, with a reason (kept, audited)."""
    treatment = queries.bridging_treatment(patient, bridging_id)
    if treatment is None:
        raise Http404("Not found")
    form = WithdrawBridgingForm(request.POST)
    if form.is_valid():
        try:
            actions.withdraw_bridging(
                treatment=treatment, by=_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            messages.success(
                request,
                f"{treatment.get_kind_display()} of {treatment.date.day} {treatment.date:%b %Y} withdrawn.",
            )
            return redirect(reverse("outcomes-patient", args=[patient.pk]) + "#bridging")
    context = _outcomes_context(request, patient, withdraw=(treatment.pk, form))
    return render(request, "outcomes/outcomes.html", context, status=400)


def _instrument(name: str) -> str:
    if name not in Instrument.values:
        raise Http404("No such questionnaire")
    return name


def _record_form(
    request: HttpRequest,
    patient: Patient,
    form: QuestionnaireForm,
    pack: ContentPack | None,
    completed_on: dt.date,
    source: str,
) -> QuestionnaireResponse | None:
    """Record a valid questionnaire form (scored by the domain); None, with the refusal
    shown on the form (in the patient's words for her own), when the record refuses it."""
    try:
        return actions.record_questionnaire(
            patient=patient,
            by=_user(request),
            instrument=form.instrument,
            items=form.items(),
            completed_on=completed_on,
            source=source,
            content_pack=pack,
        )
    except ValidationError as error:
        add_validation_to_form(
            form,
            plain_refusal(error) if source == ResponseSource.PATIENT else _beside_each_item(error),
        )
        return None


def _beside_each_item(error: ValidationError) -> ValidationError:
    """The record's refusal names each item by its key for the API ("hit6_4: missing; ...");
    shown beside that item on the page, the key in front of the words is noise."""
    if not hasattr(error, "error_dict"):
        return error
    placed: dict[str, list[str]] = {}
    for field, errors in error.error_dict.items():
        for text in ValidationError(errors).messages:
            if text.startswith(f"{field}: "):
                text = text[len(field) + 2 :]
                text = text[:1].upper() + text[1:]
            placed.setdefault(field, []).append(text)
    return ValidationError(placed)


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def staff_questionnaire(request: HttpRequest, patient: Patient, instrument: str) -> HttpResponse:
    """Staff enter item values from the licensed paper form (or with the clinic's wording)."""
    instrument = _instrument(instrument)
    today = clinic_today(patient.clinic)
    pack = queries.active_pack(patient.clinic_id, instrument)
    form = QuestionnaireForm(
        request.POST or None,
        instrument=instrument,
        wording=pack.wording if pack else None,
        staff=True,
        today=today,
        labels=queries.item_labels(patient.clinic_id),
    )
    if request.method == "POST" and form.is_valid():
        row = _record_form(
            request, patient, form, pack, form.cleaned_data["completed_on"], ResponseSource.STAFF
        )
        if row is not None:
            messages.success(
                request,
                f"{row.get_instrument_display()} recorded: {row.total} "
                f"({queries.band_label(row.instrument, row.band)}).",
            )
            return redirect(reverse("outcomes-patient", args=[patient.pk]) + "#questionnaires")
    _read(patient, f"questionnaire:{instrument}")
    return render(
        request,
        "outcomes/staff_questionnaire.html",
        {
            "patient": patient,
            "form": form,
            "pack": pack,
            "instrument": Instrument(instrument),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- cycle summary and renewal letter ---------------------------------------------------------


def _summary_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    today = clinic_today(patient.clinic)
    try:
        number = int(request.GET.get("cycle", ""))
    except ValueError:
        number = None
    summary = queries.cycle_summary(patient, today, number, request.GET.get("policy"))
    return pdf.summary_context(summary, _user(request))


@patient_view(staff_only=True)
def cycle_summary_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    context = _summary_context(request, patient)
    _read(patient, "cycle-summary")
    return render(request, "outcomes/cycle_summary.html", context)


def _summary_pdf(
    request: HttpRequest, patient: Patient, template: str, category: str, name: str
) -> HttpResponse:
    """A PDF of the cycle summary's context, its export audited; `name` is the file's stem
    and the audit's object (`<name>.pdf`)."""
    context = _summary_context(request, patient)
    body = pdf.render_pdf(template, context)
    record(
        action="export",
        category=category,
        patient=patient,
        object_ref=f"{name}.pdf",
        detail={"cycle": context["cycle"].number if context["cycle"] else None},
    )
    return _pdf_response(body, f"{name}-{patient.mrn}.pdf")


@patient_view(staff_only=True)
def cycle_summary_pdf(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _summary_pdf(
        request, patient, "outcomes/cycle_summary_pdf.html", "cycle_summary", "cycle-summary"
    )


@patient_view(staff_only=True)
def renewal_letter_pdf(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _summary_pdf(
        request, patient, "outcomes/renewal_letter_pdf.html", "renewal_letter", "renewal-letter"
    )


def _pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    response["Content-Disposition"] = f'inline; filename="{safe}"'
    response["Cache-Control"] = "no-store"
    return response


# --- the patient's pages ----------------------------------------------------------------------


@patient_only
def my_progress(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Headache days in each 4 weeks against the baseline, sessions marked, what to expect."""
    today = patient_today(patient)
    data = queries.progress(patient, today)
    bars = []
    if data.baseline is not None:
        bars.append(
            charts.BarInput(
                data.baseline.rounded,
                "Before",
                charts.short_date(data.baseline.end),
                "bar baseline",
            )
        )
    for period in data.periods[-(6 if data.baseline else 7) :]:  # 7 bars fit a phone
        bars.append(
            charts.BarInput(
                None if period.per_28 is None else period.rounded,
                charts.short_date(period.end),
                "",
                "bar",
                bool(period.sessions),
            )
        )
    chart = charts.bar_chart(
        bars,
        None if data.baseline is None or data.baseline.per_28 is None else data.baseline.rounded,
    )
    record(action="read", category="outcomes", patient=patient, object_ref="progress")
    return render(
        request,
        "outcomes/my_progress.html",
        {"patient": patient, "data": data, "chart": chart, "today": today, "nav": "progress"},
    )


@patient_only
def my_questionnaires(request: HttpRequest, patient: Patient) -> HttpResponse:
    """HIT-6 and MIDAS item values, with the clinic's licensed wording when it loaded one."""
    today = patient_today(patient)
    posted = request.POST.get("instrument") if request.method == "POST" else None
    forms: dict[str, QuestionnaireForm] = {}
    packs = {i: queries.active_pack(patient.clinic_id, i) for i in Instrument.values}
    labels = queries.item_labels(patient.clinic_id)
    for instrument in Instrument.values:
        pack = packs[instrument]
        forms[instrument] = QuestionnaireForm(
            request.POST if posted == instrument else None,
            instrument=instrument,
            wording=pack.wording if pack else None,
            labels=labels,
        )
    status = 200
    if posted in forms:
        form = forms[posted]
        if form.is_valid():
            row = _record_form(request, patient, form, packs[posted], today, ResponseSource.PATIENT)
            if row is not None:
                messages.success(
                    request, f"Thank you. Your {row.get_instrument_display()} score is {row.total}."
                )
                return redirect("my-questionnaires")
        status = 400
    responses = list(patient.questionnaire_responses.order_by("-completed_on", "-id")[:12])
    sessions = list(
        patient.sessions.filter(status="completed").order_by("date").values_list("date", flat=True)
    )
    due = queries.questionnaire_due(
        patient, today, sessions, responses, list(patient.continuation_decisions.all())
    )
    record(action="read", category="outcomes", patient=patient, object_ref="questionnaires")
    return render(
        request,
        "outcomes/my_questionnaires.html",
        {
            "patient": patient,
            "forms": forms,
            "packs": packs,
            "responses": [(r, queries.band_label(r.instrument, r.band)) for r in responses],
            "due": due,
            "due_window": _window(due.earliest, due.due, today) if due else "",
            "today": today,
        },
        status=status,
    )


def _window(start: dt.date, end: dt.date, today: dt.date) -> str:
    """ "31 December 2026 to 14 January", as the treatment plan says it (issue 16.5)."""

    def day(d: dt.date) -> str:
        return f"{d.day} {d:%B}" + ("" if d.year == today.year else f" {d.year}")

    return f"{day(start)} to {day(end)}"


# --- clinic dashboards ----------------------------------------------------------------------


def _clinics(request: HttpRequest) -> tuple[list[Clinic], Clinic]:
    clinics = list(Clinic.objects.filter(pk__in=staff_clinic_ids(request.user)).order_by("name"))
    try:
        wanted = int(request.GET.get("clinic", ""))
    except ValueError:
        wanted = None
    chosen = next((c for c in clinics if c.pk == wanted), clinics[0])
    return clinics, chosen


@staff_view()
def clinic_dashboard(request: HttpRequest) -> HttpResponse:
    clinics, clinic = _clinics(request)
    board = dashboard.dashboard([clinic.pk], clinic_today(clinic))
    record(
        action="read",
        category="outcomes_dashboard",
        clinic_id=clinic.pk,
        detail={"patients": board.patients},
    )
    lists = [
        ("Overdue", board.overdue, "No one is overdue.", "overdue"),
        ("Due in the next 2 weeks", board.due, "No session due.", "due"),
        ("Needs a review", board.needs_review, "No review waiting.", "review"),
        ("Renewal letter due", board.renewal_due, "No authorisation ending.", "renewal"),
        ("Wearing off", board.wearing_off, "No one wearing off.", "wearing-off"),
        ("Baseline ready", board.baseline_ready, "No baseline ready.", "baseline"),
        ("Low diary compliance", board.low_compliance, "Compliance is fine.", "compliance"),
    ]
    return render(
        request,
        "outcomes/dashboard.html",
        {"board": board, "clinic": clinic, "clinics": clinics, "lists": lists},
    )


@staff_view()
def clinic_cohort(request: HttpRequest) -> HttpResponse:
    clinics, clinic = _clinics(request)
    result = dashboard.cohort([clinic.pk], clinic_today(clinic))
    record(
        action="read", category="cohort", clinic_id=clinic.pk, detail={"patients": result.patients}
    )
    return render(
        request,
        "outcomes/cohort.html",
        {
            "clinic": clinic,
            "clinics": clinics,
            "summary": result.summary.to_dicts(),
            "by_symptom": [
                {**row, "label": SYMPTOM_LABELS.get(row["symptom"], row["symptom"])}
                for row in result.by_symptom.to_dicts()
            ],
            "patients": result.patients,
            "today": clinic_today(clinic),
            "rules": result.rules,
        },
    )


@staff_view()
def clinic_cohort_csv(request: HttpRequest) -> HttpResponse:
    _, clinic = _clinics(request)
    result = dashboard.cohort([clinic.pk], clinic_today(clinic))
    out = io.StringIO()
    writer = csvcells.writer(out)
    writer.writerow([header for _, header in dashboard.CSV_COLUMNS] + ["ruleset", "day definition"])
    # The figures were computed under one ruleset and day definition (spec section 11).
    named = [result.rules.ruleset.name, result.rules.definition.value]
    for row in result.summary.to_dicts():
        writer.writerow(
            [
                ""
                if row.get(key) is None
                # A Decimal stays a number (a negative change is not guarded as a formula).
                else (Decimal(f"{row[key]:.1f}") if isinstance(row[key], float) else row[key])
                for key, _ in dashboard.CSV_COLUMNS
            ]
            + named
        )
    record(
        action="export",
        category="cohort",
        clinic_id=clinic.pk,
        object_ref="cohort.csv",
        detail={"patients": result.patients, "rows": result.summary.height},
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cohort-{clinic.slug}.csv"'
    return response


def _plain_pack_problem(problem: str) -> str:
    """A loader's problem for the page: whole-file problems in words, the rest by the path
    in the file they concern (`items.hit6_3: missing`, docs/content-packs.md)."""
    if problem.startswith("$: "):
        rest = problem.removeprefix("$: ")
        if rest.startswith("malformed JSON"):
            return "The file is not valid JSON (" + rest.removeprefix("malformed JSON: ") + ")."
        if rest == "not UTF-8 text":
            return "The file is not UTF-8 text: save it as UTF-8 JSON."
        if rest.startswith("must be an object"):
            return (
                "The file must hold one JSON object ({ … }) in the format of docs/content-packs.md."
            )
        return "The file: " + rest + "."
    return problem


_ADMIN = (Role.CLINIC_ADMIN,)


@staff_view(roles=_ADMIN)
def content_packs(request: HttpRequest) -> HttpResponse:
    """Clinic admins load the licensed wording of a questionnaire (docs/content-packs.md);
    a new version of a questionnaire's wording replaces the one in use."""
    clinic = working_clinic(request, _ADMIN)
    form = ContentPackForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            pack = actions.load_content_pack(
                clinic=clinic, by=_user(request), raw=form.cleaned_data["file"].read()
            )
        except ValidationError as error:
            problems = [_plain_pack_problem(p) for p in error.messages]
        else:
            earlier = (
                ContentPack.objects.filter(clinic=clinic, instrument=pack.instrument, active=True)
                .exclude(pk=pack.pk)
                .order_by("-loaded_at", "-id")
                .first()
            )
            messages.success(
                request,
                f"Loaded {pack}."
                + (f" It replaces {earlier.version} on the forms from now on." if earlier else ""),
            )
            return redirect(in_clinic(clinic, "content-packs"))
    packs = list(ContentPack.objects.filter(clinic=clinic).select_related("loaded_by"))
    in_use = {
        p.pk
        for p in (queries.active_pack(clinic.pk, i) for i in Instrument.values)
        if p is not None
    }
    return render(
        request,
        "outcomes/content_packs.html",
        {
            "form": form,
            "packs": packs,
            "in_use": in_use,
            "clinic": clinic,
            "clinics": working_clinics(request, _ADMIN),
            "problems": problems,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_view(roles=_ADMIN)
def content_pack_active(request: HttpRequest, pack_id: int) -> HttpResponse:
    """Stop using a loaded wording, or use it again."""
    clinic = working_clinic(request, _ADMIN)
    pack = ContentPack.objects.filter(pk=pack_id, clinic=clinic).first()
    if pack is None:
        raise Http404("Not found")
    active = request.POST.get("active") == "1"
    actions.set_content_pack_active(pack=pack, by=_user(request), active=active)
    messages.success(
        request,
        f"{pack} is in use again." if active else f"{pack} is no longer shown on the forms.",
    )
    return redirect(in_clinic(clinic, "content-packs"))


@staff_view(roles=(Role.CLINIC_ADMIN,))
def item_labels(request: HttpRequest) -> HttpResponse:
    """Clinic admins give each questionnaire item a plain label of their own (issue 16.5),
    shown to patients beside the item when no licensed wording is loaded."""
    clinic = working_clinic(request, _ADMIN)
    current = queries.item_labels(clinic.pk)
    form = ItemLabelsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_item_labels(clinic=clinic, by=_user(request), labels=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the questionnaire labels.")
            return redirect(in_clinic(clinic, "item-labels"))
    return render(
        request,
        "outcomes/item_labels.html",
        {"form": form, "clinic": clinic, "clinics": working_clinics(request, _ADMIN)},
        status=400 if request.method == "POST" else 200,
    )
