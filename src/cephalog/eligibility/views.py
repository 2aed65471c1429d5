"""The consultation record (staff): migraine history, preventives, medicines, cautions,
other botulinum toxin treatments.

Every section is a plain form posting to its own URL, so the page works without
JavaScript (post, redirect, get). With htmx the form swaps only its own section.
Decorators load the patient and check the role; `actions` write; reads are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from django.contrib import messages
from django.db.models import Model
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cephalog.accounts.access import CLINICAL_ROLES, patient_view, role_in
from cephalog.accounts.models import User
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain import preventive_catalogue
from cephalog.domain.vocab import INTERACTING_MEDICATION_CLASSES
from cephalog.eligibility import actions
from cephalog.eligibility.actions import EligibilityError
from cephalog.eligibility.forms import (
    CautionsForm,
    ExposureForm,
    HistoryForm,
    MedicationForm,
    PreventiveForm,
    attach_problems,
)
from cephalog.eligibility.models import Medication, Preventive, ToxinExposure
from cephalog.eligibility.queries import trial_days
from cephalog.patients.models import Patient

SECTIONS = ("history", "preventives", "medicines", "cautions", "toxin")
#: Name → class tables for the form's class suggestion (eligibility.js).
CATALOGUE = {
    "preventives": {k: str(v) for k, v in preventive_catalogue.PREVENTIVES.items()},
    "medicines": {k: str(v) for k, v in preventive_catalogue.INTERACTING.items()},
}


def user_of(request: HttpRequest) -> User:
    """The logged-in user; the access decorators have already refused anyone else."""
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _history_form(patient: Patient) -> HistoryForm:
    return HistoryForm(
        initial={
            "migraine_onset_year": patient.migraine_onset_year,
            "migraine_with_aura": patient.migraine_with_aura,
            "chronic_headache_since": patient.chronic_headache_since,
            "intractable": patient.intractable,
            "status_migrainosus": patient.status_migrainosus,
        }
    )


def _cautions_form(patient: Patient, today: dt.date) -> CautionsForm:
    allergy = patient.allergies.filter(code="botulinum_toxin").first()
    return CautionsForm(
        initial={
            "conditions": [
                c.code
                for c in patient.conditions.all()
                if c.resolved_on is None or c.resolved_on > today
            ],
            "toxin_allergy": allergy is not None,
            "allergy_reaction": allergy.reaction if allergy else "",
        }
    )


def interacting_now(medication: Medication, today: dt.date) -> bool:
    """An interacting class (clinical reference 2.6) taken today."""
    current = (medication.start is None or medication.start <= today) and (
        medication.stop is None or medication.stop >= today
    )
    return current and medication.drug_class in INTERACTING_MEDICATION_CLASSES


def consultation_context(
    request: HttpRequest, patient: Patient, today: dt.date, **forms: Any
) -> dict[str, Any]:
    can_edit = role_in(user_of(request), patient.clinic) in CLINICAL_ROLES
    conditions = [
        c for c in patient.conditions.all() if c.resolved_on is None or c.resolved_on > today
    ]
    return {
        "patient": patient,
        "today": today,
        "can_edit": can_edit,
        "preventives": [(p, trial_days(p, today)) for p in patient.preventives.all()],
        "medicines": [(m, interacting_now(m, today)) for m in patient.medications.all()],
        "conditions": conditions,
        "allergy": patient.allergies.filter(code="botulinum_toxin").first(),
        "exposures": list(patient.toxin_exposures.all()),
        "history_form": forms.get("history_form") or _history_form(patient),
        "preventive_form": forms.get("preventive_form") or PreventiveForm(),
        "medicine_form": forms.get("medicine_form") or MedicationForm(),
        "cautions_form": forms.get("cautions_form") or _cautions_form(patient, today),
        "exposure_form": forms.get("exposure_form") or ExposureForm(),
        "preventive_names": preventive_catalogue.PREVENTIVE_SUGGESTIONS,
        "interacting_names": preventive_catalogue.INTERACTING_SUGGESTIONS,
        "catalogue": CATALOGUE,
        "status": forms.get("status", ""),
        "status_section": forms.get("status_section", ""),
    }


def _read(patient: Patient) -> None:
    record(action="read", category="consultation", patient=patient)


@patient_view(staff_only=True)
def consultation(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The consultation record: view for all staff, edit for physicians and nurses."""
    context = consultation_context(request, patient, patient_today(patient))
    _read(patient)
    return render(request, "eligibility/consultation.html", context)


def _respond(
    request: HttpRequest, patient: Patient, section: str, *, saved: str = "", **forms: Any
) -> HttpResponse:
    """After a post: htmx gets the section back; a plain post is redirected (or the page
    re-rendered with the form's errors)."""
    if saved and not _is_htmx(request):
        messages.success(request, saved)
        return redirect(reverse("consultation", args=[patient.pk]) + f"#{section}")
    context = consultation_context(
        request, patient, patient_today(patient), status=saved, status_section=section, **forms
    )
    _read(patient)
    if _is_htmx(request):
        return render(request, f"eligibility/_section_{section}.html", context)
    return render(request, "eligibility/consultation.html", context)


