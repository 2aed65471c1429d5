"""The audit report for clinic admins: filter, sort, export as CSV."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from cephalog.accounts.access import staff_clinic_ids, staff_view
from cephalog.accounts.models import Role
from cephalog.audit import queries
from cephalog.audit.actions import record
from cephalog.audit.forms import AuditFilterForm
from cephalog.domain.csvcells import csv_line

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


@staff_view(roles=(Role.CLINIC_ADMIN,))
def audit_report(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    f = form.to_filter() if form.is_valid() else queries.AuditFilter()
    clinic_ids = staff_clinic_ids(request.user, (Role.CLINIC_ADMIN,))
    events = queries.clinic_events(clinic_ids, f)
    if request.GET.get("format") == "csv":
        record(action="export", category="audit", clinic_id=clinic_ids[0], detail={"format": "csv"})
        return _csv(events)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    record(action="read", category="audit", clinic_id=clinic_ids[0])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/report.html",
        {"form": form, "page": page, "query": query.urlencode(), "columns": COLUMNS},
    )


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
