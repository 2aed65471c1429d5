"""The audit report for clinic admins: filter, sort, export as CSV."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cephalog.accounts.access import staff_clinic_ids, staff_view
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.audit.models import AuditEvent
from cephalog.domain.csvcells import csv_line
from cephalog.patients.models import Patient
from cephalog.web.audit import queries
from cephalog.web.audit.forms import AuditFilterForm, PatientSearchForm
from cephalog.web.audit.wording import describe

COLUMNS = (
    "at",
    "username",
    "clinic_id",
    "patient_id",
    "action",
    "category",
    "object_ref",
    "source_ip",
)


def _with_patient(request: HttpRequest, patient_id: str | None) -> str:
    """The report's address with the current filters and `patient_id` (opaque) in place of
    the patient filtered before; no page number (the results change)."""
    query = request.GET.copy()
    for name in ("patient", "page", "format"):
        query.pop(name, None)
    if patient_id:
        query["patient"] = patient_id
    return f"{reverse('audit-report')}?{query.urlencode()}"


@staff_view(roles=(Role.CLINIC_ADMIN,))
def audit_report(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    f = form.to_filter() if form.is_valid() else queries.AuditFilter()
    clinic_ids = staff_clinic_ids(request.user, (Role.CLINIC_ADMIN,))
    # Finding a patient by MRN or name is POSTed (never in the address): one match filters
    # by her id at once, several are listed to choose from.
    search = PatientSearchForm(request.POST if request.method == "POST" else None)
    found: list[Patient] | None = None
    if search.is_bound and search.is_valid():
        found = queries.find_patients(clinic_ids, search.cleaned_data["find"])
        record(
            action="read",
            category="patient_list",
            clinic_id=clinic_ids[0],
            detail={"count": len(found), "searched": True, "from": "audit"},
        )
        if len(found) == 1:
            return redirect(_with_patient(request, str(found[0].pk)))
    events = queries.clinic_events(clinic_ids, f)
    if request.method == "GET" and request.GET.get("format") == "csv":
        record(action="export", category="audit", clinic_id=clinic_ids[0], detail={"format": "csv"})
        return _csv(events)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    record(action="read", category="audit", clinic_id=clinic_ids[0])
    query = request.GET.copy()
    query.pop("page", None)
    clinic = Clinic.objects.filter(pk=clinic_ids[0]).first()
    with timezone.override(zoneinfo.ZoneInfo(clinic.time_zone if clinic else "UTC")):
        return render(
            request,
            "audit/report.html",
            {
                "form": form,
                "search": search,
                "found": [(p, _with_patient(request, str(p.pk))) for p in found or []][
                    : queries.FOUND_LIMIT
                ],
                "searched": found is not None,
                "more_found": found is not None and len(found) > queries.FOUND_LIMIT,
                "filtered_patient": queries.patient_of(clinic_ids, f.patient),
                "filtered_id": f.patient,
                "all_patients": _with_patient(request, None),
                "page": page,
                "rows": _in_words(list(page.object_list), clinic_ids),
                "query": query.urlencode(),
            },
            status=400 if search.is_bound and not search.is_valid() else 200,
        )


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    who: str
    what: str
    patient: Patient | None


def _name(user: User | None, fallback: str) -> str:
    if user is None:
        return fallback or "the system"
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def _in_words(events: list[AuditEvent], clinic_ids: list[int]) -> list[Row]:
    """Who, what, which patient: names come from the admin's own clinics only (3 queries)."""
    patient_ids = {e.patient_id for e in events if e.patient_id}
    patients = {
        p.pk: p
        for p in Patient.objects.filter(pk__in=patient_ids, clinic_id__in=clinic_ids).only(
            "id", "given_name", "family_name", "mrn", "clinic_id"
        )
    }
    targets = {int(ref) for e in events if (ref := e.object_ref.removeprefix("user:")).isdigit()}
    user_ids = {e.user_id for e in events if e.user_id} | targets
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    rows = []
    for e in events:
        target_id = e.object_ref.removeprefix("user:")
        target = users.get(int(target_id)) if target_id.isdigit() else None
        rows.append(
            Row(
                event=e,
                who=_name(users.get(e.user_id) if e.user_id else None, e.username),
                what=describe(
                    action=e.action,
                    category=e.category,
                    detail=e.detail if isinstance(e.detail, dict) else {},
                    target=_name(target, "") if target else "",
                ),
                patient=patients.get(e.patient_id) if e.patient_id else None,
            )
        )
    return rows


def _csv(events: object) -> StreamingHttpResponse:
    def rows() -> Iterator[str]:
        yield csv_line(COLUMNS)
        for e in events.iterator(chunk_size=2000):  # type: ignore[attr-defined]
            yield csv_line(
                [
                    e.at.isoformat(),
                    e.username,
                    e.clinic_id,
                    e.patient_id or "",
                    e.action,
                    e.category,
                    e.object_ref,
                    e.source_ip or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