def _post_section(
    request: HttpRequest,
    patient: Patient,
    form_class: Any,
    section: str,
    *,
    form_key: str,
    saved: str,
    write: Callable[..., Any],
) -> HttpResponse:
    """Validate one section's posted form and hand its cleaned data to `write`; the form
    comes back under `form_key` with the problems the write refused."""
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(**form.cleaned_data)
        except EligibilityError as error:
            attach_problems(form, error.problems)
        else:
            return _respond(request, patient, section, saved=saved)
    return _respond(request, patient, section, **{form_key: form})


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@require_POST
def history_save(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _post_section(
        request,
        patient,
        HistoryForm,
        "history",
        form_key="history_form",
        saved="Migraine history saved.",
        write=partial(
            actions.update_history,
            patient=patient,
            by=user_of(request),
            today=patient_today(patient),
        ),
    )


def _item_edit(request: HttpRequest, patient: Patient, item: Any, items: _Items) -> HttpResponse:
    """The edit page of one preventive or medicine."""
    section, noun, item_kwarg = items.section, items.noun, items.item_kwarg
    if request.method == "POST":
        form = items.form_class(request.POST)
        if form.is_valid():
            try:
                items.write(
                    patient=patient, by=user_of(request), **{item_kwarg: item}, **form.cleaned_data
                )
            except EligibilityError as error:
                attach_problems(form, error.problems)
            else:
                messages.success(request, f"{noun.capitalize()} saved.")
                return redirect(reverse("consultation", args=[patient.pk]) + f"#{section}")
    else:
        form = items.form_class(initial={f: getattr(item, f) for f in items.fields})
    record(
        action="read", category=item_kwarg, patient=patient, object_ref=f"{item_kwarg}:{item.pk}"
    )
    return render(
        request,
        "eligibility/item_edit.html",
        {
            "patient": patient,
            "form": form,
            "title": f"Edit {noun}: {item.name}",
            "names": items.names,
            "section": section,
            "catalogue": CATALOGUE,
        },
    )


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@require_POST
def cautions_save(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _post_section(
        request,
        patient,
        CautionsForm,
        "cautions",
        form_key="cautions_form",
        saved="Conditions and allergy saved.",
        write=partial(
            actions.set_cautions,
            patient=patient,
            by=user_of(request),
            today=patient_today(patient),
        ),
    )


@dataclass(frozen=True)
class _Items:
    """One list section of the record: its model, form, writes and words."""

    model: type[Model]
    form_class: type[Form]
    section: str
    noun: str  # the patient-facing word: "Preventive added."
    item_kwarg: str  # the item's argument name in the writes
    form_key: str  # the add form's name in the page's context
    write: Callable[..., Any]  # add or change one item
    remove: Callable[..., Any]
    fields: tuple[str, ...] = ()  # the edit form's fields (the section can be edited)
    names: Any = ()  # the edit form's name suggestions


PREVENTIVES = _Items(
    Preventive,
    PreventiveForm,
    section="preventives",
    noun="preventive",
    item_kwarg="preventive",
    form_key="preventive_form",
    write=actions.save_preventive,
    remove=actions.remove_preventive,
    fields=actions.PREVENTIVE_FIELDS,
    names=preventive_catalogue.PREVENTIVE_SUGGESTIONS,
)
MEDICINES = _Items(
    Medication,
    MedicationForm,
    section="medicines",
    noun="medicine",
    item_kwarg="medication",
    form_key="medicine_form",
    write=actions.save_medication,
    remove=actions.remove_medication,
    fields=actions.MEDICATION_FIELDS,
    names=preventive_catalogue.INTERACTING_SUGGESTIONS,
)
EXPOSURES = _Items(
    ToxinExposure,
    ExposureForm,
    section="toxin",
    noun="toxin treatment",
    item_kwarg="exposure",
    form_key="exposure_form",
    write=actions.add_toxin_exposure,
    remove=actions.remove_toxin_exposure,
)


def _add_view(items: _Items) -> Callable[..., HttpResponseBase]:
    @patient_view(staff_only=True, roles=CLINICAL_ROLES)
    @require_POST
    def add(request: HttpRequest, patient: Patient) -> HttpResponse:
        return _post_section(
            request,
            patient,
            items.form_class,
            items.section,
            form_key=items.form_key,
            saved=f"{items.noun.capitalize()} added.",
            write=partial(items.write, patient=patient, by=user_of(request)),
        )

    return add


def _edit_view(items: _Items) -> Callable[..., HttpResponseBase]:
    @patient_view(staff_only=True, roles=CLINICAL_ROLES)
    def edit(request: HttpRequest, patient: Patient, item_id: int) -> HttpResponse:
        item = get_object_or_404(items.model, pk=item_id, patient=patient)
        return _item_edit(request, patient, item, items)

    return edit


def _remove_view(items: _Items) -> Callable[..., HttpResponseBase]:
    @patient_view(staff_only=True, roles=CLINICAL_ROLES)
    @require_POST
    def remove(request: HttpRequest, patient: Patient, item_id: int) -> HttpResponse:
        items.remove(
            **{items.item_kwarg: get_object_or_404(items.model, pk=item_id, patient=patient)},
            by=user_of(request),
        )
        return _respond(
            request, patient, items.section, saved=f"{items.noun.capitalize()} removed."
        )

    return remove


preventive_add = _add_view(PREVENTIVES)
preventive_edit = _edit_view(PREVENTIVES)
preventive_remove = _remove_view(PREVENTIVES)
medicine_add = _add_view(MEDICINES)
medicine_edit = _edit_view(MEDICINES)
medicine_remove = _remove_view(MEDICINES)
exposure_add = _add_view(EXPOSURES)
exposure_remove = _remove_view(EXPOSURES)
